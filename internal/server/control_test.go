package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/delivery"
	"github.com/wahook/wahook/internal/server"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

func TestSend(t *testing.T) {
	tests := []struct {
		name      string
		request   map[string]any // target is added
		wantTypes []string       // the types delivered, in order
	}{
		{
			name:      "every innopaas type",
			request:   map[string]any{"provider": "innopaas", "seed": 7, "retries": "none"},
			wantTypes: schemas.Types(schemas.InnoPaaS),
		},
		{
			name:      "every itniotech type, types all, durations as strings",
			request:   map[string]any{"provider": "itniotech", "types": []string{"all"}, "timeout": "5s", "retries": "1ms,2ms", "timeScale": 0.5},
			wantTypes: schemas.Types(schemas.ITNIOTech),
		},
		{
			name: "count round-robin, workers, headers as string and array, timeout in nanoseconds",
			request: map[string]any{
				"provider": "innopaas", "types": []string{"text", "image"}, "count": 5, "workers": 3,
				"timeout": 5_000_000_000, "authUser": "u", "authToken": "tok",
				"header": map[string]any{"X-One": "1", "X-Two": []string{"a", "b"}},
			},
			wantTypes: []string{"text", "image", "text", "image", "text"},
		},
		{
			name:      "a mutation",
			request:   map[string]any{"provider": "innopaas", "types": []string{"text"}, "mutation": "max-length-text", "count": 2},
			wantTypes: []string{"text", "text"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newReceiver(t, nil)
			srv := start(t, server.Options{Version: "v9.9.9"})
			c := client(t)
			tt.request["target"] = rec.URL + "/webhook"
			resp := postSend(t, c, srv, mustJSON(t, tt.request))

			require.Len(t, resp.Results, len(tt.wantTypes), "one result per payload")
			require.Len(t, rec.Hits(), len(tt.wantTypes), "the receiver got every payload")
			assert.Regexp(t, `^send-\d+$`, resp.Run)
			assert.Empty(t, resp.Interrupted)
			sum := resp.Summary
			assert.Equal(t, len(tt.wantTypes), sum.Scheduled)
			assert.Equal(t, sum.Scheduled, sum.Acked+sum.Failed+sum.Cancelled, "accounting identity")
			assert.Equal(t, len(tt.wantTypes), sum.Acked)
			assert.Equal(t, len(tt.wantTypes), sum.LatencyMs.Count)
			for i, r := range resp.Results {
				assert.Equal(t, i, r.Delivery, "results in schedule order")
				assert.Equal(t, tt.wantTypes[i], r.Type)
				assert.Equal(t, resp.Run, r.Run)
				assert.Equal(t, delivery.Acked, r.Outcome)
				assert.Equal(t, http.StatusOK, r.Status)
				assert.NotZero(t, r.Seq)
				assert.NotEmpty(t, r.ID)
				require.Len(t, r.Attempts, 1)
				assert.JSONEq(t, `{"ok":true}`, r.Attempts[0].Body)
			}
			for _, h := range rec.Hits() {
				assert.Contains(t, h.Header.Get("User-Agent"), "wahook/v9.9.9")
			}
			if tt.request["header"] != nil {
				h := rec.Hits()[0].Header
				assert.Equal(t, "1", h.Get("X-One"))
				assert.Equal(t, []string{"a", "b"}, h.Values("X-Two"))
				assert.Equal(t, "u", h.Get("UserName"))
				assert.Equal(t, "tok", h.Get("Authorization"))
			}
			// The records are also in the ring, newest first.
			list := deliveries(t, c, srv, "")
			require.Len(t, list.Deliveries, len(tt.wantTypes))
			var newest uint64
			for _, r := range resp.Results {
				newest = max(newest, r.Seq)
			}
			assert.Equal(t, newest, list.Deliveries[0].Seq)
		})
	}
}

