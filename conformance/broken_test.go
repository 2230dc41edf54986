package conformance_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/conformance"
	"github.com/wahook/wahook/examples/receiver/broken"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// Each broken receiver makes the suite fail, and the case that catches it is the one named. This is
// the test over the whole table, for both providers; cmd/wahook's TestConformBrokenReceivers puts a
// representative few through `wahook conform`, which calls the same runner.
func TestBrokenReceivers(t *testing.T) {
	for _, d := range broken.Defects() {
		for _, p := range schemas.Providers() {
			if !d.Shows(p) {
				continue
			}
			t.Run(d.Name+"/"+string(p), func(t *testing.T) {
				t.Parallel()
				srv := start(t, func(srv *httptest.Server) http.Handler { return d.New(srv) })
				cfg := conformance.Config{Target: mockprovider.Target{URL: srv.URL, Provider: p, Timeout: d.Timeout}, Profile: d.Profile, Run: d.Run, PayloadDir: t.TempDir()}
				if d.Credentials {
					_, creds := broken.Credentials(p)
					cfg.Credentials, cfg.Header = creds.Credentials, creds.Header
				}

				report, err := conformance.Execute(t.Context(), cfg, nil)
				require.NoError(t, err)
				assert.Positive(t, report.Summary.Failed)
				assert.GreaterOrEqual(t, report.Summary.Failed, d.MinFailed, "cases that catch it")
				want := d.Case(p)
				i := slices.IndexFunc(report.Results, func(r conformance.Result) bool { return r.ID == want })
				require.GreaterOrEqual(t, i, 0, "no case %s in the suite", want)
				res := report.Results[i]
				assert.Equal(t, conformance.Fail, res.Outcome, "%s: %s", want, res.Reason)
				assert.Contains(t, res.Reason, d.WantReason)
				assert.NotEmpty(t, res.Reproduce)
				for _, f := range res.Files {
					assert.FileExists(t, f)
				}
				if d.StopsAnswering {
					// The case that stopped it is the last that ran: the rest are skipped, naming it.
					require.Less(t, i+1, len(report.Results), "cases after %s", want)
					for _, r := range report.Results[i+1:] {
						assert.Equal(t, conformance.Skip, r.Outcome, r.ID)
						if r.Group != conformance.GroupAuth && r.Group != conformance.GroupHandshake {
							assert.Equal(t, "not run: the receiver stopped answering after "+want, r.Reason, r.ID)
						}
					}
					assert.Equal(t, 1, report.Summary.Failed, "only the case that stopped the receiver fails: %v", report.Failures())
				}
				if d.Silent {
					// The status alone cannot see it: with its acks stripped to a status, the same
					// receiver passes.
					quiet := start(t, func(srv *httptest.Server) http.Handler { return statusOnly(d.New(srv)) })
					cfg.URL = quiet.URL
					report, err := conformance.Execute(t.Context(), cfg, nil)
					require.NoError(t, err)
					assert.Zero(t, report.Summary.Failed, "status-only: %v", report.Failures())
				}
			})
		}
	}
}

// statusOnly passes on h's status and headers but answers every 2xx with a bare status, so that
// the suite has only the status to judge.
func statusOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		if rec.Code/100 == 2 {
			_, _ = w.Write([]byte(`{"status":"accepted"}`))
			return
		}
		_, _ = w.Write(rec.Body.Bytes())
	})
}
