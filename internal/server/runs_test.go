package server_test

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/delivery"
	"github.com/wahook/wahook/internal/engine"
	"github.com/wahook/wahook/internal/server"
	"github.com/wahook/wahook/mockprovider"
)

// startRun posts a /v1/send that does not wait and decodes its 202.
func startRun(t *testing.T, c *http.Client, srv *server.Server, req map[string]any) server.Accepted {
	t.Helper()
	req["wait"] = false
	resp, err := c.Post(srv.URL()+"/v1/send", "application/json", strings.NewReader(mustJSON(t, req)))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, resp.StatusCode, "answer: %s", b)
	var a server.Accepted
	require.NoError(t, json.Unmarshal(b, &a))
	assert.Equal(t, a.URL, resp.Header.Get("Location"))
	return a
}

// getRun fetches /v1/runs/{id}, reporting failures to t (a CollectT in EventuallyWithT).
func getRun(t assert.TestingT, c *http.Client, srv *server.Server, id string) (server.Run, bool) {
	var run server.Run
	resp, err := c.Get(srv.URL() + "/v1/runs/" + id)
	if !assert.NoError(t, err) {
		return run, false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return run, assert.Equal(t, http.StatusOK, resp.StatusCode, "answer: %s", b) && assert.NoError(t, json.Unmarshal(b, &run))
}

// waitRun waits until run id satisfies ok, and returns it.
func waitRun(t *testing.T, c *http.Client, srv *server.Server, id string, ok func(server.Run) bool) server.Run {
	t.Helper()
	var run server.Run
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		r, fetched := getRun(ct, c, srv, id)
		if assert.True(ct, fetched) {
			run = r
			assert.True(ct, ok(r), "run %s: %+v", id, r.Progress)
		}
	}, 10*time.Second, 5*time.Millisecond)
	return run
}

func do(t *testing.T, c *http.Client, method, url string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

// TestRunWithoutWaiting: "wait": false answers 202 before anything is delivered; the run is listed
// with its options, credentials masked, and its summary once done; its records name it and the
// target.
func TestRunWithoutWaiting(t *testing.T) {
	release := make(chan struct{})
	rec := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 0 {
			<-release
		}
	})
	srv := start(t, server.Options{})
	c := client(t)
	a := startRun(t, c, srv, map[string]any{
		"target": rec.URL + "/hook", "provider": "innopaas", "types": []string{"text"}, "count": 3,
		"authUser": "acme", "authToken": "Bearer s3cret", "header": map[string]any{"X-Env": "dev", "Cookie": "sid=1"}, "retries": "none",
	})
	assert.Equal(t, "send-1", a.Run)
	assert.Equal(t, "/v1/runs/send-1", a.URL)

	running := waitRun(t, c, srv, a.Run, func(r server.Run) bool { return r.Progress.Sending == 1 })
	assert.Equal(t, server.RunRunning, running.State)
	assert.Equal(t, server.Progress{Payloads: 3, Started: 1, Sending: 1}, running.Progress)
	assert.Nil(t, running.Summary)
	close(release)

	done := waitRun(t, c, srv, a.Run, func(r server.Run) bool { return r.State == server.RunDone })
	assert.Equal(t, 3, done.Progress.Acked)
	require.NotNil(t, done.Summary)
	assert.Equal(t, 3, done.Summary.Acked)
	o := done.Options
	assert.Equal(t, "••••••", o.AuthUser)
	assert.Equal(t, "••••••", o.AuthToken)
	assert.Equal(t, map[string][]string{"X-Env": {"dev"}, "Cookie": {"••••••"}}, o.Header)
	assert.Equal(t, rec.URL+"/hook", o.Target)

	status, b := do(t, c, http.MethodGet, srv.URL()+"/v1/runs")
	require.Equal(t, http.StatusOK, status)
	assert.NotContains(t, string(b), "s3cret")
	assert.NotContains(t, string(b), "acme")
	var runs server.RunsResponse
	require.NoError(t, json.Unmarshal(b, &runs))
	require.Len(t, runs.Runs, 1)
	assert.Equal(t, "send-1", runs.Runs[0].ID)

	list := deliveries(t, c, srv, "?run=send-1")
	require.Len(t, list.Deliveries, 3)
	for _, d := range list.Deliveries {
		assert.Equal(t, rec.URL+"/hook", d.Target)
		assert.Equal(t, engine.StateSettled, d.State)
		assert.Equal(t, delivery.Acked, d.Outcome)
	}
	status, _ = do(t, c, http.MethodGet, srv.URL()+"/v1/runs/send-9")
	assert.Equal(t, http.StatusNotFound, status)
}

