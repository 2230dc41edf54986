package proxy_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/proxy"
	"github.com/wahook/wahook/schemas"
	"github.com/wahook/wahook/send"
)

// Put the proxy between a provider (here wahook's own send) and a receiver that acks everything, and
// read the drift summary: what came in that the documents do not describe.
func Example() {
	receiver := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer receiver.Close()
	p, err := proxy.New(proxy.Options{Forward: receiver.URL + "/webhook"})
	if err != nil {
		fmt.Println(err)
		return
	}
	front := httptest.NewServer(p)
	defer front.Close()

	report, err := send.Run(context.Background(), send.Options{
		Target:   mockprovider.Target{URL: front.URL, Provider: schemas.ITNIOTech},
		Seed:     7,
		Retries:  "none",
		Mutation: "unknown-fields", // as a provider adding fields without notice would
		Types:    []string{"text"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	drift := p.Drift()
	fmt.Printf("%d acked; %d deliveries, %d valid; first undocumented key: %s\n",
		report.Summary.Acked, drift.Deliveries, drift.Valid, drift.UndocumentedKeys[0].Key)
	// Output:
	// 1 acked; 1 deliveries, 1 valid; first undocumented key: /from/x_wahook_unknown
}
