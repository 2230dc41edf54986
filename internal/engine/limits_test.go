package engine_test

import (
	"context"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/engine"
)

// TestWorkersCostNothingUntilUsed: connection slots are made as requests need them, so the largest
// Workers allowed costs no more to set up than one, and a run opens no more connections than it has
// requests in flight.
func TestWorkersCostNothingUntilUsed(t *testing.T) {
	const target = "http://127.0.0.1:1/webhook"
	allocs := func(workers int) float64 {
		return testing.AllocsPerRun(20, func() {
			e, err := engine.New(engine.Options{Target: target, Workers: workers})
			if err != nil {
				panic(err)
			}
			e.Close()
		})
	}
	one, most := allocs(1), allocs(engine.MaxWorkers)
	assert.LessOrEqual(t, most, one+2, "New with %d workers allocates per worker", engine.MaxWorkers)

	srv, opened := countingServer(t)
	report, err := engine.Run(context.Background(), engine.Options{Target: srv.URL, Workers: engine.MaxWorkers}, makePayloads(3))
	require.NoError(t, err)
	assert.Equal(t, 3, report.Summary.Acked)
	assert.LessOrEqual(t, opened.Load(), int32(3))
}

// TestRateSaturates: a rate whose interval is longer than the longest Duration spaces requests by the
// longest Duration instead of wrapping round to no limit at all.
func TestRateSaturates(t *testing.T) {
	for _, rate := range []float64{1e-12, math.SmallestNonzeroFloat64} {
		rec := &recorder{}
		srv := serve(t, rec)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		report, err := engine.Run(ctx, engine.Options{Target: srv.URL, Workers: 4, Rate: rate}, makePayloads(5))
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded, "rate %v", rate)
		assert.Len(t, rec.Hits(), 1, "rate %v: only the first request goes out", rate)
		assert.Equal(t, 1, report.Summary.Acked)
		assert.Equal(t, 4, report.Summary.Cancelled)
	}
}

// TestRetryDelaySaturates: a retry delay times the time scale past the longest Duration is the longest
// Duration, not a negative one that would retry at once.
func TestRetryDelaySaturates(t *testing.T) {
	rec := &recorder{respond: func(w http.ResponseWriter, _ *http.Request, _ hit, _ int) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}}
	srv := serve(t, rec)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	report, err := engine.Run(ctx, engine.Options{
		Target: srv.URL, Retries: []time.Duration{2_000_000 * time.Hour, 2_000_000 * time.Hour}, TimeScale: 10,
	}, makePayloads(1))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Len(t, rec.Hits(), 1, "the retry is not due within the run")
	res := report.Results[0]
	assert.Equal(t, engine.Cancelled, res.Outcome)
	assert.True(t, res.PendingRetry)
	assert.Greater(t, res.RetryAt.Sub(start), 200*365*24*time.Hour, "due in about 292 years")
}

// TestBodyBudget: a run keeps whole response bodies until it has kept Options.BodyBudget bytes of
// them; after that each attempt keeps clippedBody bytes and says so, while short bodies stay whole.
func TestBodyBudget(t *testing.T) {
	assert.Equal(t, 64<<20, engine.DefaultBodyBudget)
	big := strings.Repeat("e", 30_000)
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if string(body) == "m0005" {
			_, _ = io.WriteString(w, "short")
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, big)
	}))
	// One worker, so that the bodies are read in payload order.
	report, err := engine.Run(context.Background(), engine.Options{Target: srv.URL, BodyBudget: 100_000}, makePayloads(6))
	require.NoError(t, err)
	for i, res := range report.Results {
		a := res.Attempts[0]
		switch {
		case i < 3: // 90,000 bytes kept
			assert.Equal(t, big, string(a.Body), "attempt %d", i)
			assert.False(t, a.BodyClipped, "attempt %d", i)
		case i < 5:
			assert.Equal(t, big[:engine.ClippedBody], string(a.Body), "attempt %d", i)
			assert.True(t, a.BodyClipped, "attempt %d", i)
			assert.False(t, a.BodyTruncated, "attempt %d: clipped, not truncated", i)
			assert.Equal(t, http.StatusInternalServerError, a.Status)
		default:
			assert.Equal(t, "short", string(a.Body), "a body within clippedBody is kept whole")
			assert.False(t, a.BodyClipped)
		}
	}
	assert.True(t, report.Results[4].Attempts[0].BodyClipped)

	// The default budget keeps all of a modest run's bodies.
	report, err = engine.Run(context.Background(), engine.Options{Target: srv.URL}, makePayloads(5))
	require.NoError(t, err)
	for _, res := range report.Results {
		assert.Equal(t, big, string(res.Attempts[0].Body))
	}
}

// TestDefaultTimeout: an engine made without Options.Timeout bounds each attempt by DefaultTimeout,
// 10 seconds; one given a Timeout keeps it. That attempts end at the engine's bound is
// TestErrorClasses's to show, with a short one.
func TestDefaultTimeout(t *testing.T) {
	assert.Equal(t, 10*time.Second, engine.DefaultTimeout)
	for _, tt := range []struct {
		given, want time.Duration
	}{
		{0, engine.DefaultTimeout},
		{time.Millisecond, time.Millisecond},
		{time.Hour, time.Hour},
	} {
		e, err := engine.New(engine.Options{Target: "http://127.0.0.1:1/", Timeout: tt.given})
		require.NoError(t, err)
		assert.Equal(t, tt.want, e.Timeout(), "Timeout %v", tt.given)
		e.Close()
	}
}
