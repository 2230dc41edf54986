package delivery_test

import (
	"context"
	"testing"
	"time"

	"github.com/wahook/wahook/mockprovider/delivery"
)

// BenchmarkRun delivers b.N payloads to a loopback receiver that answers 200 at once, so it measures
// the engine and net/http, not the receiver.
func BenchmarkRun(b *testing.B) {
	srv := serve(b, okHandler)
	e, err := delivery.New(delivery.Options{Target: srv.URL, Workers: 8})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	payloads := makePayloads(b.N)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	report, err := e.Run(context.Background(), payloads)
	elapsed := time.Since(start)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if report.Summary.Acked != b.N {
		b.Fatalf("acked %d of %d", report.Summary.Acked, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(report.Summary.Latency.P99.Microseconds()), "p99-µs")
}
