package broken

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/mockprovider"
)

// The defects that pick requests by message type or by sender read them through the provider
// descriptions; a misread would make a defect never trigger, and its test fail for the wrong reason.
func TestMessageTypeAndSender(t *testing.T) {
	g, err := mockprovider.New(mockprovider.Options{Seed: 3})
	require.NoError(t, err)
	for _, p := range mockprovider.Providers() {
		for _, typ := range p.Types() {
			t.Run(string(p.Name)+"/"+typ, func(t *testing.T) {
				pl, err := g.Generate(p.Name, typ, 0)
				require.NoError(t, err)
				assert.Equal(t, typ, MessageType(pl.Body))
				from, sent, ok := sender(pl.Body)
				require.True(t, ok)
				assert.Regexp(t, `^\d{8,15}$`, from)
				assert.True(t, pl.SentAt.Equal(sent), "sent %v, want %v", sent, pl.SentAt)
			})
		}
	}
	for _, body := range []string{``, `not JSON`, `[]`, `{"a":1,"b":2}`, `{"nested":[[[[1]]]]}`} {
		t.Run(body, func(t *testing.T) {
			assert.Empty(t, MessageType([]byte(body)))
			_, _, ok := sender([]byte(body))
			assert.False(t, ok)
		})
	}
}
