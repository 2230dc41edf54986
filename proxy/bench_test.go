package proxy_test

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/proxy"
	"github.com/wahook/wahook/schemas"
	"github.com/wahook/wahook/send"
)

// BenchmarkThroughput sends the same deliveries, with the same send.Run, straight to a trivial
// receiver and through four proxies in front of it, in the same run: a bare httputil.ReverseProxy
// (what any net/http proxy costs: the ceiling for this one on the same cores), the proxy with
// validation on, with recording too, and with recording and redaction. The goal is
// recorded/direct >= 0.7; bare/direct says how much of the gap no proxy in this process can close.
func BenchmarkThroughput(b *testing.B) {
	sink := serveB(b, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	sinkURL, err := url.Parse(sink)
	if err != nil {
		b.Fatal(err)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 64
	bare := serveB(b, &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(sinkURL) }, Transport: transport})
	px, err := proxy.New(proxy.Options{Forward: sink})
	if err != nil {
		b.Fatal(err)
	}
	through := serveB(b, px)
	const n = 20_000
	var direct, bared, proxied, recorded, redacted float64
	type target struct {
		url  string
		rate *float64
	}
	for b.Loop() {
		targets := []target{{sink, &direct}, {bare, &bared}, {through, &proxied}}
		for i, rate := range []*float64{&recorded, &redacted} {
			rec, err := proxy.New(proxy.Options{Forward: sink, Record: filepath.Join(b.TempDir(), "rec"), Redact: i == 1})
			if err != nil {
				b.Fatal(err)
			}
			targets = append(targets, target{serveB(b, rec), rate})
		}
		for _, to := range targets {
			rep, err := send.Run(b.Context(), send.Options{Target: mockprovider.Target{URL: to.url, Provider: schemas.ITNIOTech}, Count: n, Workers: 16, Retries: "none"})
			if err != nil || rep.Summary.Acked != n {
				b.Fatalf("%v: %d of %d acked", err, rep.Summary.Acked, n)
			}
			*to.rate += rep.Summary.Rate
		}
	}
	b.ReportMetric(direct/float64(b.N), "direct-req/s")
	b.ReportMetric(proxied/float64(b.N), "proxied-req/s")
	b.ReportMetric(bared/direct, "bare/direct")
	b.ReportMetric(proxied/direct, "proxied/direct")
	b.ReportMetric(recorded/direct, "recorded/direct")
	b.ReportMetric(redacted/direct, "redacted/direct")
}

func serveB(b *testing.B, h http.Handler) string {
	srv := httptestServer(h)
	b.Cleanup(srv.Close)
	return srv.URL
}