// TestSendGivenBodies: bodies are sent byte for byte as written in the request, rawBodies as the bytes
// of their strings, in that order, each a delivery of its own.
func TestSendGivenBodies(t *testing.T) {
	rec := newReceiver(t, nil)
	srv := start(t, server.Options{})
	const first = `{"messageId":"m-1", "eventType":"up-message-event","message":{"type":"text","text":{"body":"hi \u00e9"}}}`
	body := `{"target":"` + rec.URL + `","provider":"itniotech","retries":"none",` +
		`"bodies":[` + first + `, [1,2]],"rawBodies":["not json {", ""]}`
	resp := postSend(t, client(t), srv, body)
	require.Len(t, resp.Results, 4)
	assert.Equal(t, 4, resp.Summary.Acked)
	var got []string
	for _, h := range rec.Hits() {
		got = append(got, string(h.Body))
	}
	assert.Equal(t, []string{first, "[1,2]", "not json {", ""}, got)
	assert.Equal(t, "m-1", resp.Results[0].ID, "the id is read from a body that has one")
	assert.Equal(t, "text", resp.Results[0].Type)
	assert.Equal(t, "file-3", resp.Results[2].ID)
}

// TestSendAnswerKeepsWholeBodies: the answer to /v1/send carries each response body as the engine
// kept it, up to 64 KiB; the ring keeps MaxRecordBody of it.
func TestSendAnswerKeepsWholeBodies(t *testing.T) {
	page := strings.Repeat("0123456789", 3000) // 30,000 bytes
	rec := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, page)
	})
	srv := start(t, server.Options{})
	c := client(t)
	resp := postSend(t, c, srv, mustJSON(t, map[string]any{"target": rec.URL, "provider": "innopaas", "types": []string{"text"}, "retries": "none"}))
	require.Len(t, resp.Results, 1)
	a := resp.Results[0].Attempts[0]
	assert.Equal(t, page, a.Body)
	assert.False(t, a.BodyTruncated)

	list := deliveries(t, c, srv, "")
	require.Len(t, list.Deliveries, 1)
	kept := list.Deliveries[0].Attempts[0]
	assert.Equal(t, page[:server.MaxRecordBody], kept.Body)
	assert.True(t, kept.BodyTruncated)
	assert.Equal(t, resp.Results[0].Seq, list.Deliveries[0].Seq, "the same delivery")
}

func TestSendFailedDeliveriesAreRecords(t *testing.T) {
	rec := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	srv := start(t, server.Options{})
	resp := postSend(t, client(t), srv, mustJSON(t, map[string]any{
		"target": rec.URL, "provider": "innopaas", "types": []string{"text"}, "count": 2, "retries": "1ms", "timeScale": 1,
	}))
	require.Len(t, resp.Results, 2)
	assert.Equal(t, 2, resp.Summary.Failed)
	assert.Equal(t, 4, resp.Summary.Attempts, "one retry each")
	assert.Equal(t, map[delivery.ErrorClass]int{delivery.ClassHTTPStatus: 4}, resp.Summary.Errors)
	for _, r := range resp.Results {
		assert.Equal(t, delivery.Failed, r.Outcome)
		assert.Equal(t, http.StatusInternalServerError, r.Status)
		require.Len(t, r.Attempts, 2)
		assert.Equal(t, "boom\n", r.Attempts[1].Body)
		assert.Equal(t, delivery.ClassHTTPStatus, r.Attempts[1].Class)
	}
}

// notApplicable finds a mutation of p that does not apply to typ.
func notApplicable(t *testing.T, p schemas.Provider, typ string) string {
	t.Helper()
	muts, err := mockprovider.Mutations(p)
	require.NoError(t, err)
	for _, m := range muts {
		if !m.AppliesTo(typ) {
			return m.ID
		}
	}
	t.Fatalf("every mutation of %s applies to %s", p, typ)
	return ""
}

