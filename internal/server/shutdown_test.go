package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wahook/wahook/internal/media"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/delivery"
	"github.com/wahook/wahook/internal/engine"
	"github.com/wahook/wahook/internal/server"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// hanging returns a receiver that answers its first `answered` requests with status and hangs on the
// others until they are abandoned or the test ends, and a channel that gets one value per request.
func hanging(t *testing.T, answered, status int) (*receiver, <-chan int) {
	t.Helper()
	arrived := make(chan int, 100)
	release := make(chan struct{})
	rec := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) {
		arrived <- n
		if n < answered {
			w.WriteHeader(status)
			return
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // runs before the receiver's own Close
	return rec, arrived
}

// sendAsync posts a /v1/send and delivers the decoded answer on the returned channel.
func sendAsync(t *testing.T, c *http.Client, srv *server.Server, body string) <-chan server.SendResponse {
	t.Helper()
	out := make(chan server.SendResponse, 1)
	go func() {
		defer close(out)
		resp, err := c.Post(srv.URL()+"/v1/send", "application/json", strings.NewReader(body))
		if !assert.NoError(t, err) {
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if !assert.Equal(t, http.StatusOK, resp.StatusCode, "answer: %s", b) {
			return
		}
		var sr server.SendResponse
		if assert.NoError(t, json.Unmarshal(b, &sr)) {
			out <- sr
		}
	}()
	return out
}

func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v, ok := <-ch:
		require.True(t, ok, "%s: channel closed", what)
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

func TestShutdownCancelsInFlightSends(t *testing.T) {
	rec, arrived := hanging(t, 0, 0)
	srv := start(t, server.Options{})
	c := client(t)
	answer := sendAsync(t, c, srv, mustJSON(t, map[string]any{"target": rec.URL, "provider": "innopaas", "types": []string{"text"}, "count": 3}))
	waitFor(t, arrived, "the first delivery")

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	began := time.Now()
	require.NoError(t, srv.Shutdown(ctx))
	assert.Less(t, time.Since(began), 5*time.Second, "shutdown does not wait for the receiver")

	resp := waitFor(t, answer, "the send's answer")
	assert.Equal(t, server.ErrShutdown.Error(), resp.Interrupted)
	sum := resp.Summary
	assert.Equal(t, 3, sum.Scheduled)
	assert.Equal(t, 3, sum.Cancelled)
	assert.Equal(t, sum.Scheduled, sum.Acked+sum.Failed+sum.Cancelled, "accounting identity")
	// The deliveries made have their records; those never reached are counted only.
	require.NotEmpty(t, resp.Results)
	assert.LessOrEqual(t, len(resp.Results), 3)
	for _, r := range resp.Results {
		assert.Equal(t, delivery.Cancelled, r.Outcome)
	}
	require.Len(t, resp.Results[0].Attempts, 1, "the hanging attempt is recorded")
	assert.Equal(t, delivery.ClassCancelled, resp.Results[0].Attempts[0].Class)
	assert.Equal(t, server.ShutdownStats{Cancelled: 3}, srv.ShutdownStats())

	select {
	case <-srv.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed after Shutdown")
	}
	_, err := c.Get(srv.URL() + "/healthz")
	assert.Error(t, err, "no longer accepting")
	assert.NoError(t, srv.Shutdown(ctx), "a second Shutdown is harmless")
}

// TestShutdownCancelsRetries: a delivery waiting for its retry when the server shuts down is
// cancelled, and its record says the retry was cancelled, not that one is pending.
func TestShutdownCancelsRetries(t *testing.T) {
	// Payload 0 fails and waits an hour for its retry; payload 1 hangs. With one worker, payload 1 is
	// sent only once payload 0's attempt is over.
	rec, arrived := hanging(t, 1, http.StatusInternalServerError)
	srv := start(t, server.Options{})
	c := client(t)
	answer := sendAsync(t, c, srv, mustJSON(t, map[string]any{
		"target": rec.URL, "provider": "itniotech", "types": []string{"text"}, "count": 2, "retries": "1h",
	}))
	waitFor(t, arrived, "payload 0")
	waitFor(t, arrived, "payload 1")
	require.NoError(t, srv.Close())

	resp := waitFor(t, answer, "the send's answer")
	assert.Equal(t, 2, resp.Summary.Cancelled)
	assert.Equal(t, 1, resp.Summary.CancelledRetries)
	require.Len(t, resp.Results, 2)
	first := resp.Results[0]
	assert.Equal(t, delivery.Cancelled, first.Outcome)
	assert.Equal(t, engine.StateSettled, first.State)
	assert.Nil(t, first.NextAttemptAt, "nothing is pending")
	require.NotNil(t, first.CancelledRetryAt)
	assert.WithinDuration(t, time.Now().Add(time.Hour), *first.CancelledRetryAt, time.Minute)
	require.Len(t, first.Attempts, 1)
	assert.Equal(t, http.StatusInternalServerError, first.Attempts[0].Status)
	assert.Nil(t, resp.Results[1].CancelledRetryAt)
	assert.Equal(t, server.ShutdownStats{Cancelled: 2, CancelledRetries: 1}, srv.ShutdownStats())
}

func TestSendAfterShutdownBegins(t *testing.T) {
	// Mounted as a handler, the server outlives its Shutdown: new sends are refused, not started.
	srv, err := server.New(server.Options{})
	require.NoError(t, err)
	host := httptest.NewServer(srv)
	t.Cleanup(host.Close)
	require.NoError(t, srv.Close())
	status, body := post(t, client(t), host.URL+"/v1/send", `{"target":"http://127.0.0.1:1/","provider":"innopaas"}`)
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Contains(t, string(body), "server shutting down")
}

func TestServeListener(t *testing.T) {
	srv, err := server.New(server.Options{})
	require.NoError(t, err)
	l := listen(t)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.NotEmpty(c, srv.URL())
	}, 5*time.Second, time.Millisecond)
	status, _, _ := get(t, client(t), srv.URL()+"/healthz")
	assert.Equal(t, http.StatusOK, status)
	require.NoError(t, srv.Close())
	assert.NoError(t, waitFor(t, served, "Serve to return"))
	assert.Error(t, srv.Serve(listen(t)), "a closed server does not serve again")
}