// TestRunCancel: DELETE stops a run whose delivery waits for a retry; the record then says
// cancelled with the retry cancelled, never a pending one; a second DELETE is refused.
func TestRunCancel(t *testing.T) {
	rec := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(http.StatusServiceUnavailable) })
	srv := start(t, server.Options{})
	c := client(t)
	a := startRun(t, c, srv, map[string]any{"target": rec.URL, "provider": "itniotech", "types": []string{"text"}, "retries": "1h"})
	waitRun(t, c, srv, a.Run, func(r server.Run) bool { return r.Progress.Waiting == 1 })

	waiting := deliveries(t, c, srv, "?status=underway").Deliveries
	require.Len(t, waiting, 1)
	assert.Equal(t, engine.StateWaiting, waiting[0].State)
	require.NotNil(t, waiting[0].NextAttemptAt)
	assert.WithinDuration(t, time.Now().Add(time.Hour), *waiting[0].NextAttemptAt, time.Minute)
	assert.Empty(t, waiting[0].Outcome, "under way: no outcome yet")
	assert.Equal(t, []float64{3_600_000}, waiting[0].RetryDelaysMs)

	status, b := do(t, c, http.MethodDelete, srv.URL()+a.URL)
	require.Equal(t, http.StatusOK, status, "answer: %s", b)
	var run server.Run
	require.NoError(t, json.Unmarshal(b, &run))
	assert.Equal(t, server.RunCancelled, run.State)
	assert.Equal(t, "cancelled by DELETE /v1/runs/send-1", run.Interrupted)
	assert.Equal(t, 1, run.Progress.CancelledRetries)
	require.NotNil(t, run.Summary)
	assert.Equal(t, 1, run.Summary.CancelledRetries)
	assert.Zero(t, run.Progress.Waiting)

	assertCancelledRetry(t, c, srv)
	status, _ = do(t, c, http.MethodDelete, srv.URL()+a.URL)
	assert.Equal(t, http.StatusConflict, status, "an ended run")
}

// assertCancelledRetry checks the one record of the server: a cancelled delivery whose retry was
// cancelled, said one way only.
func assertCancelledRetry(t *testing.T, c *http.Client, srv *server.Server) {
	t.Helper()
	status, _, raw := get(t, c, srv.URL()+"/v1/deliveries")
	require.Equal(t, http.StatusOK, status)
	for _, contradiction := range []string{"pendingRetry", `"retryAt"`, "nextAttemptAt"} {
		assert.NotContains(t, string(raw), contradiction, "a cancelled delivery has nothing pending")
	}
	var list server.DeliveriesResponse
	require.NoError(t, json.Unmarshal(raw, &list))
	require.Len(t, list.Deliveries, 1)
	d := list.Deliveries[0]
	assert.Equal(t, delivery.Cancelled, d.Outcome)
	assert.Equal(t, engine.StateSettled, d.State)
	require.NotNil(t, d.CancelledRetryAt, "the retry that was cancelled, and when it was due")
	assert.WithinDuration(t, time.Now().Add(time.Hour), *d.CancelledRetryAt, time.Minute)
	require.Len(t, d.Attempts, 1)
	assert.Equal(t, http.StatusServiceUnavailable, d.Attempts[0].Status)
}