func TestSendBadInput(t *testing.T) {
	const target = "http://127.0.0.1:1/webhook" // nothing is sent: every request is refused first
	base := func(extra string) string {
		return `{"target":"` + target + `","provider":"innopaas"` + extra + `}`
	}
	tests := []struct {
		name    string
		body    string
		wantErr string // substring of the JSON error
	}{
		{"empty body", "", "empty body"},
		{"whitespace body", " \n ", "empty body"},
		{"malformed JSON", `{"target":`, "not JSON"},
		{"syntax error", `{"target" "x"}`, "not JSON"},
		{"not an object", `[1,2]`, "got a JSON array, want an object"},
		{"a string", `"hello"`, "want an object"},
		{"two values", base("") + `{}`, "more than one JSON value"},
		{"unknown field", base(`,"bogus":1`), `unknown field "bogus"`},
		{"caFile", base(`,"caFile":"/nonexistent/ca.pem"`), "caFile: the control API reads no file a caller names; start wahook serve with --ca-file to trust a certificate"},
		{"zero time scale", base(`,"timeScale":0`), "timeScale: 0, want a factor > 0 such as 0.001 (leave it out for 1)"},
		{"null", `null`, "target: missing"},
		{"missing target", `{"provider":"innopaas"}`, "target: missing"},
		{"target not http", `{"target":"ftp://x/","provider":"innopaas"}`, "scheme must be http or https"},
		{"target without host", `{"target":"http:///x","provider":"innopaas"}`, "has no host"},
		{"target without a host name", `{"target":"http://:0/","provider":"innopaas"}`, `target: "http://:0/": Host ":0" is not host[:port]`},
		{"target not a URL", `{"target":"http://[::1","provider":"innopaas"}`, "is not a URL"},
		{"target a number", `{"target":1,"provider":"innopaas"}`, "target: got a JSON number, want a string"},
		{"missing provider", `{"target":"` + target + `"}`, "provider: missing"},
		{"unknown provider", `{"target":"` + target + `","provider":"no-such-provider"}`, `unknown provider "no-such-provider"`},
		{"unknown type", base(`,"types":["text","hologram"]`), `unknown message type "hologram"`},
		{"type of the other provider", base(`,"types":["unsupported"]`), `unknown message type "unsupported"`},
		{"all among types", base(`,"types":["all","text"]`), `"all" cannot be combined`},
		{"types not an array", base(`,"types":"text"`), "types: got a JSON string, want an array of strings"},
		{"unknown mutation", base(`,"mutation":"explode"`), `unknown mutation "explode"`},
		{"mutation for none of the types", base(`,"types":["text"],"mutation":"` + notApplicable(t, schemas.InnoPaaS, "text") + `"`), "applies to none of the chosen types"},
		{"negative count", base(`,"count":-1`), "count: negative"},
		{"count too large", base(fmt.Sprintf(`,"count":%d`, server.MaxCount+1)), "count: 100001 is more than 100000"},
		{"count not an integer", base(`,"count":1.5`), "count: got a JSON number 1.5, want an integer"},
		{"count a string", base(`,"count":"5"`), "count: got a JSON string, want an integer"},
		{"count overflowing", base(`,"count":1e30`), "count"},
		{"negative seed", base(`,"seed":-1`), "seed: got a JSON number -1"},
		{"negative workers", base(`,"workers":-2`), "workers: negative"},
		{"too many workers", base(fmt.Sprintf(`,"workers":%d`, server.MaxWorkers+1)), "workers: 257 is more than 256"},
		{"negative time scale", base(`,"timeScale":-1`), "timeScale"},
		{"negative rate", base(`,"rate":-0.5`), "rate"},
		{"duplicates over 1", base(`,"duplicates":1.5`), "duplicates"},
		{"bad quirks", base(`,"quirks":"weird"`), `quirks: "weird"`},
		{"bad media fault", base(`,"mediaFault":"500"`), `mediaFault: "500"`},
		{"bad media base URL", base(`,"mediaBaseURL":"file:///tmp"`), "mediaBaseURL"},
		{"timeout not a duration", base(`,"timeout":"ten seconds"`), `timeout: "ten seconds" is not a duration`},
		{"timeout negative", base(`,"timeout":"-1s"`), "timeout: negative"},
		{"timeout too long", base(`,"timeout":"1h"`), "timeout: 1h0m0s is more than 5m0s"},
		{"timeout a fraction", base(`,"timeout":1.5`), "timeout: 1.5 is neither"},
		{"timeout an object", base(`,"timeout":{}`), "timeout"},
		{"retries not durations", base(`,"retries":"soon"`), `retries "soon"`},
		{"too many retries", base(`,"retries":"` + strings.TrimSuffix(strings.Repeat("1s,", server.MaxRetries+1), ",") + `"`), "retries: 33 delays, at most 32"},
		{"header name with a space", base(`,"header":{"Bad Name":"x"}`), `header: name "Bad Name" is not a token`},
		{"header name with a parenthesis", base(`,"header":{"X(bad":"x"}`), `header: name "X(bad" is not a token`},
		{"header value with CRLF", base(`,"header":{"X-A":"a\r\nInjected: yes"}`), "header: X-A: control character 0x0d at byte 1 of the value"},
		{"header value with a control character", base(`,"header":{"X-A":["ok","a\u0001b"]}`), "header: X-A: control character 0x01 at byte 1 of the value"},
		{"Host not host[:port]", base(`,"header":{"Host":"bad host"}`), `header: Host "bad host" is not host[:port]`},
		{"header names differing only in case", base(`,"header":{"X-A":"1","x-a":"2"}`), `header: "X-A" and "x-a" differ only in letter case`},
		{"header value a number", base(`,"header":{"X-A":1}`), "X-A: want a string or an array of strings"},
		{"header name of any length", base(`,"header":{"` + strings.Repeat("(", 100_000) + `":"v"}`), `header: name "((((`},
		{"header not an object", base(`,"header":["X-A: 1"]`), "header: got a JSON array, want an object"},
		{"credentials with CR", base(`,"authToken":"a\rb"`), "authToken: control character 0x0d at byte 1 of the value"},
		{"bodies with types", base(`,"bodies":[{}],"types":["text"]`), "types: applies to generated payloads, not to bodies or rawBodies"},
		{"bodies with count", base(`,"rawBodies":["x"],"count":2`), "count: applies to generated payloads"},
		{"bodies with a mutation", base(`,"bodies":[{}],"mutation":"empty-body"`), "mutation: applies to generated payloads"},
		{"bodies not an array", base(`,"bodies":{}`), "bodies: got a JSON object, want an array of JSON values"},
		{"rawBodies not strings", base(`,"rawBodies":[{}]`), "rawBodies: got a JSON object, want a string"},
		{"time scale a string", base(`,"timeScale":"fast"`), "timeScale: got a JSON string, want a number"},
		{"credentials for a provider without credential headers", `{"target":"` + target + `","provider":"itniotech","authUser":"u"}`, "authUser: itniotech: the provider documents no credential headers"},
		{"credential in a header never echoed", base(`,"header":{"Authorization":"Bearer s3cret\u0001"}`), "header: Authorization: control character 0x01 at byte 13 of the value"},
		{"empty Host", base(`,"header":{"Host":""}`), "header: Host is empty: leave it out to send the target's"},
		{"body over the cap", base(`,"mutation":"` + strings.Repeat("x", server.MaxRequestBytes) + `"`), "body is over 1048576 bytes"},
	}
	srv := start(t, server.Options{})
	c := client(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := post(t, c, srv.URL()+"/v1/send", tt.body)
			require.Equal(t, http.StatusBadRequest, status, "answer: %s", body)
			var e struct{ Error string }
			require.NoError(t, json.Unmarshal(body, &e), "the error is JSON: %s", body)
			assert.Contains(t, e.Error, tt.wantErr)
			assert.NotContains(t, e.Error, "bad request:", "the status says it already")
			assert.NotContains(t, e.Error, "s3cret", "a header value may be a credential")
			assert.Less(t, len(e.Error), 400, "the answer quotes a bounded part of the request")
		})
	}
	assert.Empty(t, deliveries(t, c, srv, "").Deliveries, "nothing was sent")
}

