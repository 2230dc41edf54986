package conformance_test

import (
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

// BenchmarkSlowReceivers runs the whole suite, default flags, against the two slow receivers:
// one that stalls 30 s on every document message (threaded; goal: under 60 s a run), and one that
// handles a request at a time, 250 ms each (goal: under 120 s; its floor is its request count times
// 250 ms). Minutes a run, so only with WAHOOK_SLOW_BENCH=1 (make bench-conform).
func BenchmarkSlowReceivers(b *testing.B) {
	if os.Getenv("WAHOOK_SLOW_BENCH") == "" {
		b.Skip("minutes a run: set WAHOOK_SLOW_BENCH=1, or run make bench-conform")
	}
	receivers := map[string]func() http.Handler{
		"stall-on-document": func() http.Handler {
			ref := reference()
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if messageType(peek(r)) == "document" {
					select {
					case <-time.After(30 * time.Second):
					case <-r.Context().Done():
					}
				}
				ref.ServeHTTP(w, r)
			})
		},
		"serialised-250ms": func() http.Handler {
			ref := reference()
			var mu sync.Mutex
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				time.Sleep(250 * time.Millisecond)
				ref.ServeHTTP(w, r)
			})
		},
	}
	for _, name := range []string{"stall-on-document", "serialised-250ms"} {
		for _, p := range schemas.Providers() {
			b.Run(name+"/"+string(p), func(b *testing.B) {
				var seen atomic.Int64
				srv := serve(b, counting(receivers[name](), &seen))
				var report *conformance.Report
				for b.Loop() {
					seen.Store(0)
					var err error
					report, err = conformance.Execute(b.Context(), conformance.Config{Target: mockprovider.Target{URL: srv.URL, Provider: p}}, nil)
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(report.Summary.Failed), "failed/op")
				b.ReportMetric(float64(seen.Load())/float64(report.Summary.Total), "requests/case")
				b.ReportMetric(float64(seen.Load()-int64(requests(report))-1), "canaries/op")
			})
		}
	}
}
