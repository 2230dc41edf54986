package conformance

import "testing"

// Run runs the suite inside a Go test: every case is a subtest named by its id, which fails with
// expected, observed and a reproduce command, or is skipped with the reason. A config error, or a
// target that does not answer, fails t at once. It returns the report of the cases run.
//
// Run the receiver under test in the same process, with net/http/httptest:
//
//	srv := httptest.NewServer(handler)
//	defer srv.Close()
//	conformance.Run(t, conformance.Config{Target: srv.URL, Provider: schemas.ITNIOTech})
func Run(t *testing.T, cfg Config) *Report {
	t.Helper()
	r, err := NewRunner(cfg)
	if err != nil {
		t.Fatalf("conformance: %v", err)
	}
	defer r.Close()
	if err := r.Probe(t.Context()); err != nil {
		t.Fatalf("conformance: %v", err)
	}
	var results []Result
	for _, c := range r.Cases() {
		t.Run(c.ID, func(t *testing.T) {
			res := r.RunCase(t.Context(), c)
			results = append(results, res)
			switch res.Outcome {
			case Fail:
				t.Error(res.Reason + "\n" + details(res, r.s.Timeout))
			case Skip:
				t.Skip(res.Reason)
			}
		})
	}
	report := r.Report(results)
	if report.PayloadDir != "" && report.Summary.Failed > 0 {
		t.Logf("conformance: %s; payloads of the failing cases are in %s", report.Summary, report.PayloadDir)
	}
	return report
}