func TestMethodNotAllowed(t *testing.T) {
	tests := []struct {
		method, path, wantAllow string
	}{
		{http.MethodGet, "/v1/send", "POST"},
		{http.MethodPut, "/v1/send", "POST"},
		{http.MethodPost, "/v1/deliveries", "GET, HEAD"},
		{http.MethodDelete, "/healthz", "GET, HEAD"},
		{http.MethodPost, "/media/image-0000000000000001", "GET, HEAD"},
		{http.MethodPost, "/", "GET, HEAD"},
	}
	srv := start(t, server.Options{})
	c := client(t)
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tt.method, srv.URL()+tt.path, nil)
			require.NoError(t, err)
			resp, err := c.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
			assert.Equal(t, tt.wantAllow, resp.Header.Get("Allow"))
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
		})
	}
}

func TestNotFound(t *testing.T) {
	srv := start(t, server.Options{})
	status, h, body := get(t, client(t), srv.URL()+"/v2/send")
	assert.Equal(t, http.StatusNotFound, status)
	assert.Equal(t, "application/json", h.Get("Content-Type"))
	assert.Contains(t, string(body), "no such endpoint")
}

func TestHealthz(t *testing.T) {
	srv := start(t, server.Options{})
	c := client(t)
	status, h, body := get(t, c, srv.URL()+"/healthz")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "application/json", h.Get("Content-Type"))
	assert.JSONEq(t, `{"status":"ok"}`, string(body))

	resp, err := c.Head(srv.URL() + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestSendRefusesWebPages(t *testing.T) {
	rec := newReceiver(t, nil)
	srv := start(t, server.Options{})
	c := client(t)
	body := mustJSON(t, map[string]any{"target": rec.URL, "provider": "innopaas", "types": []string{"text"}})
	tests := []struct {
		name       string
		header     map[string]string
		host       string
		wantStatus int
	}{
		{"curl", nil, "", http.StatusOK},
		{"localhost by name", nil, "localhost", http.StatusOK},
		{"same origin", map[string]string{"Origin": srv.URL(), "Sec-Fetch-Site": "same-origin"}, "", http.StatusOK},
		{"cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site"}, "", http.StatusForbidden},
		{"other origin", map[string]string{"Origin": "http://evil.example"}, "", http.StatusForbidden},
		{"DNS rebinding", nil, "evil.example:8787", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL()+"/v1/send", strings.NewReader(body))
			require.NoError(t, err)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			if tt.host != "" {
				req.Host = tt.host
			}
			resp, err := c.Do(req)
			require.NoError(t, err)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Equal(t, tt.wantStatus, resp.StatusCode, "answer: %s", b)
		})
	}
	assert.Len(t, rec.Hits(), 3, "only the allowed requests delivered")
}

