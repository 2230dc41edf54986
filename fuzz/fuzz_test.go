package fuzz_test

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/examples/receiver"
	"github.com/wahook/wahook/fuzz"
	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/schemas"
)

// careful is a receiver that does what a receiver should: 415 for non-JSON, 400 for what the schema
// refuses (an unknown message type excepted: acked), 200 otherwise.
func careful(t testing.TB, p schemas.Provider) http.HandlerFunc {
	v, err := schemas.New(schemas.Options{})
	require.NoError(t, err)
	return func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			http.Error(w, "want JSON", http.StatusUnsupportedMediaType)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, schemas.DefaultMaxBytes+1))
		if err != nil {
			http.Error(w, "read", http.StatusBadRequest)
			return
		}
		rep, err := v.Validate(p, body)
		if err != nil || !rep.Valid() {
			http.Error(w, "invalid", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

// decoded returns the payload's document, or nil.
func decoded(r *http.Request) (any, []byte) {
	body, _ := io.ReadAll(r.Body)
	doc, err := schemas.Decode(body)
	if err != nil {
		return nil, body
	}
	return doc, body
}

func withBody(body []byte, r *http.Request) *http.Request {
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	return r
}

func run(t *testing.T, handler http.Handler, p schemas.Provider, opts fuzz.Options) *fuzz.Report {
	t.Helper()
	srv := httptest.NewUnstartedServer(handler)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the crash tests panic on purpose
	srv.Start()
	t.Cleanup(srv.Close)
	opts.Target, opts.Provider = srv.URL, p
	if opts.Out == "" {
		opts.Out = t.TempDir()
	}
	opts.Timeout = max(opts.Timeout, 2*time.Second)
	rep, err := fuzz.Run(t.Context(), opts)
	require.NoError(t, err)
	return rep
}

// TestFindsDefects runs the fuzzer against receivers broken one way each: it finds the defect with a
// fixed seed, writes exactly one minimised reproducer, and the reproducer's curl command reproduces it.
func TestFindsDefects(t *testing.T) {
	tests := []struct {
		name    string
		p       schemas.Provider
		defect  func(next http.HandlerFunc) http.HandlerFunc
		outcome fuzz.Outcome
		trigger string // expected trigger, "" when any
		dies    bool
	}{
		{
			name: "500 on an unparseable latitude", p: schemas.ITNIOTech,
			defect: func(next http.HandlerFunc) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					doc, body := decoded(r)
					if lat, err := jsonpointer.Get(doc, "/message/location/latitude"); err == nil {
						if s, ok := lat.(string); !ok || strings.Trim(s, "-.0123456789") != "" || s == "" {
							http.Error(w, "strconv.ParseFloat: invalid syntax", http.StatusInternalServerError)
							return
						}
					}
					next(w, withBody(body, r))
				}
			},
			outcome: fuzz.Outcome5xx, trigger: "/message/location/latitude",
		},
		{
			name: "crash on U+202E anywhere", p: schemas.InnoPaaS,
			defect: func(next http.HandlerFunc) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					_, body := decoded(r)
					doc, err := schemas.Decode(body)
					if err == nil && containsRune(doc, '\u202e') {
						panic("bidi override")
					}
					next(w, withBody(body, r))
				}
			},
			outcome: fuzz.OutcomeDropped,
		},
		{
			name: "400 on the documented contact key", p: schemas.InnoPaaS,
			defect: func(next http.HandlerFunc) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					doc, body := decoded(r)
					if _, err := jsonpointer.Get(doc, "/body/contact"); err == nil {
						http.Error(w, "unknown field contact", http.StatusBadRequest)
						return
					}
					next(w, withBody(body, r))
				}
			},
			outcome: fuzz.OutcomeRejectedValid,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			rep := run(t, tt.defect(careful(t, tt.p)), tt.p, fuzz.Options{Seed: 7, Duration: 30 * time.Second, Count: 4000, Workers: 4, Out: out})
			for _, f := range rep.Findings {
				t.Logf("%s hits=%d origin=%s\n  min=%.300s", f.Signature, f.Hits, f.Origin, f.Minimised)
			}
			require.Len(t, rep.Findings, 1, "one reproducer for one defect")
			fd := rep.Findings[0]
			assert.Equal(t, tt.outcome, fd.Outcome)
			if tt.trigger != "" {
				assert.Equal(t, tt.trigger, fd.Trigger)
			}
			assert.True(t, fd.Confirmed)
			assert.LessOrEqual(t, len(fd.Minimised), len(fd.Original))
			entries, err := os.ReadDir(out)
			require.NoError(t, err)
			require.Len(t, entries, 1)
			dir := filepath.Join(out, entries[0].Name())
			for _, f := range []string{"payload.json", "original.json", "headers.txt", "reproduce.sh", "finding.json"} {
				assert.FileExists(t, filepath.Join(dir, f))
			}
			if _, err := exec.LookPath("curl"); err != nil {
				t.Skip("curl is not installed: the reproducer's command cannot be run here")
			}
			// The reproducer is run against a fresh copy of the broken receiver.
			cmd := exec.Command("sh", filepath.Join(dir, "reproduce.sh"))
			outBytes, err := cmd.Output()
			switch tt.outcome {
			case fuzz.OutcomeDropped:
				var exit *exec.ExitError
				require.ErrorAs(t, err, &exit, "curl fails when the connection drops")
				assert.Equal(t, 52, exit.ExitCode(), "curl: empty reply from server")
			default:
				require.NoError(t, err)
				assert.Equal(t, fd.Status, atoi(strings.TrimSpace(string(outBytes))), "the curl command reproduces the status")
			}
		})
	}
}

