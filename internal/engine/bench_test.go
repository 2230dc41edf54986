package engine_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wahook/wahook/internal/engine"
)

// BenchmarkRun delivers b.N payloads to a loopback receiver that answers 200 at once, so it measures
// the engine and the HTTP exchange, not the receiver. Compare it with BenchmarkNetHTTPClient, which
// sends the same requests with net/http's Transport and records nothing.
func BenchmarkRun(b *testing.B) {
	srv := serve(b, okHandler)
	e, err := engine.New(engine.Options{Target: srv.URL, Workers: 8})
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

// BenchmarkNetHTTPClient is the baseline the engine replaced: 8 goroutines POSTing through one
// net/http Transport tuned as the engine's was, reading each answer, keeping nothing.
func BenchmarkNetHTTPClient(b *testing.B) {
	srv := serve(b, okHandler)
	tr := &http.Transport{MaxIdleConnsPerHost: 8, MaxConnsPerHost: 8, DisableCompression: true}
	defer tr.CloseIdleConnections()
	payloads := makePayloads(b.N)
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(b.N); i = next.Add(1) - 1 {
				req, err := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(payloads[i].Body))
				if err != nil {
					failed.Add(1)
					continue
				}
				req.Header["Content-Type"] = []string{engine.DefaultContentType}
				resp, err := tr.RoundTrip(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d requests failed", n)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
}