func TestDeliveriesFilters(t *testing.T) {
	ok := newReceiver(t, nil)
	failing := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	srv := start(t, server.Options{RingSize: 50})
	c := client(t)
	postSend(t, c, srv, mustJSON(t, map[string]any{"target": ok.URL, "provider": "innopaas", "types": []string{"text", "image"}, "count": 4}))
	postSend(t, c, srv, mustJSON(t, map[string]any{"target": failing.URL, "provider": "itniotech", "types": []string{"image"}, "count": 3, "retries": "none"}))

	tests := []struct {
		query     string
		wantCount int
		check     func(t *testing.T, r server.Record)
	}{
		{"", 7, nil},
		{"?limit=2", 2, nil},
		{"?limit=1000", 7, nil},
		{"?provider=innopaas", 4, func(t *testing.T, r server.Record) { assert.Equal(t, "innopaas", r.Provider) }},
		{"?type=image", 5, func(t *testing.T, r server.Record) { assert.Equal(t, "image", r.Type) }},
		{"?status=acked", 4, func(t *testing.T, r server.Record) { assert.Equal(t, delivery.Acked, r.Outcome) }},
		{"?status=failed", 3, func(t *testing.T, r server.Record) { assert.Equal(t, delivery.Failed, r.Outcome) }},
		{"?status=cancelled", 0, nil},
		{"?status=503", 3, func(t *testing.T, r server.Record) { assert.Equal(t, 503, r.Status) }},
		{"?status=200", 4, func(t *testing.T, r server.Record) { assert.Equal(t, 200, r.Status) }},
		{"?status=404", 0, nil},
		{"?provider=innopaas&type=image&status=acked&limit=1", 1, func(t *testing.T, r server.Record) {
			assert.Equal(t, "innopaas", r.Provider)
			assert.Equal(t, "image", r.Type)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			resp := deliveries(t, c, srv, tt.query)
			require.Len(t, resp.Deliveries, tt.wantCount)
			assert.Equal(t, 7, resp.Kept)
			assert.Equal(t, 50, resp.Capacity)
			for i, r := range resp.Deliveries {
				if i > 0 {
					assert.Less(t, r.Seq, resp.Deliveries[i-1].Seq, "newest first")
				}
				if tt.check != nil {
					tt.check(t, r)
				}
			}
		})
	}

	bad := []struct{ query, wantErr string }{
		{"?provider=no-such-provider", "unknown provider"},
		{"?type=hologram", `unknown message type "hologram"`},
		{"?status=ok", `status: "ok"`},
		{"?status=99", `status: "99"`},
		{"?status=600", `status: "600"`},
		{"?limit=0", `limit: "0"`},
		{"?limit=-3", `limit: "-3"`},
		{"?limit=ten", `limit: "ten"`},
		{"?since=1", `unknown parameter "since"`},
		{"?type=text&type=image", "type given 2 times"},
	}
	for _, tt := range bad {
		t.Run("bad "+tt.query, func(t *testing.T) {
			status, _, body := get(t, c, srv.URL()+"/v1/deliveries"+tt.query)
			require.Equal(t, http.StatusBadRequest, status, "answer: %s", body)
			var e struct{ Error string }
			require.NoError(t, json.Unmarshal(body, &e))
			assert.Contains(t, e.Error, tt.wantErr)
		})
	}
}

