package engine_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/engine"
)

func TestCheckHeaderField(t *testing.T) {
	tests := []struct {
		name, value string
		wantErr     string // "" for none
	}{
		{"X-Trace", "abc", ""},
		{"UserName", "IW1 account", ""},
		{"Authorization", "Bearer a\tb", ""},
		{"X-Unicode", "中文 ünï", ""},
		{"X-Empty", "", ""},
		{"!#$%&'*+-.^_`|~09azAZ", "v", ""},
		{"X(bad", "v", `name "X(bad" is not a token: use letters, digits and !#$%&'*+-.^_` + "`|~"},
		{"X Trace", "v", `name "X Trace" is not a token: use letters, digits and !#$%&'*+-.^_` + "`|~"},
		{"", "v", `name "" is not a token: use letters, digits and !#$%&'*+-.^_` + "`|~"},
		{"Näme", "v", `name "Näme" is not a token: use letters, digits and !#$%&'*+-.^_` + "`|~"},
		{"X-A", "a\x01b", "X-A: control character 0x01 at byte 1 of the value"},
		{"X-A", "a\r\nX-B: c", "X-A: control character 0x0d at byte 1 of the value"},
		{"X-A", "del\x7f", "X-A: control character 0x7f at byte 3 of the value"},
		{"Host", "example.com", ""},
		{"host", "example.com:8080", ""},
		{"Host", "127.0.0.1:80", ""},
		{"Host", "[::1]:8080", ""},
		{"Host", "[2001:db8::1]", ""},
		{"Host", "xn--bcher-kva.example", ""},
		{"Host", "a_b.example:", ""},
		{"Host", "bad host", `Host "bad host" is not host[:port]`},
		{"Host", "a/b", `Host "a/b" is not host[:port]`},
		{"Host", "", "Host is empty: leave it out to send the target's"},
		{"host", " \t", "Host is empty: leave it out to send the target's"},
		{"Host", ":80", `Host ":80" is not host[:port]`},
		{"Host", "host:80a", `Host "host:80a" is not host[:port]`},
		{"Host", "host:80:90", `Host "host:80:90" is not host[:port]`},
		{"Host", "[::1", `Host "[::1" is not host[:port]`},
		{"Host", "[::1]x", `Host "[::1]x" is not host[:port]`},
		{"Host", "[1.2.3.4]", `Host "[1.2.3.4]" is not host[:port]`},
		{"Host", "bücher.example", `Host "bücher.example" is not host[:port]`},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			err := engine.CheckHeaderField(tt.name, tt.value)
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.wantErr, err.Error())
			assert.ErrorIs(t, err, engine.ErrBadHeader)
		})
	}
}

func TestCheckHeader(t *testing.T) {
	assert.NoError(t, engine.CheckHeader(nil))
	assert.NoError(t, engine.CheckHeader(http.Header{"A": {"1", "2"}, "b": nil}))
	// The first bad line in name order is reported, whatever the map's order.
	for range 20 {
		err := engine.CheckHeader(http.Header{"Z(": {"v"}, "A": {"ok", "x\ny"}, "M M": nil})
		require.Error(t, err)
		assert.Equal(t, "A: control character 0x0a at byte 1 of the value", err.Error())
	}
	assert.NoError(t, engine.CheckHeaderName("Host"))
	assert.ErrorIs(t, engine.CheckHeaderName("Ho st"), engine.ErrBadHeader)
	err := engine.CheckHeaderValue("tok\x00en")
	require.ErrorIs(t, err, engine.ErrBadHeader)
	assert.Equal(t, "control character 0x00 at byte 3 of the value", err.Error(), "the value itself, maybe a credential, is not quoted")
}
