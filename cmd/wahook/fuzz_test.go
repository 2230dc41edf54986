package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/schemas"
)

// fuzzReceiver acks what its schema accepts, refuses the rest, and answers 500 to any payload with a
// right-to-left override character: a defect for the fuzzer to find.
func fuzzReceiver(t *testing.T, p schemas.Provider) *httptest.Server {
	v, err := schemas.New(schemas.Options{})
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if doc, err := schemas.Decode(body); err == nil && strings.Contains(fmt.Sprint(doc), "\u202e") {
			http.Error(w, "index out of range", http.StatusInternalServerError)
			return
		}
		if rep, err := v.Validate(p, body); err != nil || !rep.Valid() {
			http.Error(w, "invalid", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func TestFuzzCommand(t *testing.T) {
	srv := fuzzReceiver(t, schemas.ITNIOTech)
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"fuzz", "--target", srv.URL, "--provider", "itniotech", "--count", "3000",
		"--seed", "5", "--out", out, "--quiet"}, nil, &stdout, &stderr)
	require.Equal(t, 1, code, "stderr: %s", stderr.String())
	assert.Equal(t, 1, strings.Count(stdout.String(), "FINDING 5xx/500/"), stdout.String())
	assert.Contains(t, stdout.String(), "fuzz done: 3000 payloads")
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	payload, err := os.ReadFile(filepath.Join(out, entries[0].Name(), "payload.json"))
	require.NoError(t, err)
	assert.Contains(t, string(payload), "\u202e")
	assert.Empty(t, stderr.String())
}

func TestFuzzCommandErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := "http://" + l.Addr().String()
	require.NoError(t, l.Close())
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unreachable", []string{"fuzz", "--target", dead, "--provider", "innopaas", "--count", "5"}, "is unreachable"},
		{"unknown provider", []string{"fuzz", "--target", dead, "--provider", "twilio"}, "unknown provider"},
		{"both bounds", []string{"fuzz", "--target", dead, "--provider", "innopaas", "--count", "5", "--duration", "1s"}, "not both"},
		{"bad auth header", []string{"fuzz", "--target", dead, "--provider", "innopaas", "--auth-header", "nocolon"}, "--auth-header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), tt.args, nil, &stdout, &stderr)
			assert.Equal(t, 2, code)
			assert.Contains(t, stderr.String(), tt.want)
			assert.Equal(t, 1, strings.Count(stderr.String(), "\n"), "one line: %q", stderr.String())
		})
	}
}

func TestFuzzCommandInterrupted(t *testing.T) {
	srv := fuzzReceiver(t, schemas.InnoPaaS)
	ctx, cancel := context.WithTimeout(t.Context(), 700*time.Millisecond)
	defer cancel()
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := run(ctx, []string{"fuzz", "--target", srv.URL, "--provider", "innopaas", "--duration", "1m", "--out", t.TempDir()}, nil, &stdout, &stderr)
	assert.Less(t, time.Since(start), 30*time.Second, "stops on cancel")
	assert.Contains(t, []int{0, 1}, code)
	assert.Contains(t, stdout.String(), "fuzz interrupted:")
}

func TestFuzzCommandHTTPS(t *testing.T) {
	v, err := schemas.New(schemas.Options{})
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if rep, err := v.Validate(schemas.InnoPaaS, body); err != nil || !rep.Valid() {
			http.Error(w, "invalid", http.StatusBadRequest)
		}
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"fuzz", "--target", srv.URL, "--provider", "innopaas", "--count", "200", "--out", t.TempDir(), "--insecure"}, nil, &stdout, &stderr)
	assert.Equal(t, 0, code, "%s%s", stdout.String(), stderr.String())
	assert.Contains(t, stdout.String(), "fuzz done: 200 payloads")
}
