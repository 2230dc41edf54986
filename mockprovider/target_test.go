package mockprovider_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/engine"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

func TestAuthHeader(t *testing.T) {
	tests := []struct {
		name     string
		provider schemas.Provider
		creds    mockprovider.Credentials
		want     http.Header
		wantErr  error
		field    string
	}{
		{"innopaas both", schemas.InnoPaaS, mockprovider.Credentials{User: "alice", Token: "Bearer abc==:x"}, http.Header{"UserName": {"alice"}, "Authorization": {"Bearer abc==:x"}}, nil, ""},
		{"innopaas token only", schemas.InnoPaaS, mockprovider.Credentials{Token: "t0k3n"}, http.Header{"Authorization": {"t0k3n"}}, nil, ""},
		{"innopaas user only", schemas.InnoPaaS, mockprovider.Credentials{User: "alice"}, http.Header{"UserName": {"alice"}}, nil, ""},
		{"innopaas value kept verbatim", schemas.InnoPaaS, mockprovider.Credentials{User: " a l i c e ", Token: "Basic  x=="}, http.Header{"UserName": {" a l i c e "}, "Authorization": {"Basic  x=="}}, nil, ""},
		{"innopaas none", schemas.InnoPaaS, mockprovider.Credentials{}, http.Header{}, nil, ""},
		{"innopaas refuses a secret", schemas.InnoPaaS, mockprovider.Credentials{Secret: "k"}, nil, nil, "Secret"},
		{"itniotech none", schemas.ITNIOTech, mockprovider.Credentials{}, nil, nil, ""},
		{"itniotech refuses a user", schemas.ITNIOTech, mockprovider.Credentials{User: "alice"}, nil, mockprovider.ErrNoCredentialHeaders, "User"},
		{"itniotech refuses a token", schemas.ITNIOTech, mockprovider.Credentials{Token: "t"}, nil, mockprovider.ErrNoCredentialHeaders, "Token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			auth := lookup(t, tt.provider).Auth
			err := auth.Check(tt.creds)
			if tt.field != "" {
				var fe *engine.FieldError
				require.ErrorAs(t, err, &fe)
				assert.Equal(t, tt.field, fe.Field)
				if tt.wantErr != nil {
					assert.ErrorIs(t, err, tt.wantErr)
				}
				return
			}
			require.NoError(t, err)
			// Exact keys: the provider sends "UserName", not Go's canonical "Username".
			assert.Equal(t, tt.want, auth.Header(tt.creds))
		})
	}
}

