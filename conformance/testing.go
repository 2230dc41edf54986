package conformance

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

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
	return runTests(goTest{t}, cfg)
}

// testingT is what Run asks of a test. It is narrower than *testing.T so that the package's own tests
// can drive Run with a recorder and check that a failing case does fail its subtest, which a test
// using the real *testing.T could not observe without failing itself.
type testingT interface {
	Helper()
	Context() context.Context
	Error(args ...any)
	Fatalf(format string, args ...any)
	Skip(args ...any)
	Logf(format string, args ...any)
	Name() string
	Run(name string, f func(testingT)) bool
}

// goTest is a *testing.T as a testingT.
type goTest struct{ *testing.T }

// Run runs f as a subtest; it and f are helpers, so that a failing case is reported at the line of
// the user's test that called conformance.Run, not in this package.
func (t goTest) Run(name string, f func(testingT)) bool {
	t.Helper()
	return t.T.Run(name, func(t *testing.T) {
		t.Helper()
		f(goTest{t})
	})
}

func runTests(t testingT, cfg Config) *Report {
	t.Helper()
	r, err := newRunner(cfg)
	if err != nil {
		t.Fatalf("conformance: %v", err)
		return nil // Fatalf does not return from a real test; a recorder's does
	}
	defer r.close()
	if err := r.checkReachable(t.Context()); err != nil {
		t.Fatalf("conformance: %v", err)
		return nil
	}
	r.mu.Lock()
	hint := r.hint
	r.mu.Unlock()
	if hint != "" {
		t.Logf("conformance: %s", hint)
	}
	results := r.runAll(t.Context(), nil)
	for _, res := range results {
		t.Run(res.ID, func(t testingT) {
			t.Helper()
			switch res.Outcome {
			case Fail:
				// The receiver under test lives as long as the test: send the case again by running
				// it, not with a command for a port that will be gone.
				res.Reproduce = "go test -run " + shellQuote(runPattern(t.Name())) + " (payloads: " + strings.Join(res.Files, ", ") + ")"
				t.Error(res.Reason + "\n" + details(res))
			case Skip:
				t.Skip(res.Reason)
			}
		})
	}
	report := r.report(results)
	if report.PayloadDir != "" && report.Summary.Failed > 0 {
		t.Logf("conformance: %s; payloads of the failing cases are in %s", report.Summary, report.PayloadDir)
	}
	return report
}

// runPattern is the go test -run pattern that selects the test named name, and nothing else.
func runPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}
