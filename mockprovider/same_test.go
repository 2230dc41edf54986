package mockprovider_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/message"
	"github.com/wahook/wahook/mockprovider"
)

// TestSameMessage: each type two or more providers can express comes out in each of their formats,
// each valid and parsing into the message it carries, and all saying the same: equal Content, both
// ways.
func TestSameMessage(t *testing.T) {
	indexes := 300
	if testing.Short() || raceEnabled {
		indexes = 30
	}
	g, err := mockprovider.New(mockprovider.Options{Seed: 5})
	require.NoError(t, err)
	types := mockprovider.SameMessageTypes()
	assert.Subset(t, types, []string{"text", "image", "audio", "video", "sticker", "document", "location", "contacts", "unknown"})
	assert.NotContains(t, types, "reaction", "InnoPaaS's reactions have no place in the shared model's rendering, ITNIO Tech has none")
	for _, typ := range types {
		for i := range uint64(indexes) {
			payloads, err := g.SameMessage(typ, i)
			require.NoError(t, err)
			require.Len(t, payloads, providersWith(typ), typ)
			for j, pl := range payloads {
				if !assertParsesTo(t, pl, fmt.Sprintf("same %s %d for %s", typ, i, pl.Provider)) {
					return
				}
				if j == 0 {
					continue
				}
				a, b := payloads[j-1].Message.Content(), pl.Message.Content()
				assert.Empty(t, message.Diff(a, b, nil), "%s %d: %s and %s", typ, i, payloads[j-1].Provider, pl.Provider)
				assert.Empty(t, message.Diff(b, a, nil), "%s %d: %s and %s", typ, i, pl.Provider, payloads[j-1].Provider)
				assert.NotEqual(t, payloads[j-1].ID, pl.ID, "each provider's own id")
			}
			again, err := g.SameMessage(typ, i)
			require.NoError(t, err)
			assert.Equal(t, string(payloads[1].Body), string(again[1].Body), "the same index, the same bytes")
		}
	}
	_, err = g.SameMessage("reaction", 0)
	assert.ErrorIs(t, err, mockprovider.ErrNotApplicable)
}

// providersWith counts the providers whose formats have message type typ.
func providersWith(typ string) int {
	n := 0
	for _, p := range mockprovider.Providers() {
		if slices.Contains(p.Types(), typ) {
			n++
		}
	}
	return n
}
