package conformance

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wahook/wahook/delivery"
	"github.com/wahook/wahook/internal/engine"
	"github.com/wahook/wahook/internal/inspect"
)

// runner runs the cases of one Config against its target, one case at a time. It keeps what the
// suite has learnt about the receiver between cases (whether the canary works, whether the receiver
// died), so run the cases of one suite with one runner, in order. Execute and Run drive it.
type runner struct {
	s       *settings
	cases   []Case
	probe   Request
	engine  *engine.Engine
	started time.Time
	// inspector GETs Config.InspectURL; nil without one, or with Config.Inspect.
	inspector *inspect.Client
	// handshakes sends the handshake group's GETs.
	handshakes *http.Client

	mu sync.Mutex
	// canaryAcked is whether the probe, a canary, got a 2xx. Only then does a canary that gets a
	// non-2xx answer mean the receiver broke; otherwise any HTTP answer counts as alive.
	canaryAcked bool
	probed      bool
	// deadAfter is the id of the case after which the receiver stopped answering.
	deadAfter string
	// sched is the running suite's schedule (schedule.go).
	sched      *schedule
	payloadDir string
	// hint is the probe's guess at why most cases will fail, if it has one.
	hint  string
	notes []string
	// credentialsNoted: the note on credentials in reproduce commands has been made.
	credentialsNoted bool
	// verifyTokenNoted: the note on the verify token in handshake reproduce commands has been made.
	verifyTokenNoted bool
}

