package delivery

import (
	"container/heap"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Run delivers payloads and returns a Report with exactly one Result per scheduled delivery: each
// payload, and each duplicate copy Options.Duplicates adds.
//
// Up to Options.Workers requests are in flight at once. A failed attempt waits for its retry in a
// queue, not in a worker, so workers keep delivering other payloads meanwhile; a retry that falls due
// goes out before payloads not yet started, as a provider's retry would. With one worker, deliveries
// start in schedule order: the order given (each duplicate copy right after its original), or a
// shuffled one with Options.Shuffle.
//
// When ctx ends, requests in flight are abandoned and Run returns promptly. The report is still
// complete: the deliveries cut short are Cancelled, and the returned error, which wraps
// context.Cause(ctx), says the run did not finish. err is nil whenever no delivery was cancelled.
func (e *Engine) Run(ctx context.Context, payloads []Payload) (Report, error) {
	if e.closed.Load() {
		return Report{}, errClosed
	}
	start := time.Now()
	slots := schedule(len(payloads), e.opts.Duplicates, e.opts.Shuffle, e.opts.Seed)
	heads := make([]*head, len(payloads))
	// Payloads without headers of their own share a head per content type.
	shared := map[string]*head{}
	ds := make([]*delivery, len(slots))
	for i, s := range slots {
		p := &payloads[s.index]
		if heads[s.index] == nil {
			// Laid out once per payload and shared by its attempts, which only read it.
			h, ok := shared[p.ContentType]
			if !ok || p.Header != nil || e.opts.Sign != nil {
				base := e.header
				if e.opts.Sign != nil {
					// Over the bytes sent, once per payload: its attempts and copies send the same body.
					base = mergeHeader(base, e.opts.Sign(p.Body), "")
				}
				h = e.newHead(mergeHeader(base, p.Header, p.ContentType))
				if p.Header == nil && e.opts.Sign == nil {
					shared[p.ContentType] = h
				}
			}
			heads[s.index] = h
		}
		ds[i] = &delivery{
			payload: p,
			head:    heads[s.index],
			res: Result{
				Delivery:  i,
				Index:     s.index,
				PayloadID: p.ID,
				Provider:  p.Provider,
				Type:      p.Type,
				Duplicate: s.duplicate,
			},
		}
	}

	e.dispatch(ctx, ds)

	results := make([]Result, len(ds))
	for i, d := range ds {
		results[i] = d.res
	}
	report := Report{Results: results, Summary: summarize(results, time.Since(start))}
	if report.Summary.Cancelled > 0 {
		return report, fmt.Errorf("delivery run stopped with %d of %d deliveries cancelled: %w",
			report.Summary.Cancelled, report.Summary.Scheduled, context.Cause(ctx))
	}
	return report, nil
}

// delivery is a run's state for one scheduled delivery. Only the dispatch goroutine changes it; a
// worker reads it while the dispatcher waits for the worker's answer.
type delivery struct {
	res     Result
	payload *Payload
	head    *head
	// retryAt is when the next attempt is due, once an attempt has failed.
	retryAt time.Time
}

// finished is a worker's answer about one delivery. sent is false when the run ended before the
// worker could send the request.
type finished struct {
	d    *delivery
	a    Attempt
	sent bool
}

// dispatch runs ds to completion or until ctx ends, leaving every delivery settled.
func (e *Engine) dispatch(ctx context.Context, ds []*delivery) {
	if len(ds) == 0 {
		return
	}
	workers := min(e.opts.Workers, len(ds))
	jobs := make(chan *delivery)
	done := make(chan finished, workers)
	lim := newLimiter(e.opts.Rate)
	budget := new(atomic.Int64)
	budget.Store(e.opts.BodyBudget)
	ws := make([]worker, workers)
	for i := range ws {
		ws[i].budget = budget
	}
	// The end of ctx interrupts the requests in flight, which have no context of their own.
	defer context.AfterFunc(ctx, func() {
		for i := range ws {
			ws[i].interrupt()
		}
	})()
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func(w *worker) {
			defer wg.Done()
			for d := range jobs {
				// A delivery handed over as the run ends is not sent: it would only be cancelled.
				if lim.wait(ctx) != nil || ctx.Err() != nil {
					done <- finished{d: d}
					continue
				}
				done <- finished{d: d, a: e.attempt(ctx, w, d), sent: true}
			}
		}(&ws[i])
	}

	var (
		fresh    = ds         // not attempted yet, in schedule order
		due      []*delivery  // retries whose time has come, oldest first
		waiting  retryQueue   // retries whose time has not come
		unsent   []*delivery  // handed to a worker as the run ended
		inflight int          // handed to workers and not answered yet
		stop     = ctx.Done() // nil once seen, so the select stops picking it
		stopped  bool         // ctx ended: hand out nothing more
		timer    = time.NewTimer(time.Hour)
	)
	timer.Stop()
	defer timer.Stop()
	for {
		var (
			next    *delivery
			jobsOut chan<- *delivery
			wake    <-chan time.Time
		)
		if !stopped {
			if len(due) > 0 {
				next = due[0]
			} else if len(fresh) > 0 {
				next = fresh[0]
			}
			if next != nil {
				jobsOut = jobs
			}
			if len(waiting) > 0 {
				timer.Reset(time.Until(waiting[0].retryAt))
				wake = timer.C
			}
		}
		if inflight == 0 && (stopped || next == nil && len(waiting) == 0) {
			break
		}
		select {
		case jobsOut <- next:
			inflight++
			if len(due) > 0 && due[0] == next {
				due = due[1:]
			} else {
				fresh = fresh[1:]
			}
		case f := <-done:
			inflight--
			if !f.sent {
				unsent = append(unsent, f.d)
				continue
			}
			if e.record(f.d, f.a) {
				heap.Push(&waiting, f.d)
			}
		case now := <-wake:
			for len(waiting) > 0 && !waiting[0].retryAt.After(now) {
				due = append(due, heap.Pop(&waiting).(*delivery))
			}
		case <-stop:
			stopped, stop = true, nil
		}
	}
	close(jobs)
	wg.Wait()

	// Whatever is left was cut short by ctx. Settle it in schedule order so that OnResult calls are
	// reproducible.
	left := slices.Concat(fresh, due, []*delivery(waiting), unsent)
	slices.SortFunc(left, func(a, b *delivery) int { return a.res.Delivery - b.res.Delivery })
	for _, d := range left {
		if len(d.res.Attempts) > 0 {
			d.res.PendingRetry, d.res.RetryAt = true, d.retryAt
		}
		e.settle(d, Cancelled)
	}
}

