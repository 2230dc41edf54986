package engine

import (
	"container/heap"
	"context"
	"errors"
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
//
// The report holds every result, so its memory grows with the number of payloads; Stream keeps none.
func (e *Engine) Run(ctx context.Context, payloads []Payload) (Report, error) {
	r := &run{payload: func(i int) (Payload, error) { return payloads[i], nil }, keep: true}
	s, err := e.run(ctx, r, len(payloads))
	if s.Scheduled == 0 && err != nil {
		return Report{}, err
	}
	return Report{Results: r.results, Summary: s}, err
}

// Stream delivers n payloads as Run does, but makes each only when a worker is ready for it, by
// calling payload(i), and keeps no result: each reaches Options.OnResult as it settles and is
// dropped, so memory stays flat however large n is. payload must return the same payload for the same
// i; it is called again for a duplicate copy that Options.Shuffle moved away from its original. It
// may end the schedule early by returning ErrNoMore.
//
// When ctx ends, or payload fails (the error names i and wraps payload's), Stream stops handing out
// deliveries, settles those started as Run does and counts every payload not yet started as Cancelled
// without an OnResult call, so Summary.Scheduled == Acked + Failed + Cancelled still holds. Duplicate
// copies the run did not reach are not counted. With Options.Shuffle the whole schedule is drawn up
// front (16 bytes per delivery), so n is then at most MaxShuffle.
func (e *Engine) Stream(ctx context.Context, n int, payload func(i int) (Payload, error)) (Summary, error) {
	return e.run(ctx, &run{payload: payload}, n)
}

// MaxShuffle is the most payloads a shuffled run takes: its schedule is held in memory.
const MaxShuffle = 10_000_000

// ErrNoMore, returned by Stream's payload function, ends the schedule there: the run finishes the
// deliveries made and stops, as a run of a fixed duration does, and the payloads not made are not
// counted at all.
var ErrNoMore = errors.New("no more payloads")

// run is the state of one Run or Stream that outlives its dispatch loop.
type run struct {
	payload func(int) (Payload, error)
	// keep makes the run hold every Result, for Run's report, and settle the payloads it never
	// reached one by one.
	keep    bool
	results []Result
	sched   scheduler
	tally   tally
	// shared holds the heads of payloads without headers of their own, one per content type.
	shared map[string]*head
	// last is the most recent delivery made, whose payload and head a duplicate copy right after it
	// shares.
	last *delivery
}

func (e *Engine) run(ctx context.Context, r *run, n int) (Summary, error) {
	if e.closed.Load() {
		return Summary{}, errClosed
	}
	if n < 0 {
		return Summary{}, fmt.Errorf("%w: %d payloads", ErrBadOptions, n)
	}
	if e.opts.Shuffle && n > MaxShuffle {
		return Summary{}, optionError("Shuffle", fmt.Errorf("a shuffled run holds its schedule in memory: at most %d payloads, not %d", MaxShuffle, n))
	}
	start := time.Now()
	r.sched = newScheduler(n, e.opts.Duplicates, e.opts.Shuffle, e.opts.Seed)
	r.shared = map[string]*head{}
	genErr := e.dispatch(ctx, r)
	if r.keep {
		for {
			d, err := e.next(r)
			if d == nil || err != nil {
				break
			}
			e.settle(r, d, Cancelled)
		}
	} else {
		left := r.sched.left()
		r.tally.Scheduled += left
		r.tally.Cancelled += left
	}
	s := r.tally.summary(time.Since(start))
	switch {
	case genErr != nil:
		return s, genErr
	case s.Cancelled > 0:
		return s, fmt.Errorf("delivery run stopped with %d of %d deliveries cancelled: %w",
			s.Cancelled, s.Scheduled, context.Cause(ctx))
	}
	return s, nil
}

// next makes the run's next scheduled delivery, or returns nil when the schedule is done.
func (e *Engine) next(r *run) (*delivery, error) {
	s, ok := r.sched.take()
	if !ok {
		return nil, nil
	}
	d := &delivery{res: Result{Delivery: r.tally.Scheduled, Index: s.index, Duplicate: s.duplicate}}
	if r.last != nil && r.last.res.Index == s.index {
		d.payload, d.head = r.last.payload, r.last.head
	} else {
		p, err := r.payload(s.index)
		if errors.Is(err, ErrNoMore) {
			r.sched.end()
			return nil, nil
		}
		if err != nil {
			r.sched.untake()
			return nil, fmt.Errorf("payload %d: %w", s.index, err)
		}
		d.payload, d.head = &p, e.headFor(r, &p)
	}
	d.res.PayloadID, d.res.Provider, d.res.Type = d.payload.ID, d.payload.Provider, d.payload.Type
	r.last = d
	r.tally.Scheduled++
	if r.keep {
		r.results = append(r.results, Result{})
	}
	return d, nil
}

// headFor lays out p's request head, once per payload: its attempts and copies only read it.
func (e *Engine) headFor(r *run, p *Payload) *head {
	if p.Header == nil && e.opts.Sign == nil {
		h, ok := r.shared[p.ContentType]
		if !ok {
			h = e.newHead(mergeHeader(e.header, nil, p.ContentType))
			r.shared[p.ContentType] = h
		}
		return h
	}
	base := e.header
	if e.opts.Sign != nil {
		// Over the bytes sent: a payload's attempts and copies send the same body.
		base = mergeHeader(base, e.opts.Sign(p.Body), "")
	}
	return e.newHead(mergeHeader(base, p.Header, p.ContentType))
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

// dispatch runs r's schedule to completion, or until ctx ends or a payload cannot be made, leaving
// every delivery it made settled. It returns the payload's error.
func (e *Engine) dispatch(ctx context.Context, r *run) (genErr error) {
	if r.sched.left() == 0 {
		return nil
	}
	workers := min(e.opts.Workers, r.sched.left())
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
		fresh    *delivery    // made and not attempted yet; nil: make the next when needed
		drained  bool         // the schedule has no more deliveries
		due      []*delivery  // retries whose time has come, oldest first
		waiting  retryQueue   // retries whose time has not come
		unsent   []*delivery  // handed to a worker as the run ended
		inflight int          // handed to workers and not answered yet
		stop     = ctx.Done() // nil once seen, so the select stops picking it
		stopped  bool         // ctx ended or a payload failed: hand out nothing more
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
			if fresh == nil && !drained && len(due) == 0 && ctx.Err() == nil {
				var err error
				if fresh, err = e.next(r); err != nil {
					genErr, stopped = err, true
				}
				drained = fresh == nil
			}
			if len(due) > 0 {
				next = due[0]
			} else {
				next = fresh
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
			e.progress(next, StateSending)
			if len(due) > 0 && due[0] == next {
				due = due[1:]
			} else {
				fresh = nil
			}
		case f := <-done:
			inflight--
			if !f.sent {
				unsent = append(unsent, f.d)
				continue
			}
			if e.record(r, f.d, f.a) {
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

	// Whatever is left was cut short. Settle it in schedule order so that OnResult calls are
	// reproducible.
	left := slices.Concat(due, []*delivery(waiting), unsent)
	if fresh != nil {
		left = append(left, fresh)
	}
	slices.SortFunc(left, func(a, b *delivery) int { return a.res.Delivery - b.res.Delivery })
	for _, d := range left {
		if len(d.res.Attempts) > 0 {
			d.res.PendingRetry, d.res.RetryAt = true, d.retryAt
		}
		e.settle(r, d, Cancelled)
	}
	return genErr
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
func (e *Engine) record(r *run, d *delivery, a Attempt) (retry bool) {
	n := len(d.res.Attempts) + 1
	// A payload with unsendable headers sent nothing, and a retry would fail the same way.
	retry = !a.OK() && a.Class != ClassCancelled && d.head.err == nil && n-1 < len(e.delays)
	if retry {
		a.RetryAt = a.Start.Add(addDuration(a.Latency, e.delays[n-1]))
		d.retryAt = a.RetryAt
	}
	d.res.Attempts = append(d.res.Attempts, a)
	if e.opts.OnAttempt != nil {
		e.opts.OnAttempt(a)
	}
	switch {
	case retry:
		e.progress(d, StateWaiting)
	case a.OK():
		e.settle(r, d, Acked)
	case a.Class == ClassCancelled:
		e.settle(r, d, Cancelled)
	default:
		e.settle(r, d, Failed)
	}
	return retry
}

func (e *Engine) settle(r *run, d *delivery, o Outcome) {
	d.res.Outcome = o
	r.tally.add(&d.res)
	if r.keep {
		r.results[d.res.Delivery] = d.res
	}
	if e.opts.OnResult != nil {
		e.opts.OnResult(d.res)
	}
	e.progress(d, StateSettled)
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

// scheduler deals out the delivery order for n payloads, one slot at a time. Payload i is duplicated
// when the i-th draw of the duplicate stream falls below dup, so adding payloads at the end changes no
// earlier decision. Without shuffle a duplicate copy follows its original directly and nothing is
// held; with shuffle the copy goes anywhere after its original, and the whole order is drawn up front.
type scheduler struct {
	n, i    int // payloads, and the next one not yet dealt
	dup     float64
	dupRand *rand.Rand
	copyDue bool // the payload dealt last is to be dealt again, as a duplicate
	// shuffled is the whole order, with shuffle; pos the next slot of it.
	shuffled []slot
	pos      int
	// undo is the state before the last take, for untake.
	undo struct {
		i, pos  int
		copyDue bool
	}
}

func newScheduler(n int, dup float64, shuffle bool, seed uint64) scheduler {
	s := scheduler{n: n, dup: dup, dupRand: rand.New(rand.NewPCG(seed, duplicateStream))}
	if !shuffle {
		return s
	}
	slots := make([]slot, 0, n+int(float64(n)*dup)+1)
	for {
		sl, ok := s.take()
		if !ok {
			break
		}
		slots = append(slots, sl)
	}
	rand.New(rand.NewPCG(seed, shuffleStream)).Shuffle(len(slots), func(i, j int) {
		slots[i], slots[j] = slots[j], slots[i]
	})
	// The copy that comes first is the original.
	seen := make([]bool, n)
	for i := range slots {
		slots[i].duplicate = seen[slots[i].index]
		seen[slots[i].index] = true
	}
	s.shuffled = slots
	return s
}

// take returns the next slot, and false when every slot has been dealt.
func (s *scheduler) take() (slot, bool) {
	s.undo.i, s.undo.pos, s.undo.copyDue = s.i, s.pos, s.copyDue
	if s.shuffled != nil {
		if s.pos == len(s.shuffled) {
			return slot{}, false
		}
		s.pos++
		return s.shuffled[s.pos-1], true
	}
	if s.copyDue {
		s.copyDue = false
		return slot{index: s.i - 1, duplicate: true}, true
	}
	if s.i == s.n {
		return slot{}, false
	}
	s.i++
	s.copyDue = s.dup > 0 && s.dupRand.Float64() < s.dup
	return slot{index: s.i - 1}, true
}

// untake puts back the slot take returned last, whose payload could not be made, so that left counts
// it. The duplicate draw it made stays made.
func (s *scheduler) untake() {
	s.i, s.pos, s.copyDue = s.undo.i, s.undo.pos, s.undo.copyDue
}

// end deals no more slots: the one take returned last, and every later one, are dropped.
func (s *scheduler) end() {
	s.untake()
	if s.shuffled != nil {
		s.shuffled = s.shuffled[:s.pos]
		return
	}
	s.n, s.copyDue = s.i, false
}

// left counts the slots not dealt yet, not knowing about duplicates of payloads not yet drawn.
func (s *scheduler) left() int {
	if s.shuffled != nil {
		return len(s.shuffled) - s.pos
	}
	n := s.n - s.i
	if s.copyDue {
		n++
	}
	return n
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
