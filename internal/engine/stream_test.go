package engine_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/engine"
)

// TestStreamMatchesRun: Stream delivers what Run delivers, in the same order, with the same
// duplicates, shuffled or not, and hands every result to OnResult.
func TestStreamMatchesRun(t *testing.T) {
	payloads := makePayloads(200)
	for _, shuffle := range []bool{false, true} {
		t.Run(fmt.Sprintf("shuffle=%v", shuffle), func(t *testing.T) {
			opts := func(onResult func(engine.Result)) engine.Options {
				return engine.Options{Duplicates: 0.3, Shuffle: shuffle, Seed: 7, OnResult: onResult}
			}
			runRec, streamRec := &recorder{}, &recorder{}
			o := opts(nil)
			o.Target = serve(t, runRec).URL
			report, err := engine.Run(context.Background(), o, payloads)
			require.NoError(t, err)

			var results []engine.Result
			o = opts(func(r engine.Result) { results = append(results, r) })
			o.Target = serve(t, streamRec).URL
			calls := 0
			summary, err := stream(o, len(payloads), func(i int) (engine.Payload, error) {
				calls++
				return payloads[i], nil
			})
			require.NoError(t, err)

			assert.Equal(t, runRec.IDs(), streamRec.IDs())
			assert.Equal(t, report.Summary.Scheduled, summary.Scheduled)
			assert.Equal(t, report.Summary.Duplicates, summary.Duplicates)
			assert.Equal(t, summary.Scheduled, summary.Acked)
			require.Len(t, results, summary.Scheduled)
			for i, r := range results {
				assert.Equal(t, report.Results[i].PayloadID, r.PayloadID, "delivery %d", i)
				assert.Equal(t, report.Results[i].Duplicate, r.Duplicate, "delivery %d", i)
			}
			if !shuffle {
				assert.Equal(t, len(payloads), calls, "a copy right after its original reuses its payload")
			}
		})
	}
}

func stream(o engine.Options, n int, payload func(int) (engine.Payload, error)) (engine.Summary, error) {
	e, err := engine.New(o)
	if err != nil {
		return engine.Summary{}, err
	}
	defer e.Close()
	return e.Stream(context.Background(), n, payload)
}

// TestStreamPayloadError: a payload that cannot be made stops the run; the deliveries made settle,
// the rest count as cancelled, and the error says which payload.
func TestStreamPayloadError(t *testing.T) {
	rec := &recorder{}
	payloads := makePayloads(10)
	boom := errors.New("boom")
	results := 0
	summary, err := stream(engine.Options{Target: serve(t, rec).URL, OnResult: func(engine.Result) { results++ }}, 10,
		func(i int) (engine.Payload, error) {
			if i == 4 {
				return engine.Payload{}, boom
			}
			return payloads[i], nil
		})
	require.ErrorIs(t, err, boom)
	assert.ErrorContains(t, err, "payload 4")
	assert.Equal(t, 10, summary.Scheduled)
	assert.Equal(t, 4, summary.Acked)
	assert.Equal(t, 6, summary.Cancelled)
	assert.Equal(t, 4, results, "only deliveries made reach OnResult")
	assert.Len(t, rec.Hits(), 4)
}

// TestStreamHugeCount: a run of a trillion payloads makes them as it goes: cut short after a few
// hundred deliveries, it has held no more than a few MiB, and its summary still accounts for every
// payload.
func TestStreamHugeCount(t *testing.T) {
	const n = 1_000_000_000_000
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var heap uint64
	settled := 0
	e, err := engine.New(engine.Options{Target: serve(t, okHandler).URL, Workers: 4, OnResult: func(engine.Result) {
		if settled++; settled == 300 {
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			heap = m.HeapAlloc
			cancel()
		}
	}})
	require.NoError(t, err)
	defer e.Close()
	body := []byte(`{"id":"x"}`)
	summary, err := e.Stream(ctx, n, func(i int) (engine.Payload, error) {
		return engine.Payload{ID: fmt.Sprint(i), Body: body}, nil
	})
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, n, summary.Scheduled)
	assert.Equal(t, summary.Scheduled, summary.Acked+summary.Failed+summary.Cancelled)
	assert.GreaterOrEqual(t, summary.Acked, 300)
	assert.Less(t, heap, uint64(64<<20), "heap in use while streaming")
}

// TestStreamRefusesHugeShuffle: a shuffled run draws its whole schedule, so a count it cannot hold
// is refused up front, naming the field.
func TestStreamRefusesHugeShuffle(t *testing.T) {
	_, err := stream(engine.Options{Target: "http://127.0.0.1:1/", Shuffle: true}, engine.MaxShuffle+1,
		func(int) (engine.Payload, error) { panic("no payload is made") })
	var fe *engine.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "Shuffle", fe.Field)
}

// TestStreamCancelledBeforeStart: a run whose context has ended sends nothing and counts every
// payload as cancelled.
func TestStreamCancelledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e, err := engine.New(engine.Options{Target: "http://127.0.0.1:1/"})
	require.NoError(t, err)
	defer e.Close()
	summary, err := e.Stream(ctx, 1000, func(int) (engine.Payload, error) { return engine.Payload{}, nil })
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1000, summary.Scheduled)
	assert.Equal(t, 1000, summary.Cancelled)
}

// TestPercentilesPastExact: past the latencies kept as they are, each percentile is within 1% above
// the exact one, and Min, Mean and Max stay exact.
func TestPercentilesPastExact(t *testing.T) {
	const n = 300_000
	in := make([]time.Duration, n)
	for i := range in {
		in[i] = time.Duration(i+1) * 997 * time.Nanosecond // 1µs to 0.3s
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(n, func(i, j int) { in[i], in[j] = in[j], in[i] })
	got := engine.Percentiles(in)
	exact := func(p int) time.Duration { return time.Duration((p*n+99)/100) * 997 }
	for _, c := range []struct {
		p   int
		got time.Duration
	}{{50, got.P50}, {90, got.P90}, {99, got.P99}} {
		want := exact(c.p)
		assert.GreaterOrEqual(t, c.got, want, "p%d", c.p)
		assert.LessOrEqual(t, float64(c.got), float64(want)*1.01, "p%d", c.p)
	}
	assert.Equal(t, n, got.Count)
	assert.Equal(t, 997*time.Nanosecond, got.Min)
	assert.Equal(t, n*997*time.Nanosecond, got.Max)
	assert.Equal(t, time.Duration((n+1)*997/2), got.Mean)
}

// TestStreamNoMore: a payload function that says there are no more ends the run cleanly there,
// counting only the payloads made.
func TestStreamNoMore(t *testing.T) {
	rec := &recorder{}
	payloads := makePayloads(10)
	summary, err := stream(engine.Options{Target: serve(t, rec).URL, Duplicates: 0.5, Seed: 3}, 1_000_000, func(i int) (engine.Payload, error) {
		if i == 6 {
			return engine.Payload{}, engine.ErrNoMore
		}
		return payloads[i], nil
	})
	require.NoError(t, err)
	assert.Equal(t, summary.Scheduled, summary.Acked)
	assert.Equal(t, 6+summary.Duplicates, summary.Scheduled)
	assert.Len(t, rec.Hits(), summary.Scheduled)
}
