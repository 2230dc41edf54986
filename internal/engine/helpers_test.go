package engine_test

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wahook/wahook/internal/engine"
)

// makePayloads returns n payloads whose body is their id, so a receiver can tell them apart.
func makePayloads(n int) []engine.Payload {
	ps := make([]engine.Payload, n)
	for i := range ps {
		id := fmt.Sprintf("m%04d", i)
		ps[i] = engine.Payload{ID: id, Provider: "test", Type: "text", Body: []byte(id)}
	}
	return ps
}

// hit is one request a recorder received.
type hit struct {
	ID     string // the request body
	At     time.Time
	Header http.Header
	Host   string
}

// recorder is a receiver that records every request and answers with respond.
type recorder struct {
	mu      sync.Mutex
	hits    []hit
	respond func(w http.ResponseWriter, r *http.Request, h hit, seen int) // seen: earlier hits of h.ID
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h := hit{ID: string(body), At: time.Now(), Header: r.Header.Clone(), Host: r.Host}
	rec.mu.Lock()
	seen := 0
	for _, old := range rec.hits {
		if old.ID == h.ID {
			seen++
		}
	}
	rec.hits = append(rec.hits, h)
	rec.mu.Unlock()
	if rec.respond != nil {
		rec.respond(w, r, h, seen)
		return
	}
	_, _ = io.WriteString(w, `{"ok":true}`)
}

// Hits returns a copy of the requests received so far.
func (rec *recorder) Hits() []hit {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]hit(nil), rec.hits...)
}

// IDs returns the ids received, in arrival order.
func (rec *recorder) IDs() []string {
	var ids []string
	for _, h := range rec.Hits() {
		ids = append(ids, h.ID)
	}
	return ids
}

// serve starts an HTTP server on 127.0.0.1 that is closed when the test ends.
func serve(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// serveTLS starts an HTTPS server with httptest's self-signed certificate. Its log is silenced: the
// tests make it see rejected handshakes on purpose.
func serveTLS(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// okHandler answers 200 with a tiny body.
var okHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	_, _ = io.WriteString(w, "ok")
})

// countingServer serves okHandler on loopback for the test and counts the connections it accepts.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	opened := new(atomic.Int32)
	srv := httptest.NewUnstartedServer(okHandler)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, opened
}
