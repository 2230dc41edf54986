package engine_test

import (
	"bufio"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/engine"
)

func TestNewRejectsBadOptions(t *testing.T) {
	const target = "http://127.0.0.1:1/webhook"
	tests := []struct {
		name  string
		opts  engine.Options
		field string // the field the FieldError names
	}{
		{"no target", engine.Options{}, "Target"},
		{"ftp scheme", engine.Options{Target: "ftp://127.0.0.1/x"}, "Target"},
		{"no scheme", engine.Options{Target: "127.0.0.1:8080/webhook"}, "Target"},
		{"no host", engine.Options{Target: "http:///webhook"}, "Target"},
		{"unparsable", engine.Options{Target: "http://[::1/x"}, "Target"},
		{"non-ASCII host", engine.Options{Target: "http://bücher.example/webhook"}, "Target"},
		{"negative timeout", engine.Options{Target: target, Timeout: -time.Second}, "Timeout"},
		{"negative workers", engine.Options{Target: target, Workers: -1}, "Workers"},
		{"negative rate", engine.Options{Target: target, Rate: -1}, "Rate"},
		{"negative time scale", engine.Options{Target: target, TimeScale: -0.5}, "TimeScale"},
		{"duplicates above 1", engine.Options{Target: target, Duplicates: 1.5}, "Duplicates"},
		{"negative retry", engine.Options{Target: target, Retries: []time.Duration{time.Minute, -time.Minute}}, "Retries"},
		{"insecure with CA file", engine.Options{Target: target, Insecure: true, CAFile: "ca.pem"}, "Insecure"},
		{"insecure with root CAs", engine.Options{Target: target, Insecure: true, RootCAs: x509.NewCertPool()}, "Insecure"},
		{"missing CA file", engine.Options{Target: target, CAFile: filepath.Join(t.TempDir(), "missing.pem")}, "CAFile"},
		{"CA file is a directory", engine.Options{Target: target, CAFile: t.TempDir()}, "CAFile"},
		{"too many workers", engine.Options{Target: target, Workers: engine.MaxWorkers + 1}, "Workers"},
		{"absurdly many workers", engine.Options{Target: target, Workers: 100_000_000_000}, "Workers"},
		{"negative body budget", engine.Options{Target: target, BodyBudget: -1}, "BodyBudget"},
		{"header name not a token", engine.Options{Target: target, Header: http.Header{"X(bad": {"v"}}}, "Header"},
		{"control character in a header value", engine.Options{Target: target, Header: http.Header{"Authorization": {"a\x01b"}}}, "Header"},
		{"line break in a header value", engine.Options{Target: target, Header: http.Header{"X-A": {"a\r\nX-B: c"}}}, "Header"},
		{"Host with a space", engine.Options{Target: target, Header: http.Header{"Host": {"bad host"}}}, "Header"},
		{"empty Host", engine.Options{Target: target, Header: http.Header{"Host": {""}}}, "Header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := engine.New(tt.opts)
			require.ErrorIs(t, err, engine.ErrBadOptions)
			assert.Nil(t, e)
			var oe *engine.FieldError
			require.ErrorAs(t, err, &oe)
			assert.Equal(t, tt.field, oe.Field)
			assert.Equal(t, "bad delivery options: "+tt.field+": "+oe.Err.Error(), err.Error())
		})
	}

	t.Run("message", func(t *testing.T) {
		_, err := engine.New(engine.Options{Target: target, Workers: engine.MaxWorkers + 1})
		assert.EqualError(t, err, "bad delivery options: Workers: 257, at most 256")
	})
	t.Run("CA file without certificates", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "ca.pem")
		require.NoError(t, os.WriteFile(path, []byte("not a certificate\n"), 0o600))
		_, err := engine.New(engine.Options{Target: target, CAFile: path})
		require.ErrorIs(t, err, engine.ErrBadOptions)
		assert.EqualError(t, err, "bad delivery options: CAFile: "+path+" holds no PEM certificate")
	})
	t.Run("CA file larger than the limit", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "huge.pem")
		require.NoError(t, os.WriteFile(path, make([]byte, engine.CAFileLimit+1), 0o600))
		_, err := engine.New(engine.Options{Target: target, CAFile: path})
		require.ErrorIs(t, err, engine.ErrBadOptions)
		assert.Contains(t, err.Error(), "is larger than 4194304 bytes")
	})
	t.Run("missing CA file keeps the cause", func(t *testing.T) {
		_, err := engine.New(engine.Options{Target: target, CAFile: filepath.Join(t.TempDir(), "missing.pem")})
		require.ErrorIs(t, err, fs.ErrNotExist)
	})
}