// newRunner checks cfg and builds its cases.
func newRunner(cfg Config) (*runner, error) {
	s, err := cfg.settings(true)
	if err != nil {
		return nil, err
	}
	cases, err := buildCases(s)
	if err != nil {
		return nil, err
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("%w: no case id matches run %q", ErrBadConfig, cfg.Run)
	}
	if s.PayloadDir != "" {
		// Checked now rather than at the first failure, whose reproduce command would have no payload.
		if err := os.MkdirAll(s.PayloadDir, 0o755); err != nil {
			return nil, fmt.Errorf("%w: payload dir: %w", ErrBadConfig, err)
		}
	}
	gen := &builder{s: s}
	if gen.gen, err = newGenerator(s); err != nil {
		return nil, err
	}
	probe, err := gen.generate(canaryType, canaryIndex("probe"))
	if err != nil {
		return nil, err
	}
	eng, err := engine.New(engine.Options{
		Target:   s.URL,
		Timeout:  s.Timeout,
		Workers:  burstSize,
		RootCAs:  s.TLS.RootCAs,
		Insecure: s.TLS.Insecure,
		// No Header and no Sign: each request carries its own, so that the auth cases can leave
		// credentials out or sign other bytes.
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	var inspector *inspect.Client
	if s.InspectURL != "" && s.Inspect == nil {
		// The inspect endpoint is the receiver's own, over the same trust as its webhook URL.
		inspector = inspect.New(s.InspectURL, s.InspectTimeout, s.TLS.RootCAs, s.TLS.Insecure)
	}
	r := &runner{s: s, cases: cases, probe: probe, engine: eng, inspector: inspector, payloadDir: s.PayloadDir, started: time.Now()}
	// The handshake group's GETs, over the same trust as the deliveries.
	r.handshakes = engine.GetClient(s.Timeout, s.TLS.RootCAs, s.TLS.Insecure)
	return r, nil
}

// close releases the runner's connections.
func (r *runner) close() {
	r.engine.Close()
	r.handshakes.CloseIdleConnections()
	if r.inspector != nil {
		r.inspector.Close()
	}
}

// checkReachable sends one valid text message before the cases. It returns an error wrapping delivery.ErrUnreachable
// when nothing at the target takes a connection, delivery.ErrNoAnswer when no HTTP answer comes,
// ErrAuthRefused for a 401 or 403 and ErrNotWebhook for a 404, 405 or 501: in each case every case
// would fail for the same reason, so the suite should not run.
func (r *runner) checkReachable(ctx context.Context) error {
	obs := r.send(ctx, []Request{r.probe}, false)[0]
	r.mu.Lock()
	defer r.mu.Unlock()
	r.probed = true
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("interrupted: %w", ctx.Err())
	case obs.noAnswer != nil:
		return obs.noAnswer
	}
	hint := r.s.prov.RefusalHint(obs.Status, len(r.s.credentials) > 0)
	switch {
	case obs.Status == http.StatusUnauthorized || obs.Status == http.StatusForbidden:
		return fmt.Errorf("%w: %s answered a valid message with %s; %s", ErrAuthRefused, r.s.URL, obs.describe(), hint)
	case obs.Status == http.StatusNotFound || obs.Status == http.StatusMethodNotAllowed || obs.Status == http.StatusNotImplemented:
		answer := obs.describe()
		if body := strings.Join(strings.Fields(obs.Body), " "); body != "" {
			answer += ": " + body[:min(len(body), 80)]
		}
		return fmt.Errorf("%w: POST %s with a valid %s text message (%d bytes) got %s; %s",
			ErrNotWebhook, r.s.URL, r.s.Provider, len(r.probe.Body), answer, hint)
	case hint != "":
		r.hint = fmt.Sprintf("%s answered %s to a valid text message, so most cases will fail for that reason alone: %s",
			r.s.URL, obs.describe(), hint)
	}
	r.canaryAcked = obs.Class == delivery.ClassNone
	if !r.canaryAcked {
		r.notes = append(r.notes, fmt.Sprintf("a valid text message got %s before the cases ran, so the liveness check after each hostile case only asks for an HTTP answer", obs.describe()))
	}
	return nil
}

// runCase runs case i of the schedule, which has started it, and records its result there. A
// hostile case that got its answers awaits its witness (schedule.go); one that did not sends its
// canary. hung says the schedule counted it among hungInFlight; witness, that it started alone as
// the witness of the hostile case awaiting one.
func (r *runner) runCase(ctx context.Context, i int, hostile, hung, witness bool) {
	c := r.cases[i]
	if c.Handshake != nil {
		r.settle(i, r.runHandshake(ctx, c), hung)
		return
	}
	res := newResult(c)
	start := time.Now()
	obs := r.send(ctx, c.Requests, c.Concurrent)
	interrupted := ctx.Err() != nil
	var failed bool
	if !interrupted {
		var decisive Observation
		var reason string
		failed, decisive, reason = r.judge(c, obs)
		decisive.answer = nil // the report keeps the start of the body only
		res.Observed = &decisive
		if witness {
			// Started alone after a hostile case: the answer it expected, and one that a canary would
			// pass with, shows the receiver outlived that case; any other asks the hostile case's
			// canary, before this case's own, whether the receiver is still there.
			by := ""
			if !failed && r.allAlive(obs) {
				by = c.ID
			}
			if dead := r.confirm(ctx, by); dead != "" {
				res.Outcome, res.Reason = Skip, "not run: the receiver stopped answering after "+dead
				res.Duration = time.Since(start)
				r.settle(i, res, hung)
				return
			}
		}
		if !failed {
			misread, err := r.deepCheck(ctx, c, obs)
			switch {
			case err != nil && ctx.Err() == nil:
				failed, reason = true, "acknowledged, but the receiver's understanding could not be read: "+err.Error()
			case len(misread) > 0:
				fields := "fields"
				if len(misread) == 1 {
					fields = "field"
				}
				failed, reason = true, fmt.Sprintf("acknowledged, but the receiver misread %d %s: %s", len(misread), fields, misread[0])
				res.Misread = misread
			}
		}
		res.Outcome = Pass
		if failed {
			res.Outcome, res.Reason = Fail, reason
		}
	}

	noAnswer, timedOut := false, len(obs) == 1 && !c.Concurrent
	for _, o := range obs {
		noAnswer = noAnswer || o.Status == 0
		timedOut = timedOut && o.Class == delivery.ClassTimeout
	}
	sc := r.sched
	r.mu.Lock()
	hanging := timedOut && sc.hanging[c.Type]
	r.mu.Unlock()
	if !interrupted && hostile && !noAnswer {
		// Answered: the case after it witnesses whether the receiver outlived it (confirm).
		res.Duration = time.Since(start)
		r.await(i, res)
		return
	}
	if !interrupted && (hostile || noAnswer && !hanging) {
		alive, blamed := r.canaryAfter(ctx, i, &res)
		r.mu.Lock()
		switch {
		case blamed:
		case !alive && noAnswer:
			res.Outcome, res.Reason = Skip, "not run: the receiver stopped answering after "+r.deadAfter
		case alive && timedOut:
			sc.hanging[c.Type] = true // alive, but not on this type: its other cases need no canary
		}
		r.mu.Unlock()
	}
	if interrupted {
		res.Outcome, res.Reason = Skip, "interrupted"
	}
	res.Duration = time.Since(start)
	r.settle(i, res, hung)
}

// canaryAfter sends case i's canary and puts its answer in res, the case's result: the canary is on
// record when it found the receiver alive or blamed case i for its death (blamed: res fails with
// the reason).
func (r *runner) canaryAfter(ctx context.Context, i int, res *Result) (alive, blamed bool) {
	canary, alive := r.check(ctx, i)
	r.mu.Lock()
	defer r.mu.Unlock()
	blamed = r.deadAfter == res.ID
	if blamed {
		*res = stopped(*res, canary)
	}
	if blamed || alive {
		res.Canary = &canary
	}
	return alive, blamed
}

// allAlive reports whether every answer in obs is one a canary would pass with.
func (r *runner) allAlive(obs []Observation) bool {
	for _, o := range obs {
		if !r.alive(o) {
			return false
		}
	}
	return true
}

// await frees hostile case i's slot and keeps its result res undecided until confirm.
func (r *runner) await(i int, res Result) {
	sc := r.sched
	r.mu.Lock()
	defer r.mu.Unlock()
	if res.Outcome == Fail {
		sc.failures++
	}
	sc.cases[i] = scheduled{res: res}
	sc.awaiting = i
	sc.inFlight--
	sc.cond.Broadcast()
}

// settle records case i's result and frees its slot in the schedule.
func (r *runner) settle(i int, res Result, hung bool) {
	sc := r.sched
	r.mu.Lock()
	defer r.mu.Unlock()
	if res.Outcome == Fail {
		sc.failures++
	}
	sc.cases[i] = scheduled{res: res, done: true}
	sc.inFlight--
	if hung {
		sc.hungInFlight--
	}
	sc.cond.Broadcast()
}

// alive judges a canary's answer.
func (r *runner) alive(o Observation) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.canaryAcked {
		return o.Class == delivery.ClassNone
	}
	return o.Status != 0 && o.Class != delivery.ClassTimeout && o.Class != delivery.ClassReset
}

