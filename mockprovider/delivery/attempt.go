package delivery

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
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
	// Class is ClassNone for a 2xx, else the kind of failure.
	Class ErrorClass
	// Err describes the failure: the status line, or the transport error. It is "" for a 2xx.
	Err string
}

// OK reports whether the attempt was acknowledged with a 2xx.
func (a Attempt) OK() bool { return a.Class == ClassNone }

// attempt sends one request for d and records it. ctx is the run's context: its end makes the attempt
// ClassCancelled, whereas running out of Options.Timeout makes it ClassTimeout.
func (e *Engine) attempt(ctx context.Context, d *delivery) Attempt {
	a := Attempt{
		Delivery:     d.res.Delivery,
		PayloadID:    d.res.PayloadID,
		Provider:     d.res.Provider,
		Type:         d.res.Type,
		Attempt:      len(d.res.Attempts) + 1,
		Duplicate:    d.res.Duplicate,
		RequestBytes: len(d.payload.Body),
	}
	actx, cancel := context.WithTimeout(ctx, e.opts.Timeout)
	defer cancel()
	req := e.newRequest(actx, d)

	a.Start = time.Now()
	resp, err := e.roundTrip(req)
	if err != nil {
		a.Latency = time.Since(a.Start)
		a.Class, a.Err = classify(ctx, err), err.Error()
		return a
	}
	a.Status = resp.StatusCode
	a.Body, a.BodyTruncated, err = readBody(resp.Body)
	// Closing a body that was not read to its end makes the transport drop the connection instead of
	// draining it, which is what a never-ending body needs.
	resp.Body.Close()
	a.Latency = time.Since(a.Start)
	switch {
	case err != nil:
		// The status line came but the answer broke off: a provider would not count that as received.
		a.Class, a.Err = classify(ctx, err), fmt.Sprintf("%s, then reading the body: %v", resp.Status, err)
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		a.Class = ClassNone
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		a.Class = ClassRedirect
		a.Err = resp.Status + " (redirects are not followed)"
		if loc := resp.Header.Get("Location"); loc != "" {
			a.Err = fmt.Sprintf("%s to %s (redirects are not followed)", resp.Status, loc)
		}
	default:
		a.Class, a.Err = ClassHTTPStatus, resp.Status
	}
	return a
}

// newRequest returns the request of one attempt of d: a shallow copy of the engine's template, with
// d's headers and body. net/http only reads the template's URL and d's headers, so attempts share them.
func (e *Engine) newRequest(ctx context.Context, d *delivery) *http.Request {
	req := e.template.WithContext(ctx)
	req.Header = d.header
	if d.host != "" {
		req.Host = d.host
	}
	body := d.payload.Body
	req.ContentLength = int64(len(body))
	if len(body) == 0 {
		req.Body = http.NoBody
		req.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
		return req
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	// The transport rewinds the body with GetBody to resend it on a fresh connection when a kept-alive
	// one turns out to be closed before anything was written.
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return req
}

// roundTrip sends req and returns the answer, as e.client.Do would. It calls the transport directly
// where it can: the client copies every request's headers for redirects, which the engine never
// follows. A target with user info goes through the client, which turns that into an Authorization
// header. Errors are wrapped as the client wraps them.
func (e *Engine) roundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.User != nil {
		return e.client.Do(req)
	}
	resp, err := e.transport.RoundTrip(req)
	if err != nil {
		return nil, &url.Error{Op: "Post", URL: e.target, Err: err}
	}
	return resp, nil
}

// readBody reads at most MaxResponseBody bytes of body, and one more to tell a body of exactly that
// size from a longer one. It never reads further, however much the receiver sends.
func readBody(body io.Reader) (b []byte, truncated bool, err error) {
	b, err = io.ReadAll(io.LimitReader(body, MaxResponseBody+1))
	if len(b) > MaxResponseBody {
		return b[:MaxResponseBody:MaxResponseBody], true, nil
	}
	if cap(b) > len(b) {
		// io.ReadAll's buffer is 512 bytes at least, and a run keeps every attempt's body.
		b = bytes.Clone(b)
	}
	return b, false, err
}

// classify names the kind of a transport error. ctx is the run's context.
func classify(ctx context.Context, err error) ErrorClass {
	var (
		netErr    net.Error
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
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
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
// kept as spelled, and the Content-Type set from contentType. Neither argument is modified.
func mergeHeader(base, over http.Header, contentType string) http.Header {
	h := make(http.Header, len(base)+len(over)+1)
	for k, v := range base {
		h[k] = v
	}
	for k, v := range over {
		deleteFold(h, k)
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

func getFold(h http.Header, key string) string {
	for k, v := range h {
		if strings.EqualFold(k, key) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

func hasFold(h http.Header, key string) bool {
	for k := range h {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}
