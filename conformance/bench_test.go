package conformance_test

import (
	"testing"

	"github.com/wahook/wahook/conformance"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// BenchmarkSuite times the whole suite against the reference receiver, per provider: building the
// cases, the probe, every case and canary. The budget is 5s per provider (make bench-conform).
func BenchmarkSuite(b *testing.B) {
	for _, p := range schemas.Providers() {
		b.Run(string(p), func(b *testing.B) {
			srv := serve(b, reference())
			cases := 0
			for b.Loop() {
				report, err := conformance.Execute(b.Context(), conformance.Config{Target: mockprovider.Target{URL: srv.URL, Provider: p}, Profile: conformance.Strict}, nil)
				if err != nil {
					b.Fatal(err)
				}
				if report.Summary.Failed > 0 {
					b.Fatalf("%s: %v", report.Summary, report.Failures()[0].Reason)
				}
				cases = report.Summary.Total
			}
			b.ReportMetric(float64(cases), "cases/op")
		})
	}
}