// TestSendClientGoesAway: a caller that disconnects from a waiting /v1/send while a retry is pending
// cancels the run: the run says why, and the record says cancelled, the retry cancelled with it.
func TestSendClientGoesAway(t *testing.T) {
	rec := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(http.StatusServiceUnavailable) })
	srv := start(t, server.Options{})
	c := client(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL()+"/v1/send",
		strings.NewReader(mustJSON(t, map[string]any{"target": rec.URL, "provider": "itniotech", "types": []string{"text"}, "retries": "1h"})))
	require.NoError(t, err)
	gone := make(chan error, 1)
	go func() {
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		gone <- err
	}()
	waitRun(t, c, srv, "send-1", func(r server.Run) bool { return r.Progress.Waiting == 1 })
	cancel()
	require.Error(t, waitFor(t, gone, "the caller's end"))

	run := waitRun(t, c, srv, "send-1", func(r server.Run) bool { return r.Ended != nil })
	assert.Equal(t, server.RunCancelled, run.State)
	assert.Equal(t, server.ErrClientGone.Error(), run.Interrupted)
	assert.Equal(t, server.Progress{Payloads: 1, Started: 1, Cancelled: 1, CancelledRetries: 1}, run.Progress)
	assertCancelledRetry(t, c, srv)
	assert.Len(t, rec.Hits(), 1, "the retry was never sent")
}

