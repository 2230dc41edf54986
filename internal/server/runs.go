package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/wahook/wahook/delivery"
	"github.com/wahook/wahook/internal/engine"
	"github.com/wahook/wahook/internal/jsonrecord"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/send"
)

// The states of a run.
const (
	// RunQueued: waiting for its share of Options.MaxInFlight.
	RunQueued = "queued"
	// RunRunning: delivering.
	RunRunning = "running"
	// RunDone: every delivery settled, acked or failed.
	RunDone = "done"
	// RunCancelled: stopped early, by DELETE /v1/runs/{id}, by its waiting caller going away, or by
	// the server's shutdown; Interrupted says which. Its deliveries cut short are cancelled, and a
	// cancelled delivery has nothing pending: its retry, if it was waiting for one, is cancelled too.
	RunCancelled = "cancelled"
)

// ErrClientGone is the cause of the cancellation of a waiting /v1/send whose caller disconnected:
// the run stops, as it would had the caller pressed Ctrl-C on a wahook send.
var ErrClientGone = errors.New("the client went away")

// MaxRuns is how many finished runs the server remembers for GET /v1/runs; running ones are never
// forgotten.
const MaxRuns = 100

// Run is a delivery run as GET /v1/runs shows it: a /v1/send, a resend, or the timer.
type Run struct {
	ID string `json:"id"`
	// URL is the run's path under the server: GET it for its state, DELETE it to cancel it.
	URL string `json:"url"`
	// Kind is "send", "resend" or "timer".
	Kind string `json:"kind"`
	// State is queued, running, done or cancelled.
	State       string     `json:"state"`
	Created     time.Time  `json:"created"`
	Started     *time.Time `json:"started,omitempty"`
	Ended       *time.Time `json:"ended,omitempty"`
	Options     RunOptions `json:"options"`
	Progress    Progress   `json:"progress"`
	Summary     *Summary   `json:"summary,omitempty"`
	Interrupted string     `json:"interrupted,omitempty"`
	// Rev changes each time the run does (see Record.Rev).
	Rev uint64 `json:"rev"`
}

// Progress counts a run's deliveries as they go. Payloads is how many the run makes (duplicate
// copies come on top; 0 for the timer, which has no end); Started counts those begun, of which
// Sending have an attempt out, Waiting wait for a retry, and the rest have settled.
type Progress struct {
	Payloads         int `json:"payloads"`
	Started          int `json:"started"`
	Sending          int `json:"sending"`
	Waiting          int `json:"waiting"`
	Acked            int `json:"acked"`
	Failed           int `json:"failed"`
	Cancelled        int `json:"cancelled"`
	CancelledRetries int `json:"cancelledRetries"`
}

// RunOptions are what a run was asked to do, in the terms of /v1/send, credentials masked.
type RunOptions struct {
	Target     string              `json:"target"`
	Provider   string              `json:"provider"`
	Types      []string            `json:"types,omitempty"`
	Count      int                 `json:"count,omitempty"`
	Seed       uint64              `json:"seed"`
	Mutation   string              `json:"mutation,omitempty"`
	Quirks     string              `json:"quirks,omitempty"`
	MediaFault string              `json:"mediaFault,omitempty"`
	AuthUser   string              `json:"authUser,omitempty"`
	AuthToken  string              `json:"authToken,omitempty"`
	AppSecret  string              `json:"appSecret,omitempty"`
	Header     map[string][]string `json:"header,omitempty"`
	Timeout    string              `json:"timeout,omitempty"`
	Retries    string              `json:"retries,omitempty"`
	TimeScale  float64             `json:"timeScale,omitempty"`
	Duplicates float64             `json:"duplicates,omitempty"`
	Shuffle    bool                `json:"shuffle,omitempty"`
	Workers    int                 `json:"workers,omitempty"`
	Rate       float64             `json:"rate,omitempty"`
	Insecure   bool                `json:"insecure,omitempty"`
	// Bodies counts the payloads given in the request instead of generated ones.
	Bodies int `json:"bodies,omitempty"`
	// ResendOf is the Seq of the delivery a resend sends again.
	ResendOf uint64 `json:"resendOf,omitempty"`
	// Every is the timer's period.
	Every string `json:"every,omitempty"`
}