func TestHeadersArriveAsGiven(t *testing.T) {
	const auth = `Basic dXNlcjpw YXNz==; realm="a,b" +/=%~!#$&*中文`
	tests := []struct {
		name    string
		header  http.Header // Options.Header
		payload engine.Payload
		check   func(t *testing.T, h hit)
	}{
		{
			name:    "default content type",
			payload: engine.Payload{Body: []byte("{}")},
			check: func(t *testing.T, h hit) {
				assert.Equal(t, []string{"application/json"}, h.Header.Values("Content-Type"))
			},
		},
		{
			name:    "payload content type wins",
			header:  http.Header{"Content-Type": {"text/plain"}},
			payload: engine.Payload{Body: []byte("{}"), ContentType: "application/json; charset=utf-8"},
			check: func(t *testing.T, h hit) {
				assert.Equal(t, []string{"application/json; charset=utf-8"}, h.Header.Values("Content-Type"))
			},
		},
		{
			name:    "content type from the options header",
			header:  http.Header{"content-type": {"text/plain"}},
			payload: engine.Payload{Body: []byte("{}")},
			check: func(t *testing.T, h hit) {
				assert.Equal(t, []string{"text/plain"}, h.Header.Values("Content-Type"))
			},
		},
		{
			name: "provider and auth headers verbatim",
			header: http.Header{
				"User-Agent":    {"InnoPaaS-Webhook/1.0"},
				"UserName":      {"IW1 account"},
				"Authorization": {auth},
				"X-Multi":       {"one", "two"},
			},
			payload: engine.Payload{Body: []byte("{}")},
			check: func(t *testing.T, h hit) {
				assert.Equal(t, []string{"InnoPaaS-Webhook/1.0"}, h.Header.Values("User-Agent"))
				assert.Equal(t, []string{"IW1 account"}, h.Header.Values("Username"))
				assert.Equal(t, []string{auth}, h.Header.Values("Authorization"))
				assert.Equal(t, []string{"one", "two"}, h.Header.Values("X-Multi"))
				assert.Empty(t, h.Header.Values("Accept-Encoding"), "no header the caller did not ask for")
			},
		},
		{
			name:    "payload header replaces the options header of any case",
			header:  http.Header{"X-Signature": {"run-wide"}, "X-Keep": {"kept"}},
			payload: engine.Payload{Body: []byte("{}"), Header: http.Header{"x-signature": {"per-payload"}}},
			check: func(t *testing.T, h hit) {
				assert.Equal(t, []string{"per-payload"}, h.Header.Values("X-Signature"))
				assert.Equal(t, []string{"kept"}, h.Header.Values("X-Keep"))
			},
		},
		{
			name:    "payload keys that differ only in case are all sent",
			header:  http.Header{"X-A": {"run-wide"}},
			payload: engine.Payload{Body: []byte("{}"), Header: http.Header{"X-A": {"one"}, "x-a": {"two"}}},
			check: func(t *testing.T, h hit) {
				// In key order, whatever the map's: X-A before x-a.
				assert.Equal(t, []string{"one", "two"}, h.Header.Values("X-A"))
			},
		},
		{
			name:    "host header sets the request host",
			header:  http.Header{"host": {"receiver.example"}},
			payload: engine.Payload{Body: []byte("{}")},
			check: func(t *testing.T, h hit) {
				assert.Equal(t, "receiver.example", h.Host)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			srv := serve(t, rec)
			report, err := engine.Run(context.Background(), engine.Options{Target: srv.URL, Header: tt.header},
				[]engine.Payload{tt.payload})
			require.NoError(t, err)
			require.Equal(t, 1, report.Summary.Acked)
			hits := rec.Hits()
			require.Len(t, hits, 1)
			assert.Equal(t, string(tt.payload.Body), hits[0].ID)
			tt.check(t, hits[0])
		})
	}
}

