package conformance_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/conformance"
	"github.com/wahook/wahook/examples/receiver"
	"github.com/wahook/wahook/schemas"
)

// defect is the reference receiver with one thing wrong, and the case of the suite that must catch it.
type defect struct {
	name string
	// wrap returns the broken receiver; srv is the server it runs in, for receivers that kill it.
	wrap func(srv *httptest.Server, ref http.Handler) http.Handler
	// credentials: the suite is given credentials (the receiver gets none unless wrap adds them).
	credentials bool
	timeout     time.Duration
	// run narrows the suite to the groups the defect shows in, to keep the test fast on two cores;
	// "" runs the whole suite (TestConformBrokenReceiver in cmd/wahook runs it whole for one defect).
	run     string
	profile conformance.Profile
	// wantFailed is the id of a case that must fail, without the provider: "valid/%s/image/1".
	wantFailed string
	// wantReason is a substring of that case's reason.
	wantReason string
}

var defects = []defect{
	{
		name: "500 on one message type",
		wrap: func(_ *httptest.Server, ref http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if messageType(peek(r)) == "image" {
					http.Error(w, "boom", http.StatusInternalServerError)
					return
				}
				ref.ServeHTTP(w, r)
			})
		},
		run:        "^(valid|documented)/",
		wantFailed: "valid/%s/image/1", wantReason: "expected 2xx, got 500 Internal Server Error",
	},
	{
		name: "crash on unknown fields",
		wrap: func(_ *httptest.Server, ref http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if bytes.Contains(peek(r), []byte("x_wahook_unknown")) {
					panic("unexpected field") // net/http drops the connection
				}
				ref.ServeHTTP(w, r)
			})
		},
		wantFailed: "tolerate/%s/unknown-fields/text", wantReason: "the connection closed without an answer",
	},
	{
		name: "5xx on bad JSON",
		wrap: func(_ *httptest.Server, ref http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !json.Valid(peek(r)) {
					http.Error(w, "cannot parse", http.StatusInternalServerError)
					return
				}
				ref.ServeHTTP(w, r)
			})
		},
		run:        "^reject/",
		wantFailed: "reject/%s/invalid-json", wantReason: "expected 2xx or 4xx (no 5xx, no timeout), got 500",
	},
	{
		name:        "no auth check",
		wrap:        func(_ *httptest.Server, ref http.Handler) http.Handler { return ref },
		credentials: true, run: "^(valid|auth)/",
		wantFailed: "auth/%s/missing-credentials", wantReason: "expected 401 or 403, got 200 OK",
	},
	{
		name: "409 on a duplicate",
		wrap: func(_ *httptest.Server, ref http.Handler) http.Handler {
			var seen sync.Map
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, dup := seen.LoadOrStore(sha256.Sum256(peek(r)), true); dup {
					http.Error(w, "already have it", http.StatusConflict)
					return
				}
				ref.ServeHTTP(w, r)
			})
		},
		run:        "^(documented|delivery)/",
		wantFailed: "delivery/%s/retry-identical-bytes", wantReason: "delivery 2 of 2: expected 2xx, got 409 Conflict",
	},
	{
		name: "hangs on one type",
		wrap: func(_ *httptest.Server, ref http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if messageType(peek(r)) == "location" {
					select {
					case <-r.Context().Done():
					case <-time.After(10 * time.Second):
					}
				}
				ref.ServeHTTP(w, r)
			})
		},
		timeout: 500 * time.Millisecond, run: "^valid/",
		wantFailed: "valid/%s/location/1", wantReason: "expected 2xx, got no answer within 500ms",
	},
	{
		name: "dies on some input",
		wrap: func(srv *httptest.Server, ref http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if bytes.HasPrefix(peek(r), []byte(`{"nested":[[[[`)) {
					srv.Listener.Close()
					srv.CloseClientConnections()
					return
				}
				ref.ServeHTTP(w, r)
			})
		},
		wantFailed: "reject/%s/deep-nesting", wantReason: "receiver stopped answering after this case: canary got connection refused",
	},
	{
		name: "serialised handling",
		wrap: func(_ *httptest.Server, ref http.Handler) http.Handler {
			var mu sync.Mutex
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				select {
				case <-r.Context().Done():
				case <-time.After(50 * time.Millisecond):
				}
				ref.ServeHTTP(w, r)
			})
		},
		timeout: 500 * time.Millisecond, run: "^delivery/",
		wantFailed: "delivery/%s/burst-50", wantReason: "of 50 concurrent deliveries failed; the first: expected 2xx, got no answer within 500ms",
	},
	{
		name: "refuses bodies over 16 KiB",
		wrap: func(_ *httptest.Server, ref http.Handler) http.Handler {
			return receiver.New(receiver.Options{MaxBytes: 16 << 10})
		},
		run:        "^tolerate/",
		wantFailed: "tolerate/%s/max-length-text/text", wantReason: "expected 2xx, got 413 Request Entity Too Large",
	},
	{
		name: "always 200, strict profile",
		wrap: func(*httptest.Server, http.Handler) http.Handler {
			return http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
		},
		profile:    conformance.Strict,
		wantFailed: "reject/%s/invalid-json", wantReason: "expected 4xx, got 200 OK",
	},
}

// Each defect makes the suite fail, and the case that catches it is the one named.
func TestBrokenReceivers(t *testing.T) {
	for _, d := range defects {
		for _, p := range schemas.Providers() {
			t.Run(d.name+"/"+string(p), func(t *testing.T) {
				t.Parallel()
				srv := start(t, func(srv *httptest.Server) http.Handler { return d.wrap(srv, reference()) })
				cfg := conformance.Config{Target: srv.URL, Provider: p, Profile: d.profile, Timeout: d.timeout, Run: d.run, PayloadDir: t.TempDir()}
				if d.credentials {
					_, creds := credentials(p)
					cfg.AuthUser, cfg.AuthToken, cfg.AuthHeaders = creds.AuthUser, creds.AuthToken, creds.AuthHeaders
				}

				report, err := conformance.Execute(t.Context(), cfg, nil)
				require.NoError(t, err)
				assert.Positive(t, report.Summary.Failed)
				want := strings.Replace(d.wantFailed, "%s", string(p), 1)
				i := slices.IndexFunc(report.Results, func(r conformance.Result) bool { return r.ID == want })
				require.GreaterOrEqual(t, i, 0, "no case %s in the suite", want)
				res := report.Results[i]
				assert.Equal(t, conformance.Fail, res.Outcome, "%s: %s", want, res.Reason)
				assert.Contains(t, res.Reason, d.wantReason)
				assert.NotEmpty(t, res.Reproduce)
				for _, f := range res.Files {
					assert.FileExists(t, f)
				}
			})
		}
	}
}
