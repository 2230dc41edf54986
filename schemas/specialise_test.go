package schemas_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/schemas"
)

// TestSpecialisedAgreesWithFull checks the fast path against the full schema on every valid payload
// and on every one-field breakage of it: drop a field, give it the wrong type, add an undocumented
// property, change the message type.
func TestSpecialisedAgreesWithFull(t *testing.T) {
	for _, strict := range []bool{false, true} {
		v := newValidator(t, strict)
		for _, p := range schemas.Providers() {
			for _, typ := range schemas.Types(p) {
				t.Run(fmt.Sprintf("strict=%v/%s/%s", strict, p, typ), func(t *testing.T) {
					variants := oneFieldBreakages(t, p, validDoc(t, p, typ))
					applied := 0
					for i, d := range variants {
						fast, applies := v.SpecialisedVerdict(p, d)
						if !applies {
							continue
						}
						applied++
						assert.Equal(t, v.FullVerdict(p, d), fast, "variant %d disagrees", i)
					}
					assert.Greater(t, applied, len(variants)/2, "the fast path applies to most variants")
				})
			}
		}
	}
}

func mustGet(t *testing.T, doc any, ptr string) any {
	t.Helper()
	v, err := jsonpointer.Get(doc, ptr)
	require.NoError(t, err)
	return v
}