// maskCredentials marks the credentials c sets, never showing them.
func (ro *RunOptions) maskCredentials(c mockprovider.Credentials) {
	for _, f := range []struct {
		set  bool
		show *string
	}{{c.User != "", &ro.AuthUser}, {c.Token != "", &ro.AuthToken}, {c.Secret != "", &ro.AppSecret}} {
		if f.set {
			*f.show = masked
		}
	}
}

// runOptions shows opts, credentials masked.
func runOptions(opts send.Options, spec *runSpec) RunOptions {
	ro := RunOptions{
		Target: spec.maskedURL(), Provider: string(opts.Provider), Types: opts.Types, Count: opts.Count, Seed: opts.Seed,
		Mutation: opts.Mutation, Quirks: string(opts.Quirks), MediaFault: opts.MediaFault, Retries: opts.Retries,
		TimeScale: opts.TimeScale, Duplicates: opts.Duplicates, Shuffle: opts.Shuffle, Workers: opts.Workers,
		Rate: opts.Rate, Insecure: opts.TLS.Insecure, Bodies: len(opts.Bodies),
	}
	ro.maskCredentials(opts.Credentials)
	if opts.Timeout != 0 {
		ro.Timeout = opts.Timeout.String()
	}
	ro.Header = maskHeader(spec, opts.Header)
	return ro
}

// maskHeader copies h with the values that carry credentials masked.
func maskHeader(spec *runSpec, h http.Header) map[string][]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string][]string, len(h))
	for name, values := range h {
		for _, v := range values {
			if spec.secret(name, v) != "" {
				v = masked
			}
			out[name] = append(out[name], v)
		}
	}
	return out
}

// runState is a run the server knows: its view (guarded by the history's lock) and what drives it.
type runState struct {
	view   Run
	spec   *runSpec
	ctx    context.Context
	cancel context.CancelCauseFunc
	done   chan struct{} // closed when the run has ended and its records are final
	// live holds the deliveries under way, by payload and delivery (the timer's runs share an
	// engine, so delivery numbers alone repeat).
	live map[liveKey]*liveEntry
	// ans collects the records a waiting /v1/send answers with; nil when nobody waits.
	ans *answer
	// index, if set, gives a delivery's payload index (the timer's, which its engine cannot know).
	index func(engine.Progress) int
}

type liveKey struct {
	payload  *engine.Payload
	delivery int
}

// liveEntry is a delivery under way: its record's number and state, and what it sends.
type liveEntry struct {
	seq   uint64
	state engine.State
	sent  *sentRequest
}

// runList holds the runs, oldest first.
type runList struct {
	all []*runState
}

func (l *runList) find(id string) *runState {
	for _, rs := range l.all {
		if rs.view.ID == id {
			return rs
		}
	}
	return nil
}

// newRun registers a run of kind under id, queued, and returns it; its context is the server's
// work, so that shutdown cancels it. The oldest finished runs past MaxRuns are forgotten.
func (s *Server) newRun(id, kind string, spec *runSpec, opts RunOptions, payloads int) *runState {
	ctx, cancel := context.WithCancelCause(s.work)
	rs := &runState{spec: spec, ctx: ctx, cancel: cancel, done: make(chan struct{}), live: map[liveKey]*liveEntry{}}
	rs.view = Run{ID: id, URL: "/v1/runs/" + id, Kind: kind, State: RunQueued, Created: time.Now(), Options: opts, Progress: Progress{Payloads: payloads}}
	h := s.hist
	h.mu.Lock()
	defer h.mu.Unlock()
	rs.view.Rev = h.bump()
	h.runs.all = append(h.runs.all, rs)
	finished := 0
	for _, r := range h.runs.all {
		if r.view.Ended != nil {
			finished++
		}
	}
	for i := 0; finished > MaxRuns && i < len(h.runs.all); {
		if h.runs.all[i].view.Ended != nil {
			h.runs.all = slices.Delete(h.runs.all, i, i+1)
			finished--
			continue
		}
		i++
	}
	return rs
}

