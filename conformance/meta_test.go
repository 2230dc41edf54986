package conformance_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/conformance"
	"github.com/wahook/wahook/examples/receiver"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

const (
	appSecret   = "meta-app-secret"
	verifyToken = "wahook-verify"
)

// signedOver answers 200 when the request's X-Hub-Signature-256 is the HMAC of the bytes over
// returns, 401 otherwise: the ways a receiver checks, and gets wrong, Meta's signature.
func signedOver(over func(body []byte) []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, []byte(appSecret))
		mac.Write(over(body))
		if r.Header.Get("X-Hub-Signature-256") != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

// TestMetaAuth: with an app secret, the auth group holds a receiver to Meta's signature over the
// raw body: the reference receiver passes it all; one that checks nothing fails every refusal; one
// that verifies a re-serialisation of the JSON fails the rightly signed body it re-serialises
// differently.
func TestMetaAuth(t *testing.T) {
	// A receiver that normalises the JSON before it verifies: the same bytes for a compact body, as
	// Meta's usually are, and other bytes for any other.
	compacted := func(body []byte) []byte {
		var out bytes.Buffer
		if json.Compact(&out, body) != nil {
			return body
		}
		return out.Bytes()
	}
	tests := []struct {
		name    string
		handler http.Handler
		failing []string
	}{
		{"reference receiver", receiver.New(receiver.Options{Credentials: mockprovider.Credentials{Secret: appSecret}}), nil},
		{"raw bytes, by hand", signedOver(func(b []byte) []byte { return b }), nil},
		{"no check", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}),
			[]string{"auth/meta/missing-credentials", "auth/meta/signature-over-other-bytes", "auth/meta/wrong-credentials"}},
		{"a re-serialisation", signedOver(compacted), []string{"auth/meta/signature-over-raw-bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := conformance.Config{Target: mockprovider.Target{URL: serve(t, tt.handler).URL, Provider: schemas.Meta,
				Credentials: mockprovider.Credentials{Secret: appSecret}}, Run: "^auth/"}
			report := execute(t, cfg)
			assert.Equal(t, 5, report.Summary.Total)
			var failed []string
			for _, r := range report.Failures() {
				failed = append(failed, r.ID)
			}
			assert.ElementsMatch(t, tt.failing, failed)
		})
	}
}

// TestMetaAuthCases pins what the signing cases send: the signature header only, over exactly the
// bytes sent, except where a case means it to be wrong.
func TestMetaAuthCases(t *testing.T) {
	cases, err := conformance.Cases(conformance.Config{Target: mockprovider.Target{Provider: schemas.Meta,
		Credentials: mockprovider.Credentials{Secret: appSecret}}, Run: "^auth/"})
	require.NoError(t, err)
	byID := map[string]conformance.Case{}
	for _, c := range cases {
		byID[c.ID] = c
	}
	sign := func(body []byte) string {
		mac := hmac.New(sha256.New, []byte(appSecret))
		mac.Write(body)
		return "sha256=" + hex.EncodeToString(mac.Sum(nil))
	}
	for id, rightly := range map[string]bool{
		"auth/meta/valid-credentials": true, "auth/meta/signature-over-raw-bytes": true,
		"auth/meta/wrong-credentials": false, "auth/meta/signature-over-other-bytes": false,
	} {
		c, ok := byID[id]
		require.True(t, ok, id)
		req := c.Requests[0]
		assert.Equal(t, rightly, req.Header.Get("X-Hub-Signature-256") == sign(req.Body), id)
	}
	raw := byID["auth/meta/signature-over-raw-bytes"].Requests[0].Body
	assert.Contains(t, string(raw), `\u00`, "escaped")
	assert.Contains(t, string(raw), " \t ", "unusual spacing")
	assert.Empty(t, byID["auth/meta/missing-credentials"].Requests[0].Header.Values("X-Hub-Signature-256"))
}

