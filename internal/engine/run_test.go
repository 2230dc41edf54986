package engine_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/engine"
)

// itnioRetries is a schedule of minutes, as a provider documents; scale turns it into milliseconds.
var itnioRetries = []time.Duration{time.Minute, 3 * time.Minute, 5 * time.Minute}

// scale turns 1m, 3m, 5m into 150ms, 450ms and 750ms.
const scale = 0.0025

func scaled(d time.Duration) time.Duration { return time.Duration(float64(d) * scale) }

// TestRetryDelays: the engine waits Options.Retries times Options.TimeScale before each retry, 1
// when TimeScale is 0. The arithmetic is checked exactly, with no clock: that the waits are kept,
// not cut short, is TestRetrySchedule's to show.
func TestRetryDelays(t *testing.T) {
	tests := []struct {
		name      string
		timeScale float64
		want      []time.Duration
	}{
		{"scaled", scale, []time.Duration{150 * time.Millisecond, 450 * time.Millisecond, 750 * time.Millisecond}},
		{"zero means unscaled", 0, itnioRetries},
		{"stretched", 2, []time.Duration{2 * time.Minute, 6 * time.Minute, 10 * time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := engine.New(engine.Options{Target: "http://127.0.0.1:1/", Retries: itnioRetries, TimeScale: tt.timeScale})
			require.NoError(t, err)
			defer e.Close()
			assert.Equal(t, tt.want, e.RetryDelays())
		})
	}
}

// TestRetryDueTime: a retry is due its delay after the end of the failed attempt, exactly. A run cut
// short while the retry waits reports when it was due.
func TestRetryDueTime(t *testing.T) {
	rec := &recorder{respond: func(w http.ResponseWriter, _ *http.Request, _ hit, _ int) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}}
	srv := serve(t, rec)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	report, err := engine.Run(ctx, engine.Options{
		Target: srv.URL, Retries: itnioRetries, TimeScale: scale * 100, // 15s: never due within the test
		OnAttempt: func(engine.Attempt) { cancel() },
	}, makePayloads(1))
	require.ErrorIs(t, err, context.Canceled)
	res := report.Results[0]
	assert.Equal(t, engine.Cancelled, res.Outcome)
	require.True(t, res.PendingRetry)
	require.Len(t, res.Attempts, 1)
	a := res.Attempts[0]
	want := a.Start.Add(a.Latency).Add(15 * time.Second)
	assert.True(t, want.Equal(res.RetryAt), "retry due at %v, want %v", res.RetryAt, want)
}

func TestRetrySchedule(t *testing.T) {
	tests := []struct {
		name     string
		failures int // answers 503 this many times, then 200
		outcome  engine.Outcome
		attempts int
	}{
		{"acked first time", 0, engine.Acked, 1},
		{"acked on the third attempt", 2, engine.Acked, 3},
		{"failed after every retry", 100, engine.Failed, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{respond: func(w http.ResponseWriter, _ *http.Request, _ hit, seen int) {
				if seen < tt.failures {
					w.WriteHeader(http.StatusServiceUnavailable)
				}
			}}
			srv := serve(t, rec)
			report, err := engine.Run(context.Background(),
				engine.Options{Target: srv.URL, Retries: itnioRetries, TimeScale: scale}, makePayloads(1))
			require.NoError(t, err)
			res := report.Results[0]
			assert.Equal(t, tt.outcome, res.Outcome)
			require.Len(t, res.Attempts, tt.attempts)
			assert.Equal(t, tt.attempts, report.Summary.Attempts)
			assert.False(t, res.PendingRetry)

			// The waits are kept: no retry goes out early. How long they are is TestRetryDelays's and
			// TestRetryDueTime's to check, without a clock: an upper bound here would flake on a
			// loaded machine.
			hits := rec.Hits()
			require.Len(t, hits, tt.attempts)
			for i := 1; i < len(hits); i++ {
				want := scaled(itnioRetries[i-1])
				assert.GreaterOrEqual(t, hits[i].At.Sub(hits[i-1].At), want, "gap before attempt %d", i+1)
				a, prev := res.Attempts[i], res.Attempts[i-1]
				assert.Equal(t, i+1, a.Attempt)
				wait := a.Start.Sub(prev.Start.Add(prev.Latency))
				assert.GreaterOrEqual(t, wait, want, "retry %d counts from the end of the failed attempt", i)
			}
		})
	}
}