// observe records one change of a delivery of rs: a new record when it starts, its record updated
// after (added again if the history has already dropped it), and the run's counts.
func (s *Server) observe(rs *runState, p engine.Progress) {
	key := liveKey{p.Payload, p.Result.Delivery}
	h := s.hist
	h.mu.Lock()
	e := rs.live[key]
	h.mu.Unlock()
	if e == nil {
		// Outside the lock: it lays out the header lines.
		e = &liveEntry{sent: newSent(rs.spec, p)}
	}
	res := p.Result
	if rs.index != nil {
		res.Index = rs.index(p)
	}
	now := time.Now()

	h.mu.Lock()
	defer h.mu.Unlock()
	pr := &rs.view.Progress
	old := h.ring.at(e.seq)
	switch e.state {
	case "":
		pr.Started++
	case engine.StateSending:
		pr.Sending--
	case engine.StateWaiting:
		pr.Waiting--
	}
	var rec Record
	if old != nil {
		rec = *old
	} else {
		rec = Record{Run: rs.view.ID, Target: rs.spec.maskedURL(), Mutation: rs.spec.mutation, Pointer: rs.spec.pointer, RetryDelaysMs: rs.spec.delaysMs, sent: e.sent}
	}
	rec.fill(res, p.State, p.NextAt, now, MaxRecordBody)
	if old != nil {
		rec.Rev = h.bump()
		*old = rec
	} else {
		rec = h.addLocked(rec)
		e.seq = rec.Seq
	}
	switch p.State {
	case engine.StateSending:
		pr.Sending++
	case engine.StateWaiting:
		pr.Waiting++
	case engine.StateSettled:
		switch res.Outcome {
		case delivery.Acked:
			pr.Acked++
		case delivery.Failed:
			pr.Failed++
		case delivery.Cancelled:
			pr.Cancelled++
			if res.PendingRetry {
				pr.CancelledRetries++
			}
		}
	}
	if p.State == engine.StateSettled {
		delete(rs.live, key)
		s.cut(rs.ctx, res)
		if rs.ans != nil {
			// The history keeps the start of each answer; the caller gets what the engine kept.
			full := rec
			full.fill(res, p.State, p.NextAt, now, engine.MaxResponseBody)
			rs.ans.add(full)
		}
	} else {
		e.state = p.State
		rs.live[key] = e
	}
	rs.view.Rev = rec.Rev
}

// setState moves rs to state, stamping when it started.
func (s *Server) setState(rs *runState, state string) {
	h := s.hist
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now()
	rs.view.State, rs.view.Started = state, &now
	rs.view.Rev = h.bump()
}

// finish records rs's end: its summary, and why it stopped early when it did.
func (s *Server) finish(rs *runState, sum *delivery.Summary, runErr error) {
	h := s.hist
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now()
	rs.view.Ended = &now
	rs.view.State = RunDone
	pr := rs.view.Progress
	if sum != nil {
		if unreached := sum.Scheduled - (pr.Acked + pr.Failed + pr.Cancelled); unreached > 0 && errors.Is(context.Cause(rs.ctx), ErrShutdown) {
			s.cutCancelled.Add(int64(unreached))
		}
		rs.view.Summary = &Summary{Summary: jsonrecord.OfSummary(*sum), CancelledRetries: pr.CancelledRetries}
	}
	if runErr != nil {
		rs.view.Interrupted = runErr.Error()
		if cause := context.Cause(rs.ctx); cause != nil {
			rs.view.State, rs.view.Interrupted = RunCancelled, cause.Error()
		}
	}
	rs.view.Rev = h.bump()
}

