package receiver_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/conformance"
	"github.com/wahook/wahook/examples/receiver"
	"github.com/wahook/wahook/examples/receiver/broken"
	"github.com/wahook/wahook/fixtures"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// The reference receiver passes the conformance suite, both profiles, both providers, and the auth
// group when it checks credentials. This is how a Go receiver runs the suite inside go test.
func TestConformance(t *testing.T) {
	for _, p := range schemas.Providers() {
		for _, profile := range conformance.Profiles() {
			t.Run(string(p)+"/"+string(profile), func(t *testing.T) {
				srv := httptest.NewServer(receiver.New(receiver.Options{Provider: p}))
				defer srv.Close()
				report := conformance.Run(t, conformance.Config{Target: mockprovider.Target{URL: srv.URL, Provider: p}, Profile: profile, PayloadDir: t.TempDir()})
				assert.Zero(t, report.Summary.Failed)
				cases, err := conformance.Cases(conformance.Config{Target: mockprovider.Target{Provider: p}})
				require.NoError(t, err)
				skipped := 0
				for _, c := range cases {
					if c.Skip != "" {
						skipped++
					}
				}
				assert.Positive(t, skipped)
				assert.Equal(t, skipped, report.Summary.Skipped, "the auth group (and the handshake), without credentials")
			})
		}
		t.Run(string(p)+"/strict-with-credentials", func(t *testing.T) {
			opts, cfg := broken.Credentials(p)
			opts.Provider = "" // auto-detected
			cfg.Profile = conformance.Strict
			srv := httptest.NewServer(receiver.New(opts))
			defer srv.Close()
			cfg.URL, cfg.PayloadDir = srv.URL, t.TempDir()
			report := conformance.Run(t, cfg)
			assert.Zero(t, report.Summary.Failed)
			assert.Zero(t, report.Summary.Skipped)
		})
	}
}

// post sends body to h and returns the status and the answer.
func post(t *testing.T, h http.Handler, contentType string, body []byte, header http.Header) (int, map[string]string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var raw map[string]any // an ack carries the message model beside its status
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &raw), rec.Body.String())
	answer := map[string]string{}
	for k, v := range raw {
		if s, ok := v.(string); ok {
			answer[k] = s
		}
	}
	return rec.Code, answer
}

func fixture(t *testing.T, file string) []byte {
	t.Helper()
	b, err := fixtures.Read(file)
	require.NoError(t, err)
	return b
}

func mutated(t *testing.T, p schemas.Provider, typ, mutation string) mockprovider.Payload {
	t.Helper()
	g, err := mockprovider.New(mockprovider.Options{Seed: 7})
	require.NoError(t, err)
	pl, _, err := g.GenerateMutated(p, typ, 1, mutation)
	require.NoError(t, err)
	return pl
}

func TestReceiver(t *testing.T) {
	text := fixture(t, "documented/innopaas/text.json")
	tests := []struct {
		name        string
		opts        receiver.Options
		method      string
		contentType string
		header      http.Header
		body        []byte
		want        int
		wantAnswer  string // substring of the answer's value
	}{
		{name: "documented example", body: text, want: 200, wantAnswer: "accepted"},
		{name: "charset parameter", contentType: "application/json; charset=UTF-8", body: text, want: 200},
		{name: "other provider", body: fixture(t, "documented/itniotech/text.json"), want: 200},
		{name: "provider pinned, other provider's payload", opts: receiver.Options{Provider: schemas.ITNIOTech}, body: text, want: 400},
		{name: "GET", method: http.MethodGet, want: 405},
		{name: "text/plain", contentType: "text/plain", body: text, want: 415},
		{name: "no content type", contentType: "-", body: text, want: 415},
		{name: "over MaxBytes", opts: receiver.Options{MaxBytes: 100}, body: text, want: 413},
		{name: "duplicate key", body: []byte(`{"id":"1","id":"2"}`), want: 400, wantAnswer: `duplicate key "id"`},
		{name: "nested duplicate key", body: bytes.Replace(text, []byte(`"body": "OK"`), []byte(`"body": "OK", "body": "KO"`), 1), want: 400, wantAnswer: "duplicate key"},
		{name: "same key in sibling objects", body: []byte(`{"a":{"k":1},"b":{"k":1},"c":[{"k":1},{"k":2}]}`), want: 400, wantAnswer: "matches neither provider"},
		{name: "trailing data", body: append(bytes.Clone(text), `{}`...), want: 400, wantAnswer: "trailing data"},
		{name: "array", body: []byte(`[]`), want: 400},
		{name: "empty", body: []byte{}, want: 400, wantAnswer: "empty body"},
		{name: "deep", body: []byte(strings.Repeat("[", 100) + strings.Repeat("]", 100)), want: 400},
		{name: "deep in an object", body: []byte(`{"a":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`), want: 400, wantAnswer: "nested deeper"},
		{name: "known type, broken object", body: bytes.Replace(text, []byte(`"body": "OK"`), []byte(`"body": 5`), 1), want: 400, wantAnswer: "/body/text/body"},
		{name: "unknown type acked", body: mutated(t, schemas.InnoPaaS, "image", "unknown-message-type").Body, want: 200},
		{name: "unknown type with a broken envelope", body: bytes.Replace(mutated(t, schemas.ITNIOTech, "text", "unknown-message-type").Body, []byte(`"eventType":"up-message-event"`), []byte(`"eventType":5`), 1), want: 400},
		{name: "other event acked", body: mutated(t, schemas.InnoPaaS, "text", "other-event.whatsapp_message_status_updated").Body, want: 200},
		{name: "credentials", opts: receiver.Options{Credentials: mockprovider.Credentials{User: "u", Token: "t"}}, header: http.Header{"Username": {"u"}, "Authorization": {"t"}}, body: text, want: 200},
		{name: "wrong token", opts: receiver.Options{Credentials: mockprovider.Credentials{User: "u", Token: "t"}}, header: http.Header{"Username": {"u"}, "Authorization": {"x"}}, body: text, want: 401},
		{name: "token twice", opts: receiver.Options{Credentials: mockprovider.Credentials{User: "u", Token: "t"}}, header: http.Header{"Username": {"u"}, "Authorization": {"t", "t"}}, body: text, want: 401},
		{name: "no credentials", opts: receiver.Options{Credentials: mockprovider.Credentials{Token: "t"}}, body: text, want: 401},
		{name: "custom header", opts: receiver.Options{Header: http.Header{"X-Secret": {"a", "b"}}}, header: http.Header{"X-Secret": {"b"}}, body: text, want: 200},
		{name: "custom header wrong", opts: receiver.Options{Header: http.Header{"X-Secret": {"a"}}}, header: http.Header{"X-Secret": {"ab"}}, body: text, want: 401},
		{name: "auth before content type", opts: receiver.Options{Credentials: mockprovider.Credentials{Token: "t"}}, contentType: "text/plain", body: text, want: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := receiver.New(tt.opts)
			req := httptest.NewRequest(tt.method, "/webhook", bytes.NewReader(tt.body))
			if tt.method == "" {
				req.Method = http.MethodPost
			}
			switch tt.contentType {
			case "":
				req.Header.Set("Content-Type", "application/json")
			case "-":
			default:
				req.Header.Set("Content-Type", tt.contentType)
			}
			for k, v := range tt.header {
				req.Header[k] = v
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			assert.Equal(t, tt.want, rec.Code, rec.Body.String())
			assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
			var answer struct{ Status, Error string } // an ack also carries the message model
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &answer))
			assert.Contains(t, answer.Status+answer.Error, tt.wantAnswer)
			if tt.want == 405 {
				assert.Equal(t, "POST", rec.Header().Get("Allow"))
			}
		})
	}
}