// TestRetryWaitDoesNotHoldWorker: with one worker, payloads after a failed one go out while its retry
// waits. The retry is due long after the test, which ends the run once the others are acked: the
// order of the requests says it all, with no clock.
func TestRetryWaitDoesNotHoldWorker(t *testing.T) {
	rec := &recorder{respond: func(w http.ResponseWriter, _ *http.Request, h hit, _ int) {
		if h.ID == "m0000" {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}}
	srv := serve(t, rec)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	acked := 0
	report, err := engine.Run(ctx, engine.Options{
		Target: srv.URL, Retries: []time.Duration{time.Hour},
		OnResult: func(r engine.Result) {
			if r.Outcome == engine.Acked {
				if acked++; acked == 2 {
					cancel()
				}
			}
		},
	}, makePayloads(3))
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 2, report.Summary.Acked)
	assert.True(t, report.Results[0].PendingRetry, "m0000 waits for its retry")
	assert.Equal(t, []string{"m0000", "m0001", "m0002"}, rec.IDs())
}

func TestDuplicates(t *testing.T) {
	run := func(seed uint64, shuffle bool) (engine.Report, *recorder) {
		rec := &recorder{}
		srv := serve(t, rec)
		report, err := engine.Run(context.Background(), engine.Options{
			Target: srv.URL, Workers: 8, Duplicates: 0.3, Seed: seed, Shuffle: shuffle,
		}, makePayloads(1000))
		require.NoError(t, err)
		return report, rec
	}
	duplicated := func(r engine.Report) []int {
		var idx []int
		for _, res := range r.Results {
			if res.Duplicate {
				idx = append(idx, res.Index)
			}
		}
		slices.Sort(idx)
		return idx
	}

	a, rec := run(0, false) // 0 is a seed like any other
	s := a.Summary
	assert.GreaterOrEqual(t, s.Duplicates, 250)
	assert.LessOrEqual(t, s.Duplicates, 350)
	assert.Equal(t, 1000+s.Duplicates, s.Scheduled, "each copy is a delivery of its own")
	assert.Equal(t, s.Scheduled, s.Acked)
	assert.Len(t, rec.Hits(), s.Scheduled)
	for i, res := range a.Results {
		if res.Duplicate {
			prev := a.Results[i-1]
			assert.Equal(t, res.Index, prev.Index, "without shuffle a copy follows its original")
			assert.False(t, prev.Duplicate)
			assert.Equal(t, prev.PayloadID, res.PayloadID)
		}
	}

	again, _ := run(0, false)
	assert.Equal(t, duplicated(a), duplicated(again), "same seed, same duplicates")
	shuffled, _ := run(0, true)
	assert.Equal(t, duplicated(a), duplicated(shuffled), "shuffling does not change which payloads are duplicated")
	other, _ := run(1, false)
	assert.NotEqual(t, duplicated(a), duplicated(other), "another seed, other duplicates")

	first := map[int]int{}
	for i, res := range shuffled.Results {
		if !res.Duplicate {
			first[res.Index] = i
		} else {
			orig, seen := first[res.Index]
			assert.True(t, seen && orig < i, "the copy scheduled first is the original")
		}
	}
}

func TestShuffle(t *testing.T) {
	order := func(shuffle bool, seed uint64) []string {
		rec := &recorder{}
		srv := serve(t, rec)
		_, err := engine.Run(context.Background(),
			engine.Options{Target: srv.URL, Shuffle: shuffle, Seed: seed}, makePayloads(50))
		require.NoError(t, err)
		return rec.IDs()
	}
	var given []string
	for _, p := range makePayloads(50) {
		given = append(given, p.ID)
	}

	assert.Equal(t, given, order(false, 1), "one worker keeps the given order")
	s1 := order(true, 1)
	assert.NotEqual(t, given, s1)
	assert.ElementsMatch(t, given, s1)
	assert.Equal(t, s1, order(true, 1), "same seed, same order")
	assert.NotEqual(t, s1, order(true, 2), "another seed, another order")
}

// TestRateLimit: requests are spaced by the rate, across workers. 31 requests at 100/s span at least
// 30 intervals of 10ms. That they are spaced no more than that is TestLimiterSlots's to check,
// without a clock: an upper bound here would flake on a loaded machine.
func TestRateLimit(t *testing.T) {
	srv := serve(t, okHandler)
	start := time.Now()
	report, err := engine.Run(context.Background(),
		engine.Options{Target: srv.URL, Workers: 4, Rate: 100}, makePayloads(31))
	require.NoError(t, err)
	assert.Equal(t, 31, report.Summary.Acked)
	first, last := report.Results[0].Attempts[0].Start, report.Results[0].Attempts[0].Start
	for _, res := range report.Results {
		s := res.Attempts[0].Start
		if s.Before(first) {
			first = s
		}
		if s.After(last) {
			last = s
		}
	}
	span := last.Sub(first)
	assert.GreaterOrEqual(t, span, 290*time.Millisecond, "requests are spaced by the rate")
	assert.GreaterOrEqual(t, time.Since(start), 290*time.Millisecond)
}

