package mockprovider_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/jsoninput"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// TestMetaSignatureKnownAnswer: a Meta delivery's X-Hub-Signature-256 for a secret and body whose
// HMAC-SHA256 was computed outside Go (Python's hmac module).
func TestMetaSignatureKnownAnswer(t *testing.T) {
	prov := lookup(t, schemas.Meta)
	target := mockprovider.Target{URL: "http://127.0.0.1:1/hook", Provider: schemas.Meta,
		Credentials: mockprovider.Credentials{Secret: "It's a Secret to Everybody"}}
	_, err := target.Check(true)
	require.NoError(t, err)
	body := []byte(`{"object":"whatsapp_business_account","entry":[]}`)
	assert.Equal(t, http.Header{"X-Hub-Signature-256": {"sha256=8fac02ee49ffb63b6dbb8d53b28c8b8e64e2d194b93daa025f20fb3fd85b04f2"}},
		target.Sign(prov, body))
	assert.Contains(t, prov.Auth.Describe(), "X-Hub-Signature-256")

	target.Credentials = mockprovider.Credentials{Token: "t"}
	_, err = target.Check(true)
	assert.ErrorContains(t, err, "signs each body with a secret", "Meta sends no token")
}

// TestVerification: the receiver's side of Meta's handshake answers exactly the right query, and
// the provider's side accepts exactly an echo of its challenge.
func TestVerification(t *testing.T) {
	v := lookup(t, schemas.Meta).Verification
	require.NotNil(t, v)
	assert.Nil(t, lookup(t, schemas.InnoPaaS).Verification)
	tests := []struct {
		name  string
		query url.Values
		ok    bool
	}{
		{"right", v.Query("subscribe", "tok", "1158201444"), true},
		{"wrong token", v.Query("subscribe", "tox", "1158201444"), false},
		{"token prefix", v.Query("subscribe", "to", "1158201444"), false},
		{"no token", v.Query("subscribe", "", "1158201444"), false},
		{"no mode", v.Query("", "tok", "1158201444"), false},
		{"other mode", v.Query("unsubscribe", "tok", "1158201444"), false},
		{"no challenge", url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {"tok"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			challenge, ok := v.Answer(tt.query, "tok")
			assert.Equal(t, tt.ok, ok)
			if ok {
				assert.Equal(t, "1158201444", challenge)
			}
		})
	}
	_, ok := v.Answer(v.Query("subscribe", "", "1"), "")
	assert.False(t, ok, "no configured token answers nothing")

	answers := []struct {
		name   string
		status int
		body   func(challenge string) string
		ok     bool
	}{
		{"the challenge", http.StatusOK, func(c string) string { return c }, true},
		{"with a newline", http.StatusOK, func(c string) string { return c + "\n" }, false},
		{"as JSON", http.StatusOK, func(c string) string { return `{"hub.challenge":"` + c + `"}` }, false},
		{"refused", http.StatusForbidden, func(c string) string { return c }, false},
	}
	for _, a := range answers {
		t.Run("verify/"+a.name, func(t *testing.T) {
			var got url.Values
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r.URL.Query()
				w.WriteHeader(a.status)
				_, _ = io.WriteString(w, a.body(r.URL.Query().Get("hub.challenge")))
			}))
			defer srv.Close()
			err := v.Verify(t.Context(), srv.Client(), srv.URL+"/hook?app=1", "tok", "42")
			if a.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, mockprovider.ErrVerification)
			}
			assert.Equal(t, url.Values{"app": {"1"}, "hub.mode": {"subscribe"}, "hub.verify_token": {"tok"}, "hub.challenge": {"42"}}, got)
		})
	}
}

// TestMetaBatch: a batch of generated webhooks is one valid webhook, and Split gives back each of
// them as it was, in order.
func TestMetaBatch(t *testing.T) {
	prov := lookup(t, schemas.Meta)
	g := newGenerator(t, mockprovider.Options{Seed: 9})
	v, err := schemas.New(schemas.Options{Strict: true})
	require.NoError(t, err)
	var bodies [][]byte
	var want []any
	for i, typ := range prov.Types() {
		pl, err := g.Generate(schemas.Meta, typ, uint64(i))
		require.NoError(t, err)
		bodies = append(bodies, pl.Body)
		doc, err := jsoninput.Decode(pl.Body)
		require.NoError(t, err)
		want = append(want, doc)
	}
	batch, err := prov.Batch(bodies)
	require.NoError(t, err)
	r, err := v.Validate(schemas.Meta, batch)
	require.NoError(t, err)
	assert.True(t, r.Valid(), "%v", r.Violations)
	doc, err := jsoninput.Decode(batch)
	require.NoError(t, err)
	assert.Equal(t, want, prov.Split(doc))
	assert.Equal(t, []any{want[0]}, prov.Split(want[0]), "a webhook of one message is itself")

	_, err = prov.Batch([][]byte{bodies[0], []byte(`{"object":"whatsapp_business_account"}`)})
	assert.ErrorContains(t, err, "batch webhook 1")
	assert.Nil(t, lookup(t, schemas.ITNIOTech).Batch, "ITNIO Tech sends one message per webhook")
}

// TestCarriedCredentials: each provider is held to the credentials its Auth can send, so that one
// receiver can be configured with InnoPaaS's user and token and Meta's secret at once.
func TestCarriedCredentials(t *testing.T) {
	all := mockprovider.Credentials{User: "u", Token: "t", Secret: "s"}
	tests := []struct {
		provider schemas.Provider
		want     mockprovider.Credentials
	}{
		{schemas.InnoPaaS, mockprovider.Credentials{User: "u", Token: "t"}},
		{schemas.ITNIOTech, mockprovider.Credentials{}},
		{schemas.Meta, mockprovider.Credentials{Secret: "s"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.provider), func(t *testing.T) {
			p := lookup(t, tt.provider)
			assert.Equal(t, tt.want, p.CarriedCredentials(all))
			assert.Equal(t, mockprovider.Credentials{}, p.CarriedCredentials(mockprovider.Credentials{}))
		})
	}
}
