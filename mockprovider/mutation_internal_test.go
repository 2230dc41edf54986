package mockprovider

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/jsoninput"
	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/schemas"
)

// TestOrderedRoundTrip: decoding a generated payload and encoding it again, unedited, gives back its
// bytes, plain and full, in every quirk mode. It is what lets a mutation change only what it names.
func TestOrderedRoundTrip(t *testing.T) {
	for _, mode := range []QuirkMode{QuirksMix, QuirksExample, QuirksTable} {
		g, err := New(Options{Seed: 5, Quirks: mode})
		require.NoError(t, err)
		for _, p := range Providers() {
			for _, typ := range p.types {
				for i := range uint64(20) {
					for _, full := range []bool{false, true} {
						pl, err := g.generateSeed(p, typ, i, PayloadSeed(5, i), full)
						require.NoError(t, err)
						doc, order, err := decodeOrdered(pl.Body)
						require.NoError(t, err)
						again, err := order.encode(doc)
						require.NoError(t, err)
						require.Equal(t, string(pl.Body), string(again), "%s %s #%d full=%v", p.Name, typ, i, full)
					}
				}
			}
		}
	}
}

func TestOrderedEdits(t *testing.T) {
	tests := []struct {
		name string
		in   string
		edit func(doc any, o keyOrders) error
		want string
	}{
		{"unedited", `{"z":1,"a":{"y":"é\u00e9","b":[1.50,{"k":null}]},"m":true}`, nil, `{"z":1,"a":{"y":"éé","b":[1.50,{"k":null}]},"m":true}`},
		{"set keeps the place", `{"z":1,"a":2,"m":3}`,
			func(doc any, _ keyOrders) error { return jsonpointer.Set(doc, "/a", "x") }, `{"z":1,"a":"x","m":3}`},
		{"remove", `{"z":1,"a":2,"m":3}`,
			func(doc any, _ keyOrders) error { return jsonpointer.Remove(doc, "/a") }, `{"z":1,"m":3}`},
		{"added keys go last, sorted", `{"z":1,"a":2}`,
			func(doc any, _ keyOrders) error {
				return firstError(jsonpointer.Set(doc, "/q", 1), jsonpointer.Set(doc, "/b", map[string]any{"y": 1, "x": 2}))
			}, `{"z":1,"a":2,"b":{"x":2,"y":1},"q":1}`},
		{"clone keeps the order", `{"l":[{"z":1,"a":2}]}`,
			func(doc any, o keyOrders) error {
				l, _ := jsonpointer.Get(doc, "/l")
				return jsonpointer.Set(doc, "/l", append(l.([]any), o.clone(l.([]any)[0])))
			}, `{"l":[{"z":1,"a":2},{"z":1,"a":2}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, order, err := decodeOrdered([]byte(tt.in))
			require.NoError(t, err)
			if tt.edit != nil {
				require.NoError(t, tt.edit(doc, order))
			}
			got, err := order.encode(doc)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
		})
	}
}

func TestDecodeOrderedErrors(t *testing.T) {
	for _, in := range []string{``, `{`, `{"a"}`, `{"a":1,}`, `[1 2]`, `"x`, `{"a":1}x`, `{"a":1,"a":2}`, `nul`, `-`, `"\x01"`, `"\q"`, `{1:2}`, `{"a" 1}`, `[1,]`, `{"a":1} {}`, `1 2`, `"\ud800"x`, `]`,
		strings.Repeat("[", maxOrderedDepth+2) + strings.Repeat("]", maxOrderedDepth+2)} {
		t.Run(fmt.Sprintf("%.20q", in), func(t *testing.T) {
			_, _, err := decodeOrdered([]byte(in))
			assert.Error(t, err)
		})
	}
}

// FuzzDecodeOrdered: any input is decoded or refused, never a panic, and what is decoded encodes to
// JSON that means what the input meant.
func FuzzDecodeOrdered(f *testing.F) {
	for _, s := range []string{`{"z":1,"a":{"y":"é\u00e9","b":[1.50,{"k":null}]},"m":true}`, `[]`, `{}`, `"\ud800"`, `-0.0e+1`, `{"a":1,"a":2}`, `{1:2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		doc, order, err := decodeOrdered(in)
		if err != nil {
			return
		}
		out, err := order.encode(doc)
		require.NoError(t, err)
		var want, got any
		require.NoError(t, json.Unmarshal(in, &want), "decodeOrdered accepted what encoding/json refuses")
		require.NoError(t, json.Unmarshal(out, &got), "encoded %q", out)
		assert.Equal(t, want, got)
	})
}

// TestSystematicCoversTheSchema holds the systematic catalogue to the schema, independently of the
// seeds it was derived from: for payloads with every optional part, of other seeds, every field the
// schema defines for a type has its wrong-type case applying to that type, and every field it requires
// its drop case. Every ITNIO type may carry a context, so the context's cases apply to all eleven.
func TestSystematicCoversTheSchema(t *testing.T) {
	for _, p := range Providers() {
		cat, err := Mutations(p.Name)
		require.NoError(t, err)
		byID := map[string]Mutation{}
		for _, m := range cat {
			byID[m.ID] = m
		}
		for _, mode := range []QuirkMode{QuirksExample, QuirksTable} {
			g, err := New(Options{Seed: 1000, Quirks: mode})
			require.NoError(t, err)
			for _, typ := range p.types {
				for i := range uint64(6) {
					pl, err := g.generateSeed(p, typ, i, PayloadSeed(1000, i), true)
					require.NoError(t, err)
					doc, err := jsoninput.Decode(pl.Body)
					require.NoError(t, err)
					fields, err := schemas.Fields(p.Name, doc)
					require.NoError(t, err)
					for _, f := range fields {
						if !f.Present || hasIndexOtherThanZero(f.Pointer) {
							continue
						}
						if _, ok := schemas.OtherTypeValue(f.Types); ok {
							m, ok := byID["wrong-type."+dottedPath(f.Pointer)]
							if assert.True(t, ok, "%s %s: no wrong-type case for %s", p.Name, typ, f.Pointer) {
								assert.True(t, m.AppliesTo(typ), "%s applies to %s %s", m.ID, p.Name, typ)
							}
						}
						if f.Required && !strings.HasSuffix(f.Pointer, "/0") {
							m, ok := byID["drop-required."+dottedPath(f.Pointer)]
							if assert.True(t, ok, "%s %s: no drop case for %s", p.Name, typ, f.Pointer) {
								assert.True(t, m.AppliesTo(typ), "%s applies to %s %s", m.ID, p.Name, typ)
							}
						}
					}
				}
			}
		}
	}
	itnio, err := Lookup(schemas.ITNIOTech)
	require.NoError(t, err)
	for _, id := range []string{"wrong-type.message.context.forwarded", "wrong-type.message.context.frequently_forwarded",
		"wrong-type.message.context.frequently_forwarded_", "wrong-type.message.context.referred_product.catalog_id", "wrong-type.message.context.id"} {
		m, err := LookupMutation(schemas.ITNIOTech, id)
		require.NoError(t, err)
		for _, typ := range itnio.types {
			assert.True(t, m.AppliesTo(typ), "%s applies to %s", id, typ)
		}
	}
	inno, err := Lookup(schemas.InnoPaaS)
	require.NoError(t, err)
	for _, id := range []string{"wrong-type.body.context.id", "drop-required.body.context.from"} {
		m, err := LookupMutation(schemas.InnoPaaS, id)
		require.NoError(t, err)
		for _, typ := range inno.types {
			assert.True(t, m.AppliesTo(typ), "%s applies to %s", id, typ)
		}
	}
	m, err := LookupMutation(schemas.InnoPaaS, "drop-required.body.context")
	require.NoError(t, err)
	assert.Equal(t, []string{"button", "interactive"}, m.types, "the context is required of the replies only")
}

// TestSystematicEditsOnlyItsField: a systematic mutation's payload is its base payload with the one
// field dropped or replaced, every other byte as generated.
func TestSystematicEditsOnlyItsField(t *testing.T) {
	g, err := New(Options{Seed: 8})
	require.NoError(t, err)
	for _, p := range Providers() {
		cat, err := Mutations(p.Name)
		require.NoError(t, err)
		for _, m := range cat {
			if !m.Systematic {
				continue
			}
			typ := p.types[slices.IndexFunc(p.types, m.AppliesTo)]
			base, doc, order, err := g.mutationBase(p, typ, 2, m)
			require.NoError(t, err, m.ID)
			pl, _, err := g.GenerateMutated(p.Name, typ, 2, m.ID)
			require.NoError(t, err, m.ID)
			require.NotEqual(t, string(base.Body), string(pl.Body), m.ID)
			// The expected bytes: the base's own, with the edit made at the byte level.
			if strings.HasPrefix(m.ID, "drop-required.") && len(p.typeObjectKeys(typ)) < 2 {
				require.NoError(t, jsonpointer.Remove(doc, m.Pointer))
				want, err := order.encode(doc)
				require.NoError(t, err)
				assert.Equal(t, string(want), string(pl.Body), m.ID)
				assert.Less(t, len(pl.Body), len(base.Body), m.ID)
				continue
			}
			got, err := jsoninput.Decode(pl.Body)
			require.NoError(t, err, m.ID)
			if strings.HasPrefix(m.ID, "wrong-type.") {
				wrong, err := jsonpointer.Get(got, m.Pointer)
				require.NoError(t, err, m.ID)
				prefix, suffix := splitAtValue(t, base.Body, doc, order, m.Pointer)
				raw, err := order.encode(wrong)
				require.NoError(t, err)
				assert.Equal(t, prefix+string(raw)+suffix, string(pl.Body), m.ID)
			}
		}
	}
}

// splitAtValue returns the bytes of body before and after the value at ptr, found by replacing that
// value with a marker and encoding.
func splitAtValue(t *testing.T, body []byte, doc any, order keyOrders, ptr string) (string, string) {
	t.Helper()
	old, err := jsonpointer.Get(doc, ptr)
	require.NoError(t, err)
	const marker = "\x00wahook-marker\x00"
	require.NoError(t, jsonpointer.Set(doc, ptr, marker))
	b, err := order.encode(doc)
	require.NoError(t, err)
	require.NoError(t, jsonpointer.Set(doc, ptr, old))
	before, after, ok := strings.Cut(string(b), `"\u0000wahook-marker\u0000"`)
	require.True(t, ok)
	again, err := order.encode(doc)
	require.NoError(t, err)
	require.Equal(t, string(body), string(again))
	return before, after
}
