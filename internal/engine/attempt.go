package engine

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// attempt sends one request for d on a connection of the engine, w's while it lasts, and records it.
// ctx is the run's context: its end makes the attempt ClassCancelled, whereas running out of
// Options.Timeout makes it ClassTimeout.
func (e *Engine) attempt(ctx context.Context, w *worker, d *delivery) Attempt {
	a := Attempt{
		Delivery:     d.res.Delivery,
		PayloadID:    d.res.PayloadID,
		Provider:     d.res.Provider,
		Type:         d.res.Type,
		Attempt:      len(d.res.Attempts) + 1,
		Duplicate:    d.res.Duplicate,
		RequestBytes: len(d.payload.Body),
	}
	a.Start = time.Now()
	r, err := e.exchange(ctx, w, d, &a)
	a.Latency = time.Since(a.Start)
	if e.opts.KeepHeader {
		a.Header = r.header
	}
	if r.code != 0 && !e.spokeHTTP.Load() {
		e.spokeHTTP.Store(true)
	}
	if err != nil {
		// The status line may have come, but an answer that broke off is one a provider would not
		// count as received.
		a.Class = classify(ctx, err)
		a.Err = e.describe(ctx, a.Class, r, err)
		var f *failure
		a.Unreached = errors.As(err, &f) && f.stage == stageConnect && a.Class != ClassCancelled
		return a
	}
	switch {
	case r.code >= 200 && r.code < 300:
		a.Class = ClassNone
	case r.code >= 300 && r.code < 400:
		a.Class = ClassRedirect
		a.Err = r.status + " (redirects are not followed)"
		if r.location != "" {
			a.Err = fmt.Sprintf("%s to %s (redirects are not followed)", r.status, r.location)
		}
	default:
		a.Class, a.Err = ClassHTTPStatus, r.status
	}
	return a
}

// exchange sends d's request and reads the answer into a: its status and body. r.code is 0 when no
// answer came.
func (e *Engine) exchange(ctx context.Context, w *worker, d *delivery, a *Attempt) (r response, err error) {
	if d.head.err != nil {
		return r, fmt.Errorf("%w; nothing was sent, and it is not retried", d.head.err)
	}
	deadline := a.Start.Add(e.opts.Timeout)
	c, err := e.conns.get(ctx, deadline)
	if err != nil {
		return r, err
	}
	keep := false
	defer func() {
		w.use(ctx, nil)
		if !keep {
			c.close()
		}
		c.idleSince = time.Now()
		e.conns.put(c)
	}()
	if c.nc != nil && !c.usable(a.Start) {
		c.close()
	}
	if c.nc == nil {
		if err := e.dial(ctx, c, deadline); err != nil {
			return r, err
		}
	}
	if !w.use(ctx, c) {
		keep = true // nothing was sent on it
		return r, ctx.Err()
	}
	if err := c.nc.SetDeadline(deadline); err != nil {
		return r, &failure{stage: stageSend, err: err}
	}
	werr := c.writeRequest(e.reqLine, d.head, d.payload.Body)
	if werr != nil && isTimeout(werr) {
		return r, &failure{stage: stageSend, err: werr}
	}
	// A receiver may answer and close before reading the whole body, as with a 413: read the answer
	// even when the write failed, as net/http did.
	r, keep, err = c.readResponse(a, w.budget, e.opts.KeepHeader)
	if r.code == 0 && werr != nil {
		err = &failure{stage: stageSend, err: werr}
	}
	keep = keep && werr == nil && !d.head.close
	return r, err
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}

// readBody reads at most MaxResponseBody bytes of body into buf, and one more to tell a body of
// exactly that size from a longer one. It never reads further, however much the receiver sends. It
// returns buf, grown if need be (to MaxResponseBody+1 bytes at most), and the n bytes of body in it.
func readBody(body io.Reader, buf []byte) (_ []byte, n int, truncated bool, err error) {
	const limit = MaxResponseBody + 1
	for {
		if n == len(buf) {
			if n == limit {
				return buf, MaxResponseBody, true, nil
			}
			// Doubling from 512 bytes, as io.ReadAll grows.
			grown := make([]byte, min(max(2*len(buf), 512), limit))
			copy(grown, buf[:n])
			buf = grown
		}
		m, rerr := body.Read(buf[n:])
		n += m
		switch {
		case rerr == io.EOF:
			if n > MaxResponseBody {
				return buf, MaxResponseBody, true, nil
			}
			return buf, n, false, nil
		case rerr != nil:
			return buf, min(n, MaxResponseBody), n > MaxResponseBody, rerr
		}
	}
}

// keepBody returns the part of a response body the attempt keeps, copied out of the connection's
// scratch: all of it while the run's budget lasts, then at most clippedBody bytes, and whether it
// was clipped. budget is charged the whole body, so once spent it stays spent.
func keepBody(body []byte, budget *atomic.Int64) (kept []byte, clipped bool) {
	clipped = budget.Add(-int64(len(body))) < 0 && len(body) > clippedBody
	if clipped {
		body = body[:clippedBody]
	}
	// Exactly the size: a run may keep many of them. (bytes.Clone would round up to a size class.)
	kept = make([]byte, len(body))
	copy(kept, body)
	return kept, clipped
}

// stage is what the engine was doing in an exchange.
type stage int