func TestTargetHeaders(t *testing.T) {
	tests := []struct {
		name    string
		target  mockprovider.Target
		version string
		want    http.Header
		wantErr error
		field   string // the field the *engine.FieldError names
		wantMsg string
	}{
		{
			name: "innopaas with credentials", version: "v1.2.3",
			target: mockprovider.Target{Provider: schemas.InnoPaaS, Credentials: mockprovider.Credentials{User: "alice", Token: "Bearer abc==:x"}},
			want:   http.Header{"User-Agent": {"wahook/v1.2.3 (+https://github.com/wahook/wahook)"}, "UserName": {"alice"}, "Authorization": {"Bearer abc==:x"}},
		},
		{
			name: "no version is dev", target: mockprovider.Target{Provider: schemas.ITNIOTech},
			want: http.Header{"User-Agent": {"wahook/dev (+https://github.com/wahook/wahook)"}},
		},
		{
			name: "extras are added as spelled", version: "v1",
			target: mockprovider.Target{Provider: schemas.ITNIOTech, Header: http.Header{"X-Signature": {"s"}, "x-lower": {"a", "b"}}},
			want:   http.Header{"User-Agent": {mockprovider.UserAgent("v1")}, "X-Signature": {"s"}, "x-lower": {"a", "b"}},
		},
		{
			name: "extras replace the provider's case-insensitively", version: "v1",
			target: mockprovider.Target{Provider: schemas.InnoPaaS, Credentials: mockprovider.Credentials{User: "alice", Token: "t0"},
				Header: http.Header{"authorization": {"t1"}, "USERNAME": {"bob"}}},
			want: http.Header{"User-Agent": {mockprovider.UserAgent("v1")}, "authorization": {"t1"}, "USERNAME": {"bob"}},
		},
		{
			name: "a User-Agent extra keeps net/http's spelling", version: "v1",
			target: mockprovider.Target{Provider: schemas.ITNIOTech, Header: http.Header{"user-agent": {"custom/1"}}},
			want:   http.Header{"User-Agent": {"custom/1"}},
		},
		{name: "unknown provider", target: mockprovider.Target{Provider: "no-such-provider"}, wantErr: schemas.ErrUnknownProvider,
			field: "Provider", wantMsg: `Provider: unknown provider "no-such-provider"`},
		{name: "itniotech refuses credentials", target: mockprovider.Target{Provider: schemas.ITNIOTech, Credentials: mockprovider.Credentials{User: "alice", Token: "t"}},
			wantErr: mockprovider.ErrNoCredentialHeaders, field: "Credentials.User",
			wantMsg: "Credentials.User: itniotech: the provider documents no credential headers; send them with a custom header instead"},
		{name: "itniotech refuses a token alone", target: mockprovider.Target{Provider: schemas.ITNIOTech, Credentials: mockprovider.Credentials{Token: "t"}},
			wantErr: mockprovider.ErrNoCredentialHeaders, field: "Credentials.Token"},
		{name: "a blank credential", target: mockprovider.Target{Provider: schemas.InnoPaaS, Credentials: mockprovider.Credentials{User: "  "}},
			field: "Credentials.User", wantMsg: "Credentials.User: the value is blank"},
		{name: "extras differing only in case", target: mockprovider.Target{Provider: schemas.ITNIOTech, Header: http.Header{"X-A": {"one"}, "x-a": {"two"}}},
			wantErr: engine.ErrBadHeader, field: "Header", wantMsg: `Header: "X-A" and "x-a" differ only in letter case: give their values under one name`},
		{name: "extra name not a token", target: mockprovider.Target{Provider: schemas.ITNIOTech, Header: http.Header{"X(bad": {"v"}}},
			wantErr: engine.ErrBadHeader, field: "Header", wantMsg: "Header: name \"X(bad\" is not a token: use letters, digits and !#$%&'*+-.^_`|~"},
		{name: "empty extra Host", target: mockprovider.Target{Provider: schemas.ITNIOTech, Header: http.Header{"Host": {""}}},
			wantErr: engine.ErrBadHeader, field: "Header", wantMsg: "Header: Host is empty: leave it out to send the target's"},
		{name: "control character in the token", target: mockprovider.Target{Provider: schemas.InnoPaaS, Credentials: mockprovider.Credentials{User: "alice", Token: "a\x01b"}},
			wantErr: engine.ErrBadHeader, field: "Credentials.Token", wantMsg: "Credentials.Token: control character 0x01 at byte 1 of the value"},
		{name: "line break in the user", target: mockprovider.Target{Provider: schemas.InnoPaaS, Credentials: mockprovider.Credentials{User: "alice\r\nX-Injected: 1"}},
			wantErr: engine.ErrBadHeader, field: "Credentials.User"},
		{name: "a credential is never quoted", target: mockprovider.Target{Provider: schemas.InnoPaaS, Header: http.Header{"Authorization": {"Bearer s3cret\x01"}}},
			wantErr: engine.ErrBadHeader, field: "Header", wantMsg: "Header: Authorization: control character 0x01 at byte 13 of the value"},
		{name: "negative timeout", target: mockprovider.Target{Provider: schemas.InnoPaaS, Timeout: -time.Second},
			field: "Timeout", wantMsg: "Timeout: negative (-1s)"},
		{name: "insecure with a CA file", target: mockprovider.Target{Provider: schemas.InnoPaaS, TLS: mockprovider.TLS{Insecure: true, CAFile: "ca.pem"}},
			field: "TLS.Insecure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			extra := tt.target.Header.Clone()
			got, err := tt.target.Headers(tt.version)
			if tt.field != "" {
				if tt.wantErr != nil {
					require.ErrorIs(t, err, tt.wantErr)
				}
				var fe *engine.FieldError
				require.ErrorAs(t, err, &fe)
				assert.Equal(t, tt.field, fe.Field)
				if tt.wantMsg != "" {
					assert.EqualError(t, err, tt.wantMsg)
				}
				assert.NotContains(t, err.Error(), "s3cret")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, extra, tt.target.Header, "the extras are not modified")
		})
	}
}