// worker is a run's record of the connection one of its workers is using, so that the end of the
// run's context can interrupt the request on it.
type worker struct {
	mu sync.Mutex
	c  *conn // nil between requests
	// budget is what is left of the run's Options.BodyBudget, shared by its workers.
	budget *atomic.Int64
}

// use records that w's request is on c from now, or on none with c nil. It reports false if ctx has
// ended: then the request must not start.
func (w *worker) use(ctx context.Context, c *conn) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.c = c
	// Checked under the lock: if ctx ended before, interrupt has already looked at w and missed c.
	return c == nil || ctx.Err() == nil
}

func (w *worker) interrupt() {
	w.mu.Lock()
	if w.c != nil {
		w.c.interrupt()
	}
	w.mu.Unlock()
}

// record adds attempt a to d, settling d unless a retry is due, and reports whether one is: then
// d.retryAt is set.
func (e *Engine) record(d *delivery, a Attempt) (retry bool) {
	d.res.Attempts = append(d.res.Attempts, a)
	if e.opts.OnAttempt != nil {
		e.opts.OnAttempt(a)
	}
	n := len(d.res.Attempts)
	switch {
	case a.OK():
		e.settle(d, Acked)
	case a.Class == ClassCancelled:
		e.settle(d, Cancelled)
	case d.head.err != nil:
		// Nothing was sent, and a retry would fail the same way: the payload's headers are unsendable.
		e.settle(d, Failed)
	case n-1 < len(e.delays):
		d.retryAt = a.Start.Add(addDuration(a.Latency, e.delays[n-1]))
		return true
	default:
		e.settle(d, Failed)
	}
	return false
}

