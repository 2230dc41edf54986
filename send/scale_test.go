package send_test

import (
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/delivery"
	"github.com/wahook/wahook/internal/hooktest"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
	"github.com/wahook/wahook/send"
)

// TestStreamAtScale: 200,000 generated deliveries to an in-process sink are each counted once
// (scheduled = acked + failed + cancelled, one result per delivery), and the heap they leave in use
// is the same a tenth of the way in as at the end: nothing grows with the count.
func TestStreamAtScale(t *testing.T) {
	count := 200_000
	if testing.Short() || raceEnabled {
		count = 20_000
	}
	var hits atomic.Int64
	srv := hooktest.Server(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	var results atomic.Int64
	heapAt := map[int64]uint64{}
	measure := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	summary, err := send.Stream(t.Context(), send.Options{
		Target: mockprovider.Target{URL: srv.URL, Provider: schemas.ITNIOTech}, Count: count, Workers: 8, Retries: "none",
		OnResult: func(delivery.Result) {
			// OnResult calls never overlap: reading the heap here pauses the run, not others' counts.
			if n := results.Add(1); n == int64(count/10) || n == int64(count) {
				heapAt[n] = measure()
			}
		},
	})
	require.NoError(t, err)
	assert.Equal(t, count, summary.Scheduled)
	assert.Equal(t, summary.Scheduled, summary.Acked+summary.Failed+summary.Cancelled)
	assert.Equal(t, count, summary.Acked)
	assert.EqualValues(t, count, results.Load(), "one result per delivery")
	assert.EqualValues(t, count, hits.Load())
	early, late := heapAt[int64(count/10)], heapAt[int64(count)]
	t.Logf("heap in use: %d KiB after %d deliveries, %d KiB after %d", early>>10, count/10, late>>10, count)
	assert.Less(t, late, early+8<<20, "the heap does not grow with the count")
}
