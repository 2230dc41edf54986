package conformance_test

import (
	"testing"

	"github.com/wahook/wahook/conformance"
	"github.com/wahook/wahook/message"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// TestCheckParserReference: the reference parser passes its own check for both providers.
func TestCheckParserReference(t *testing.T) {
	for _, p := range schemas.Providers() {
		t.Run(string(p), func(t *testing.T) {
			conformance.CheckParser(t, p, func(body []byte) (message.Message, error) { return mockprovider.Parse(p, body) })
		})
	}
}
