package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wahook/wahook/delivery"
	"github.com/wahook/wahook/internal/engine"
	"github.com/wahook/wahook/internal/jsonrecord"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
	"github.com/wahook/wahook/send"
)

// bodyReadTimeout bounds the reading of a /v1/send body, so that a client trickling it cannot hold a
// handler (and Shutdown) forever; the server itself has no ReadTimeout, which would cut long sends.
const bodyReadTimeout = 30 * time.Second

// handleSend serves POST /v1/send: decode, prepare, start the run; then, unless the request says
// "wait": false, wait for it and answer with its records. A waiting caller that goes away cancels
// the run (ErrClientGone), as Ctrl-C cancels a wahook send: its deliveries cut short are recorded as
// cancelled, a retry one was waiting for cancelled with it.
func (s *Server) handleSend(w http.ResponseWriter, r *http.Request) {
	release, ok := s.sendSlot(w, r)
	if !ok {
		return
	}
	started := false
	defer func() {
		if !started {
			release()
		}
	}()

	body, err := readBody(w, r)
	if err != nil {
		badRequest(w, err)
		return
	}
	opts, wait, err := decodeSend(body)
	if err != nil {
		badRequest(w, err)
		return
	}
	opts.Version = s.opts.Version
	if opts.MediaBaseURL == "" {
		opts.MediaBaseURL = s.mediaBase(r)
	}
	plan, err := send.Prepare(opts)
	if err != nil {
		if errors.Is(err, send.ErrBadOptions) {
			badRequest(w, requestError(err))
		} else {
			writeError(w, http.StatusInternalServerError, "%v", err)
		}
		return
	}
	prov, err := mockprovider.Lookup(opts.Provider)
	if err != nil { // unreachable: Prepare checked it
		writeError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	spec := newSpec(opts.Target, prov, opts.Retries, opts.TimeScale, opts.Mutation)
	rs := s.newRun(fmt.Sprintf("send-%d", s.runs.Add(1)), "send", spec, runOptions(opts, spec), plan.Count)

	if wait {
		rs.ans = &answer{}
	}
	eng, err := s.engine(rs, plan.Options)
	if err != nil {
		s.finish(rs, nil, err)
		close(rs.done)
		if errors.Is(err, engine.ErrBadOptions) {
			badRequest(w, requestError(err))
		} else {
			writeError(w, http.StatusInternalServerError, "%v", err)
		}
		return
	}
	started = true
	s.start(launch{rs: rs, eng: eng, count: plan.Count, payload: plan.Payload, workers: plan.Options.Workers, release: release})
	if !wait {
		accepted(w, rs)
		return
	}
	select {
	case <-rs.done:
	case <-r.Context().Done():
		rs.cancel(ErrClientGone)
		<-rs.done
		return // nobody to answer
	}
	view := s.runView(rs)
	resp := SendResponse{Run: view.ID, Interrupted: view.Interrupted}
	if view.Summary != nil {
		resp.Summary = *view.Summary
	}
	resp.Results, resp.ResultsOmitted = rs.ans.sorted()
	if view.Summary == nil { // it never started: the server's cap was never free
		writeError(w, http.StatusServiceUnavailable, "%s %s", view.ID, view.Interrupted)
		return
	}
	sum := resp.Summary
	setNote(w, fmt.Sprintf("%s %s: %d scheduled, %d acked, %d failed, %d cancelled (%d retries cancelled)",
		view.ID, opts.Provider, sum.Scheduled, sum.Acked, sum.Failed, sum.Cancelled, sum.CancelledRetries))
	writeJSON(w, http.StatusOK, resp)
}

// sendSlot admits a request that starts a run: same-site, the server not shutting down, fewer than
// MaxConcurrentSends runs under way. It answers the refusal itself; release gives back what it took.
func (s *Server) sendSlot(w http.ResponseWriter, r *http.Request) (release func(), ok bool) {
	if why := s.refuseCrossSite(r); why != "" {
		writeError(w, http.StatusForbidden, "%s", why)
		return nil, false
	}
	if !s.tasks.add() {
		writeError(w, http.StatusServiceUnavailable, "%v", ErrShutdown)
		return nil, false
	}
	select {
	case s.slots <- struct{}{}:
	default:
		s.tasks.done()
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusTooManyRequests, "%d sends are already running; try again when one has finished", MaxConcurrentSends)
		return nil, false
	}
	return func() { <-s.slots; s.tasks.done() }, true
}

