package main

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/delivery"
	"github.com/wahook/wahook/internal/hooktest"
	"github.com/wahook/wahook/internal/server"
)

var listeningLine = regexp.MustCompile(`(?m)^wahook serve: listening on (http://127\.0\.0\.1:\d+) \(page at /, media at /media, control at /v1\)$`)

// serving is `wahook serve` running in the background.
type serving struct {
	url            string
	stdout, stderr *hooktest.Buffer
	stop           context.CancelFunc
	code           chan int
}

// startServe runs wahook serve with args on a free port and waits for its listening line.
func startServe(t *testing.T, args ...string) *serving {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	s := &serving{stdout: &hooktest.Buffer{}, stderr: &hooktest.Buffer{}, stop: cancel, code: make(chan int, 1)}
	go func() {
		s.code <- run(ctx, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...), strings.NewReader(""), s.stdout, s.stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.code:
		case <-time.After(10 * time.Second):
			t.Error("wahook serve did not stop")
		}
	})
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		m := listeningLine.FindStringSubmatch(s.stdout.String())
		if assert.NotNil(c, m, "stdout: %q, stderr: %q", s.stdout.String(), s.stderr.String()) {
			s.url = m[1]
		}
	}, 10*time.Second, 5*time.Millisecond)
	t.Logf("wahook serve at %s", s.url)
	return s
}

// shutdown cancels the command's context, as SIGINT does, and returns its exit code.
func (s *serving) shutdown(t *testing.T) int {
	t.Helper()
	s.stop()
	select {
	case code := <-s.code:
		s.code <- code // for the cleanup
		return code
	case <-time.After(5 * time.Second):
		t.Fatal("wahook serve did not exit within 5s of the interrupt")
		return -1
	}
}

