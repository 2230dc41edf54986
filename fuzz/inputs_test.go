package fuzz

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/message"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// TestInputsCarryTheirMessage: an input that says what it encodes parses into exactly that
// message, and some do (the catalogue's modelled tolerate mutations, and inputs a byte mutation left
// as generated).
func TestInputsCarryTheirMessage(t *testing.T) {
	for _, p := range schemas.Providers() {
		src, err := newSource(p, 9, "")
		require.NoError(t, err)
		carried := 0
		for i := range uint64(3000) {
			in, err := src.input(i)
			require.NoError(t, err)
			if in.Message == nil {
				continue
			}
			carried++
			got, err := mockprovider.Parse(p, in.Body)
			require.NoError(t, err, "input %d (%s)", i, in.Origin)
			assert.Empty(t, message.Diff(*in.Message, got, nil), "input %d (%s)", i, in.Origin)
			assert.Empty(t, message.Diff(got, *in.Message, nil), "input %d (%s)", i, in.Origin)
		}
		assert.Greater(t, carried, 20, p)
		t.Logf("%s: %d of 3000 inputs carry their message", p, carried)
	}
}
