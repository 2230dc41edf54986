package mockprovider_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// FuzzParseRetries: any --retries spec either is refused or gives delays >= 0 that, written back
// as a list, parse to the same schedule.
func FuzzParseRetries(f *testing.F) {
	for _, seed := range []string{"provider", "none", "", "1m,3m,5m", "10s", "-1s", "1m,,3m", " 1h , 2ms", "9999999999h", "1e3s"} {
		f.Add(seed)
	}
	prov, err := mockprovider.Lookup(schemas.ITNIOTech)
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, spec string) {
		delays, err := prov.ParseRetries(spec)
		if err != nil {
			return
		}
		parts := make([]string, len(delays))
		for i, d := range delays {
			require.GreaterOrEqual(t, d, time.Duration(0))
			parts[i] = d.String()
		}
		if len(parts) == 0 {
			return // "none"
		}
		again, err := prov.ParseRetries(strings.Join(parts, ","))
		require.NoError(t, err)
		assert.Equal(t, delays, again)
	})
}