// TestHandshake: the handshake group passes the reference receiver, fails one that echoes something
// else than the challenge on the right token and one that echoes it whatever the token, and is
// skipped without a token.
func TestHandshake(t *testing.T) {
	echo := func(answer func(q map[string][]string) (int, string)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost {
				return // acks every webhook
			}
			status, body := answer(r.URL.Query())
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
		}
	}
	all := []string{"handshake/meta/missing-mode", "handshake/meta/missing-token", "handshake/meta/wrong-mode", "handshake/meta/wrong-token"}
	tests := []struct {
		name    string
		handler http.Handler
		failing []string
	}{
		{"reference receiver", receiver.New(receiver.Options{VerifyToken: verifyToken}), nil},
		{"echoes with a newline", echo(func(q map[string][]string) (int, string) {
			if !rightHandshake(q) {
				return http.StatusForbidden, "no"
			}
			return http.StatusOK, q["hub.challenge"][0] + "\n"
		}), []string{"handshake/meta/right-token"}},
		{"ignores the token and the mode", echo(func(q map[string][]string) (int, string) {
			return http.StatusOK, q["hub.challenge"][0]
		}), all},
		{"a 500 for a wrong handshake", echo(func(q map[string][]string) (int, string) {
			if rightHandshake(q) {
				return http.StatusOK, q["hub.challenge"][0]
			}
			return http.StatusInternalServerError, "boom"
		}), all},
		{"refuses, but quotes the challenge", echo(func(q map[string][]string) (int, string) {
			if rightHandshake(q) {
				return http.StatusOK, q["hub.challenge"][0]
			}
			return http.StatusForbidden, "bad handshake " + q["hub.challenge"][0]
		}), all},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := conformance.Config{Target: mockprovider.Target{URL: serve(t, tt.handler).URL, Provider: schemas.Meta},
				Run: "^handshake/", VerifyToken: verifyToken}
			report := execute(t, cfg)
			assert.Equal(t, 5, report.Summary.Total)
			var failed []string
			for _, r := range report.Failures() {
				failed = append(failed, r.ID)
				assert.True(t, strings.HasPrefix(r.Reproduce, "curl -si '"), r.Reproduce)
				assert.NotContains(t, r.Reproduce, verifyToken, "the token is read from the environment")
			}
			assert.ElementsMatch(t, tt.failing, failed)
		})
	}

	cases, err := conformance.Cases(conformance.Config{Target: mockprovider.Target{Provider: schemas.Meta}})
	require.NoError(t, err)
	handshakes := 0
	for _, c := range cases {
		if c.Group == conformance.GroupHandshake {
			handshakes++
			assert.Contains(t, c.Skip, "no verify token")
			require.NotNil(t, c.Handshake)
			assert.Contains(t, c.Handshake.Query, "hub.challenge="+c.Handshake.Challenge)
		}
	}
	assert.Equal(t, 5, handshakes)
	for _, p := range []schemas.Provider{schemas.InnoPaaS, schemas.ITNIOTech} {
		cases, err := conformance.Cases(conformance.Config{Target: mockprovider.Target{Provider: p}, VerifyToken: verifyToken})
		require.NoError(t, err)
		for _, c := range cases {
			assert.NotEqual(t, conformance.GroupHandshake, c.Group, "%s has no handshake", p)
		}
	}
}

// rightHandshake is a hand-written check of Meta's handshake query.
func rightHandshake(q map[string][]string) bool {
	one := func(k string) string {
		if len(q[k]) != 1 {
			return ""
		}
		return q[k][0]
	}
	return one("hub.mode") == "subscribe" && one("hub.verify_token") == verifyToken && one("hub.challenge") != ""
}

// TestBatchesReachTheReceiverOneByOne: the reference receiver takes each message of a Meta batch on
// its own, a repeated one as a duplicate.
func TestBatchesReachTheReceiverOneByOne(t *testing.T) {
	g, err := mockprovider.New(mockprovider.Options{Seed: 4})
	require.NoError(t, err)
	prov, err := mockprovider.Lookup(schemas.Meta)
	require.NoError(t, err)
	var bodies [][]byte
	var ids []string
	for i, typ := range []string{"text", "image", "location"} {
		pl, err := g.Generate(schemas.Meta, typ, uint64(i))
		require.NoError(t, err)
		bodies, ids = append(bodies, pl.Body), append(ids, pl.ID)
	}
	batch, err := prov.Batch(append(bodies, bodies[0]))
	require.NoError(t, err)
	var got []string
	h := receiver.New(receiver.Options{OnMessage: func(m receiver.Message) {
		got = append(got, m.ID)
		assert.Equal(t, m.ID, m.Understood.MessageID)
	}})
	srv := serve(t, h)
	resp, err := http.Post(srv.URL, "application/json", bytes.NewReader(batch))
	require.NoError(t, err)
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "%s", answer)
	assert.Equal(t, ids, got, "each message once, in order")
	assert.Contains(t, string(answer), "accepted 3 of 4 updates")
}
