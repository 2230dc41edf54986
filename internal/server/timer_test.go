package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/delivery"
	"github.com/wahook/wahook/internal/server"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

func TestTimerDeliveries(t *testing.T) {
	rec := newReceiver(t, nil)
	var logs syncBuffer
	srv := start(t, server.Options{Target: mockprovider.Target{URL: rec.URL + "/hook", Provider: "itniotech"}, Every: 10 * time.Millisecond, Types: []string{"text", "image", "location"}, Seed: 9, Logger: &logs})
	require.Eventually(t, func() bool { return len(rec.Hits()) >= 4 }, 10*time.Second, 5*time.Millisecond)

	// The types rotate and the media links point at the server.
	var types []string
	for _, h := range rec.Hits()[:4] {
		var body struct {
			Message struct {
				Type string `json:"type"`
			} `json:"message"`
		}
		require.NoError(t, json.Unmarshal(h.Body, &body))
		types = append(types, body.Message.Type)
		if body.Message.Type == "image" {
			link, _, _ := mediaOf(t, h.Body)
			assert.Contains(t, link, srv.URL()+"/media/")
		}
	}
	assert.Equal(t, []string{"text", "image", "location", "text"}, types)

	// Results go to the ring.
	c := client(t)
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		list, ok := tryDeliveries(ct, c, srv, "?provider=itniotech&status=acked")
		if ok {
			assert.GreaterOrEqual(ct, len(list.Deliveries), 4)
		}
	}, 10*time.Second, 5*time.Millisecond)
	// Settled ones: the timer goes on, and its newest delivery may still be on its way.
	list := deliveries(t, c, srv, "?type=image&status=acked&limit=1")
	require.Len(t, list.Deliveries, 1)
	r := list.Deliveries[0]
	assert.Equal(t, "timer", r.Run)
	assert.Equal(t, delivery.Acked, r.Outcome)
	assert.Equal(t, 1, r.Index%3, "index counts the timer's payloads")
	assert.Contains(t, logs.String(), "timer: itniotech text #0")
	assert.Contains(t, logs.String(), ", 1 attempt, ", "one attempt, in the singular")
	assert.NotContains(t, logs.String(), " 1 attempts")
}

// TestTimerCredentials: the timer's deliveries carry the credentials and extra headers it was given,
// so they reach a receiver that checks them.
func TestTimerCredentials(t *testing.T) {
	rec := newReceiver(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		if r.Header.Get("UserName") != "acme" || r.Header.Get("Authorization") != "Bearer s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	})
	srv := start(t, server.Options{Target: mockprovider.Target{URL: rec.URL + "/hook", Provider: "innopaas", Header: http.Header{"X-Env": {"dev"}}, Credentials: mockprovider.Credentials{User: "acme", Token: "Bearer s3cret"}}, Every: time.Hour, Types: []string{"text"}})
	c := client(t)
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		list, ok := tryDeliveries(ct, c, srv, "?status=acked")
		if ok {
			assert.Len(ct, list.Deliveries, 1)
		}
	}, 10*time.Second, 5*time.Millisecond)
	h := rec.Hits()[0].Header
	assert.Equal(t, []string{"acme"}, h.Values("UserName"))
	assert.Equal(t, []string{"Bearer s3cret"}, h.Values("Authorization"))
	assert.Equal(t, []string{"dev"}, h.Values("X-Env"))
}

// TestTimerVerifies: with a verify token, the timer delivers to a Meta target only once it has echoed
// the handshake's challenge, and keeps trying a target that does not.
func TestTimerVerifies(t *testing.T) {
	const token = "verify-t0ken-never-logged"
	for _, echoes := range []bool{true, false} {
		t.Run(map[bool]string{true: "echoes", false: "refuses"}[echoes], func(t *testing.T) {
			var mu sync.Mutex
			var handshakes int
			var order []string
			rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				order = append(order, r.Method)
				if r.Method == http.MethodGet {
					handshakes++
					q := r.URL.Query()
					if !echoes || q.Get("hub.verify_token") != token || q.Get("hub.mode") != "subscribe" {
						w.WriteHeader(http.StatusForbidden)
						return
					}
					_, _ = io.WriteString(w, q.Get("hub.challenge"))
				}
			}))
			t.Cleanup(rec.Close)
			var logs syncBuffer
			start(t, server.Options{Target: mockprovider.Target{URL: rec.URL + "/hook", Provider: schemas.Meta},
				Every: 10 * time.Millisecond, VerifyToken: token, Logger: &logs})
			require.Eventually(t, func() bool {
				mu.Lock()
				defer mu.Unlock()
				return len(order) >= 3
			}, 10*time.Second, 5*time.Millisecond)
			mu.Lock()
			defer mu.Unlock()
			if echoes {
				assert.Equal(t, []string{http.MethodGet, http.MethodPost, http.MethodPost}, order[:3], "one handshake, then the deliveries")
				assert.Contains(t, logs.String(), "verification of the target passed")
			} else {
				assert.NotContains(t, order, http.MethodPost, "nothing delivered to a target that failed the handshake")
				assert.GreaterOrEqual(t, handshakes, 3, "tried again each period")
				assert.Contains(t, logs.String(), "answered 403")
			}
			assert.NotContains(t, logs.String(), token, "the token is not logged")
		})
	}
	_, err := server.New(server.Options{Target: mockprovider.Target{URL: "http://127.0.0.1:1/hook", Provider: schemas.ITNIOTech}, VerifyToken: "tok"})
	assert.ErrorContains(t, err, "itniotech has no verification handshake")
}