const (
	stageConnect   stage = iota // dialling the target
	stageHandshake              // the TLS handshake
	stageSend                   // writing the request
	stageHead                   // reading the answer's status line and headers
	stageBody                   // reading the answer's body
)

var stageNames = [...]string{
	stageConnect:   "while connecting",
	stageHandshake: "during the TLS handshake",
	stageSend:      "while sending the request",
	stageHead:      "while reading the response head",
	stageBody:      "while reading the body",
}

func (s stage) String() string { return stageNames[s] }

// failure is an exchange's error with where it came: a reset or a timeout means one thing before
// the connection is open and another once part of the answer has come. It wraps the error, which
// decides its class.
type failure struct {
	stage stage
	// got is how many bytes of the answer had come: of the head, in stageHead; of the body, in
	// stageBody.
	got int
	err error
}

func (f *failure) Error() string { return fmt.Sprintf("%v: %v", f.stage, f.err) }
func (f *failure) Unwrap() error { return f.err }

// protocolError is an answer that is not HTTP/1.1 the engine can read: not a status line, a head
// longer than the engine reads, endless 1xx answers, broken chunked framing.
type protocolError struct{ err error }

func (p protocolError) Error() string { return p.err.Error() }
func (p protocolError) Unwrap() error { return p.err }

// describe words the failure of an exchange for people, from its class and where it came. r is the
// answer's head, when its status line came.
func (e *Engine) describe(ctx context.Context, class ErrorClass, r response, err error) string {
	var f *failure
	if !errors.As(err, &f) {
		return err.Error() // refused headers, no free connection in time, a run cancelled first
	}
	then := "" // the status line, when the answer broke off in its body
	if r.code != 0 {
		then = r.status + ", then "
	}
	timeout := e.opts.Timeout
	switch f.stage {
	case stageConnect:
		timeout = min(timeout, dialTimeout)
	case stageHandshake:
		timeout = min(timeout, handshakeTimeout)
	}
	got := ""
	if f.stage >= stageHead {
		got = fmt.Sprintf(": got %d bytes", f.got)
	}
	switch class {
	case ClassCancelled:
		return fmt.Sprintf("%s%v %s%s", then, context.Cause(ctx), f.stage, got)
	case ClassTimeout:
		return fmt.Sprintf("%stimeout after %v %s%s", then, timeout, f.stage, got)
	case ClassRefused:
		return "connection refused"
	case ClassReset:
		how := "was reset"
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			how = "closed"
		}
		if (f.stage == stageSend || f.stage == stageHead) && f.got == 0 {
			// As a crashed handler leaves it, or a TLS port that read a plain request as a handshake.
			hint := " (did the receiver crash?)"
			if e.tls == nil && !e.spokeHTTP.Load() {
				hint = " (did the receiver crash? if the port speaks TLS, the target must be https://)"
			}
			return "the connection " + how + " without an answer" + hint
		}
		return fmt.Sprintf("%sthe connection %s %s%s", then, how, f.stage, got)
	case ClassProtocol, ClassTLS:
		return then + f.err.Error() // says itself where it came
	}
	return fmt.Sprintf("%s%v %s", then, f.err, f.stage)
}

// classify names the kind of a transport error. ctx is the run's context.
func classify(ctx context.Context, err error) ErrorClass {
	var (
		unknownCA x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		verify    *tls.CertificateVerificationError
		record    tls.RecordHeaderError
		alert     tls.AlertError
		protocol  protocolError
	)
	switch {
	case ctx.Err() != nil:
		return ClassCancelled
	case errors.As(err, &protocol):
		return ClassProtocol
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return ClassTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return ClassRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return ClassReset
	case errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &invalid),
		errors.As(err, &verify), errors.As(err, &record), errors.As(err, &alert):
		return ClassTLS
	case errors.Is(err, errPlainHTTP), strings.Contains(err.Error(), "tls: "):
		// crypto/tls reports some handshake failures as plain errors ("tls: handshake failure").
		return ClassTLS
	}
	return ClassOther
}

// mergeHeader returns base with over's keys replacing base's, keys compared case-insensitively but
// kept as spelled, and the Content-Type set from contentType. Neither argument is modified. Keys of
// over that differ only in case are all kept: base's are removed first, so no key of over can remove
// another, whatever the map's order.
func mergeHeader(base, over http.Header, contentType string) http.Header {
	h := make(http.Header, len(base)+len(over)+1)
	for k, v := range base {
		h[k] = v
	}
	for k := range over {
		deleteFold(h, k)
	}
	for k, v := range over {
		h[k] = v
	}
	switch {
	case contentType != "":
		deleteFold(h, "Content-Type")
		h["Content-Type"] = []string{contentType}
	case !hasFold(h, "Content-Type"):
		h["Content-Type"] = []string{DefaultContentType}
	}
	return h
}

func deleteFold(h http.Header, key string) {
	for k := range h {
		if strings.EqualFold(k, key) {
			delete(h, k)
		}
	}
}

// getFold returns the first value of key, compared case-insensitively. Of keys that differ only in
// case, the least in byte order wins, so that the choice does not depend on the map's order.
func getFold(h http.Header, key string) string {
	best, found := "", false
	for k, v := range h {
		if strings.EqualFold(k, key) && len(v) > 0 && (!found || k < best) {
			best, found = k, true
		}
	}
	if !found {
		return ""
	}
	return h[best][0]
}

func hasFold(h http.Header, key string) bool {
	for k := range h {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}
