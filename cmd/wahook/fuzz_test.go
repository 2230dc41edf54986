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
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/fuzz"
	"github.com/wahook/wahook/internal/hooktest"
	"github.com/wahook/wahook/internal/jsoninput"
	"github.com/wahook/wahook/schemas"
)

// fuzzReceiver acks what its schema accepts, refuses the rest, and answers 500 to any payload with a
// right-to-left override character: a defect for the fuzzer to find.
func fuzzReceiver(t *testing.T, p schemas.Provider) *httptest.Server {
	v, err := schemas.New(schemas.Options{})
	require.NoError(t, err)
	srv := hooktest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if doc, err := jsoninput.Decode(body); err == nil && strings.Contains(fmt.Sprint(doc), "\u202e") {
			http.Error(w, "index out of range", http.StatusInternalServerError)
			return
		}
		if rep, err := v.Validate(p, body); err != nil || !rep.Valid() {
			http.Error(w, "invalid", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
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

// TestFuzzCommandAuthHeaders: --auth-header lines are read as wahook send reads --header: a name
// given again, in any letter case, adds a value, and every value is sent under the first spelling.
func TestFuzzCommandAuthHeaders(t *testing.T) {
	var (
		requests atomic.Int64
		wrong    atomic.Value // the first X-Secret values that were not [a b]
	)
	srv := hooktest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		requests.Add(1)
		if got := r.Header.Values("X-Secret"); !slices.Equal(got, []string{"a", "b"}) {
			wrong.CompareAndSwap(nil, fmt.Sprint(got))
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"fuzz", "--target", srv.URL, "--provider", "itniotech", "--count", "5",
		"--out", filepath.Join(t.TempDir(), "crashes"), "--quiet", "--auth-header", "X-Secret: a", "--auth-header", "x-secret: b"},
		nil, &stdout, &stderr)
	assert.NotEqual(t, 2, code, "stderr: %s", stderr.String())
	assert.Empty(t, stderr.String())
	assert.Positive(t, requests.Load())
	assert.Nil(t, wrong.Load(), "every request carries both values, in order")
}

func TestFuzzCommandErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := "http://" + l.Addr().String()
	require.NoError(t, l.Close())
	// A live target that counts connections: a usage error is reported before any.
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	out := filepath.Join(t.TempDir(), "crashes")
	live := []string{"fuzz", "--target", srv.URL, "--provider", "innopaas", "--out", out}
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	missing := filepath.Join(t.TempDir(), "missing.pem")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unreachable", []string{"fuzz", "--target", dead, "--provider", "innopaas", "--count", "5"}, "wahook: fuzz: target unreachable: " + dead + ": connection refused\n"},
		{"not a URL", append(live[:1:1], "--target", "nonsense", "--provider", "innopaas", "--out", out), `wahook: --target: "nonsense" has no scheme: did you mean http://nonsense?` + "\n"},
		{"missing CA file", append(live, "--ca-file", missing), "wahook: --ca-file: stat " + missing + ": no such file or directory\n"},
		{"CA file and insecure", append(live, "--ca-file", file, "--insecure"), "wahook: --insecure: cannot be combined with a CA file or root CAs\n"},
		{"unknown provider", append(live[:3:3], "--provider", "twilio"), "unknown provider"},
		{"both bounds", append(live, "--count", "5", "--duration", "1s"), "not both"},
		{"bad auth header", append(live, "--auth-header", "nocolon"), "wahook: --header: a line without ':': want 'Name: value'\n"},
		{"auth header not sendable", append(live, "--auth-header", "X-Secret: s3cret\x01"), "wahook: --header: X-Secret: control character 0x01 at byte 6 of the value\n"},
		{"line break in the token", append(live, "--auth-token", "a\nb"), "wahook: --auth-token: control character 0x0a at byte 1 of the value\n"},
		{"negative duration", append(live, "--duration", "-1s"), "wahook: --duration: must not be negative, got -1s\n"},
		{"zero duration", append(live, "--duration", "0"), "wahook: --duration: must be positive, got 0s\n"},
		{"zero count", append(live, "--count", "0"), "wahook: --count: must be at least 1, got 0\n"},
		{"zero workers", append(live, "--workers", "0"), "wahook: --workers: must be at least 1, got 0\n"},
		{"negative workers", append(live, "--workers", "-3"), "wahook: --workers: must not be negative, got -3\n"},
		{"too many workers", append(live, "--workers", "257"), "wahook: --workers: at most 256, got 257\n"},
		{"zero timeout", append(live, "--timeout", "0"), "wahook: --timeout: must be positive, got 0s\n"},
		{"negative timeout", append(live, "--timeout", "-1s"), "wahook: --timeout: must not be negative, got -1s\n"},
		{"negative max findings", append(live, "--max-findings", "-1"), "wahook: --max-findings: must not be negative, got -1\n"},
		{"negative minimise budget", append(live, "--minimise-budget", "-2"), "wahook: --minimise-budget: must not be negative, got -2\n"},
		{"out is a file", append(live, "--out", file), "wahook: --out: " + file + " is not a directory\n"},
		{"out is below a file", append(live, "--out", filepath.Join(file, "crashes")),
			"wahook: --out: cannot make directory " + filepath.Join(file, "crashes") + ": " + file + " is not a directory\n"},
		{"not a number", append(live, "--workers", "many"), "--workers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), tt.args, nil, &stdout, &stderr)
			assert.Equal(t, 2, code)
			assert.Contains(t, stderr.String(), tt.want)
			assert.Equal(t, 1, strings.Count(stderr.String(), "\n"), "one line: %q", stderr.String())
			assert.Empty(t, stdout.String())
			assert.Zero(t, conns.Load(), "no traffic before the flags are checked")
			assert.NoDirExists(t, out, "nothing written")
		})
	}
}

