package engine_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/wahook/wahook/internal/engine"
)

// A receiver that fails each message once sees every message again after the retry delay; TimeScale
// shrinks a provider's one-minute delay to 60ms.
func Example() {
	var seen sync.Map
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, again := seen.LoadOrStore(r.Header.Get("X-Message-Id"), true); !again {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer receiver.Close()

	payloads := []engine.Payload{
		{ID: "wamid.1", Body: []byte(`{"id":"wamid.1"}`), Header: http.Header{"X-Message-Id": {"wamid.1"}}},
		{ID: "wamid.2", Body: []byte(`{"id":"wamid.2"}`), Header: http.Header{"X-Message-Id": {"wamid.2"}}},
	}
	report, err := engine.Run(context.Background(), engine.Options{
		Target:    receiver.URL,
		Header:    http.Header{"User-Agent": {"example-provider/1.0"}},
		Retries:   []time.Duration{time.Minute, 3 * time.Minute, 5 * time.Minute},
		TimeScale: 0.001,
	}, payloads)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range report.Results {
		fmt.Printf("%s: %s after %d attempts (first: %s)\n", r.PayloadID, r.Outcome, len(r.Attempts), r.Attempts[0].Err)
	}
	s := report.Summary
	fmt.Printf("scheduled %d: acked %d, failed %d, cancelled %d\n", s.Scheduled, s.Acked, s.Failed, s.Cancelled)
	// Output:
	// wamid.1: acked after 2 attempts (first: 503 Service Unavailable)
	// wamid.2: acked after 2 attempts (first: 503 Service Unavailable)
	// scheduled 2: acked 2, failed 0, cancelled 0
}