// engine makes the engine of run rs from dopts: the server's trust, a bounded body budget, and every
// delivery's progress recorded in the history, answer headers included.
func (s *Server) engine(rs *runState, dopts engine.Options) (*engine.Engine, error) {
	s.opts.trust(&dopts)
	dopts.BodyBudget = runBodyBudget
	dopts.KeepHeader = true
	dopts.OnProgress = func(p engine.Progress) { s.observe(rs, p) }
	return engine.New(dopts)
}

// Accepted is the answer to a /v1/send with "wait": false, and to a resend: the run started, and
// where to follow it.
type Accepted struct {
	Run   string `json:"run"`
	URL   string `json:"url"`
	State string `json:"state"`
}

func accepted(w http.ResponseWriter, rs *runState) {
	w.Header().Set("Location", rs.view.URL)
	setNote(w, "started "+rs.view.ID)
	writeJSON(w, http.StatusAccepted, Accepted{Run: rs.view.ID, URL: rs.view.URL, State: RunQueued})
}

// answer collects the records a waiting /v1/send answers with: the first MaxAnswerResults to
// settle, each with the response bodies the engine kept.
type answer struct {
	mu      sync.Mutex // calls never overlap, but need not come from one goroutine
	records []Record
	omitted int
}

func (a *answer) add(rec Record) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.records) == MaxAnswerResults {
		a.omitted++
		return
	}
	a.records = append(a.records, rec)
}

// sorted returns the records in schedule order, and how many were left out.
func (a *answer) sorted() ([]Record, int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	slices.SortFunc(a.records, func(x, y Record) int { return x.Delivery - y.Delivery })
	return a.records, a.omitted
}

// MaxAnswerResults is how many delivery records a /v1/send answer carries, the first to settle; the
// answer counts the rest in resultsOmitted, and GET /v1/deliveries has the most recent of them. A
// run of 100,000 deliveries would otherwise answer with tens of megabytes, all held until written.
const MaxAnswerResults = 1000

// runBodyBudget is how many bytes of response bodies one /v1/send run keeps in all (see
// engine.Options.BodyBudget): the answer holds at most MaxAnswerResults records, and concurrent runs
// must not each hold the engine's default 64 MiB.
const runBodyBudget = 4 << 20

// admit waits until workers more deliveries may be in flight under Options.MaxInFlight, first come
// first served, or until ctx ends. A run asking for more than the cap is admitted alone. release
// gives the slots back; when the last run ends, the memory it used goes back to the system.
func (s *Server) admit(ctx context.Context, workers int) (release func(), err error) {
	n := int64(min(workers, s.opts.MaxInFlight))
	if err := s.inFlight.Acquire(ctx, n); err != nil {
		return nil, err
	}
	s.running.Add(1)
	return func() {
		s.inFlight.Release(n)
		if s.running.Add(-1) == 0 {
			// A run of 100,000 deliveries leaves hundreds of MiB of garbage behind; a server left
			// idle would otherwise hold its pages for minutes.
			debug.FreeOSMemory()
		}
	}, nil
}

// readBody reads a request body of at most MaxRequestBytes within bodyReadTimeout.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(bodyReadTimeout)) // unsupported only outside a real server
	defer func() { _ = rc.SetReadDeadline(time.Time{}) }()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, fmt.Errorf("%w: body is over %d bytes", ErrBadRequest, MaxRequestBytes)
	case err != nil:
		return nil, fmt.Errorf("%w: reading the body: %v", ErrBadRequest, err)
	}
	return body, nil
}

// mediaBase is where the links of payloads generated for r point: Options.MediaBaseURL, else the
// server's own URL, else (mounted as a handler) the host r was sent to.
func (s *Server) mediaBase(r *http.Request) string {
	if s.opts.MediaBaseURL != "" {
		return s.opts.MediaBaseURL
	}
	if u := s.URL(); u != "" {
		return u
	}
	if r.Host == "" {
		return mockprovider.DefaultMediaBaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// refuseCrossSite says why r must not start a send, or "". A send makes this machine POST wherever it
// is told, so a web page the developer happens to visit must not be able to ask for one: browsers
// mark cross-site requests (Sec-Fetch-Site, Origin), and a DNS-rebinding page reaches a loopback-only
// server under a host name of its own.
func (s *Server) refuseCrossSite(r *http.Request) string {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return "cross-site request refused: the control API is for tools such as curl, not web pages"
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		if u, err := url.Parse(origin); err != nil || u.Host != r.Host {
			return "cross-origin request refused: the control API is for tools such as curl, not web pages"
		}
	}
	s.mu.Lock()
	loopback := s.loopback
	s.mu.Unlock()
	if loopback && !localHost(r.Host) {
		return fmt.Sprintf("host %q refused: a loopback-only server answers to localhost and IP addresses", truncate(r.Host, 100))
	}
	return ""
}

// sameHost refuses, with 403, a read of the control API that a DNS-rebinding page makes under a
// host name of its own: the records hold receivers' answers and the requests' headers. It reports
// whether r may go on.
func (s *Server) sameHost(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	loopback := s.loopback
	s.mu.Unlock()
	if loopback && !localHost(r.Host) {
		writeError(w, http.StatusForbidden, "host %q refused: a loopback-only server answers to localhost and IP addresses", truncate(r.Host, 100))
		return false
	}
	return true
}

// localHost reports whether a Host header names an IP address or localhost.
func localHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	return net.ParseIP(strings.Trim(host, "[]")) != nil || host == "localhost" || strings.HasSuffix(host, ".localhost")
}

