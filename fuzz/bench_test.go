package fuzz_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wahook/wahook/fuzz"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
	"github.com/wahook/wahook/send"
)

// BenchmarkThroughput measures fuzzing and wahook send side by side against the same trivial loopback
// sink, with the same workers, and reports the fuzzer's rate as a fraction of send's (goal: ≥ 0.8).
// Send's time includes generating its payloads, as the fuzzer's includes making its inputs.
func BenchmarkThroughput(b *testing.B) {
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer sink.Close()
	const n, workers = 20000, 8
	var sendRate, fuzzRate float64
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		rep, err := send.Run(b.Context(), send.Options{Target: mockprovider.Target{URL: sink.URL, Provider: schemas.ITNIOTech}, Count: n, Seed: uint64(i + 1), Retries: "none", Workers: workers})
		if err != nil || rep.Summary.Acked != n {
			b.Fatalf("send: %v, %d acked", err, rep.Summary.Acked)
		}
		sendRate += n / time.Since(start).Seconds()

		start = time.Now()
		frep, err := fuzz.Run(b.Context(), fuzz.Options{Target: mockprovider.Target{URL: sink.URL, Provider: schemas.ITNIOTech}, Count: n, Seed: uint64(i + 1), Workers: workers, Out: b.TempDir()})
		if err != nil || frep.Sent != n {
			b.Fatalf("fuzz: %v, %d sent", err, frep.Sent)
		}
		fuzzRate += n / time.Since(start).Seconds()
	}
	b.ReportMetric(sendRate/float64(b.N), "send-req/s")
	b.ReportMetric(fuzzRate/float64(b.N), "fuzz-req/s")
	b.ReportMetric(fuzzRate/sendRate, "fuzz/send")
}
