package mockprovider_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/message"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// TestSameMessage: each type both providers can express comes out in both formats, each valid and
// parsing into the message it carries, and the two saying the same: equal Content, both ways.
func TestSameMessage(t *testing.T) {
	indexes := 300
	if testing.Short() || raceEnabled {
		indexes = 30
	}
	g, err := mockprovider.New(mockprovider.Options{Seed: 5})
	require.NoError(t, err)
	types := mockprovider.SameMessageTypes()
	assert.Subset(t, types, []string{"text", "image", "audio", "video", "sticker", "document", "location", "contacts", "unknown"})
	assert.NotContains(t, types, "reaction", "ITNIO Tech has no reactions")
	for _, typ := range types {
		for i := range uint64(indexes) {
			payloads, err := g.SameMessage(typ, i)
			require.NoError(t, err)
			require.Len(t, payloads, len(schemas.Providers()), typ)
			for _, pl := range payloads {
				if !assertParsesTo(t, pl, fmt.Sprintf("same %s %d for %s", typ, i, pl.Provider)) {
					return
				}
			}
			a, b := payloads[0].Message.Content(), payloads[1].Message.Content()
			assert.Empty(t, message.Diff(a, b, nil), "%s %d", typ, i)
			assert.Empty(t, message.Diff(b, a, nil), "%s %d", typ, i)
			assert.NotEqual(t, payloads[0].ID, payloads[1].ID, "each provider's own id")
			again, err := g.SameMessage(typ, i)
			require.NoError(t, err)
			assert.Equal(t, string(payloads[1].Body), string(again[1].Body), "the same index, the same bytes")
		}
	}
	_, err = g.SameMessage("reaction", 0)
	assert.ErrorIs(t, err, mockprovider.ErrNotApplicable)
}
