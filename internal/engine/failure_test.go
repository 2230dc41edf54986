package engine_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/engine"
	"github.com/wahook/wahook/internal/hostile"
)

// tlsHint is what a reset without an answer adds for an http target that has never answered HTTP.
const tlsHint = " (did the receiver crash? if the port speaks TLS, the target must be https://)"

// TestFailureWording: a failed attempt is classed by what went wrong and worded by where it went
// wrong, with how much of the answer had come; a transport error under a half-read status line wins
// over what the parser made of it. NoAnswer turns the same classification into the verdict the tools'
// reachability checks give.
func TestFailureWording(t *testing.T) {
	const timeout = 500 * time.Millisecond
	// answer writes raw after reading the request, then waits for the sender to hang up.
	answer := func(raw string) string {
		return rawServer(t, func(conn net.Conn, r *bufio.Reader) {
			readHead(r)
			_, _ = io.CopyN(io.Discard, r, int64(len("m0000")))
			_, _ = io.WriteString(conn, raw)
			_, _ = io.Copy(io.Discard, r)
		})
	}
	// answerAndClose writes raw after reading the request, then closes.
	answerAndClose := func(raw string) string {
		return rawServer(t, func(conn net.Conn, r *bufio.Reader) {
			readHead(r)
			_, _ = io.CopyN(io.Discard, r, int64(len("m0000")))
			_, _ = io.WriteString(conn, raw)
		})
	}
	refused, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	refusedURL := "http://" + refused.Addr().String() + "/webhook"
	require.NoError(t, refused.Close())
	hostileURL := func(b hostile.Behaviour, opts hostile.Options) string { return hostile.Start(t, b, opts).URL }

	tests := []struct {
		name    string
		target  string
		class   engine.ErrorClass
		status  int
		err     string // a regular expression for the whole of Attempt.Err
		verdict error  // what NoAnswer wraps; nil for an answer with a status
	}{
		{
			name:    "a status line a byte at a time is a timeout, with the bytes that came",
			target:  hostileURL(hostile.Slowloris, hostile.Options{Interval: timeout / 5}),
			class:   engine.ClassTimeout,
			err:     `timeout after 500ms while reading the response head: got [1-9]\d* bytes`,
			verdict: engine.ErrNoAnswer,
		},
		{
			name:    "a receiver that never reads",
			target:  hostileURL(hostile.NeverReads, hostile.Options{}),
			class:   engine.ClassTimeout,
			err:     `timeout after 500ms while reading the response head: got 0 bytes`,
			verdict: engine.ErrNoAnswer,
		},
		{
			name:    "a reset after reading, from a target that never answered HTTP, may be a TLS port",
			target:  hostileURL(hostile.ResetAfterRead, hostile.Options{}),
			class:   engine.ClassReset,
			err:     regexp.QuoteMeta("the connection was reset without an answer" + tlsHint),
			verdict: engine.ErrNoAnswer,
		},
		{
			name:    "a TLS port addressed as http",
			target:  hostileURL(hostile.TLSForHTTP, hostile.Options{}),
			class:   engine.ClassReset,
			err:     `the connection (closed|was reset) without an answer` + regexp.QuoteMeta(tlsHint),
			verdict: engine.ErrNoAnswer,
		},
		{
			name:    "a plain port addressed as https",
			target:  hostileURL(hostile.HTTPForTLS, hostile.Options{}),
			class:   engine.ClassTLS,
			err:     regexp.QuoteMeta("http: server gave HTTP response to HTTPS client (is the target http://?)"),
			verdict: engine.ErrNoAnswer,
		},
		{
			name:    "garbage instead of HTTP",
			target:  hostileURL(hostile.Garbage, hostile.Options{}),
			class:   engine.ClassProtocol,
			err:     regexp.QuoteMeta(`malformed HTTP status code "not"`),
			verdict: engine.ErrNoAnswer,
		},
		{
			name:    "a megabyte of headers",
			target:  hostileURL(hostile.HugeHead, hostile.Options{}),
			class:   engine.ClassProtocol,
			err:     `response head longer than 65536 bytes`,
			verdict: engine.ErrNoAnswer,
		},
		{
			name:    "informational answers without end",
			target:  hostileURL(hostile.InformationalStorm, hostile.Options{}),
			class:   engine.ClassProtocol,
			err:     `more than 5 1xx informational responses`,
			verdict: engine.ErrNoAnswer,
		},
		{
			name:    "a status line cut short",
			target:  answerAndClose("HTTP/1.1 2"),
			class:   engine.ClassReset,
			err:     `the connection closed while reading the response head: got 10 bytes`,
			verdict: engine.ErrNoAnswer,
		},
		{
			name:   "a body cut short",
			target: answerAndClose("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"),
			class:  engine.ClassReset,
			status: 200,
			err:    `200 OK, then the connection closed while reading the body: got 3 bytes`,
		},
		{
			name:   "a body that stalls",
			target: answer("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"),
			class:  engine.ClassTimeout,
			status: 200,
			err:    `200 OK, then timeout after 500ms while reading the body: got 3 bytes`,
		},
		{
			name:   "broken chunked framing",
			target: answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
			class:  engine.ClassProtocol,
			status: 200,
			err:    `200 OK, then .*chunk.*`,
		},
		{
			name:    "nothing listening",
			target:  refusedURL,
			class:   engine.ClassRefused,
			err:     `connection refused`,
			verdict: engine.ErrUnreachable,
		},
		{
			name:   "a redirect is an answer",
			target: hostileURL(hostile.RedirectLoop, hostile.Options{}),
			class:  engine.ClassRedirect,
			status: 302,
			err:    `302 Found to http://127\.0\.0\.1:\d+/webhook \(redirects are not followed\)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := engine.Options{Target: tt.target, Timeout: timeout, Insecure: strings.HasPrefix(tt.target, "https:")}
			report, err := engine.Run(context.Background(), opts, makePayloads(1))
			require.NoError(t, err)
			a := report.Results[0].Attempts[0]
			assert.Equal(t, tt.class, a.Class, a.Err)
			assert.Equal(t, tt.status, a.Status)
			assert.Regexp(t, "^"+tt.err+"$", a.Err)
			verdict := a.NoAnswer(tt.target)
			if tt.verdict == nil {
				assert.NoError(t, verdict)
				return
			}
			assert.ErrorIs(t, verdict, tt.verdict)
			assert.Equal(t, tt.verdict.Error()+": "+tt.target+": "+a.Err, verdict.Error())
		})
	}
}

// TestResetAfterAnswersHasNoTLSHint: once a target has answered HTTP it is no TLS port, so a reset
// later is blamed on the receiver alone.
func TestResetAfterAnswersHasNoTLSHint(t *testing.T) {
	var answered atomic.Bool
	target := rawServer(t, func(conn net.Conn, r *bufio.Reader) {
		readHead(r)
		_, _ = io.CopyN(io.Discard, r, int64(len("m0000")))
		if answered.CompareAndSwap(false, true) {
			_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			return
		}
		_ = conn.(*net.TCPConn).SetLinger(0)
	})
	e, err := engine.New(engine.Options{Target: target})
	require.NoError(t, err)
	defer e.Close()
	report, err := e.Run(context.Background(), makePayloads(2))
	require.NoError(t, err)
	require.Equal(t, 1, report.Summary.Acked, report.Results)
	a := report.Results[1].Attempts[0]
	assert.Equal(t, engine.ClassReset, a.Class, a.Err)
	assert.Equal(t, "the connection was reset without an answer (did the receiver crash?)", a.Err)
}