// TestHeaderKeysVerbatim reads the request off the wire, because net/http's server would canonicalise
// "UserName" to "Username" before a handler saw it.
func TestHeaderKeysVerbatim(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	raw := make(chan string, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			raw <- ""
			return
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		var head strings.Builder
		for {
			line, err := r.ReadString('\n')
			head.WriteString(line)
			if err != nil || line == "\r\n" {
				break
			}
		}
		raw <- head.String()
		_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
	}()

	header := http.Header{"UserName": {"alice"}, "x-lower": {"v"}}
	report, err := engine.Run(context.Background(), engine.Options{Target: "http://" + ln.Addr().String(), Header: header},
		makePayloads(1))
	require.NoError(t, err)
	assert.Equal(t, 1, report.Summary.Acked)
	head := <-raw
	assert.Contains(t, head, "\r\nUserName: alice\r\n")
	assert.Contains(t, head, "\r\nx-lower: v\r\n")
	assert.Contains(t, head, "\r\nContent-Type: application/json\r\n")
	assert.True(t, strings.HasPrefix(head, "POST / HTTP/1.1\r\n"), head)
}

func TestErrorClasses(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	var redirected atomic.Int32
	elsewhere := serve(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { redirected.Add(1) }))

	refused, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	refusedURL := "http://" + refused.Addr().String()
	require.NoError(t, refused.Close())

	tests := []struct {
		name    string
		handler http.HandlerFunc // nil: use target
		target  string
		status  int
		class   engine.ErrorClass
	}{
		{
			name:    "2xx acks",
			handler: func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusAccepted) },
			status:  http.StatusAccepted,
			class:   engine.ClassNone,
		},
		{
			name:    "500",
			handler: func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "boom", http.StatusInternalServerError) },
			status:  http.StatusInternalServerError,
			class:   engine.ClassHTTPStatus,
		},
		{
			name: "302 is not followed",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, elsewhere.URL, http.StatusFound)
			},
			status: http.StatusFound,
			class:  engine.ClassRedirect,
		},
		{
			name: "no answer times out",
			handler: func(_ http.ResponseWriter, r *http.Request) {
				// Only once the body is read does the server notice the client hanging up.
				_, _ = io.Copy(io.Discard, r.Body)
				select {
				case <-r.Context().Done():
				case <-release:
				}
			},
			class: engine.ClassTimeout,
		},
		{
			name: "connection closed without an answer",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				conn, _, err := http.NewResponseController(w).Hijack()
				if assert.NoError(t, err) {
					conn.Close()
				}
			},
			class: engine.ClassReset,
		},
		{
			name: "connection reset",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				conn, _, err := http.NewResponseController(w).Hijack()
				if assert.NoError(t, err) {
					_ = conn.(*net.TCPConn).SetLinger(0) // close with RST
					conn.Close()
				}
			},
			class: engine.ClassReset,
		},
		{
			name:   "connection refused",
			target: refusedURL,
			class:  engine.ClassRefused,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := tt.target
			if tt.handler != nil {
				target = serve(t, tt.handler).URL
			}
			start := time.Now()
			report, err := engine.Run(context.Background(),
				engine.Options{Target: target, Timeout: 200 * time.Millisecond}, makePayloads(1))
			require.NoError(t, err)
			assert.Less(t, time.Since(start), 2*time.Second)
			require.Len(t, report.Results, 1)
			res := report.Results[0]
			require.Len(t, res.Attempts, 1)
			a := res.Attempts[0]
			assert.Equal(t, tt.class, a.Class, a.Err)
			assert.Equal(t, tt.status, a.Status)
			if tt.class == engine.ClassNone {
				assert.Equal(t, engine.Acked, res.Outcome)
				assert.Empty(t, a.Err)
			} else {
				assert.Equal(t, engine.Failed, res.Outcome)
				assert.NotEmpty(t, a.Err)
				assert.Equal(t, 1, report.Summary.Errors[tt.class])
			}
			if tt.class == engine.ClassTimeout {
				assert.GreaterOrEqual(t, a.Latency, 200*time.Millisecond)
			}
		})
	}
	assert.Zero(t, redirected.Load(), "the redirect target was hit")
}

func TestResponseBodyCappedAt64KiB(t *testing.T) {
	endless := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 32<<10))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	exact := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, strings.Repeat("y", engine.MaxResponseBody))
	}))

	start := time.Now()
	report, err := engine.Run(context.Background(), engine.Options{Target: endless.URL}, makePayloads(1))
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 2*time.Second, "must not wait for the 10s timeout")
	a := report.Results[0].Attempts[0]
	assert.Len(t, a.Body, 65536)
	assert.True(t, a.BodyTruncated)
	assert.Equal(t, engine.ClassNone, a.Class, "a 200 is an ack however long its body")

	report, err = engine.Run(context.Background(), engine.Options{Target: exact.URL}, makePayloads(1))
	require.NoError(t, err)
	a = report.Results[0].Attempts[0]
	assert.Len(t, a.Body, 65536)
	assert.False(t, a.BodyTruncated, "a body of exactly the cap is whole")
}

