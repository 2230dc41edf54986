package engine

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestLimiterWaits: on the bubble's clock, callers of one limiter leave exactly an interval apart
// whatever their number, and a caller whose context ends stops waiting then. Ten seconds of pacing
// take no real time.
func TestLimiterWaits(t *testing.T) {
	tests := []struct {
		name           string
		rate           float64
		callers, waits int
		wantLast       time.Duration
	}{
		{"one caller", 10, 1, 100, 9900 * time.Millisecond},
		{"four callers share the rate", 10, 4, 25, 9900 * time.Millisecond},
		{"no limit", 0, 4, 25, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l, start := newLimiter(tt.rate), time.Now()
				var (
					mu   sync.Mutex
					left []time.Duration
					wg   sync.WaitGroup
				)
				for range tt.callers {
					wg.Go(func() {
						for range tt.waits {
							assert.NoError(t, l.wait(t.Context()))
							mu.Lock()
							left = append(left, time.Since(start))
							mu.Unlock()
						}
					})
				}
				wg.Wait()
				assert.Len(t, left, tt.callers*tt.waits)
				assert.Equal(t, tt.wantLast, time.Since(start))
				if tt.rate == 0 {
					return
				}
				seen := map[time.Duration]bool{}
				for _, d := range left {
					assert.False(t, seen[d], "two callers left at %v", d)
					assert.Zero(t, d%(100*time.Millisecond), "left between slots: %v", d)
					seen[d] = true
				}
			})
		})
	}
}

func TestLimiterWaitCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(1.0 / 3600) // one request an hour
		assert.NoError(t, l.wait(t.Context()), "the first slot is now")
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		start := time.Now()
		assert.ErrorIs(t, l.wait(ctx), context.DeadlineExceeded)
		assert.Equal(t, 5*time.Second, time.Since(start), "it stops waiting when the context ends")
	})
}
