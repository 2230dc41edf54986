package conformance

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// How the cases share the receiver. Up to Concurrency cases are in flight at once, except that a
// hostile case (Case.Hostile: it may kill or wedge the receiver) runs alone, and so does the next
// case to run, its witness: nothing else starts before the witness has its answer (cases of a type
// the receiver hangs on may still be timing out beside them), so that a receiver that stops
// answering is blamed on the case that stopped it, at any concurrency. A witness that gets the
// answer it expects, and one its canary would pass with (a 2xx, once the probe was acked), shows
// the receiver alive after the hostile case, which then needs no canary of its own. Otherwise, or
// when the next case cannot witness (a hostile case, a handshake, a case of a type the receiver
// hangs on) or there is none, the hostile case's canary is sent, to tell a dead or broken receiver
// from a witness that failed by itself. A hostile case that got no answer sends its canary at once.
// Only the goroutine that starts the cases decides a hostile case: the witness runs on it.
// Other cases send a canary only when a request got no HTTP answer, and while it is out nothing
// starts: a live receiver leaves the failure to the case (and a timeout marks its message type as
// one the receiver hangs on, whose later cases, hostile or not, then run beside the others and cost
// one timeout together rather than one each); a dead one is blamed on that case, and every case not
// yet started is skipped.

// scheduled is what the schedule knows of one case.
type scheduled struct {
	res  Result
	done bool
}

// schedule is the state of one run's cases, under runner.mu.
type schedule struct {
	cond     *sync.Cond
	cases    []scheduled
	inFlight int
	// hungInFlight counts the cases in flight that are single requests of a message type the
	// receiver hangs on: they will time out, and a hostile case need not wait for them.
	hungInFlight int
	checking     bool // a canary is out: start nothing
	// awaiting is the hostile case whose result waits for its witness's answer (or its canary),
	// -1 for none; it runs alone, so there is one at most.
	awaiting int
	hanging  map[string]bool
	failures int
	deadline time.Time // zero without a budget
	next     int       // the next result to emit
	emitMu   sync.Mutex
}

// runAll runs every case and returns the results in catalogue order, calling emit (when not nil)
// with each as soon as it and every one before it are decided.
func (r *runner) runAll(ctx context.Context, emit func(Result)) []Result {
	sc := &schedule{cond: sync.NewCond(&r.mu), cases: make([]scheduled, len(r.cases)), hanging: map[string]bool{}, awaiting: -1}
	if r.s.Budget > 0 {
		sc.deadline = r.started.Add(r.s.Budget)
	}
	r.sched = sc
	var wg sync.WaitGroup
	skip := func(i int, c Case) bool { // under r.mu
		res, skipped := r.notRun(ctx, c)
		if skipped {
			sc.cases[i] = scheduled{res: res, done: true}
		}
		return skipped
	}
	for i, c := range r.cases {
		r.mu.Lock()
		for {
			free := sc.inFlight < r.s.Concurrency
			if r.hostile(c) || sc.awaiting >= 0 {
				free = sc.inFlight == sc.hungInFlight
			}
			if free && !sc.checking {
				break
			}
			sc.cond.Wait()
		}
		skipped := skip(i, c)
		if !skipped && sc.awaiting >= 0 && !r.canWitness(c) {
			r.mu.Unlock()
			r.confirm(ctx, "")
			r.mu.Lock()
			skipped = skip(i, c) // the canary may have found the receiver dead
		}
		if skipped {
			r.mu.Unlock()
			r.emit(emit)
			continue
		}
		sc.inFlight++
		hostile, hung, witness := r.hostile(c), r.hung(c), sc.awaiting >= 0
		if hung {
			sc.hungInFlight++
		}
		r.mu.Unlock()
		if hostile || witness {
			r.runCase(ctx, i, hostile, false, witness) // alone
			r.emit(emit)
			continue
		}
		wg.Go(func() {
			r.runCase(ctx, i, false, hung, false)
			r.emit(emit)
		})
	}
	wg.Wait()
	if sc.awaiting >= 0 { // the last case was hostile
		r.confirm(ctx, "")
	}
	r.emit(emit)
	out := make([]Result, len(sc.cases))
	for i, s := range sc.cases {
		out[i] = s.res
	}
	return out
}

// hostile reports whether c runs as a hostile case: it may kill or wedge the receiver, unless it is
// one request of a message type the receiver is known to hang on, which its timeout does not need
// a canary to explain.
func (r *runner) hostile(c Case) bool { return c.Hostile && !r.hung(c) }

// canWitness reports whether c's answer can show the receiver alive after a hostile case: a case of
// deliveries that cannot harm the receiver itself (were it to find the receiver dead, which of the
// two killed it?) and is not known to time out.
func (r *runner) canWitness(c Case) bool { return !c.Hostile && c.Handshake == nil && !r.hung(c) }