// A message delivered again is acked without being processed again; ids are remembered per provider,
// and only as many as SeenIDs.
func TestReceiverDeduplicates(t *testing.T) {
	var (
		mu        sync.Mutex
		processed []string
	)
	h := receiver.New(receiver.Options{SeenIDs: 2, OnMessage: func(m receiver.Message) {
		mu.Lock()
		defer mu.Unlock()
		processed = append(processed, m.ID)
	}})
	g, err := mockprovider.New(mockprovider.Options{Seed: 3})
	require.NoError(t, err)
	var ids []string
	var bodies [][]byte
	for i := range 3 {
		pl, err := g.Generate(schemas.ITNIOTech, "text", uint64(i))
		require.NoError(t, err)
		ids, bodies = append(ids, pl.ID), append(bodies, pl.Body)
	}
	deliver := func(i int) string {
		status, answer := post(t, h, "application/json", bodies[i], nil)
		require.Equal(t, 200, status)
		return answer["status"]
	}
	assert.Equal(t, "accepted", deliver(0))
	assert.Equal(t, "duplicate", deliver(0))
	assert.Equal(t, "accepted", deliver(1))
	assert.Equal(t, "accepted", deliver(2)) // evicts 0, the least recently seen
	assert.Equal(t, "duplicate", deliver(2))
	assert.Equal(t, "accepted", deliver(0))
	assert.Equal(t, []string{ids[0], ids[1], ids[2], ids[0]}, processed)
}

// Status updates share a message's id with each other: they are deduplicated on the webhook's own id.
func TestReceiverDeduplicatesEventsByEnvelope(t *testing.T) {
	n := 0
	h := receiver.New(receiver.Options{OnMessage: func(receiver.Message) { n++ }})
	status := `{"id":"%s","type":"whatsapp_message_status_updated","eventTime":"2024-01-01T00:00:00.000Z","body":{"id":"m1","status":"read"}}`
	for _, envelope := range []string{"e1", "e2", "e2"} {
		code, _ := post(t, h, "application/json", []byte(strings.Replace(status, "%s", envelope, 1)), nil)
		require.Equal(t, 200, code)
	}
	assert.Equal(t, 2, n)
}

// TestUnderstood: the receiver hands on each message as mockprovider.Parse reads it, the documents'
// quirk forms resolved: InnoPaaS's numeric coordinates and its "contact" key.
func TestUnderstood(t *testing.T) {
	var got []receiver.Message
	h := receiver.New(receiver.Options{OnMessage: func(m receiver.Message) { got = append(got, m) }})
	for _, file := range []string{"documented/innopaas/location.json", "documented/innopaas/contacts.json"} {
		body, err := fixtures.Read(file)
		require.NoError(t, err)
		req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	}
	require.Len(t, got, 2)
	require.NotNil(t, got[0].Understood.Location)
	assert.Equal(t, 39.90539, got[0].Understood.Location.Latitude)
	require.Len(t, got[1].Understood.Contacts, 1)
	assert.Equal(t, "CONTACT_FORMATTED_NAME1", got[1].Understood.Contacts[0].Name.Formatted)
}
