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

// FuzzParseHeader: any -H value either parses into a name and a value that parse back to
// themselves, or is refused with an error that quotes none of it (it may hold a credential).
func FuzzParseHeader(f *testing.F) {
	for _, seed := range []string{"UserName: acme", "Authorization:Bearer x", " X-A :  b ", ":", "", "a:b:c", "\x00: \r\n", "Ü: ü"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		name, value, err := mockprovider.ParseHeader(line)
		if err != nil {
			if len(line) > 3 {
				assert.NotContains(t, err.Error(), line)
			}
			return
		}
		require.NotEmpty(t, name)
		assert.Equal(t, strings.TrimSpace(name), name)
		assert.Equal(t, strings.TrimSpace(value), value)
		assert.NotContains(t, name, ":")
		n2, v2, err := mockprovider.ParseHeader(name + ": " + value)
		require.NoError(t, err)
		assert.Equal(t, name, n2)
		assert.Equal(t, value, v2)

		// Header names are ASCII tokens; letter case outside ASCII (ı and I) is not folded.
		if isASCII(name) {
			h, err := mockprovider.ParseHeaders([]string{line, strings.ToUpper(name) + ": again"})
			require.NoError(t, err)
			assert.Len(t, h, 1, "a name given twice in any letter case is one header")
		}
	})
}

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

func isASCII(s string) bool {
	for _, b := range []byte(s) {
		if b >= 0x80 {
			return false
		}
	}
	return true
}
