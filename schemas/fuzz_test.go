package schemas_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/fixtures"
	"github.com/wahook/wahook/schemas"
)

func addFixtureSeeds(f *testing.F) {
	for _, fx := range fixtures.All() {
		f.Add(fx.Bytes())
	}
	f.Add([]byte(`{"id":"x","type":"whatsapp_mo_message_received","body":{"type":"image","image":null}}`))
	f.Add([]byte(`{"appId":"a","eventType":"up-message-event","timestamp":1e400,"message":{"type":"text"}}`))
	f.Add([]byte("\xef\xbb\xbf{}"))
	f.Add([]byte("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["))
}

// FuzzValidate feeds arbitrary bytes to both validators: no panic, a report for every known provider,
// and any input Validate accepts decodes and is recognised as that provider.
func FuzzValidate(f *testing.F) {
	addFixtureSeeds(f)
	lenient, err := schemas.New(schemas.Options{})
	require.NoError(f, err)
	strict, err := schemas.New(schemas.Options{Strict: true})
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, payload []byte) {
		for _, v := range []*schemas.Validator{lenient, strict} {
			for _, p := range append(schemas.Providers(), schemas.Auto) {
				r, err := v.Validate(p, payload)
				require.NoError(t, err)
				if r.Valid() {
					_, err := schemas.Decode(payload)
					assert.NoError(t, err)
				}
				for _, viol := range r.Violations {
					assert.NotEmpty(t, viol.Message)
				}
			}
		}
		strictReport, _ := strict.Validate(schemas.Auto, payload)
		lenientReport, _ := lenient.Validate(schemas.Auto, payload)
		if strictReport.Valid() {
			assert.True(t, lenientReport.Valid(), "strict accepts only what lenient accepts")
		}
	})
}

// FuzzDetect checks that Detect never panics and agrees with Validate's auto mode.
func FuzzDetect(f *testing.F) {
	addFixtureSeeds(f)
	v, err := schemas.New(schemas.Options{})
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, payload []byte) {
		p, ok := schemas.Detect(payload)
		r, err := v.Validate(schemas.Auto, payload)
		require.NoError(t, err)
		if ok {
			assert.Equal(t, p, r.Provider)
		}
	})
}
