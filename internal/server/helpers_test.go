package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/server"
)

// start runs a server on a free loopback port, closed when the test ends.
func start(t testing.TB, opts server.Options) *server.Server {
	t.Helper()
	opts.Listen = "127.0.0.1:0"
	srv, err := server.New(opts)
	require.NoError(t, err)
	require.NoError(t, srv.Start(t.Context()))
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// client is an HTTP client of the test's own, its idle connections closed when the test ends, so
// that goroutine counts come back down.
func client(t testing.TB) *http.Client {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{}, Timeout: 30 * time.Second}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// hit is one request a receiver got.
type hit struct {
	Body   []byte
	Header http.Header
}

// receiver records every webhook and answers with respond, or 200 without one.
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	hits    []hit
	respond func(w http.ResponseWriter, r *http.Request, n int) // n counts earlier hits
}

func newReceiver(t testing.TB, respond func(w http.ResponseWriter, r *http.Request, n int)) *receiver {
	t.Helper()
	rec := &receiver{respond: respond}
	rec.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		n := len(rec.hits)
		rec.hits = append(rec.hits, hit{Body: body, Header: r.Header.Clone()})
		rec.mu.Unlock()
		if rec.respond != nil {
			rec.respond(w, r, n)
			return
		}
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	rec.Config.ErrorLog = log.New(io.Discard, "", 0)
	rec.Start()
	t.Cleanup(rec.Close)
	return rec
}

func (rec *receiver) Hits() []hit {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]hit(nil), rec.hits...)
}

// post sends body to url and returns the status and the answer.
func post(t testing.TB, c *http.Client, url, body string) (int, []byte) {
	t.Helper()
	resp, err := c.Post(url, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

// get fetches url and returns the status, headers and body.
func get(t testing.TB, c *http.Client, url string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := c.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, b
}

// postSend posts a /v1/send body and decodes the 200 answer.
func postSend(t testing.TB, c *http.Client, srv *server.Server, body string) server.SendResponse {
	t.Helper()
	status, b := post(t, c, srv.URL()+"/v1/send", body)
	require.Equal(t, http.StatusOK, status, "answer: %s", b)
	var resp server.SendResponse
	require.NoError(t, json.Unmarshal(b, &resp))
	return resp
}

// deliveries lists /v1/deliveries with query, on the test goroutine.
func deliveries(t testing.TB, c *http.Client, srv *server.Server, query string) server.DeliveriesResponse {
	t.Helper()
	resp, ok := tryDeliveries(t, c, srv, query)
	require.True(t, ok, "listing deliveries%s", query)
	return resp
}

// tryDeliveries lists /v1/deliveries with query, reporting what went wrong to t with assert and
// returning ok false: it may run off the test goroutine, in EventuallyWithT's condition given its
// CollectT, where require must not be used.
func tryDeliveries(t assert.TestingT, c *http.Client, srv *server.Server, query string) (resp server.DeliveriesResponse, ok bool) {
	if h, isHelper := t.(interface{ Helper() }); isHelper {
		h.Helper()
	}
	r, err := c.Get(srv.URL() + "/v1/deliveries" + query)
	if !assert.NoError(t, err) {
		return resp, false
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	ok = assert.NoError(t, err) &&
		assert.Equal(t, http.StatusOK, r.StatusCode, "answer: %s", b) &&
		assert.NoError(t, json.Unmarshal(b, &resp))
	return resp, ok
}

// mustJSON encodes v.
func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// syncBuffer is a bytes.Buffer safe to write from the server's goroutines and read from the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// listen opens a listener on a free loopback port.
func listen(t testing.TB) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l
}
