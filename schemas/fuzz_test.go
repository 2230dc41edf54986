package schemas_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/fixtures"
	"github.com/wahook/wahook/internal/jsoninput"
	"github.com/wahook/wahook/internal/jsonpointer"
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
					_, err := jsoninput.Decode(payload)
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

// FuzzBoundedAgreesWithWhole: for any payload, validating in bounded pieces (here on every array and
// object) reports exactly what validating it whole does, and every instance is an RFC 6901 pointer
// into the payload (for a missing property, its parent is).
func FuzzBoundedAgreesWithWhole(f *testing.F) {
	addFixtureSeeds(f)
	f.Add([]byte(`{"appId":"a","channelType":0,"eventType":"up-message-event","businessPhone":"1","from":{"phone":"2"},` +
		`"messageId":"m","timestamp":1690869287,"message":{"type":"contacts","contacts":[{},{"name":{}},{"name":{"formatted_name":"x"},"phones":[1,{"wa_id":2}]}]}}`))
	type pair struct{ whole, bounded *schemas.Validator }
	var pairs []pair
	for _, strict := range []bool{false, true} {
		opts := schemas.Options{Strict: strict, MaxViolations: 1 << 20}
		whole, err := schemas.NewWindowed(opts, 1<<30, 1<<30)
		require.NoError(f, err)
		bounded, err := schemas.NewWindowed(opts, 1, 0)
		require.NoError(f, err)
		pairs = append(pairs, pair{whole, bounded})
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		doc, err := jsoninput.Decode(payload)
		if err != nil {
			return
		}
		for _, pr := range pairs {
			for _, p := range schemas.Providers() {
				want, err := pr.whole.ValidateValue(p, doc)
				require.NoError(t, err)
				got, err := pr.bounded.ValidateValue(p, doc)
				require.NoError(t, err)
				require.Equal(t, want, got)
				for _, v := range got.Violations {
					if _, err := jsonpointer.Get(doc, v.Instance); err == nil {
						continue
					}
					parent, _, err := jsonpointer.Parent(v.Instance)
					require.NoError(t, err, "instance %q", v.Instance)
					_, err = jsonpointer.Get(doc, parent)
					assert.NoError(t, err, "neither %q nor its parent is in the payload (%s)", v.Instance, v.Message)
				}
			}
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