// DefaultListLimit is how many records GET /v1/deliveries returns without ?limit=.
const DefaultListLimit = 100

// DeliveriesResponse is the answer to GET /v1/deliveries.
type DeliveriesResponse struct {
	// Deliveries are the matching records, newest first.
	Deliveries []Record `json:"deliveries"`
	// Kept is how many records the server holds, Capacity how many it can (Options.RingSize).
	Kept     int `json:"kept"`
	Capacity int `json:"capacity"`
}

// handleDeliveries serves GET /v1/deliveries?run=&provider=&type=&status=&limit=.
func (s *Server) handleDeliveries(w http.ResponseWriter, r *http.Request) {
	keep, limit, err := parseFilter(r.URL.Query())
	if err != nil {
		badRequest(w, err)
		return
	}
	recs, held := s.hist.list(keep, limit)
	writeJSON(w, http.StatusOK, DeliveriesResponse{Deliveries: recs, Kept: held, Capacity: s.hist.capacity()})
}

// parseFilter reads the query of /v1/deliveries. status is an outcome (acked, failed, cancelled),
// underway (not settled yet), or an HTTP status code, which matches a delivery any of whose attempts
// got it (0: no response).
func parseFilter(q url.Values) (func(*Record) bool, int, error) {
	bad := func(format string, args ...any) (func(*Record) bool, int, error) {
		return nil, 0, fmt.Errorf("%w: %s", ErrBadRequest, fmt.Sprintf(format, args...))
	}
	for name, values := range q {
		if !slices.Contains([]string{"run", "provider", "type", "status", "limit"}, name) {
			return bad("unknown parameter %q: want run, provider, type, status or limit", truncate(name, 40))
		}
		if len(values) > 1 {
			return bad("%s given %d times", name, len(values))
		}
	}
	var keeps []func(*Record) bool
	if v := q.Get("run"); v != "" {
		keeps = append(keeps, func(rec *Record) bool { return rec.Run == v })
	}
	if v := q.Get("provider"); v != "" {
		p, err := schemas.ParseProvider(v, false)
		if err != nil {
			return bad("provider: %v", err)
		}
		keeps = append(keeps, func(rec *Record) bool { return rec.Provider == string(p) })
	}
	if v := q.Get("type"); v != "" {
		if !knownType(v) {
			return bad("type: %v %q", mockprovider.ErrUnknownType, truncate(v, 40))
		}
		keeps = append(keeps, func(rec *Record) bool { return rec.Type == v })
	}
	if v := q.Get("status"); v != "" {
		switch o := delivery.Outcome(v); o {
		case delivery.Acked, delivery.Failed, delivery.Cancelled:
			keeps = append(keeps, func(rec *Record) bool { return rec.Outcome == o })
		case "underway":
			keeps = append(keeps, func(rec *Record) bool { return rec.State != engine.StateSettled })
		default:
			code, err := strconv.Atoi(v)
			if err != nil || code != 0 && (code < 100 || code > 599) {
				return bad("status: %q, want acked, failed, cancelled, underway or an HTTP status code", truncate(v, 40))
			}
			keeps = append(keeps, func(rec *Record) bool {
				return slices.ContainsFunc(rec.Attempts, func(a jsonrecord.Attempt) bool { return a.Status == code })
			})
		}
	}
	limit := DefaultListLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return bad("limit: %q, want a positive integer", truncate(v, 40))
		}
		limit = n
	}
	keep := func(rec *Record) bool {
		for _, k := range keeps {
			if !k(rec) {
				return false
			}
		}
		return true
	}
	return keep, limit, nil
}

// knownType reports whether any provider has message type t.
func knownType(t string) bool {
	for _, p := range mockprovider.Providers() {
		if slices.Contains(p.Types(), t) {
			return true
		}
	}
	return false
}