func TestTargetCheckURL(t *testing.T) {
	_, err := mockprovider.Target{Provider: schemas.InnoPaaS}.Check(true)
	var fe *engine.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "URL", fe.Field)

	_, err = mockprovider.Target{Provider: schemas.InnoPaaS, URL: "ftp://x/"}.Check(false)
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "URL", fe.Field, "a URL given is checked even where none is needed")

	prov, err := mockprovider.Target{Provider: schemas.InnoPaaS}.Check(false)
	require.NoError(t, err)
	assert.Equal(t, schemas.InnoPaaS, prov.Name)
}

// TestHMACSignature checks the signing scheme against an HMAC computed here, independently of it.
func TestHMACSignature(t *testing.T) {
	auth := mockprovider.HMACSignature("X-Hub-Signature-256", "sha256=")
	creds := mockprovider.Credentials{Secret: "app-secret"}
	body := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"\u00e9"}]}`)
	mac := hmac.New(sha256.New, []byte("app-secret"))
	mac.Write(body)
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))

	got := auth.Sign(creds, body)
	assert.Equal(t, http.Header{"X-Hub-Signature-256": {want}}, got)
	require.NoError(t, auth.Verify(creds, got, body))

	tests := []struct {
		name   string
		header http.Header
		body   []byte
	}{
		{"no signature", http.Header{}, body},
		{"wrong signature", http.Header{"X-Hub-Signature-256": {"sha256=" + hex.EncodeToString(make([]byte, 32))}}, body},
		{"no prefix", http.Header{"X-Hub-Signature-256": {want[len("sha256="):]}}, body},
		{"not hex", http.Header{"X-Hub-Signature-256": {"sha256=zz"}}, body},
		{"other bytes of the same JSON", got, []byte(`{"object": "whatsapp_business_account", "entry": [{"id": "é"}]}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.ErrorIs(t, auth.Verify(creds, tt.header, tt.body), mockprovider.ErrUnauthenticated)
		})
	}
	assert.Nil(t, auth.Sign(mockprovider.Credentials{}, body), "no secret, no signature")
	var fe *engine.FieldError
	require.ErrorAs(t, auth.Check(mockprovider.Credentials{User: "u"}), &fe)
	assert.Equal(t, "User", fe.Field)
}

func TestHeaderAuthVerify(t *testing.T) {
	auth := lookup(t, schemas.InnoPaaS).Auth
	creds := mockprovider.Credentials{User: "alice", Token: "tok"}
	require.NoError(t, auth.Verify(creds, http.Header{"Username": {"alice"}, "Authorization": {"tok"}}, nil))
	assert.ErrorIs(t, auth.Verify(creds, http.Header{"Username": {"alice"}}, nil), mockprovider.ErrUnauthenticated)
	assert.ErrorIs(t, auth.Verify(creds, http.Header{"Username": {"alicE"}, "Authorization": {"tok"}}, nil), mockprovider.ErrUnauthenticated)
	require.NoError(t, auth.Verify(mockprovider.Credentials{}, http.Header{}, nil), "no credentials accept anything")
}
