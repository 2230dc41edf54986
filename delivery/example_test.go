package delivery_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/wahook/wahook/delivery"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
	"github.com/wahook/wahook/send"
)

// A receiver that fails each message once sees every message again after the provider's retry delay
// (TimeScale shrinks InnoPaaS's one minute to 60ms), and the report says what each attempt met.
func Example() {
	var seen sync.Map
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, again := seen.LoadOrStore(r.ContentLength, true); !again {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer receiver.Close()

	report, err := send.Run(context.Background(), send.Options{
		Target:    mockprovider.Target{URL: receiver.URL, Provider: schemas.InnoPaaS, Timeout: 5 * time.Second},
		Types:     []string{"text"},
		TimeScale: 0.001,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range report.Results {
		first := r.Attempts[0]
		fmt.Printf("%s: %s after %d attempts (first: %s, class %s)\n", r.Type, r.Outcome, len(r.Attempts), first.Err, first.Class)
	}
	s := report.Summary
	fmt.Printf("scheduled %d: acked %d, failed %d, cancelled %d; %d attempts, %d %s\n",
		s.Scheduled, s.Acked, s.Failed, s.Cancelled, s.Attempts, s.Errors[delivery.ClassHTTPStatus], delivery.ClassHTTPStatus)
	// Output:
	// text: acked after 2 attempts (first: 503 Service Unavailable, class http-status)
	// scheduled 1: acked 1, failed 0, cancelled 0; 2 attempts, 1 http-status
}