func TestDeliveriesRingBound(t *testing.T) {
	rec := newReceiver(t, nil)
	srv := start(t, server.Options{RingSize: 3})
	c := client(t)
	for range 3 {
		postSend(t, c, srv, mustJSON(t, map[string]any{"target": rec.URL, "provider": "itniotech", "types": []string{"text"}, "count": 2}))
	}
	resp := deliveries(t, c, srv, "?limit=100")
	assert.Equal(t, 3, resp.Kept)
	assert.Equal(t, 3, resp.Capacity)
	var seqs []uint64
	for _, r := range resp.Deliveries {
		seqs = append(seqs, r.Seq)
	}
	assert.Equal(t, []uint64{6, 5, 4}, seqs, "the newest three of six, newest first")
}

func TestHandlerMode(t *testing.T) {
	// Mounted in a server of someone else's, media links point at the host the request was sent to.
	srv, err := server.New(server.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	host := httptest.NewServer(srv)
	t.Cleanup(host.Close)
	rec := newReceiver(t, nil)
	c := client(t)
	status, body := post(t, c, host.URL+"/v1/send", mustJSON(t, map[string]any{"target": rec.URL, "provider": "innopaas", "types": []string{"image"}}))
	require.Equal(t, http.StatusOK, status, "answer: %s", body)
	require.Len(t, rec.Hits(), 1)
	link, _, _ := mediaOf(t, rec.Hits()[0].Body)
	assert.True(t, strings.HasPrefix(link, host.URL+"/media/"), "link %s", link)
	status, _, _ = get(t, c, link)
	assert.Equal(t, http.StatusOK, status)
}

func TestNewBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts server.Options
	}{
		{"negative ring", server.Options{RingSize: -1}},
		{"bad media base URL", server.Options{MediaBaseURL: "ftp://x"}},
		{"every without target", server.Options{Every: 0 + 1e9}},
		{"every too short", server.Options{Target: mockprovider.Target{URL: "http://127.0.0.1:1/"}, Every: 1e6}},
		{"timer target not http", server.Options{Target: mockprovider.Target{URL: "ftp://x/"}}},
		{"timer provider unknown", server.Options{Target: mockprovider.Target{URL: "http://127.0.0.1:1/", Provider: "no-such-provider"}}},
		{"timer type unknown", server.Options{Target: mockprovider.Target{URL: "http://127.0.0.1:1/"}, Types: []string{"hologram"}}},
		{"timer retries", server.Options{Target: mockprovider.Target{URL: "http://127.0.0.1:1/"}, Retries: "soon"}},
		{"timer header", server.Options{Target: mockprovider.Target{URL: "http://127.0.0.1:1/", Header: http.Header{"Host": {"bad host"}}}}},
		{"timer credentials", server.Options{Target: mockprovider.Target{URL: "http://127.0.0.1:1/", Credentials: mockprovider.Credentials{Token: "a\nb"}}}},
		{"timer credentials for itniotech", server.Options{Target: mockprovider.Target{URL: "http://127.0.0.1:1/", Provider: "itniotech", Credentials: mockprovider.Credentials{User: "u"}}}},
		{"negative drip", server.Options{DripInterval: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := server.New(tt.opts)
			require.ErrorIs(t, err, server.ErrBadOptions)
		})
	}
}
