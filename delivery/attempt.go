package delivery

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// ErrorClass says what kind of failure an attempt met, so reports can group failures without parsing
// error strings.
type ErrorClass string

// The error classes. ClassNone marks a successful attempt.
const (
	ClassNone       ErrorClass = ""
	ClassTimeout    ErrorClass = "timeout"     // no complete answer within Options.Timeout
	ClassRefused    ErrorClass = "refused"     // nothing listening at the target
	ClassReset      ErrorClass = "reset"       // the connection closed or reset before a full answer
	ClassTLS        ErrorClass = "tls"         // handshake or certificate verification failed
	ClassRedirect   ErrorClass = "redirect"    // a 3xx, which providers do not follow
	ClassHTTPStatus ErrorClass = "http-status" // an answer that is neither 2xx nor 3xx
	ClassCancelled  ErrorClass = "cancelled"   // the run's context ended during the attempt
	ClassOther      ErrorClass = "other"       // anything else, such as a DNS failure
)

// Attempt records one HTTP request of a delivery.
type Attempt struct {
	// Delivery is the index of the delivery's Result in Report.Results.
	Delivery int
	// PayloadID, Provider and Type are copied from the Payload.
	PayloadID string
	Provider  string
	Type      string
	// Attempt counts the delivery's attempts from 1.
	Attempt int
	// Duplicate is set on every attempt of a duplicate copy (see Options.Duplicates).
	Duplicate bool
	// RequestBytes is the length of the request body.
	RequestBytes int
	// Status is the response's status code, 0 when no response came.
	Status int
	// Start is when the request was sent, Latency how long until the response body was read.
	Start   time.Time
	Latency time.Duration
	// Body holds the start of the response body, at most MaxResponseBody bytes.
	Body []byte
	// BodyTruncated is set when the response body was longer than MaxResponseBody. The rest was never
	// read and the connection was closed.
	BodyTruncated bool
	// BodyClipped is set when Body holds only the first ClippedBody bytes of what was read, because the
	// run had already kept Options.BodyBudget bytes of response bodies.
	BodyClipped bool
	// Class is ClassNone for a 2xx, else the kind of failure.
	Class ErrorClass
	// Err describes the failure: the status line, or the transport error. It is "" for a 2xx.
	Err string
}

// OK reports whether the attempt was acknowledged with a 2xx.
func (a Attempt) OK() bool { return a.Class == ClassNone }

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
	if err != nil {
		if a.Class = classify(ctx, err); a.Class == ClassCancelled {
			// An interrupted read or write says "i/o timeout": say why it was interrupted.
			err = ctx.Err()
		}
	}
	switch {
	case err != nil && r.code == 0:
		a.Err = (&url.Error{Op: "Post", URL: e.target, Err: err}).Error()
	case err != nil:
		// The status line came but the answer broke off: a provider would not count that as received.
		a.Err = fmt.Sprintf("%s, then reading the body: %v", r.status, err)
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
		return r, err
	}
	werr := c.writeRequest(e.reqLine, d.head, d.payload.Body)
	if werr != nil && isTimeout(werr) {
		return r, werr
	}
	// A receiver may answer and close before reading the whole body, as with a 413: read the answer
	// even when the write failed, as net/http did.
	r, keep, err = c.readResponse(a, w.budget)
	if r.code == 0 && werr != nil {
		err = werr
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
// scratch: all of it while the run's budget lasts, then at most ClippedBody bytes, and whether it
// was clipped. budget is charged the whole body, so once spent it stays spent.
func keepBody(body []byte, budget *atomic.Int64) (kept []byte, clipped bool) {
	clipped = budget.Add(-int64(len(body))) < 0 && len(body) > ClippedBody
	if clipped {
		body = body[:ClippedBody]
	}
	// Exactly the size: a run may keep many of them. (bytes.Clone would round up to a size class.)
	kept = make([]byte, len(body))
	copy(kept, body)
	return kept, clipped
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
	)
	switch {
	case ctx.Err() != nil:
		return ClassCancelled
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
	case strings.Contains(err.Error(), "tls: "),
		strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		// crypto/tls reports some handshake failures as plain errors ("tls: handshake failure"), and
		// net/http replaces the error for a plain-HTTP answer to a TLS hello with a plain error.
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
