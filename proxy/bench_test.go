package proxy_test

import (
	"net/http"
	"path/filepath"
	"testing"

	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/proxy"
	"github.com/wahook/wahook/schemas"
	"github.com/wahook/wahook/send"
)

// BenchmarkThroughput sends the same deliveries straight to a trivial receiver, through the proxy
// with validation on, and through one that also records and redacts them, in the same run; the goal
// is proxied/direct >= 0.7 with recording on.
func BenchmarkThroughput(b *testing.B) {
	sink := serveB(b, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	px, err := proxy.New(proxy.Options{Forward: sink})
	if err != nil {
		b.Fatal(err)
	}
	through := serveB(b, px)
	const n = 20_000
	var direct, proxied, recorded float64
	for b.Loop() {
		rec, err := proxy.New(proxy.Options{Forward: sink, Record: filepath.Join(b.TempDir(), "rec"), Redact: true})
		if err != nil {
			b.Fatal(err)
		}
		recording := serveB(b, rec)
		for _, to := range []struct {
			url  string
			rate *float64
		}{{sink, &direct}, {through, &proxied}, {recording, &recorded}} {
			rep, err := send.Run(b.Context(), send.Options{Target: mockprovider.Target{URL: to.url, Provider: schemas.ITNIOTech}, Count: n, Workers: 16, Retries: "none"})
			if err != nil || rep.Summary.Acked != n {
				b.Fatalf("%v: %d of %d acked", err, rep.Summary.Acked, n)
			}
			*to.rate += rep.Summary.Rate
		}
	}
	b.ReportMetric(direct/float64(b.N), "direct-req/s")
	b.ReportMetric(proxied/float64(b.N), "proxied-req/s")
	b.ReportMetric(proxied/direct, "proxied/direct")
	b.ReportMetric(recorded/direct, "recorded/direct")
}

func serveB(b *testing.B, h http.Handler) string {
	srv := httptestServer(h)
	b.Cleanup(srv.Close)
	return srv.URL
}
