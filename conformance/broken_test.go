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
						if r.Group != conformance.GroupAuth {
							assert.Equal(t, "not run: the receiver stopped answering after "+want, r.Reason, r.ID)
						}
					}
					assert.Equal(t, 1, report.Summary.Failed, "only the case that stopped the receiver fails: %v", report.Failures())
				}
			})
		}
	}
}