func TestNoGoroutineLeak(t *testing.T) {
	baseline := runtime.NumGoroutine()
	func() {
		rec := newReceiver(t, nil)
		defer rec.Close()
		rec2, arrived := hanging(t, 0, 0)
		defer rec2.Close()
		srv, err := server.New(server.Options{Target: mockprovider.Target{URL: rec.URL}, Listen: "127.0.0.1:0", Every: 10 * time.Millisecond, DripInterval: 50 * time.Millisecond})
		require.NoError(t, err)
		require.NoError(t, srv.Start(t.Context()))
		c := &http.Client{Transport: &http.Transport{}}
		defer c.CloseIdleConnections()

		postSend(t, c, srv, mustJSON(t, map[string]any{"target": rec.URL, "provider": "innopaas", "workers": 4}))
		hung := sendAsync(t, c, srv, mustJSON(t, map[string]any{"target": rec2.URL, "provider": "itniotech", "types": []string{"text"}}))
		waitFor(t, arrived, "the hanging delivery")
		// A slow download in progress.
		m := generated(t, srv, schemas.InnoPaaS, "video", media.FaultSlow)
		resp, err := c.Get(m.URL)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Eventually(t, func() bool { return len(rec.Hits()) > 25 }, 5*time.Second, time.Millisecond, "timer deliveries")

		require.NoError(t, srv.Close())
		waitFor(t, hung, "the hanging send's answer")
		_, _ = io.Copy(io.Discard, resp.Body)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > baseline && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > baseline {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines at start, %d after Close:\n%s", baseline, n, buf[:runtime.Stack(buf, true)])
	}
}

func TestConcurrentSendsBounded(t *testing.T) {
	rec, arrived := hanging(t, 0, 0)
	srv := start(t, server.Options{})
	c := client(t)
	body := mustJSON(t, map[string]any{"target": rec.URL, "provider": "innopaas", "types": []string{"text"}})
	answers := make([]<-chan server.SendResponse, server.MaxConcurrentSends)
	for i := range answers {
		answers[i] = sendAsync(t, c, srv, body)
	}
	for i := range server.MaxConcurrentSends {
		waitFor(t, arrived, fmt.Sprintf("delivery %d", i))
	}
	status, answer := post(t, c, srv.URL()+"/v1/send", body)
	assert.Equal(t, http.StatusTooManyRequests, status)
	assert.Contains(t, string(answer), "16 sends are already running")

	require.NoError(t, srv.Close())
	for _, a := range answers {
		assert.Equal(t, 1, waitFor(t, a, "an answer").Summary.Cancelled)
	}
	assert.Equal(t, server.ShutdownStats{Cancelled: server.MaxConcurrentSends}, srv.ShutdownStats())
}