func TestResponseBodyKept(t *testing.T) {
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"error":"bad signature"}`, http.StatusUnauthorized)
	}))
	report, err := engine.Run(context.Background(), engine.Options{Target: srv.URL}, makePayloads(1))
	require.NoError(t, err)
	a := report.Results[0].Attempts[0]
	assert.Equal(t, "{\"error\":\"bad signature\"}\n", string(a.Body))
	assert.Equal(t, "401 Unauthorized", a.Err)
	assert.Equal(t, len("m0000"), a.RequestBytes)
}

// TestConnectionsReused checks keep-alive: small answers are read whole, so their connections serve
// the next request, and Workers bounds the connections opened.
func TestConnectionsReused(t *testing.T) {
	for _, workers := range []int{1, 4} {
		srv, opened := countingServer(t)
		report, err := engine.Run(context.Background(), engine.Options{Target: srv.URL, Workers: workers},
			makePayloads(40))
		require.NoError(t, err)
		assert.Equal(t, 40, report.Summary.Acked)
		assert.LessOrEqual(t, int(opened.Load()), workers, "workers=%d", workers)
	}
}

func TestTLS(t *testing.T) {
	srv := serveTLS(t, okHandler)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile,
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))

	loaded, err := engine.LoadCAFile(caFile)
	require.NoError(t, err)

	tests := []struct {
		name  string
		opts  engine.Options
		class engine.ErrorClass
	}{
		{"self-signed rejected by default", engine.Options{}, engine.ClassTLS},
		{"insecure", engine.Options{Insecure: true}, engine.ClassNone},
		{"server certificate as CA file", engine.Options{CAFile: caFile}, engine.ClassNone},
		{"server certificate as root CA", engine.Options{RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}, engine.ClassNone},
		{"CA file loaded once as root CAs", engine.Options{RootCAs: loaded}, engine.ClassNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Target = srv.URL
			report, err := engine.Run(context.Background(), tt.opts, makePayloads(1))
			require.NoError(t, err)
			a := report.Results[0].Attempts[0]
			assert.Equal(t, tt.class, a.Class, a.Err)
		})
	}

	t.Run("https to a plain http receiver", func(t *testing.T) {
		plain := serve(t, okHandler)
		report, err := engine.Run(context.Background(),
			engine.Options{Target: strings.Replace(plain.URL, "http:", "https:", 1)}, makePayloads(1))
		require.NoError(t, err)
		a := report.Results[0].Attempts[0]
		assert.Equal(t, engine.ClassTLS, a.Class, a.Err)
	})
}

// TestLoadCAFile: LoadCAFile refuses what Options.CAFile refuses, with the same words.
func TestLoadCAFile(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.pem")
	require.NoError(t, os.WriteFile(empty, []byte("not a certificate\n"), 0o600))
	huge := filepath.Join(dir, "huge.pem")
	require.NoError(t, os.WriteFile(huge, make([]byte, engine.CAFileLimit+1), 0o600))
	tests := []struct {
		name, path, wantErr string
	}{
		{"missing", filepath.Join(dir, "missing.pem"), "stat " + filepath.Join(dir, "missing.pem") + ": no such file or directory"},
		{"a directory", dir, "open " + dir + ": a directory, not a regular file"},
		{"no certificate", empty, empty + " holds no PEM certificate"},
		{"too large", huge, huge + " is larger than 4194304 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool, err := engine.LoadCAFile(tt.path)
			assert.Nil(t, pool)
			assert.EqualError(t, err, tt.wantErr)
			_, err = engine.New(engine.Options{Target: "https://127.0.0.1:1/", CAFile: tt.path})
			assert.EqualError(t, err, "bad delivery options: CAFile: "+tt.wantErr)
		})
	}
}

func TestRunAfterClose(t *testing.T) {
	e, err := engine.New(engine.Options{Target: "http://127.0.0.1:1"})
	require.NoError(t, err)
	e.Close()
	_, err = e.Run(context.Background(), makePayloads(1))
	require.True(t, errors.Is(err, engine.ErrClosed), err)
}
