package schemas_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/fixtures"
	"github.com/wahook/wahook/internal/corpus"
	"github.com/wahook/wahook/internal/jsoninput"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// generatedDir is the golden corpus `make fixtures` writes: valid payloads of every type and their
// mutations.
const generatedDir = "../fixtures/generated"

// generated returns the decodable payloads of the golden corpus, with their manifest entries.
func generated(t *testing.T) ([]corpus.Entry, []any) {
	t.Helper()
	var entries []corpus.Entry
	var docs []any
	for pl, err := range corpus.ReadPayloads(generatedDir) {
		require.NoError(t, err)
		doc, err := jsoninput.Decode(pl.Body)
		if err != nil {
			continue // never reaches a schema
		}
		entries = append(entries, pl.Entry)
		docs = append(docs, doc)
	}
	require.Greater(t, len(docs), 1000, "the golden corpus in %s", generatedDir)
	return entries, docs
}

// bothModes are a lenient and a strict Validator.
func bothModes(t testing.TB) map[string]*schemas.Validator {
	t.Helper()
	return map[string]*schemas.Validator{"lenient": newValidator(t, false), "strict": newValidator(t, true)}
}

// assertSound checks the acceptance path's one promise on doc: what it accepts, the library accepts.
func assertSound(t *testing.T, v *schemas.Validator, p schemas.Provider, doc any, name string) {
	t.Helper()
	if v.Accepts(p, doc) {
		assert.True(t, v.FullVerdict(p, doc), "%s: the acceptance path accepts what the library rejects", name)
	}
}

// TestAcceptorNeverAcceptsWhatTheLibraryRejects runs both paths on every fixture, every one-field
// breakage of each, the wide payloads bounded validation splits, and every payload of the golden
// corpus, valid and mutated, against both providers' schemas, lenient and strict.
func TestAcceptorNeverAcceptsWhatTheLibraryRejects(t *testing.T) {
	_, corpusDocs := generated(t)
	for mode, v := range bothModes(t) {
		for _, p := range schemas.Providers() {
			t.Run(fmt.Sprintf("%s/%s/fixtures", mode, p), func(t *testing.T) {
				for _, f := range fixtures.All() {
					doc, err := jsoninput.Decode(f.Bytes())
					if err != nil {
						continue
					}
					assertSound(t, v, p, doc, f.File)
					if f.Provider != p {
						continue
					}
					for i, d := range oneFieldBreakages(t, p, doc) {
						assertSound(t, v, p, d, fmt.Sprintf("%s, breakage %d", f.File, i))
					}
				}
				for i, d := range wideVariants(t, p) {
					assertSound(t, v, p, d, fmt.Sprintf("wide variant %d", i))
				}
			})
			t.Run(fmt.Sprintf("%s/%s/generated", mode, p), func(t *testing.T) {
				for i, doc := range corpusDocs {
					assertSound(t, v, p, doc, fmt.Sprintf("generated payload %d", i))
				}
			})
		}
	}
}

// TestAcceptorAcceptsValidPayloads: the acceptance path vouches for every valid fixture and every valid
// payload of the golden corpus, so that valid traffic (and BenchmarkValidate) never needs the library.
func TestAcceptorAcceptsValidPayloads(t *testing.T) {
	entries, corpusDocs := generated(t)
	for mode, v := range bothModes(t) {
		t.Run(mode+"/fixtures", func(t *testing.T) {
			n := 0
			for _, f := range fixtures.All() {
				if f.Verdict != fixtures.Valid {
					continue
				}
				doc, err := jsoninput.Decode(f.Bytes())
				require.NoError(t, err, f.File)
				require.True(t, v.FullVerdict(f.Provider, doc), "%s is valid in both modes", f.File)
				assert.True(t, v.Accepts(f.Provider, doc), "%s is valid but not accepted", f.File)
				n++
			}
			assert.GreaterOrEqual(t, n, 26, "every documented example has a valid form")
		})
		t.Run(mode+"/generated", func(t *testing.T) {
			n := 0
			for i, e := range entries {
				if e.Schema != mockprovider.SchemaValid {
					continue
				}
				if !v.FullVerdict(e.Provider, corpusDocs[i]) {
					require.Equal(t, "strict", mode, "%s is valid in lenient mode", e.File)
					continue // an undocumented property the generator adds as a quirk
				}
				assert.True(t, v.Accepts(e.Provider, corpusDocs[i]), "%s is valid but not accepted", e.File)
				n++
			}
			assert.Greater(t, n, 250, "valid generated payloads checked")
		})
	}
}

// FuzzAcceptor: on any payload, against either provider's schema, lenient or strict, the acceptance
// path accepts only what the library accepts.
func FuzzAcceptor(f *testing.F) {
	addFixtureSeeds(f)
	f.Add([]byte(`{"appId":"a","channelType":0,"eventType":"up-message-event","businessPhone":"1","from":{"phone":"2"},` +
		`"messageId":"m","timestamp":9999999999,"sendNum":2147483647,"message":{"type":"location","location":{"latitude":"90","longitude":"-180.0"}}}`))
	f.Add([]byte(`{"id":"i","type":"whatsapp_mo_message_received","eventTime":"2023-02-22T12:00:00Z","body":{"id":"b","accountName":"a",` +
		`"wabaId":"w","wamid":"m","from":"1","to":"2","sendTime":"2023-02-22T12:00:00.5+08:00","customerProfile":{},"type":"unknown",` +
		`"errors":[{"code":-2147483648,"details":"d","title":"t"}]}}`))
	modes := bothModes(f)
	f.Fuzz(func(t *testing.T, payload []byte) {
		doc, err := jsoninput.Decode(payload)
		if err != nil {
			return
		}
		for mode, v := range modes {
			for _, p := range schemas.Providers() {
				if v.Accepts(p, doc) {
					assert.True(t, v.FullVerdict(p, doc), "%s %s: accepted what the library rejects", mode, p)
				}
			}
		}
	})
}
