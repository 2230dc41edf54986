package engine_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/engine"
)

// rawServer accepts connections on 127.0.0.1 and hands each to handle, for answers net/http's server
// would not give. It returns the target URL; everything is closed when the test ends.
func rawServer(t *testing.T, handle func(conn net.Conn, r *bufio.Reader)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				handle(conn, bufio.NewReader(conn))
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// readHead reads a request's head, up to and including its blank line.
func readHead(r *bufio.Reader) string {
	var head strings.Builder
	for {
		line, err := r.ReadString('\n')
		head.WriteString(line)
		if err != nil || line == "\r\n" {
			return head.String()
		}
	}
}

// TestRequestOnTheWire pins the exact bytes of a request head: net/http's order (Host, User-Agent,
// Content-Length, then the other headers sorted), names as spelled, nothing added.
func TestRequestOnTheWire(t *testing.T) {
	heads := make(chan string, 1)
	target := rawServer(t, func(conn net.Conn, r *bufio.Reader) {
		heads <- readHead(r)
		_, _ = io.CopyN(io.Discard, r, 5)
		_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	})
	header := http.Header{
		"UserName":   {"alice"},
		"x-lower":    {" padded\t"},
		"X-Multi":    {"one", "two"},
		"User-Agent": {"InnoPaaS-Webhook/1.0"},
	}
	payload := engine.Payload{ID: "m1", Body: []byte("hello"), ContentType: "application/json; charset=utf-8"}
	report, err := engine.Run(context.Background(),
		engine.Options{Target: target + "/webhook?token=a%20b", Header: header}, []engine.Payload{payload})
	require.NoError(t, err)
	require.Equal(t, 1, report.Summary.Acked, report.Results[0].Attempts[0].Err)
	host := strings.TrimPrefix(target, "http://")
	assert.Equal(t, "POST /webhook?token=a%20b HTTP/1.1\r\n"+
		"Host: "+host+"\r\n"+
		"User-Agent: InnoPaaS-Webhook/1.0\r\n"+
		"Content-Length: 5\r\n"+
		"Content-Type: application/json; charset=utf-8\r\n"+
		"UserName: alice\r\n"+
		"X-Multi: one\r\n"+
		"X-Multi: two\r\n"+
		"x-lower: padded\r\n"+
		"\r\n", <-heads)
}

func TestUserAgent(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
		want   []string
	}{
		{"Go's when none is given", nil, []string{"Go-http-client/1.1"}},
		{"as given, in any case", http.Header{"user-agent": {"provider/2"}}, []string{"provider/2"}},
		{"none when given empty", http.Header{"User-Agent": {""}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			srv := serve(t, rec)
			_, err := engine.Run(context.Background(), engine.Options{Target: srv.URL, Header: tt.header}, makePayloads(1))
			require.NoError(t, err)
			require.Len(t, rec.Hits(), 1)
			assert.Equal(t, tt.want, rec.Hits()[0].Header.Values("User-Agent"))
		})
	}
}

func TestBasicAuthFromTargetURL(t *testing.T) {
	rec := &recorder{}
	srv := serve(t, rec)
	target := strings.Replace(srv.URL, "http://", "http://hook-user:p%40ss@", 1)

	_, err := engine.Run(context.Background(), engine.Options{Target: target}, makePayloads(1))
	require.NoError(t, err)
	_, err = engine.Run(context.Background(),
		engine.Options{Target: target, Header: http.Header{"authorization": {"Bearer given"}}}, makePayloads(1))
	require.NoError(t, err)

	hits := rec.Hits()
	require.Len(t, hits, 2)
	req := &http.Request{Header: hits[0].Header}
	user, pass, ok := req.BasicAuth()
	assert.True(t, ok)
	assert.Equal(t, "hook-user", user)
	assert.Equal(t, "p@ss", pass)
	assert.Equal(t, []string{"Bearer given"}, hits[1].Header.Values("Authorization"), "a given Authorization wins")
}

