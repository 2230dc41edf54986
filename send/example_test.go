package send_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"

	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
	"github.com/wahook/wahook/send"
)

// Deliver one generated webhook of every ITNIO Tech message type to a receiver, as the provider would,
// without retries.
func Example() {
	var got atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") == "application/json" {
			got.Add(1)
		}
	}))
	defer receiver.Close()

	report, err := send.Run(context.Background(), send.Options{
		Target:  mockprovider.Target{URL: receiver.URL + "/webhook", Provider: schemas.ITNIOTech},
		Seed:    7,
		Retries: "none",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	s := report.Summary
	fmt.Printf("%d acked of %d; the receiver saw %d JSON webhooks\n", s.Acked, s.Scheduled, got.Load())
	// Output:
	// 11 acked of 11; the receiver saw 11 JSON webhooks
}