// judge checks every answer of a case against its expectation. It returns whether the case failed,
// the observation the verdict rests on (the first failing one, else the last) and why it failed.
func (r *runner) judge(c Case, obs []Observation) (failed bool, decisive Observation, reason string) {
	var bad []int
	for i, o := range obs {
		if !o.meets(c.Expect) {
			bad = append(bad, i)
		}
	}
	if len(bad) == 0 {
		return false, obs[len(obs)-1], ""
	}
	first := obs[bad[0]]
	reason = fmt.Sprintf("expected %s, got %s", c.Expect, first.describe())
	switch {
	case c.Concurrent:
		reason = fmt.Sprintf("%d of %d concurrent deliveries failed; the first: %s", len(bad), len(obs), reason)
	case len(obs) > 1 && c.Requests[bad[0]].Provider != "":
		reason = fmt.Sprintf("delivery %d of %d, in the %s format: %s", bad[0]+1, len(obs), c.Requests[bad[0]].Provider, reason)
	case len(obs) > 1:
		reason = fmt.Sprintf("delivery %d of %d: %s", bad[0]+1, len(obs), reason)
	}
	return true, first, reason
}

// send delivers requests, one after another or all at once, and observes each answer.
func (r *runner) send(ctx context.Context, reqs []Request, concurrent bool) []Observation {
	out := make([]Observation, len(reqs))
	if concurrent {
		payloads := make([]engine.Payload, len(reqs))
		for i, req := range reqs {
			payloads[i] = req.payload()
		}
		report, _ := r.engine.Run(ctx, payloads) // a cancelled run still reports every delivery
		for _, res := range report.Results {
			out[res.Index] = r.observe(res)
		}
		return out
	}
	for i, req := range reqs {
		report, _ := r.engine.Run(ctx, []engine.Payload{req.payload()})
		out[i] = r.observe(report.Results[0])
	}
	return out
}