// TestUnsendableHeaders: a payload header that would break the request's framing, or a Host that is
// not host[:port], fails the payload's only attempt without sending anything; it is not retried,
// since it would fail the same way. The other payloads go out. The same header in Options.Header is
// refused by New, for the same reason in the same words: the engine has one header check, and a
// header is sendable in both places or in neither.
func TestUnsendableHeaders(t *testing.T) {
	tests := []struct {
		name    string
		header  http.Header
		wantErr string // "" when the header is sent
	}{
		{"line break in a value", http.Header{"X-Sig": {"a\r\nX-Injected: 1"}}, "X-Sig: control character 0x0d at byte 1 of the value"},
		{"control character in a value", http.Header{"X-Sig": {"ok", "a\x01b"}}, "X-Sig: control character 0x01 at byte 1 of the value"},
		{"control character in the User-Agent", http.Header{"user-agent": {"a\x7f"}}, "user-agent: control character 0x7f at byte 1 of the value"},
		{"control character in an ignored Content-Length", http.Header{"Content-Length": {"1\n"}}, "Content-Length: control character 0x0a at byte 1 of the value"},
		{"space in a name", http.Header{"X Sig": {"a"}}, `name "X Sig" is not a token: use letters, digits and !#$%&'*+-.^_` + "`|~"},
		{"parenthesis in a name", http.Header{"X(bad": {"v"}}, `name "X(bad" is not a token: use letters, digits and !#$%&'*+-.^_` + "`|~"},
		{"slash in the Host", http.Header{"Host": {"a/b"}}, `Host "a/b" is not host[:port]`},
		{"space in the Host", http.Header{"Host": {"bad host"}}, `Host "bad host" is not host[:port]`},
		{"empty Host", http.Header{"Host": {""}}, "Host is empty: leave it out to send the target's"},
		{"blank Host", http.Header{"host": {" "}}, "Host is empty: leave it out to send the target's"},
		{"Host without a value", http.Header{"Host": nil}, "Host is empty: leave it out to send the target's"},
		{"first bad line in name order", http.Header{"Z(": {"v"}, "A": {"x\ny"}}, "A: control character 0x0a at byte 1 of the value"},
		{"a good Host", http.Header{"Host": {"receiver.example:8080"}}, ""},
		{"an empty User-Agent", http.Header{"User-Agent": {""}}, ""},
		{"an empty value", http.Header{"X-Empty": {""}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			srv := serve(t, rec)
			opts := engine.Options{Target: srv.URL, Retries: []time.Duration{time.Millisecond, time.Millisecond}}

			payloads := makePayloads(2)
			payloads[0].Header = tt.header
			report, err := engine.Run(context.Background(), opts, payloads)
			require.NoError(t, err)
			assert.Equal(t, engine.Acked, report.Results[1].Outcome)
			res := report.Results[0]

			withOpts := opts
			withOpts.Header = tt.header
			_, newErr := engine.New(withOpts)
			if tt.wantErr == "" {
				assert.NoError(t, newErr)
				assert.Equal(t, engine.Acked, res.Outcome, "attempts: %+v", res.Attempts)
				assert.Equal(t, []string{"m0000", "m0001"}, rec.IDs())
				return
			}
			assert.Equal(t, engine.Failed, res.Outcome)
			require.Len(t, res.Attempts, 1, "not retried: nothing would change")
			assert.Equal(t, engine.ClassOther, res.Attempts[0].Class)
			assert.Equal(t, fmt.Sprintf("header: %s; nothing was sent, and it is not retried", tt.wantErr), res.Attempts[0].Err)
			assert.Equal(t, []string{"m0001"}, rec.IDs())
			assert.EqualError(t, newErr, "bad delivery options: Header: "+tt.wantErr)
		})
	}
}

// TestIdleConnectionClosedByReceiver: a connection the receiver closed while it sat idle is not used
// again, so the next delivery succeeds on a new one instead of failing as a reset.
func TestIdleConnectionClosedByReceiver(t *testing.T) {
	srv, opened := countingServer(t)
	e, err := engine.New(engine.Options{Target: srv.URL, Workers: 2})
	require.NoError(t, err)
	defer e.Close()

	for round := range 3 {
		report, err := e.Run(context.Background(), makePayloads(4))
		require.NoError(t, err)
		assert.Equal(t, 4, report.Summary.Acked, "round %d: %v", round, report.Summary.Errors)
		srv.CloseClientConnections()
	}
	assert.LessOrEqual(t, int(opened.Load()), 6, "two connections per round at most")
}

