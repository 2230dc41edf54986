package mockprovider_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

func lookup(t testing.TB, p schemas.Provider) *mockprovider.Provider {
	t.Helper()
	prov, err := mockprovider.Lookup(p)
	require.NoError(t, err)
	return prov
}

func TestParseRetries(t *testing.T) {
	schedule := []time.Duration{time.Minute, 3 * time.Minute, 5 * time.Minute}
	tests := []struct {
		spec    string
		want    []time.Duration
		wantErr string
	}{
		{"", schedule, ""},
		{"provider", schedule, ""},
		{"none", nil, ""},
		{"1m,3m", []time.Duration{time.Minute, 3 * time.Minute}, ""},
		{" 10s , 1m ", []time.Duration{10 * time.Second, time.Minute}, ""},
		{"0s", []time.Duration{0}, ""},
		{"bad", nil, `retries "bad": "bad" is not a duration such as 1m or 30s`},
		{"-1s", nil, `retries "-1s": "-1s" is not a duration such as 1m or 30s`},
		{"1m,", nil, `retries "1m,": "" is not a duration such as 1m or 30s`},
		{"1m,-3m", nil, `retries "1m,-3m": "-3m" is not a duration such as 1m or 30s`},
		{"Provider", nil, `retries "Provider": "Provider" is not a duration such as 1m or 30s`},
	}
	for _, p := range mockprovider.Providers() {
		for _, tt := range tests {
			t.Run(string(p.Name)+"/"+tt.spec, func(t *testing.T) {
				got, err := p.ParseRetries(tt.spec)
				if tt.wantErr != "" {
					assert.EqualError(t, err, tt.wantErr)
					return
				}
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
			})
		}
	}

	// The provider's schedule is a copy: changing it changes nothing for the next caller.
	itnio := lookup(t, schemas.ITNIOTech)
	got, err := itnio.ParseRetries("provider")
	require.NoError(t, err)
	got[0] = time.Hour
	assert.Equal(t, schedule, itnio.RetrySchedule)
}

// TestParseHeader: ParseHeader checks a line's shape only, and quotes nothing of it: whether the
// header can be sent is Target.Check's to say.
func TestParseHeader(t *testing.T) {
	tests := []struct {
		line, name, value string
		wantErr           string
	}{
		{line: "X-Trace: abc", name: "X-Trace", value: "abc"},
		{line: "x-lower:value", name: "x-lower", value: "value"},
		{line: "  Authorization :  Bearer abc==:x  ", name: "Authorization", value: "Bearer abc==:x"},
		{line: "X-Empty:", name: "X-Empty", value: ""},
		{line: "X-Colons: a:b:c", name: "X-Colons", value: "a:b:c"},
		{line: "UserName: alice", name: "UserName", value: "alice"},
		{line: "X-Tab: a\tb", name: "X-Tab", value: "a\tb"},
		{line: "Host: receiver.example:8443", name: "Host", value: "receiver.example:8443"},
		// Split as given; Target.Check refuses them.
		{line: "X(bad: v", name: "X(bad", value: "v"},
		{line: "Authorization: Bearer s3cret\x01", name: "Authorization", value: "Bearer s3cret\x01"},
		{line: "Bearer s3cret", wantErr: "a line without ':': want 'Name: value'"},
		{line: ": s3cret", wantErr: "no name before ':': want 'Name: value'"},
		{line: "", wantErr: "a line without ':': want 'Name: value'"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			name, value, err := mockprovider.ParseHeader(tt.line)
			if tt.wantErr != "" {
				assert.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.name, name)
			assert.Equal(t, tt.value, value)
		})
	}
}

func TestParseHeaders(t *testing.T) {
	tests := []struct {
		name    string
		lines   []string
		want    http.Header
		wantErr string
	}{
		{name: "none", want: http.Header{}},
		{name: "repeated in any case: one header, first spelling, values in order",
			lines: []string{"X-A: one", "x-a: two", "X-B: b", "X-a: three"},
			want:  http.Header{"X-A": {"one", "two", "three"}, "X-B": {"b"}}},
		{name: "spelling kept as typed", lines: []string{"UserName: alice", "x-lower: v"},
			want: http.Header{"UserName": {"alice"}, "x-lower": {"v"}}},
		{name: "a bad line", lines: []string{"X-A: 1", "X-B"}, wantErr: "a line without ':': want 'Name: value'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Repeated: the result must not depend on map order.
			for range 20 {
				got, err := mockprovider.ParseHeaders(tt.lines)
				if tt.wantErr != "" {
					require.EqualError(t, err, tt.wantErr)
					continue
				}
				require.NoError(t, err)
				require.Equal(t, tt.want, got)
			}
		})
	}
}