// TestLimiterSlots: the limiter gives callers arriving together slots one interval (1/rate) apart,
// and one arriving after an idle spell its own time: no burst is saved up.
func TestLimiterSlots(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	tests := []struct {
		name     string
		rate     float64
		arrivals []time.Time
		want     []time.Time
	}{
		{"together at 100/s", 100, []time.Time{t0, t0, t0, t0}, []time.Time{t0, ms(10), ms(20), ms(30)}},
		{"spread wider than the interval", 100, []time.Time{t0, ms(15), ms(40)}, []time.Time{t0, ms(15), ms(40)}},
		{"one early", 100, []time.Time{t0, ms(4), ms(5)}, []time.Time{t0, ms(10), ms(20)}},
		{"after an idle spell, no burst", 100, []time.Time{t0, ms(1000), ms(1000)}, []time.Time{t0, ms(1000), ms(1010)}},
		{"a fraction", 2.5, []time.Time{t0, t0, t0}, []time.Time{t0, ms(400), ms(800)}},
		{"no limit", 0, []time.Time{t0, t0, t0}, []time.Time{t0, t0, t0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, engine.LimiterSlots(tt.rate, tt.arrivals...))
		})
	}
}

func TestCallbacks(t *testing.T) {
	rec := &recorder{respond: func(w http.ResponseWriter, _ *http.Request, _ hit, seen int) {
		if seen == 0 {
			w.WriteHeader(http.StatusBadGateway)
		}
	}}
	srv := serve(t, rec)
	var attempts, results []string
	report, err := engine.Run(context.Background(), engine.Options{
		Target: srv.URL, Workers: 4, Retries: []time.Duration{time.Millisecond},
		// No locking: calls never overlap.
		OnAttempt: func(a engine.Attempt) { attempts = append(attempts, a.PayloadID) },
		OnResult:  func(r engine.Result) { results = append(results, r.PayloadID) },
	}, makePayloads(10))
	require.NoError(t, err)
	assert.Len(t, attempts, 20)
	assert.Len(t, results, 10)
	assert.Equal(t, 20, report.Summary.Attempts)
	assert.Equal(t, 10, report.Summary.Errors[engine.ClassHTTPStatus])
	assert.Equal(t, 20, report.Summary.Latency.Count, "acked and failed attempts both count")
}

// TestCancelKeepsAccounts cancels a run midway and checks that every delivery still has exactly one
// result: finished ones, one in flight, ones waiting for a retry and ones never started.
func TestCancelKeepsAccounts(t *testing.T) {
	rec := &recorder{respond: func(w http.ResponseWriter, r *http.Request, h hit, _ int) {
		delay := 30 * time.Millisecond
		if h.ID == "m0025" {
			// Answers only when the run is cancelled. It goes out before the 20th ack, which needs
			// later payloads: the cancellation always finds it in flight.
			delay = time.Hour
		}
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		if h.ID[len(h.ID)-1]%2 == 0 { // the even ids fail
			w.WriteHeader(http.StatusInternalServerError)
		}
	}}
	srv := serve(t, rec)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var acked atomic.Int32
	var cancelledAt atomic.Int64
	report, err := engine.Run(ctx, engine.Options{
		Target: srv.URL, Workers: 4, Duplicates: 0.2, Seed: 7,
		Retries: itnioRetries, TimeScale: 0.01, // a 600ms wait before the first retry
		OnResult: func(r engine.Result) {
			if r.Outcome == engine.Acked && acked.Add(1) == 20 {
				cancelledAt.Store(time.Now().UnixNano())
				cancel()
			}
		},
	}, makePayloads(200))
	returned := time.Now()
	require.ErrorIs(t, err, context.Canceled)
	require.NotZero(t, cancelledAt.Load())
	assert.Less(t, returned.Sub(time.Unix(0, cancelledAt.Load())), time.Second, "Run returns promptly")

	s := report.Summary
	assert.Equal(t, s.Scheduled, s.Acked+s.Failed+s.Cancelled)
	assert.Equal(t, 200+s.Duplicates, s.Scheduled)
	require.Len(t, report.Results, s.Scheduled)
	assert.GreaterOrEqual(t, s.Acked, 20)
	assert.Zero(t, s.Failed, "no delivery reached its last retry")

	type key struct {
		index     int
		duplicate bool
	}
	seen := map[key]bool{}
	var pending, unstarted, inFlight int
	for i, res := range report.Results {
		assert.Equal(t, i, res.Delivery)
		k := key{res.Index, res.Duplicate}
		assert.False(t, seen[k], "two results for %v", k)
		seen[k] = true
		if res.Outcome != engine.Cancelled {
			continue
		}
		last, attempted := res.Last()
		switch {
		case !attempted:
			unstarted++
			assert.False(t, res.PendingRetry)
		case res.PendingRetry:
			pending++
			assert.NotEqual(t, engine.ClassCancelled, last.Class)
			assert.False(t, res.RetryAt.IsZero())
		default:
			inFlight++
			assert.Equal(t, engine.ClassCancelled, last.Class)
		}
	}
	assert.Equal(t, 200, len(seen)-s.Duplicates)
	assert.Positive(t, unstarted, "deliveries never started")
	assert.Positive(t, pending, "deliveries waiting for a retry")
	assert.Positive(t, inFlight, "deliveries cut off in flight")
	assert.Equal(t, s.Cancelled, unstarted+pending+inFlight)
}

func TestCancelledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := &recorder{}
	srv := serve(t, rec)
	report, err := engine.Run(ctx, engine.Options{Target: srv.URL, Workers: 3, Rate: 1}, makePayloads(10))
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 10, report.Summary.Cancelled)
	assert.Zero(t, report.Summary.Attempts)
	assert.Empty(t, rec.Hits())
}

func TestEmptyRun(t *testing.T) {
	report, err := engine.Run(context.Background(), engine.Options{Target: "http://127.0.0.1:1"}, nil)
	require.NoError(t, err)
	assert.Zero(t, report.Summary.Scheduled)
	assert.Empty(t, report.Results)
}

// TestNoGoroutineLeak runs engines many times, some cancelled midway, and checks that every goroutine
// they started, the transport's connection goroutines included, is gone after Close.
func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		slow := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(5 * time.Millisecond):
			case <-r.Context().Done():
			}
			body, _ := io.ReadAll(r.Body)
			if len(body) > 0 && body[len(body)-1]%2 == 0 { // fail the even ids, which then retry
				w.WriteHeader(http.StatusInternalServerError)
			}
		}))
		defer slow.Close()
		opts := engine.Options{Target: slow.URL, Workers: 6, Retries: itnioRetries, TimeScale: 0.0001, Rate: 2000}
		for i := range 10 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i*5)*time.Millisecond)
			_, err := engine.Run(ctx, opts, makePayloads(30))
			cancel()
			if err != nil {
				require.ErrorIs(t, err, context.DeadlineExceeded)
			}
		}
		e, err := engine.New(opts)
		require.NoError(t, err)
		var wg sync.WaitGroup
		for range 3 { // concurrent runs on one engine
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := e.Run(context.Background(), makePayloads(20))
				assert.NoError(t, err)
			}()
		}
		wg.Wait()
		e.Close()
	}()
	// Polled by hand: assert.Eventually runs its condition on goroutines of its own.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines left, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

func TestPercentiles(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var ds []time.Duration
		for _, n := range ns {
			ds = append(ds, time.Duration(n)*time.Millisecond)
		}
		return ds
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // 100..1, reversed to check sorting
	}
	tests := []struct {
		name string
		in   []time.Duration
		want engine.LatencyStats
	}{
		{"none", nil, engine.LatencyStats{}},
		{"one", ms(7), engine.LatencyStats{Count: 1, Min: 7e6, Mean: 7e6, P50: 7e6, P90: 7e6, P99: 7e6, Max: 7e6}},
		{"four", ms(40, 10, 30, 20), engine.LatencyStats{Count: 4, Min: 10e6, Mean: 25e6, P50: 20e6, P90: 40e6, P99: 40e6, Max: 40e6}},
		{"hundred", ms(hundred...), engine.LatencyStats{Count: 100, Min: 1e6, Mean: 50500e3, P50: 50e6, P90: 90e6, P99: 99e6, Max: 100e6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.in)
			assert.Equal(t, tt.want, engine.Percentiles(in))
			assert.Equal(t, tt.in, in, "input left as it was")
		})
	}
}

func TestSummaryIgnoresCancelledLatency(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	srv := serve(t, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // so that the server notices the client hanging up
		<-r.Context().Done()
	}))
	report, err := engine.Run(ctx, engine.Options{Target: srv.URL}, makePayloads(1))
	require.True(t, errors.Is(err, context.DeadlineExceeded), err)
	assert.Equal(t, 1, report.Summary.Attempts)
	assert.Equal(t, engine.ClassCancelled, report.Results[0].Attempts[0].Class)
	assert.Zero(t, report.Summary.Latency.Count)
}
