package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wahook/wahook/delivery"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
	"github.com/wahook/wahook/send"
)

// bodyReadTimeout bounds the reading of a /v1/send body, so that a client trickling it cannot hold a
// handler (and Shutdown) forever; the server itself has no ReadTimeout, which would cut long sends.
const bodyReadTimeout = 30 * time.Second

// handleSend serves POST /v1/send: decode, generate, deliver, answer with the records.
func (s *Server) handleSend(w http.ResponseWriter, r *http.Request) {
	if why := s.refuseCrossSite(r); why != "" {
		writeError(w, http.StatusForbidden, "%s", why)
		return
	}
	if !s.tasks.add() {
		writeError(w, http.StatusServiceUnavailable, "%v", ErrShutdown)
		return
	}
	defer s.tasks.done()
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	default:
		writeError(w, http.StatusTooManyRequests, "%d sends are already running; try again when one has finished", MaxConcurrentSends)
		return
	}

	body, err := readBody(w, r)
	if err != nil {
		badRequest(w, err)
		return
	}
	opts, err := DecodeSendRequest(body)
	if err != nil {
		badRequest(w, err)
		return
	}
	opts.Version = s.opts.Version
	if opts.MediaBaseURL == "" {
		opts.MediaBaseURL = s.mediaBase(r)
	}
	run := fmt.Sprintf("send-%d", s.runs.Add(1))

	ctx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	stop := context.AfterFunc(s.work, func() { cancel(context.Cause(s.work)) })
	defer stop()

	var (
		mu      sync.Mutex // calls never overlap, but need not come from this goroutine
		records []Record
	)
	opts.OnResult = func(res delivery.Result) {
		now := time.Now()
		// The ring keeps a short record; the answer carries the bodies as the engine kept them.
		full := newRecord(run, res, now, delivery.MaxResponseBody)
		full.Seq = s.ring.add(newRecord(run, res, now, MaxRecordBody)).Seq
		s.cut(ctx, res)
		mu.Lock()
		records = append(records, full)
		mu.Unlock()
	}
	payloads, dopts, err := prepare(opts)
	if err != nil {
		if errors.Is(err, send.ErrBadOptions) || errors.Is(err, ErrBadRequest) {
			badRequest(w, requestError(err))
		} else {
			writeError(w, http.StatusInternalServerError, "%v", err)
		}
		return
	}
	s.opts.trust(&dopts)
	engine, err := delivery.New(dopts)
	if err != nil {
		if errors.Is(err, delivery.ErrBadOptions) {
			badRequest(w, requestError(err))
		} else {
			writeError(w, http.StatusInternalServerError, "%v", err)
		}
		return
	}
	defer engine.Close()

	report, runErr := engine.Run(ctx, payloads)
	mu.Lock()
	defer mu.Unlock()
	slices.SortFunc(records, func(a, b Record) int { return a.Delivery - b.Delivery })
	resp := SendResponse{Run: run, Summary: newSummary(report.Summary, report.Results), Results: records}
	if runErr != nil {
		resp.Interrupted = context.Cause(ctx).Error()
		if errors.Is(context.Cause(ctx), context.Canceled) {
			resp.Interrupted = "the client went away"
		}
	}
	sum := resp.Summary
	setNote(w, fmt.Sprintf("%s %s: %d scheduled, %d acked, %d failed, %d cancelled (%d pending retries)",
		run, opts.Provider, sum.Scheduled, sum.Acked, sum.Failed, sum.Cancelled, sum.PendingRetries))
	writeJSON(w, http.StatusOK, resp)
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

// prepare is send.Prepare, refusing sends whose bodies would together exceed
// MaxSendBytes before generating them all: one payload of each chosen type is generated first to
// measure them.
func prepare(opts send.Options) ([]delivery.Payload, delivery.Options, error) {
	if opts.Count > 0 {
		probe := opts
		probe.Count = 0 // one per type
		probe.OnResult, probe.OnAttempt = nil, nil
		sample, _, err := send.Prepare(probe)
		if err != nil {
			return nil, delivery.Options{}, err
		}
		var total int
		for _, p := range sample {
			total += len(p.Body)
		}
		if estimate := float64(total) / float64(len(sample)) * float64(opts.Count) * (1 + opts.Duplicates); estimate > MaxSendBytes {
			return nil, delivery.Options{}, fmt.Errorf("%w: count: %d payloads of about %d bytes each is more than the %d MiB one send may generate",
				ErrBadRequest, opts.Count, total/len(sample), MaxSendBytes>>20)
		}
	}
	return send.Prepare(opts)
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

// handleDeliveries serves GET /v1/deliveries?provider=&type=&status=&limit=.
func (s *Server) handleDeliveries(w http.ResponseWriter, r *http.Request) {
	keep, limit, err := parseFilter(r.URL.Query())
	if err != nil {
		badRequest(w, err)
		return
	}
	recs, held := s.ring.list(keep, limit)
	writeJSON(w, http.StatusOK, DeliveriesResponse{Deliveries: recs, Kept: held, Capacity: s.ring.capacity()})
}

// parseFilter reads the query of /v1/deliveries. status is an outcome (acked, failed, cancelled) or
// an HTTP status code, which matches a delivery any of whose attempts got it (0: no response).
func parseFilter(q url.Values) (func(*Record) bool, int, error) {
	bad := func(format string, args ...any) (func(*Record) bool, int, error) {
		return nil, 0, fmt.Errorf("%w: %s", ErrBadRequest, fmt.Sprintf(format, args...))
	}
	for name, values := range q {
		if !slices.Contains([]string{"provider", "type", "status", "limit"}, name) {
			return bad("unknown parameter %q: want provider, type, status or limit", truncate(name, 40))
		}
		if len(values) > 1 {
			return bad("%s given %d times", name, len(values))
		}
	}
	var keeps []func(*Record) bool
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
		default:
			code, err := strconv.Atoi(v)
			if err != nil || code != 0 && (code < 100 || code > 599) {
				return bad("status: %q, want acked, failed, cancelled or an HTTP status code", truncate(v, 40))
			}
			keeps = append(keeps, func(rec *Record) bool {
				return slices.ContainsFunc(rec.Attempts, func(a delivery.AttemptRecord) bool { return a.Status == code })
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
