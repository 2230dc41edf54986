package server

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/wahook/wahook/internal/dispatch"
	"github.com/wahook/wahook/internal/engine"
)

// DeliveryDetail is the answer to GET /v1/deliveries/{seq}: the record, with the request it sent
// (credentials masked) and commands that send the same bytes again.
type DeliveryDetail struct {
	Record
	// Request is nil for a record that kept none.
	Request *RequestRecord `json:"request,omitempty"`
	// Commands are left out when the body was too large to keep (see MaxKeptRequest).
	Commands *Commands `json:"commands,omitempty"`
	// Resend says why POST .../resend would be refused, or "" when it would not.
	ResendRefused string `json:"resendRefused,omitempty"`
}

// deliveryPath splits /v1/deliveries/{seq}[/resend].
func deliveryPath(path string) (seq uint64, action string, err error) {
	rest := strings.TrimPrefix(path, "/v1/deliveries/")
	id, action, _ := strings.Cut(rest, "/")
	seq, perr := strconv.ParseUint(id, 10, 64)
	if perr != nil || seq == 0 {
		return 0, "", fmt.Errorf("%w: %q is not a delivery's seq (a positive integer, as /v1/deliveries gives)", ErrBadRequest, truncate(id, 40))
	}
	return seq, action, nil
}

// lookup finds the record numbered seq, answering 404 when the history no longer holds it.
func (s *Server) lookup(w http.ResponseWriter, seq uint64) (Record, bool) {
	rec, ok := s.hist.get(seq)
	if !ok {
		writeError(w, http.StatusNotFound, "no delivery %d: the history keeps the last %d (GET /v1/deliveries lists them)", seq, s.hist.capacity())
	}
	return rec, ok
}

// resendRefusal says why rec cannot be sent again, or "".
func resendRefusal(rec Record) string {
	switch {
	case rec.sent == nil:
		return fmt.Sprintf("delivery %d kept no request to send again", rec.Seq)
	case rec.sent.header == nil:
		return fmt.Sprintf("delivery %d's headers could not be sent (see its attempt's error)", rec.Seq)
	case rec.sent.body == nil && rec.sent.size > 0:
		return fmt.Sprintf("delivery %d's body was %d bytes, over the %d the history keeps: send it again with its run's options", rec.Seq, rec.sent.size, MaxKeptRequest)
	}
	return ""
}

// handleDelivery serves GET /v1/deliveries/{seq}.
func (s *Server) handleDelivery(w http.ResponseWriter, seq uint64) {
	rec, ok := s.lookup(w, seq)
	if !ok {
		return
	}
	d := DeliveryDetail{Record: rec, ResendRefused: resendRefusal(rec)}
	if rec.sent != nil {
		rr := rec.sent.record()
		d.Request = &rr
		if c, ok := rec.sent.commands(); ok {
			d.Commands = &c
		}
	}
	writeJSON(w, http.StatusOK, d)
}

// handleResend serves POST /v1/deliveries/{seq}/resend: the same header lines and body, to the same
// target, with the run's timeout and retry schedule, as a new run that does not wait ("kind":
// "resend"). A signature is sent as it was: it was made over these very bytes.
func (s *Server) handleResend(w http.ResponseWriter, r *http.Request, seq uint64) {
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
	rec, ok := s.lookup(w, seq)
	if !ok {
		return
	}
	if why := resendRefusal(rec); why != "" {
		writeError(w, http.StatusConflict, "%s", why)
		return
	}
	sp := rec.sent.spec
	_, dopts, err := dispatch.Options(sp.target, s.opts.Version)
	if err != nil { // unreachable: the target delivered before
		writeError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	dopts.Header, dopts.Sign = rec.sent.replayHeader(), nil
	if dopts.Retries, err = sp.prov.ParseRetries(sp.retries); err != nil {
		writeError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	dopts.TimeScale = sp.timeScale
	ro := RunOptions{Target: sp.maskedURL(), Provider: string(sp.prov.Name), Retries: sp.retries, TimeScale: sp.timeScale,
		Header: maskHeader(sp, sp.target.Header), Insecure: sp.target.TLS.Insecure, Bodies: 1, ResendOf: seq}
	if sp.target.Timeout != 0 {
		ro.Timeout = sp.target.Timeout.String()
	}
	rs := s.newRun(fmt.Sprintf("send-%d", s.runs.Add(1)), "resend", sp, ro, 1)
	eng, err := s.engine(rs, dopts)
	if err != nil {
		s.finish(rs, nil, err)
		close(rs.done)
		writeError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	p := engine.Payload{ID: rec.ID, Provider: rec.Provider, Type: rec.Type, Body: rec.sent.body}
	started = true
	s.start(launch{rs: rs, eng: eng, count: 1, payload: func(int) (engine.Payload, error) { return p, nil }, workers: 1, release: release})
	accepted(w, rs)
}