func (e *Engine) settle(d *delivery, o Outcome) {
	d.res.Outcome = o
	if e.opts.OnResult != nil {
		e.opts.OnResult(d.res)
	}
}

// slot is one scheduled delivery: payload index, original or duplicate copy.
type slot struct {
	index     int
	duplicate bool
}

// The PCG stream numbers, one per use of the seed, so that turning Shuffle on does not change which
// payloads are duplicated.
const (
	duplicateStream = 0x6475706c69636174 // "duplicat"
	shuffleStream   = 0x73687566666c6521 // "shuffle!"
)

// schedule returns the delivery order for n payloads. Payload i is duplicated when the i-th draw of the
// duplicate stream falls below dup, so adding payloads at the end changes no earlier decision. Without
// shuffle a duplicate copy follows its original directly; with shuffle it goes anywhere after it.
func schedule(n int, dup float64, shuffle bool, seed uint64) []slot {
	slots := make([]slot, 0, n+int(float64(n)*dup)+1)
	dupRand := rand.New(rand.NewPCG(seed, duplicateStream))
	for i := range n {
		slots = append(slots, slot{index: i})
		if dup > 0 && dupRand.Float64() < dup {
			slots = append(slots, slot{index: i, duplicate: true})
		}
	}
	if shuffle {
		rand.New(rand.NewPCG(seed, shuffleStream)).Shuffle(len(slots), func(i, j int) {
			slots[i], slots[j] = slots[j], slots[i]
		})
		// The copy that comes first is the original.
		seen := make([]bool, n)
		for i := range slots {
			slots[i].duplicate = seen[slots[i].index]
			seen[slots[i].index] = true
		}
	}
	return slots
}

// retryQueue is a min-heap of deliveries by retryAt, ties broken by schedule order.
type retryQueue []*delivery

func (q retryQueue) Len() int { return len(q) }
func (q retryQueue) Less(i, j int) bool {
	if !q[i].retryAt.Equal(q[j].retryAt) {
		return q[i].retryAt.Before(q[j].retryAt)
	}
	return q[i].res.Delivery < q[j].res.Delivery
}
func (q retryQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *retryQueue) Push(x any)   { *q = append(*q, x.(*delivery)) }
func (q *retryQueue) Pop() any {
	old := *q
	d := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return d
}

// limiter spaces requests evenly at a rate, across goroutines. It allows no bursts: each wait reserves
// the next free slot, one interval after the previous one.
type limiter struct {
	interval time.Duration
	mu       sync.Mutex
	next     time.Time
}

// newLimiter returns a limiter for rate requests per second, or nil (no limit) for rate 0.
func newLimiter(rate float64) *limiter {
	if rate <= 0 {
		return nil
	}
	// Saturated: an interval past the longest Duration would wrap to a negative one, which is no limit.
	return &limiter{interval: saturate(float64(time.Second) / rate)}
}

// wait blocks until the caller may send, or ctx ends. A nil limiter never blocks.
func (l *limiter) wait(ctx context.Context) error {
	if l == nil {
		return nil
	}
	now := time.Now()
	d := l.reserve(now).Sub(now)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// reserve returns when a caller arriving at now may send: at once if the last slot given out is an
// interval or more behind, else one interval after it. The time is the limiter's arithmetic alone,
// so that tests can check it without a clock.
func (l *limiter) reserve(now time.Time) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.interval)
	return at
}
