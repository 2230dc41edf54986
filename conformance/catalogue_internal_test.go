package conformance

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wrongValue never returns its input, even an empty one, and keeps the length of any other.
func TestWrongValue(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, v := range []string{"", "a", "token", "s3cret-token", strings.Repeat("Z", 64)} {
		for range 100 {
			got := wrongValue(rnd, v)
			require.NotEqual(t, v, got)
			if v == "" {
				assert.NotEmpty(t, got)
				continue
			}
			require.Len(t, got, len(v))
			for i := range v {
				require.NotEqual(t, v[i], got[i], "%q -> %q: byte %d unchanged", v, got, i)
			}
		}
	}
}