// TestStopsWhenTheReceiverDies checks that a receiver that goes away on some input is reported as
// died, once, and that the fuzzer stops sending to the dead port.
func TestStopsWhenTheReceiverDies(t *testing.T) {
	var srv *httptest.Server
	var after atomic.Int64
	var dead atomic.Bool
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		doc, body := decoded(r)
		if dead.Load() {
			after.Add(1)
		}
		if v, err := jsonpointer.Get(doc, "/message/type"); err == nil && v == "sticker" {
			if dead.CompareAndSwap(false, true) {
				go srv.CloseClientConnections()
				go srv.Listener.Close()
			}
			hj, ok := w.(http.Hijacker)
			if ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
				}
			}
			return
		}
		careful(t, schemas.ITNIOTech)(w, withBody(body, r))
	}))
	t.Cleanup(srv.Close)
	rep, err := fuzz.Run(t.Context(), fuzz.Options{
		Target: srv.URL, Provider: schemas.ITNIOTech, Seed: 3, Count: 5000, Workers: 2, Out: t.TempDir(), Timeout: time.Second,
	})
	require.NoError(t, err)
	assert.True(t, rep.Died)
	require.NotEmpty(t, rep.Findings)
	assert.Equal(t, fuzz.OutcomeDied, rep.Findings[len(rep.Findings)-1].Outcome)
	assert.Less(t, rep.Sent, uint64(5000), "stopped sending")
}

func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	_, err = fuzz.Run(context.Background(), fuzz.Options{Target: "http://" + addr, Provider: schemas.InnoPaaS, Count: 10, Out: t.TempDir()})
	assert.ErrorIs(t, err, fuzz.ErrUnreachable)
}

// TestCarefulReceiverHasNoFindings is the false-alarm check against a receiver without defects.
func TestCarefulReceiverHasNoFindings(t *testing.T) {
	for _, p := range schemas.Providers() {
		t.Run(string(p), func(t *testing.T) {
			rep := run(t, careful(t, p), p, fuzz.Options{Seed: 11, Count: 3000, Workers: 4})
			assert.Empty(t, rep.Findings)
			assert.Equal(t, uint64(3000), rep.Sent)
		})
	}
}

func containsRune(doc any, r rune) bool {
	switch d := doc.(type) {
	case string:
		return strings.ContainsRune(d, r)
	case map[string]any:
		for k, v := range d {
			if strings.ContainsRune(k, r) || containsRune(v, r) {
				return true
			}
		}
	case []any:
		for _, v := range d {
			if containsRune(v, r) {
				return true
			}
		}
	}
	return false
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// TestReferenceReceiverHasNoFindings is the false-alarm check the issue asks for: 30 s of fuzzing
// the reference receiver (examples/receiver), both providers at once, credentials configured, finds
// nothing.
func TestReferenceReceiverHasNoFindings(t *testing.T) {
	if testing.Short() {
		t.Skip("30 s of fuzzing")
	}
	for _, p := range schemas.Providers() {
		t.Run(string(p), func(t *testing.T) {
			t.Parallel()
			handler := receiver.New(receiver.Options{Provider: p, AuthHeaders: http.Header{"X-Hook-Secret": {"s3cret"}}})
			rep := run(t, handler, p, fuzz.Options{
				Seed: 2026, Duration: 30 * time.Second, Workers: 4, Header: http.Header{"X-Hook-Secret": {"s3cret"}},
			})
			for _, f := range rep.Findings {
				t.Errorf("false alarm %s: %s\n%.400s", f.Signature, f.Response, f.Minimised)
			}
			assert.Positive(t, rep.Sent)
			t.Logf("%s: %d payloads in %s", p, rep.Sent, rep.Elapsed)
		})
	}
}