// serveReceiver is an httptest receiver counting the webhooks it gets.
func serveReceiver(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		hits.Add(1)
		if h != nil {
			h(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestServe(t *testing.T) {
	rec, hits := serveReceiver(t, nil)
	s := startServe(t)
	c := &http.Client{Transport: &http.Transport{}}
	defer c.CloseIdleConnections()

	resp, err := c.Get(s.url + "/healthz")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"status":"ok"}`, string(body))

	resp, err = c.Post(s.url+"/v1/send", "application/json", strings.NewReader(`{"target":"`+rec.URL+`","provider":"innopaas","types":["text","image"]}`))
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "answer: %s", body)
	var sr server.SendResponse
	require.NoError(t, json.Unmarshal(body, &sr))
	assert.Len(t, sr.Results, 2)
	assert.Equal(t, 2, sr.Summary.Acked)
	assert.Equal(t, int32(2), hits.Load())

	assert.Equal(t, 0, s.shutdown(t), "stderr: %s", s.stderr.String())
	assert.Contains(t, s.stderr.String(), "POST /v1/send 200", "one line per control request")
	assert.True(t, strings.HasSuffix(s.stderr.String(), "wahook serve: shutdown: 0 in flight cancelled, 0 of them waiting for a retry\n"), "stderr: %s", s.stderr.String())
	assert.Equal(t, 1, strings.Count(s.stdout.String(), "\n"), "one line on start: %q", s.stdout.String())
}

func TestServeTimer(t *testing.T) {
	rec, hits := serveReceiver(t, nil)
	s := startServe(t, "--target", rec.URL, "--every", "20ms", "--provider", "itniotech", "--type", "text,image", "--quiet")
	assert.Contains(t, s.stdout.String(), "wahook serve: delivering one itniotech webhook every 20ms to "+rec.URL+"\n")
	require.Eventually(t, func() bool { return hits.Load() >= 3 }, 10*time.Second, 5*time.Millisecond)
	assert.Equal(t, 0, s.shutdown(t))
	assert.Regexp(t, `^wahook serve: shutdown: \d+ in flight cancelled, 0 of them waiting for a retry\n$`, s.stderr.String(), "quiet: no request lines")
}

// TestServeTimerCredentials: the timed deliveries carry --auth-user, --auth-token and --header, so
// they reach a receiver that checks credentials.
func TestServeTimerCredentials(t *testing.T) {
	var mu sync.Mutex
	var got []http.Header
	rec, hits := serveReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Clone())
		mu.Unlock()
		if r.Header.Get("UserName") != "acme" || r.Header.Get("Authorization") != "Bearer s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	})
	s := startServe(t, "--target", rec.URL, "--every", "1h", "--type", "text", "--quiet",
		"--auth-user", "acme", "--auth-token", "Bearer s3cret", "-H", "X-Env: dev", "-H", "x-env: ci")
	require.Eventually(t, func() bool { return hits.Load() >= 1 }, 10*time.Second, 5*time.Millisecond)
	c := &http.Client{Transport: &http.Transport{}}
	defer c.CloseIdleConnections()
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		resp, err := c.Get(s.url + "/v1/deliveries?status=acked")
		if !assert.NoError(ct, err) {
			return
		}
		defer resp.Body.Close()
		var list server.DeliveriesResponse
		assert.NoError(ct, json.NewDecoder(resp.Body).Decode(&list))
		assert.Len(ct, list.Deliveries, 1)
	}, 10*time.Second, 5*time.Millisecond)
	mu.Lock()
	h := got[0]
	mu.Unlock()
	assert.Equal(t, []string{"dev", "ci"}, h.Values("X-Env"), "a repeated header sends every value, in order")
	assert.Equal(t, 0, s.shutdown(t))
}

func TestServeCompletion(t *testing.T) {
	tests := []struct {
		args          []string
		want, wantNot []string
	}{
		{[]string{"serve", "--type", ""}, []string{"all", "text", "order"}, []string{"unsupported"}}, // innopaas by default
		{[]string{"serve", "--provider", "itniotech", "--type", ""}, []string{"all", "text", "unsupported"}, []string{"order"}},
		{[]string{"serve", "--provider", "itniotech", "--type", "text,im"}, []string{"text,image"}, []string{"all", "text,text", "text,order"}},
		{[]string{"serve", "--retries", ""}, []string{"provider", "none"}, nil},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			assertCompletes(t, tt.args, tt.want, tt.wantNot)
		})
	}
}

func TestServeInterruptedSend(t *testing.T) {
	arrived := make(chan struct{}, 10)
	rec, _ := serveReceiver(t, func(_ http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-r.Context().Done() // hangs until the delivery is abandoned
	})
	s := startServe(t)
	answer := make(chan server.SendResponse, 1)
	go func() {
		defer close(answer)
		resp, err := http.Post(s.url+"/v1/send", "application/json", strings.NewReader(`{"target":"`+rec.URL+`","provider":"itniotech","types":["text"],"count":2}`))
		if !assert.NoError(t, err) {
			return
		}
		defer resp.Body.Close()
		var sr server.SendResponse
		if assert.NoError(t, json.NewDecoder(resp.Body).Decode(&sr)) {
			answer <- sr
		}
	}()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the delivery never reached the receiver")
	}

	assert.Equal(t, 0, s.shutdown(t))
	assert.Contains(t, s.stderr.String(), "wahook serve: shutdown: 2 in flight cancelled, 0 of them waiting for a retry\n")
	sr, ok := <-answer
	require.True(t, ok, "the client got an answer")
	assert.Equal(t, "server shutting down", sr.Interrupted)
	assert.Equal(t, 2, sr.Summary.Cancelled)
	assert.Equal(t, sr.Summary.Scheduled, sr.Summary.Acked+sr.Summary.Failed+sr.Summary.Cancelled)
}

// TestServeCAFile: with --ca-file every delivery of the server trusts the receiver's self-signed
// certificate, the timed ones and those of /v1/send, which takes no CA file of its own; without it,
// or with a request's caFile, they do not.
func TestServeCAFile(t *testing.T) {
	var hits atomic.Int32
	rec := hooktest.TLSServer(t, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		hits.Add(1)
	})) // the refused handshakes below
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rec.Certificate().Raw}), 0o600))
	c := &http.Client{Transport: &http.Transport{}}
	defer c.CloseIdleConnections()
	sendTo := func(s *serving, extra string) (int, server.SendResponse, string) {
		resp, err := c.Post(s.url+"/v1/send", "application/json",
			strings.NewReader(`{"target":"`+rec.URL+`","provider":"itniotech","types":["text"],"retries":"none"`+extra+`}`))
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		var sr server.SendResponse
		if resp.StatusCode == http.StatusOK {
			require.NoError(t, json.Unmarshal(body, &sr))
		}
		return resp.StatusCode, sr, string(body)
	}

	trusting := startServe(t, "--target", rec.URL, "--every", "1h", "--provider", "itniotech", "--type", "text", "--quiet", "--ca-file", caFile)
	require.Eventually(t, func() bool { return hits.Load() >= 1 }, 10*time.Second, 5*time.Millisecond, "the timed delivery")
	status, sr, body := sendTo(trusting, "")
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, 1, sr.Summary.Acked, "a send trusts --ca-file: %s", body)
	assert.Equal(t, 0, trusting.shutdown(t))

	plain := startServe(t, "--quiet")
	status, sr, body = sendTo(plain, "")
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, map[delivery.ErrorClass]int{delivery.ClassTLS: 1}, sr.Summary.Errors, "without --ca-file: %s", body)
	status, _, body = sendTo(plain, `,"caFile":`+strconv.Quote(caFile))
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, body, "start wahook serve with --ca-file")
	assert.Equal(t, 0, plain.shutdown(t))

	insecure := startServe(t, "--quiet", "--insecure")
	status, sr, body = sendTo(insecure, "")
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, 1, sr.Summary.Acked, "--insecure: %s", body)
	assert.Equal(t, 0, insecure.shutdown(t))
}

func TestServeUsage(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	tests := []struct {
		name       string
		args       []string
		wantStderr string // substring
	}{
		{"timer flag without target", []string{"--every", "1s"}, "wahook: --every: only with --target\n"},
		{"provider without target", []string{"--provider", "itniotech"}, "wahook: --provider: only with --target\n"},
		{"unknown provider", []string{"--target", "http://127.0.0.1:1/", "--provider", "no-such-provider"}, `wahook: --provider: unknown provider "no-such-provider"`},
		{"unknown type", []string{"--target", "http://127.0.0.1:1/", "--type", "hologram"}, `wahook: --type: unknown message type "hologram" for innopaas`},
		{"every too short", []string{"--target", "http://127.0.0.1:1/", "--every", "1ms"}, "wahook: --every: 1ms, want at least 10ms\n"},
		{"target not http", []string{"--target", "ftp://x/"}, `wahook: --target: "ftp://x/": scheme must be http or https`},
		{"bad retries", []string{"--target", "http://127.0.0.1:1/", "--retries", "soon"}, `wahook: --retries: retries "soon"`},
		{"credentials without target", []string{"--auth-user", "acme"}, "wahook: --auth-user: only with --target\n"},
		{"header without target", []string{"-H", "X-A: 1"}, "wahook: --header: only with --target\n"},
		{"bad header", []string{"--target", "http://127.0.0.1:1/", "-H", "X(bad: v"}, `wahook: --header: name "X(bad" is not a token`},
		{"bad Host header", []string{"--target", "http://127.0.0.1:1/", "-H", "Host: bad host"}, `wahook: --header: Host "bad host" is not host[:port]` + "\n"},
		{"header without a colon", []string{"--target", "http://127.0.0.1:1/", "-H", "Bearer s3cret"}, "wahook: --header: a line without ':': want 'Name: value'\n"},
		{"a credential in a header is not echoed", []string{"--target", "http://127.0.0.1:1/", "-H", "Authorization: Bearer s3cret\x01"},
			"wahook: --header: Authorization: control character 0x01 at byte 13 of the value\n"},
		{"line break in the user", []string{"--target", "http://127.0.0.1:1/", "--auth-user", "a\r\nX: 1"}, "wahook: --auth-user: control character 0x0d at byte 1 of the value\n"},
		{"control character in the token", []string{"--target", "http://127.0.0.1:1/", "--auth-token", "a\x01b"}, "wahook: --auth-token: control character 0x01 at byte 1 of the value\n"},
		{"credentials for itniotech", []string{"--target", "http://127.0.0.1:1/", "--provider", "itniotech", "--auth-user", "u"}, "wahook: --auth-user: itniotech: the provider documents no credential headers; send them with a custom header instead\n"},
		{"missing CA file", []string{"--ca-file", "/nonexistent/ca.pem"}, "wahook: --ca-file: stat /nonexistent/ca.pem: no such file or directory\n"},
		{"CA file and insecure", []string{"--ca-file", "ca.pem", "--insecure"}, "wahook: if any flags in the group [ca-file insecure] are set none of the others can be; [ca-file insecure] were all set\n"},
		{"ring size", []string{"--ring-size", "0"}, "wahook: --ring-size: 0, want at least 1\n"},
		{"bad media base URL", []string{"--media-base-url", "ftp://x"}, `wahook: --media-base-url: "ftp://x": scheme must be http or https`},
		{"bad listen address", []string{"--listen", "nonsense"}, "wahook: --listen nonsense: \"nonsense\" is not host:port, such as 127.0.0.1:8787"},
		{"port in use", []string{"--listen", busy.Addr().String()}, "address already in use"},
		{"arguments", []string{"extra"}, `unknown command "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runWahook(t, "", append([]string{"serve"}, tt.args...)...)
			assert.Equal(t, 2, got.code)
			assert.Contains(t, got.stderr, tt.wantStderr)
			assert.Empty(t, got.stdout)
		})
	}
}

func TestServeLoopbackListen(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8787": true, "[::1]:0": true, "localhost:8787": true,
		"0.0.0.0:8787": false, ":8787": false, "192.168.1.2:80": false, "nonsense": false,
	} {
		assert.Equal(t, want, loopbackListen(addr), addr)
	}
}