// confirm decides the result of the hostile case awaiting its witness: witness names the case whose
// answer showed the receiver alive; "" sends the hostile case's canary, which blames it if the
// receiver is dead or broken. It returns the hostile case's id when it was blamed.
func (r *runner) confirm(ctx context.Context, witness string) (blamed string) {
	sc := r.sched
	r.mu.Lock()
	i := sc.awaiting
	if i < 0 {
		r.mu.Unlock()
		return ""
	}
	res := sc.cases[i].res
	r.mu.Unlock()
	failed := res.Outcome == Fail
	switch {
	case witness != "":
		res.Witness = witness
	case ctx.Err() != nil:
		// Interrupted: nothing more is sent, and the case's own answers stand.
	default:
		start := time.Now()
		if _, dead := r.canaryAfter(ctx, i, &res); dead {
			blamed = res.ID
		}
		res.Duration += time.Since(start)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if res.Outcome == Fail && !failed {
		sc.failures++
	}
	sc.cases[i] = scheduled{res: res, done: true}
	sc.awaiting = -1
	sc.cond.Broadcast()
	return blamed
}

// hung reports whether c is one request of a message type the receiver is known to hang on.
func (r *runner) hung(c Case) bool { return len(c.Requests) == 1 && r.sched.hanging[c.Type] }

// notRun returns the result of a case that is not to run, and false for one that is.
func (r *runner) notRun(ctx context.Context, c Case) (Result, bool) {
	res := newResult(c)
	sc := r.sched
	switch {
	case c.Skip != "":
		res.Reason = c.Skip
	case ctx.Err() != nil:
		res.Reason = "interrupted"
	case r.deadAfter != "":
		res.Reason = "not run: the receiver stopped answering after " + r.deadAfter
	case r.s.MaxFailures > 0 && sc.failures >= r.s.MaxFailures:
		res.Reason = fmt.Sprintf("not run: %d cases failed, the most the run allows (max failures)", sc.failures)
	case !sc.deadline.IsZero() && !time.Now().Before(sc.deadline):
		res.Reason, res.overBudget = fmt.Sprintf("not run: the run's budget of %v ran out", r.s.Budget), true
	default:
		return Result{}, false
	}
	res.Outcome = Skip
	return res, true
}

// newResult is the part of c's result that is known before it runs.
func newResult(c Case) Result {
	return Result{
		ID: c.ID, Group: c.Group, Provider: c.Provider, Description: c.Description,
		Type: c.Type, Mutation: c.Mutation, Fixture: c.Fixture, Payloads: payloadInfos(c.Requests),
		Expected: c.Expect.String(), Requests: len(c.Requests),
	}
}

// check sends case i's canary with nothing else starting, and returns its answer and whether the
// receiver is alive. The first check to find it dead blames case i: deadAfter names it.
func (r *runner) check(ctx context.Context, i int) (Observation, bool) {
	sc := r.sched
	r.mu.Lock()
	for sc.checking {
		sc.cond.Wait()
	}
	if r.deadAfter != "" {
		r.mu.Unlock()
		return Observation{}, false
	}
	sc.checking = true
	r.mu.Unlock()

	canary := r.send(ctx, []Request{r.cases[i].Canary}, false)[0]
	canary.answer = nil
	alive := r.alive(canary) || ctx.Err() != nil // an interrupted canary blames nothing

	r.mu.Lock()
	defer r.mu.Unlock()
	sc.checking = false
	sc.cond.Broadcast()
	if !alive {
		r.deadAfter = r.cases[i].ID
	}
	return canary, alive
}

// stopped is res failed for the receiver's death after it.
func stopped(res Result, canary Observation) Result {
	why := "receiver stopped answering after this case: canary got " + canary.describe()
	if res.Outcome == Fail && res.Reason != "" {
		why = res.Reason + "; " + why
	}
	res.Outcome, res.Reason = Fail, why
	return res
}

// emit hands the decided results, in catalogue order, to emit, with the reproduce command of each
// failure.
func (r *runner) emit(emit func(Result)) {
	sc := r.sched
	sc.emitMu.Lock()
	defer sc.emitMu.Unlock()
	for {
		r.mu.Lock()
		if sc.next >= len(sc.cases) || !sc.cases[sc.next].done {
			r.mu.Unlock()
			return
		}
		i, res := sc.next, sc.cases[sc.next].res
		r.mu.Unlock()
		if res.Outcome == Fail && res.Reproduce == "" {
			res.Reproduce, res.Files = r.reproduce(r.cases[i])
		}
		r.mu.Lock()
		sc.cases[i].res = res
		sc.next++
		r.mu.Unlock()
		if emit != nil {
			emit(res)
		}
	}
}