// TestFuzzCommandNotAcked checks that a receiver that refuses a plain valid message is a usage error,
// not thousands of findings.
func TestFuzzCommandNotAcked(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "who are you?", http.StatusUnauthorized)
	}))
	t.Cleanup(srv.Close)
	out := filepath.Join(t.TempDir(), "crashes")
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"fuzz", "--target", srv.URL, "--provider", "innopaas", "--count", "100", "--out", out}, nil, &stdout, &stderr)
	assert.Equal(t, 2, code)
	assert.Equal(t, "wahook: fuzz: target does not ack a valid message: "+srv.URL+" answered a valid text message with HTTP 401 Unauthorized; "+
		"credentials? give them with --auth-user/--auth-token or --header (innopaas sends them in the UserName and Authorization headers)\n", stderr.String())
	assert.Empty(t, stdout.String())
	assert.NoDirExists(t, out)
}

// TestFuzzCommandInterrupted interrupts a run once it has found something: it stops, says so, exits 1
// and keeps the reproducer on disk.
func TestFuzzCommandInterrupted(t *testing.T) {
	v, err := schemas.New(schemas.Options{})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var bidi atomic.Int64
	srv := hooktest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if doc, err := jsoninput.Decode(body); err == nil && strings.Contains(fmt.Sprint(doc), "\u202e") {
			if bidi.Add(1) == 3 {
				cancel() // Ctrl-C, once the first of them has been answered
			}
			http.Error(w, "index out of range", http.StatusInternalServerError)
			return
		}
		if rep, err := v.Validate(schemas.InnoPaaS, body); err != nil || !rep.Valid() {
			http.Error(w, "invalid", http.StatusBadRequest)
			return
		}
	}))
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := run(ctx, []string{"fuzz", "--target", srv.URL, "--provider", "innopaas", "--duration", "1m", "--out", out}, nil, &stdout, &stderr)
	assert.Less(t, time.Since(start), 30*time.Second, "stops on cancel")
	assert.Equal(t, 1, code, "stdout: %s\nstderr: %s", stdout.String(), stderr.String())
	assert.Contains(t, stdout.String(), "FINDING 5xx/500/")
	assert.Contains(t, stdout.String(), "fuzz interrupted:")
	// What the interrupted batch found is kept, confirmed or not.
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	require.NotEmpty(t, entries, "the findings are kept")
	assert.Equal(t, len(entries), strings.Count(stdout.String(), "FINDING "), "every finding printed is on disk")
	for _, e := range entries {
		for _, f := range []string{"payload.json", "original.json", "headers.txt", "reproduce.sh", "finding.json"} {
			assert.FileExists(t, filepath.Join(out, e.Name(), f))
		}
		payload, err := os.ReadFile(filepath.Join(out, e.Name(), "payload.json"))
		require.NoError(t, err)
		doc, err := jsoninput.Decode(payload)
		require.NoError(t, err)
		assert.Contains(t, fmt.Sprint(doc), "\u202e", "the payload carries the defect's trigger")
	}
}

// TestFuzzCommandReceiverDies checks the report of a receiver that dies: the candidates, exit 1.
func TestFuzzCommandReceiverDies(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if strings.Contains(string(body), `"type":"sticker"`) {
			_ = srv.Listener.Close()
			srv.CloseClientConnections()
		}
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"fuzz", "--target", srv.URL, "--provider", "itniotech", "--count", "5000", "--workers", "1", "--out", out}, nil, &stdout, &stderr)
	assert.Equal(t, 1, code, stderr.String())
	assert.Contains(t, stdout.String(), "FINDING died/0/")
	assert.Contains(t, stdout.String(), "  candidates: 1 input was in flight when the receiver died: it is payload.json")
	assert.Contains(t, stdout.String(), "fuzz stopped: the receiver stopped answering:")
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	payload, err := os.ReadFile(filepath.Join(out, entries[0].Name(), "payload.json"))
	require.NoError(t, err)
	assert.Contains(t, string(payload), `"type":"sticker"`)
}

func TestFuzzCommandHTTPS(t *testing.T) {
	v, err := schemas.New(schemas.Options{})
	require.NoError(t, err)
	srv := hooktest.TLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if rep, err := v.Validate(schemas.InnoPaaS, body); err != nil || !rep.Valid() {
			http.Error(w, "invalid", http.StatusBadRequest)
		}
	}))
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"fuzz", "--target", srv.URL, "--provider", "innopaas", "--count", "200", "--out", t.TempDir(), "--insecure"}, nil, &stdout, &stderr)
	assert.Equal(t, 0, code, "%s%s", stdout.String(), stderr.String())
	assert.Contains(t, stdout.String(), "fuzz done: 200 payloads")
}

// A confirmed finding that could not be shrunk says so, rather than "minimised: 441 bytes (from 441)".
func TestFuzzReportSaysNotMinimised(t *testing.T) {
	body := []byte(`{"a":1}`)
	var out strings.Builder
	printFuzzReport(&out, &fuzz.Report{Findings: []*fuzz.Finding{
		{Signature: "5xx/500/x", Outcome: fuzz.Outcome5xx, Status: 500, Confirmed: true, Original: body, Minimised: body, Hits: 2},
		{Signature: "5xx/502/y", Outcome: fuzz.Outcome5xx, Status: 502, Confirmed: true, Original: body, Minimised: body[:2], Hits: 1},
	}})
	assert.Contains(t, out.String(), "  not minimised: no smaller payload reproduced within the budget (7 bytes)\n")
	assert.Contains(t, out.String(), "  minimised: 2 bytes (from 7)\n")
	assert.Contains(t, out.String(), "findings by kind: 5xx 2\n")
}