// TestDeliveryDetailAndResend: a delivery's detail shows the headers sent, credentials masked, the
// body the receiver got and the answer's headers; a resend sends the same header lines and body
// again; the curl command does too.
func TestDeliveryDetailAndResend(t *testing.T) {
	rec := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("X-Receiver", "r1")
		_, _ = io.WriteString(w, `{"ok":"<script>"}`)
	})
	srv := start(t, server.Options{Version: "v1.2.3"})
	c := client(t)
	resp := postSend(t, c, srv, mustJSON(t, map[string]any{
		"target": rec.URL + "/hook", "provider": "innopaas", "types": []string{"text"}, "mutation": "wrong-type.body.from",
		"authUser": "acme", "authToken": "Bearer s3cret", "header": map[string]any{"X-Env": "dev"}, "retries": "none",
	}))
	require.Len(t, resp.Results, 1)
	seq := resp.Results[0].Seq
	require.NotZero(t, seq, "the answer's records carry their number in the history")

	status, b := do(t, c, http.MethodGet, srv.URL()+"/v1/deliveries/"+itoa(seq))
	require.Equal(t, http.StatusOK, status, "answer: %s", b)
	assert.NotContains(t, string(b), "s3cret")
	assert.NotContains(t, string(b), "acme")
	var d server.DeliveryDetail
	require.NoError(t, json.Unmarshal(b, &d))
	assert.Equal(t, "wrong-type.body.from", d.Mutation)
	assert.Equal(t, "/body/from", d.Pointer)
	hit := rec.Hits()[0]
	require.NotNil(t, d.Request)
	assert.Equal(t, string(hit.Body), d.Request.Body, "the bytes the receiver got")
	assert.True(t, d.Request.BodyKept)
	got := map[string]server.HeaderField{}
	for _, f := range d.Request.Header {
		got[f.Name] = f
	}
	assert.Equal(t, server.HeaderField{Name: "UserName", Value: "••••••", Masked: "authUser"}, got["UserName"])
	assert.Equal(t, server.HeaderField{Name: "Authorization", Value: "••••••", Masked: "authToken"}, got["Authorization"])
	assert.Equal(t, "dev", got["X-Env"].Value)
	assert.Equal(t, hit.Header.Get("User-Agent"), got["User-Agent"].Value)
	assert.Equal(t, itoa(uint64(len(hit.Body))), got["Content-Length"].Value)
	require.Len(t, d.Attempts, 1)
	assert.Equal(t, []string{"r1"}, d.Attempts[0].Header["X-Receiver"])
	assert.Equal(t, `{"ok":"<script>"}`, d.Attempts[0].Body)
	require.NotNil(t, d.Commands)
	assert.Contains(t, d.Commands.Curl, `"$WAHOOK_AUTH_TOKEN"`)
	assert.Contains(t, d.Commands.WahookSend, `--auth-user "$WAHOOK_AUTH_USER"`)
	assert.Contains(t, d.Commands.WahookSend, `-H 'X-Env: dev'`)
	assert.Empty(t, d.ResendRefused)

	status, b = do(t, c, http.MethodPost, srv.URL()+"/v1/deliveries/"+itoa(seq)+"/resend")
	require.Equal(t, http.StatusAccepted, status, "answer: %s", b)
	var a server.Accepted
	require.NoError(t, json.Unmarshal(b, &a))
	run := waitRun(t, c, srv, a.Run, func(r server.Run) bool { return r.State == server.RunDone })
	assert.Equal(t, "resend", run.Kind)
	assert.Equal(t, seq, run.Options.ResendOf)
	hits := rec.Hits()
	require.Len(t, hits, 2)
	assert.Equal(t, hits[0].Body, hits[1].Body, "the same bytes")
	assert.Equal(t, hits[0].Header, hits[1].Header, "the same header lines")
	again := deliveries(t, c, srv, "?run="+a.Run).Deliveries
	require.Len(t, again, 1)
	assert.Equal(t, "wrong-type.body.from", again[0].Mutation, "a resend carries the same mutation")

	if _, err := exec.LookPath("curl"); err != nil {
		t.Log("curl is not installed: the curl command is not run")
		return
	}
	cmd := exec.Command("sh", "-c", d.Commands.Curl)
	cmd.Env = append(os.Environ(), "WAHOOK_AUTH_USER=acme", "WAHOOK_AUTH_TOKEN=Bearer s3cret")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s\n%s", d.Commands.Curl, out)
	hits = rec.Hits()
	require.Len(t, hits, 3)
	assert.Equal(t, hits[0].Body, hits[2].Body, "curl sends the same bytes")
	assert.Equal(t, hits[0].Header, hits[2].Header, "and the same headers")
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// TestDeliveryRefusals: unknown, malformed and forgotten deliveries are refused with a clear error.
func TestDeliveryRefusals(t *testing.T) {
	srv := start(t, server.Options{RingSize: 1})
	c := client(t)
	srv.AddRecord(server.Record{Run: "send-1", Time: time.Now(), Provider: "innopaas"})
	srv.AddRecord(server.Record{Run: "send-1", Time: time.Now(), Provider: "innopaas"})
	tests := []struct {
		method, path string
		status       int
		says         string
	}{
		{http.MethodGet, "/v1/deliveries/1", http.StatusNotFound, "no delivery 1: the history keeps the last 1"},
		{http.MethodGet, "/v1/deliveries/x", http.StatusBadRequest, "is not a delivery's seq"},
		{http.MethodPost, "/v1/deliveries/2/resend", http.StatusConflict, "delivery 2 kept no request to send again"},
		{http.MethodGet, "/v1/deliveries/2/nope", http.StatusNotFound, "no such endpoint"},
		{http.MethodGet, "/v1/runs/a/b", http.StatusNotFound, "no such endpoint"},
		{http.MethodPost, "/v1/runs", http.StatusMethodNotAllowed, "method POST not allowed"},
	}
	for _, tt := range tests {
		status, b := do(t, c, tt.method, srv.URL()+tt.path)
		assert.Equal(t, tt.status, status, "%s %s: %s", tt.method, tt.path, b)
		assert.Contains(t, string(b), tt.says, "%s %s", tt.method, tt.path)
	}
}