// maxObservedBody is how much of a response body a report keeps.
const maxObservedBody = 512

func (r *runner) observe(res delivery.Result) Observation {
	a, ok := res.Last()
	if !ok {
		return Observation{Class: delivery.ClassCancelled, Error: "not sent", noAnswer: fmt.Errorf("%w: %s: not sent", delivery.ErrNoAnswer, r.s.URL)}
	}
	body := a.Body
	if len(body) > maxObservedBody {
		body = body[:maxObservedBody]
	}
	return Observation{
		Status:   a.Status,
		Class:    a.Class,
		Error:    a.Err,
		Body:     strings.ToValidUTF8(string(body), "\uFFFD"),
		Latency:  a.Latency,
		noAnswer: a.NoAnswer(r.s.URL),
		answer:   a.Body,
	}
}

// meets reports whether the answer is what e asks for. An answer that broke off counts as none.
func (o Observation) meets(e Expect) bool {
	switch o.Class {
	case delivery.ClassNone, delivery.ClassHTTPStatus, delivery.ClassRedirect:
		return e.accepts(o.Status)
	}
	return false
}

// describe says what the answer was, in a few words: the status, or the engine's account of what
// went wrong (a timeout, a reset, an answer that is not HTTP), which says where the answer stopped.
func (o Observation) describe() string {
	status := func() string {
		if text := http.StatusText(o.Status); text != "" {
			return fmt.Sprintf("%d %s", o.Status, text)
		}
		return fmt.Sprint(o.Status)
	}
	switch o.Class {
	case delivery.ClassNone, delivery.ClassHTTPStatus:
		return status()
	case delivery.ClassRedirect:
		return status() + " (providers do not follow redirects)"
	case delivery.ClassCancelled:
		return "no answer: the run was cancelled"
	}
	if o.Error != "" {
		return o.Error
	}
	return string(o.Class)
}

// Execute runs the suite cfg describes: the reachability probe, then every case in order. onResult, if
// not nil, sees each result as it is decided. The report is complete for the cases run even when ctx
// ends part-way; the error then says so. An error wrapping ErrBadConfig, delivery.ErrUnreachable, delivery.ErrNoAnswer
// or ErrAuthRefused comes with a nil report: nothing was judged.
func Execute(ctx context.Context, cfg Config, onResult func(Result)) (*Report, error) {
	r, err := newRunner(cfg)
	if err != nil {
		return nil, err
	}
	defer r.close()
	if err := r.checkReachable(ctx); err != nil {
		return nil, err
	}
	results := r.runAll(ctx, func(res Result) {
		if onResult != nil && !(ctx.Err() != nil && res.Reason == "interrupted") {
			onResult(res)
		}
	})
	if ctx.Err() != nil {
		// The report holds the cases judged before the interrupt, not those it cut short.
		results = slices.DeleteFunc(results, func(res Result) bool { return res.Outcome == Skip && res.Reason == "interrupted" })
	}
	report := r.report(results)
	if err := ctx.Err(); err != nil {
		return report, fmt.Errorf("interrupted after %d of %d cases: %w", len(results), len(r.cases), err)
	}
	return report, nil
}

// report assembles the report of results, which the runner produced.
func (r *runner) report(results []Result) *Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	rep := &Report{
		Target:     r.s.URL,
		Provider:   r.s.Provider,
		Profile:    r.s.Profile,
		Seed:       r.s.Seed,
		Version:    r.s.Version,
		Started:    r.started.Round(0).UTC(),
		Duration:   time.Since(r.started),
		Timeout:    r.s.Timeout,
		PayloadDir: r.payloadDir,
		Hint:       r.hint,
		Notes:      append([]string(nil), r.notes...),
		Results:    results,
	}
	if len(rep.Notes) == 0 {
		rep.Notes = nil
	}
	rep.Summary = summarize(results)
	return rep
}