// TestCancelInterruptsPromptly: the end of the run's context cuts a request in flight, over http and
// https, though the receiver never answers: the attempt ends cancelled before its timeout, a minute,
// the only other thing that could end it. (A tighter bound would be a speed goal, and flake on a
// loaded machine.)
func TestCancelInterruptsPromptly(t *testing.T) {
	for _, scheme := range []string{"http", "https"} {
		t.Run(scheme, func(t *testing.T) {
			arrived := make(chan struct{}, 1)
			hang := http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				arrived <- struct{}{}
				<-r.Context().Done()
			})
			srv := serve(t, hang)
			if scheme == "https" {
				srv = serveTLS(t, hang)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				<-arrived
				cancel()
			}()
			report, err := engine.Run(ctx, engine.Options{Target: srv.URL, Insecure: scheme == "https", Timeout: time.Minute}, makePayloads(3))
			require.ErrorIs(t, err, context.Canceled)
			s := report.Summary
			assert.Equal(t, 3, s.Cancelled)
			assert.Equal(t, s.Scheduled, s.Acked+s.Failed+s.Cancelled)
			a := report.Results[0].Attempts[0]
			assert.Equal(t, engine.ClassCancelled, a.Class)
			assert.Contains(t, a.Err, "context canceled")
			assert.Less(t, a.Latency, time.Minute, "cut by the cancellation, not by the timeout")
		})
	}
}

// TestResponseHeads covers answers whose head is unusual: informational answers first, or a head that
// never ends.
func TestResponseHeads(t *testing.T) {
	t.Run("1xx answers are skipped", func(t *testing.T) {
		target := rawServer(t, func(conn net.Conn, r *bufio.Reader) {
			readHead(r)
			_, _ = io.CopyN(io.Discard, r, 5)
			_, _ = io.WriteString(conn, "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"+
				"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")
		})
		report, err := engine.Run(context.Background(), engine.Options{Target: target}, makePayloads(1))
		require.NoError(t, err)
		a := report.Results[0].Attempts[0]
		assert.Equal(t, engine.ClassNone, a.Class, a.Err)
		assert.Equal(t, 201, a.Status)
		assert.Equal(t, "ok", string(a.Body))
	})
	t.Run("a head that never ends", func(t *testing.T) {
		target := rawServer(t, func(conn net.Conn, r *bufio.Reader) {
			readHead(r)
			_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\n")
			line := "X-Filler: " + strings.Repeat("f", 1000) + "\r\n"
			for {
				if _, err := io.WriteString(conn, line); err != nil {
					return
				}
			}
		})
		start := time.Now()
		report, err := engine.Run(context.Background(), engine.Options{Target: target}, makePayloads(1))
		require.NoError(t, err)
		assert.Less(t, time.Since(start), 2*time.Second, "must not wait for the 10s timeout")
		a := report.Results[0].Attempts[0]
		assert.Equal(t, engine.ClassProtocol, a.Class, a.Err)
		assert.Equal(t, "response head longer than 65536 bytes", a.Err)
	})
}

// TestAnswerBeforeBodyRead: a receiver that refuses a large body with a 413 without reading it is
// recorded with its status, not as a broken connection.
func TestAnswerBeforeBodyRead(t *testing.T) {
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
	}))
	payload := engine.Payload{ID: "big", Body: []byte(strings.Repeat("x", 8<<20))}
	report, err := engine.Run(context.Background(), engine.Options{Target: srv.URL}, []engine.Payload{payload})
	require.NoError(t, err)
	a := report.Results[0].Attempts[0]
	assert.Equal(t, engine.ClassHTTPStatus, a.Class, a.Err)
	assert.Equal(t, http.StatusRequestEntityTooLarge, a.Status)
}

// TestCloseClosesConnections: no connection stays open once the engine is closed, including those in
// use when Close was called.
func TestCloseClosesConnections(t *testing.T) {
	var open atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/slow") {
			<-release
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			open.Add(1)
		case http.StateClosed, http.StateHijacked:
			open.Add(-1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})

	_, err := engine.Run(context.Background(), engine.Options{Target: srv.URL, Workers: 4}, makePayloads(20))
	require.NoError(t, err)
	assert.Eventually(t, func() bool { return open.Load() == 0 }, time.Second, 5*time.Millisecond, "after Run")

	e, err := engine.New(engine.Options{Target: srv.URL + "/slow", Workers: 2})
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, err := e.Run(context.Background(), makePayloads(2))
		assert.NoError(t, err)
	}()
	require.Eventually(t, func() bool { return open.Load() == 2 }, time.Second, 5*time.Millisecond)
	e.Close()
	close(release)
	<-done
	assert.Eventually(t, func() bool { return open.Load() == 0 }, time.Second, 5*time.Millisecond, "after a run that outlived Close")
}