// TestEvents: the event stream starts with everything held, then sends each change: a new
// delivery's row, and its run.
func TestEvents(t *testing.T) {
	rec := newReceiver(t, nil)
	srv := start(t, server.Options{})
	c := client(t)
	postSend(t, c, srv, mustJSON(t, map[string]any{"target": rec.URL, "provider": "itniotech", "types": []string{"text"}}))

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL()+"/v1/events", nil)
	require.NoError(t, err)
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	events := make(chan server.Update, 10)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var u server.Update
				if assert.NoError(t, json.Unmarshal([]byte(data), &u)) {
					events <- u
				}
			}
		}
	}()
	first := waitFor(t, events, "the first update")
	assert.True(t, first.Reset)
	require.Len(t, first.Rows, 1)
	assert.Equal(t, "send-1", first.Rows[0].Run)
	assert.Equal(t, uint64(1), first.Oldest)
	require.Len(t, first.Runs, 1)

	postSend(t, c, srv, mustJSON(t, map[string]any{"target": rec.URL, "provider": "itniotech", "types": []string{"image"}, "mutation": "unknown-fields"}))
	var rows []server.Row
	for len(rows) == 0 || rows[0].State != engine.StateSettled || !strings.HasPrefix(rows[0].Run, "send-2") {
		u := waitFor(t, events, "an update with the second run")
		assert.False(t, u.Reset)
		assert.Greater(t, u.Rev, first.Rev)
		if len(u.Rows) > 0 {
			rows = u.Rows
		}
	}
	assert.Equal(t, "unknown-fields", rows[0].Mutation)
	assert.Equal(t, rec.URL, rows[0].Target)
	assert.Equal(t, uint64(2), rows[0].Seq)
}

// TestCatalogue: every registered provider, with its types and mutations, each with the types it
// applies to.
func TestCatalogue(t *testing.T) {
	srv := start(t, server.Options{RingSize: 50})
	c := client(t)
	status, _, b := get(t, c, srv.URL()+"/v1/catalogue")
	require.Equal(t, http.StatusOK, status)
	var cat server.Catalogue
	require.NoError(t, json.Unmarshal(b, &cat))
	assert.Equal(t, 50, cat.History)
	assert.Equal(t, []string{"404", "slow", "corrupt"}, cat.MediaFaults)
	provs := mockprovider.Providers()
	require.Len(t, cat.Providers, len(provs))
	for i, p := range provs {
		cp := cat.Providers[i]
		assert.Equal(t, string(p.Name), cp.Name)
		assert.Equal(t, p.Types(), cp.Types)
		ms, err := mockprovider.Mutations(p.Name)
		require.NoError(t, err)
		require.Len(t, cp.Mutations, len(ms))
		for j, m := range cp.Mutations {
			assert.Equal(t, ms[j].ID, m.ID)
			assert.NotEmpty(t, m.Types, m.ID)
			for _, typ := range m.Types {
				assert.True(t, ms[j].AppliesTo(typ), "%s applies to %s", m.ID, typ)
			}
		}
	}
}

// TestSendSigned: a /v1/send with an app secret signs each Meta delivery over its bytes, and the run's
// options and the delivery's commands never show the secret.
func TestSendSigned(t *testing.T) {
	var bodies, signatures []string
	var mu sync.Mutex
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies, signatures = append(bodies, string(body)), append(signatures, r.Header.Get("X-Hub-Signature-256"))
		mu.Unlock()
	}))
	t.Cleanup(rec.Close)
	srv := start(t, server.Options{})
	c := client(t)
	status, answer := post(t, c, srv.URL()+"/v1/send", mustJSON(t, map[string]any{"target": rec.URL, "provider": "meta", "count": 2, "appSecret": "app-s3cret", "retries": "none"}))
	require.Equal(t, http.StatusOK, status, "%s", answer)
	assert.NotContains(t, string(answer), "app-s3cret")
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, bodies, 2)
	for i, body := range bodies {
		mac := hmac.New(sha256.New, []byte("app-s3cret"))
		mac.Write([]byte(body))
		assert.Equal(t, "sha256="+hex.EncodeToString(mac.Sum(nil)), signatures[i])
	}
	status, _, runs := get(t, c, srv.URL()+"/v1/runs")
	require.Equal(t, http.StatusOK, status)
	assert.NotContains(t, string(runs), "app-s3cret")
	assert.Contains(t, string(runs), `"appSecret": "`)
}
