package mockprovider_test

import (
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
		{"", nil, ""}, // the provider's own schedule
		{"provider", nil, ""},
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
				want := tt.want
				if tt.spec == "" || tt.spec == "provider" {
					want = p.RetrySchedule
				}
				assert.Equal(t, want, got)
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
