package fuzz

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/fixtures"
	"github.com/wahook/wahook/internal/jsoninput"
	"github.com/wahook/wahook/internal/jsonpointer"
)

// FuzzScan runs the raw-JSON value finder and the byte-level editors on arbitrary bytes: no panic,
// and on JSON the span found holds exactly the value at its pointer.
func FuzzScan(f *testing.F) {
	for _, fx := range fixtures.All() {
		f.Add(fx.Bytes(), uint64(3))
	}
	f.Add([]byte(`{"a":[1,{"b\/c":"x"}],"d":null}`), uint64(4))
	f.Add([]byte(`{"a":`), uint64(0))
	f.Fuzz(func(t *testing.T, body []byte, n uint64) {
		rng := rand.New(rand.NewPCG(n, 1))
		vary(rng, body)
		_, _, _, err := mutateBytes(rng, body, func() ([]byte, error) { return body, nil })
		require.NoError(t, err)
		triggerOf(fuzzInput{Body: body, Base: body}, parse(body))
		sp, ok := pickValue(body, n)
		doc, err := jsoninput.Decode(body)
		if !ok || err != nil {
			return // not JSON, or a repeated key: a pointer cannot name one of two equal keys
		}
		want, err := jsonpointer.Get(doc, sp.pointer)
		require.NoError(t, err)
		var got any
		require.NoError(t, json.Unmarshal(body[sp.start:sp.end], &got), "span %q", body[sp.start:sp.end])
		assert.Equal(t, want, got)
	})
}