// runView returns rs's view as it is now.
func (s *Server) runView(rs *runState) Run {
	s.hist.mu.Lock()
	defer s.hist.mu.Unlock()
	return rs.view
}

// launch is a run ready to go: its engine, its payloads, and what to give back when it ends.
type launch struct {
	rs      *runState
	eng     *engine.Engine
	count   int
	payload func(int) (engine.Payload, error)
	workers int
	release func() // the run's send slot and task
}

// start runs l in the background: it waits for its share of the in-flight cap, delivers, and
// records the end. rs.done is closed once every record of it is final.
func (s *Server) start(l launch) {
	go func() {
		defer l.release()
		defer close(l.rs.done)
		defer l.eng.Close()
		defer l.rs.cancel(nil)
		release, err := s.admit(l.rs.ctx, max(l.workers, 1)) // the engine's default is 1
		if err != nil {
			s.finish(l.rs, nil, fmt.Errorf("waited for deliveries in flight to drop under the server's cap: %w", err))
			return
		}
		s.setState(l.rs, RunRunning)
		summary, runErr := l.eng.Stream(l.rs.ctx, l.count, l.payload)
		release()
		s.finish(l.rs, &summary, runErr)
	}()
}

// RunsResponse is the answer to GET /v1/runs.
type RunsResponse struct {
	// Runs are the runs the server remembers, newest first.
	Runs []Run `json:"runs"`
}

// handleRuns serves GET /v1/runs.
func (s *Server) handleRuns(w http.ResponseWriter, _ *http.Request) {
	s.hist.mu.Lock()
	out := make([]Run, 0, len(s.hist.runs.all))
	for i := len(s.hist.runs.all) - 1; i >= 0; i-- {
		out = append(out, s.hist.runs.all[i].view)
	}
	s.hist.mu.Unlock()
	writeJSON(w, http.StatusOK, RunsResponse{Runs: out})
}

// cancelWait bounds how long DELETE /v1/runs/{id} waits for the run to stop before answering.
const cancelWait = 5 * time.Second

// handleRun serves GET and DELETE /v1/runs/{id}.
func (s *Server) handleRun(w http.ResponseWriter, r *http.Request, id string) {
	s.hist.mu.Lock()
	rs := s.hist.runs.find(id)
	s.hist.mu.Unlock()
	if rs == nil {
		writeError(w, http.StatusNotFound, "no run %q: GET /v1/runs lists the runs the server remembers (the last %d finished, and every one under way)", truncate(id, 40), MaxRuns)
		return
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		writeJSON(w, http.StatusOK, s.runView(rs))
		return
	}
	if why := s.refuseCrossSite(r); why != "" {
		writeError(w, http.StatusForbidden, "%s", why)
		return
	}
	view := s.runView(rs)
	switch {
	case view.Kind == "timer":
		writeError(w, http.StatusConflict, "the timer runs as long as the server: restart wahook serve without --target to stop it")
		return
	case view.Ended != nil:
		writeError(w, http.StatusConflict, "run %s has already ended (%s)", id, view.State)
		return
	}
	rs.cancel(fmt.Errorf("cancelled by DELETE %s", view.URL))
	select {
	case <-rs.done:
	case <-time.After(cancelWait):
	case <-r.Context().Done():
		return
	}
	setNote(w, "cancelled "+id)
	writeJSON(w, http.StatusOK, s.runView(rs))
}

// runPath splits /v1/runs/{id}; ok is false for anything deeper.
func runPath(path string) (id string, ok bool) {
	id = strings.TrimPrefix(path, "/v1/runs/")
	return id, id != "" && !strings.Contains(id, "/")
}
