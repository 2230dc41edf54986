package mockprovider_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/jsoninput"
	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// TestCatalogueAgreesWithSchemas applies every mutation to every type it applies to, over a few
// indices, and holds each to its declared schema verdict: every reject mutation declared a schema
// violation fails the schema, every tolerate mutation declared schema-valid passes it.
func TestCatalogueAgreesWithSchemas(t *testing.T) {
	v := newValidator(t, false)
	g := newGenerator(t, mockprovider.Options{Seed: 2024})
	for _, p := range mockprovider.Providers() {
		cat, err := mockprovider.Mutations(p.Name)
		require.NoError(t, err)
		for _, m := range cat {
			t.Run(fmt.Sprintf("%s/%s", p.Name, m.ID), func(t *testing.T) {
				applied := 0
				for _, typ := range p.Types() {
					if !m.AppliesTo(typ) {
						continue
					}
					for i := range uint64(2) {
						pl, got, err := g.GenerateMutated(p.Name, typ, i, m.ID)
						require.NoError(t, err, typ)
						require.Equal(t, m.ID, got.ID)
						applied++
						base, err := g.Generate(p.Name, typ, i)
						require.NoError(t, err)
						changed := string(pl.Body) != string(base.Body) || pl.ContentType != base.ContentType
						assert.True(t, changed, "%s: the mutation changes something", typ)
						if m.Schema == mockprovider.NotChecked {
							continue
						}
						r, err := v.Validate(p.Name, pl.Body)
						require.NoError(t, err)
						assert.Equal(t, m.Schema == mockprovider.SchemaValid, r.Valid(),
							"%s #%d: declared %s, violations %v\n%.600s", typ, i, m.Schema, r.Violations, pl.Body)
					}
				}
				assert.Positive(t, applied, "applies to at least one type")
			})
		}
	}
}

func TestCatalogueShape(t *testing.T) {
	idPattern := regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]*$`)
	for _, p := range mockprovider.Providers() {
		cat, err := mockprovider.Mutations(p.Name)
		require.NoError(t, err)
		seen := map[string]bool{}
		named, systematic := 0, map[string]int{}
		classes := map[mockprovider.Expectation]int{}
		for _, m := range cat {
			assert.False(t, seen[m.ID], "duplicate id %s", m.ID)
			seen[m.ID] = true
			assert.Regexp(t, idPattern, m.ID, "ids are also directory names")
			assert.NotEmpty(t, m.Description)
			assert.Contains(t, []mockprovider.Expectation{mockprovider.Reject, mockprovider.Tolerate}, m.Expect)
			classes[m.Expect]++
			if !m.Systematic {
				named++
				continue
			}
			for _, typ := range p.Types() {
				if m.AppliesTo(typ) {
					systematic[typ]++
				}
			}
		}
		assert.GreaterOrEqual(t, named, 25, "%s: named mutations", p.Name)
		assert.Positive(t, classes[mockprovider.Reject])
		assert.Positive(t, classes[mockprovider.Tolerate])
		for _, typ := range p.Types() {
			assert.Positive(t, systematic[typ], "%s/%s has systematic mutations", p.Name, typ)
		}
	}
	// Spot checks that the systematic part reaches nested fields.
	for _, id := range []string{"wrong-type.body.context.id", "wrong-type.body.location.latitude", "drop-required.body.image.sha256"} {
		_, err := mockprovider.LookupMutation(schemas.InnoPaaS, id)
		assert.NoError(t, err, id)
	}
	for _, id := range []string{"drop-required.message.location.latitude", "wrong-type.message.context.id", "drop-required.timestamp"} {
		_, err := mockprovider.LookupMutation(schemas.ITNIOTech, id)
		assert.NoError(t, err, id)
	}
}

func TestMutationsAreDeterministic(t *testing.T) {
	a := newGenerator(t, mockprovider.Options{Seed: 5})
	b := newGenerator(t, mockprovider.Options{Seed: 5})
	cat, err := mockprovider.Mutations(schemas.ITNIOTech)
	require.NoError(t, err)
	for _, m := range cat {
		if !m.AppliesTo("text") {
			continue
		}
		x, _, err := a.GenerateMutated(schemas.ITNIOTech, "text", 3, m.ID)
		require.NoError(t, err)
		y, _, err := b.GenerateMutated(schemas.ITNIOTech, "text", 3, m.ID)
		require.NoError(t, err)
		assert.Equal(t, x.Body, y.Body, m.ID)
	}
}

func TestMutationErrors(t *testing.T) {
	g := newGenerator(t, mockprovider.Options{})
	_, _, err := g.GenerateMutated(schemas.InnoPaaS, "text", 0, "no-such-mutation")
	assert.ErrorIs(t, err, mockprovider.ErrUnknownMutation)
	_, _, err = g.GenerateMutated(schemas.InnoPaaS, "image", 0, "max-length-text")
	assert.ErrorIs(t, err, mockprovider.ErrNotApplicable)
}

// FuzzMutate drives the mutation engine with arbitrary seeds, indices and catalogue positions: it
// never panics, and every mutation that applies produces a body.
func FuzzMutate(f *testing.F) {
	f.Add(uint64(1), uint64(0), uint16(0), uint8(0))
	f.Add(uint64(0), uint64(1<<63), uint16(400), uint8(7))
	f.Add(uint64(42), uint64(99), uint16(37), uint8(24))
	cats := map[schemas.Provider][]mockprovider.Mutation{}
	for _, p := range schemas.Providers() {
		cat, err := mockprovider.Mutations(p)
		require.NoError(f, err)
		cats[p] = cat
	}
	f.Fuzz(func(t *testing.T, seed, index uint64, which uint16, typeAndProvider uint8) {
		p := schemas.Providers()[int(typeAndProvider)%len(schemas.Providers())]
		types := schemas.Types(p)
		typ := types[int(typeAndProvider/2)%len(types)]
		m := cats[p][int(which)%len(cats[p])]
		if m.ID == "oversized-body" {
			return // 3 MiB per input would slow the fuzzer to a crawl; TestCatalogueAgreesWithSchemas covers it
		}
		g, err := mockprovider.New(mockprovider.Options{Seed: seed})
		require.NoError(t, err)
		pl, _, err := g.GenerateMutated(p, typ, index, m.ID)
		if !m.AppliesTo(typ) {
			assert.ErrorIs(t, err, mockprovider.ErrNotApplicable)
			return
		}
		if err != nil {
			assert.ErrorIs(t, err, mockprovider.ErrNotApplicable, "the only error is a payload without the field")
			return
		}
		assert.NotNil(t, pl.Body, m.ID)
	})
}

// TestQuirkMutationsCarryTheirForms holds the two quirk mutations to their word: each applies to the
// types that can carry a quirk, and there carries every such quirk in its own form, where the payload
// of the other quirk mode has the other form or none.
func TestQuirkMutationsCarryTheirForms(t *testing.T) {
	tests := []struct {
		id   string
		mode mockprovider.QuirkMode
		opp  mockprovider.QuirkMode
	}{
		{"documented-quirk-forms", mockprovider.QuirksExample, mockprovider.QuirksTable},
		{"table-quirk-forms", mockprovider.QuirksTable, mockprovider.QuirksExample},
	}
	for _, p := range mockprovider.Providers() {
		for _, tt := range tests {
			t.Run(string(p.Name)+"/"+tt.id, func(t *testing.T) {
				m, err := mockprovider.LookupMutation(p.Name, tt.id)
				require.NoError(t, err)
				g := newGenerator(t, mockprovider.Options{Seed: 77})
				other := newGenerator(t, mockprovider.Options{Seed: 77, Quirks: tt.opp})
				for _, typ := range p.Types() {
					quirks := mockprovider.QuirksOf(p)[:0:0]
					for _, q := range mockprovider.QuirksOf(p) {
						if q.AppliesTo(typ) {
							quirks = append(quirks, q)
						}
					}
					require.Equal(t, len(quirks) > 0, m.AppliesTo(typ), "%s applies to %s exactly when a quirk can appear there", tt.id, typ)
					for i := range uint64(5) {
						pl, _, err := g.GenerateMutated(p.Name, typ, i, tt.id)
						if len(quirks) == 0 {
							assert.ErrorIs(t, err, mockprovider.ErrNotApplicable)
							break
						}
						require.NoError(t, err)
						doc, err := jsoninput.Decode(pl.Body)
						require.NoError(t, err)
						plain, err := other.Generate(p.Name, typ, i)
						require.NoError(t, err)
						plainDoc, err := jsoninput.Decode(plain.Body)
						require.NoError(t, err)
						for _, q := range quirks {
							assert.Equal(t, tt.mode, q.Form(doc), "%s #%d: %s\n%s", typ, i, q.ID, pl.Body)
							assert.NotEqual(t, q.Form(doc), q.Form(plainDoc), "%s #%d: %s differs from the %s payload", typ, i, q.ID, tt.opp)
						}
					}
				}
			})
		}
	}
}

// TestSystematicMutationsInEveryQuirkMode applies every systematic mutation to every type it applies
// to with Generators of the fixed quirk modes too: a field of the other mode's form (ITNIO's
// "frequently_forwarded " key in the table mode) is still found, and the schema then reports the
// field itself (or, for a dropped field, its parent) as the violation.
func TestSystematicMutationsInEveryQuirkMode(t *testing.T) {
	v := newValidator(t, false)
	for _, mode := range []mockprovider.QuirkMode{mockprovider.QuirksExample, mockprovider.QuirksTable} {
		g := newGenerator(t, mockprovider.Options{Seed: 31, Quirks: mode})
		for _, p := range mockprovider.Providers() {
			cat, err := mockprovider.Mutations(p.Name)
			require.NoError(t, err)
			for _, m := range cat {
				if !m.Systematic {
					continue
				}
				for _, typ := range p.Types() {
					if !m.AppliesTo(typ) {
						continue
					}
					pl, _, err := g.GenerateMutated(p.Name, typ, 3, m.ID)
					require.NoError(t, err, "%s %s %s in %s mode", p.Name, m.ID, typ, mode)
					r, err := v.Validate(p.Name, pl.Body)
					require.NoError(t, err)
					parent, _, err := jsonpointer.Parent(m.Pointer)
					require.NoError(t, err)
					assert.True(t, slices.ContainsFunc(r.Violations, func(v schemas.Violation) bool {
						return v.Instance == m.Pointer || v.Instance == parent
					}), "%s %s %s in %s mode: violations %v", p.Name, typ, m.ID, mode, r.Violations)
				}
			}
		}
	}
}

// TestAlternativeKeyDrop: InnoPaaS's contacts arrive under "contacts" or "contact"; the schema requires
// one of them, so the catalogue drops both at once.
func TestAlternativeKeyDrop(t *testing.T) {
	m, err := mockprovider.LookupMutation(schemas.InnoPaaS, "drop-required.body.contacts")
	require.NoError(t, err)
	assert.True(t, m.Systematic)
	assert.Equal(t, mockprovider.Reject, m.Expect)
	p, err := mockprovider.Lookup(schemas.InnoPaaS)
	require.NoError(t, err)
	for _, typ := range p.Types() {
		assert.Equal(t, typ == "contacts", m.AppliesTo(typ), typ)
	}
	v := newValidator(t, false)
	for _, mode := range []mockprovider.QuirkMode{mockprovider.QuirksExample, mockprovider.QuirksTable} {
		g := newGenerator(t, mockprovider.Options{Seed: 4, Quirks: mode})
		pl, _, err := g.GenerateMutated(schemas.InnoPaaS, "contacts", 0, m.ID)
		require.NoError(t, err)
		assert.NotContains(t, string(pl.Body), `"contact":`)
		assert.NotContains(t, string(pl.Body), `"contacts":`)
		r, err := v.Validate(schemas.InnoPaaS, pl.Body)
		require.NoError(t, err)
		assert.False(t, r.Valid(), "%s", pl.Body)
	}
}

// leaf is one scalar (or empty container) of a JSON document, at its pointer, as its raw text.
type leaf struct{ ptr, raw string }

// leaves lists doc's scalars in document order with encoding/json's tokenizer, independent of the
// mutation engine's own decoder: two documents with the same leaves in the same order differ at most
// in whitespace.
func leaves(t *testing.T, body []byte) []leaf {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var out []leaf
	var walk func(ptr string)
	walk = func(ptr string) {
		tok, err := dec.Token()
		require.NoError(t, err)
		switch tok {
		case json.Delim('{'):
			n := 0
			for dec.More() {
				k, err := dec.Token()
				require.NoError(t, err)
				walk(ptr + "/" + jsonpointer.Escape(k.(string)))
				n++
			}
			_, err = dec.Token()
			require.NoError(t, err)
			if n == 0 {
				out = append(out, leaf{ptr, "{}"})
			}
		case json.Delim('['):
			n := 0
			for ; dec.More(); n++ {
				walk(fmt.Sprintf("%s/%d", ptr, n))
			}
			_, err = dec.Token()
			require.NoError(t, err)
			if n == 0 {
				out = append(out, leaf{ptr, "[]"})
			}
		default:
			raw, err := json.Marshal(tok)
			require.NoError(t, err)
			out = append(out, leaf{ptr, string(raw)})
		}
	}
	walk("")
	return out
}

// editLeaves applies an edit to a leaf list: the leaves at or under ptr are removed, and when value is
// not "" (raw JSON), one leaf with it takes the place of the first removed one, or goes last.
func editLeaves(in []leaf, ptr, value string) []leaf {
	var out []leaf
	placed := value == ""
	for _, l := range in {
		if l.ptr == ptr || strings.HasPrefix(l.ptr, ptr+"/") {
			if !placed {
				out = append(out, leaf{ptr, value})
				placed = true
			}
			continue
		}
		out = append(out, l)
	}
	if !placed {
		out = append(out, leaf{ptr, value})
	}
	return out
}

// TestNamedMutationEditsOnlyItsField checks that a decode-edit-encode mutation changes only what it
// names: the result's leaves, keys in order, are the valid payload's (Generate of the same index) with
// the named edit and nothing else: no key sorted, no number re-formatted, no string re-escaped.
func TestNamedMutationEditsOnlyItsField(t *testing.T) {
	tests := []struct {
		p     schemas.Provider
		typ   string
		id    string
		ptr   string
		value func(m mockprovider.Mutation, body []byte) string // raw JSON now at ptr; "" for removed
	}{
		{schemas.InnoPaaS, "contacts", "missing-envelope-id", "/id", nil},
		{schemas.ITNIOTech, "interactive", "missing-envelope-id", "/messageId", nil},
		{schemas.InnoPaaS, "location", "missing-message-type", "/body/type", nil},
		{schemas.ITNIOTech, "contacts", "missing-message-type", "/message/type", nil},
		{schemas.InnoPaaS, "text", "invalid-date-time", "/body/sendTime", func(mockprovider.Mutation, []byte) string { return `"22/02/2023 12:00"` }},
		{schemas.InnoPaaS, "location", "numeric-string-coordinates", "/body/location/latitude", nil}, // two edits: checked below
		{schemas.ITNIOTech, "text", "json-scalar", "", func(mockprovider.Mutation, []byte) string { return `"up-message-event"` }},
		{schemas.InnoPaaS, "text", "json-scalar", "", func(mockprovider.Mutation, []byte) string { return `"whatsapp_mo_message_received"` }},
	}
	g := newGenerator(t, mockprovider.Options{Seed: 123})
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s/%s", tt.p, tt.typ, tt.id), func(t *testing.T) {
			for i := range uint64(4) {
				base, err := g.Generate(tt.p, tt.typ, i)
				require.NoError(t, err)
				pl, m, err := g.GenerateMutated(tt.p, tt.typ, i, tt.id)
				require.NoError(t, err)
				want := leaves(t, base.Body)
				switch {
				case tt.id == "numeric-string-coordinates":
					want = editLeaves(want, "/body/location/latitude", `"-33.868819987654321"`)
					want = editLeaves(want, "/body/location/longitude", `"151.209295999999999"`)
				case tt.ptr == "":
					want = []leaf{{"", tt.value(m, pl.Body)}}
				case tt.value == nil:
					want = editLeaves(want, tt.ptr, "")
				default:
					want = editLeaves(want, tt.ptr, tt.value(m, pl.Body))
				}
				assert.Equal(t, want, leaves(t, pl.Body), "#%d", i)
				assert.NotContains(t, string(pl.Body), "\n", "compact, as the generator writes")
			}
		})
	}
}

// TestReorderedKeysOnlyReorders: the reordered-keys mutation has a point only if nothing else reorders.
func TestReorderedKeysOnlyReorders(t *testing.T) {
	g := newGenerator(t, mockprovider.Options{Seed: 9})
	for _, p := range mockprovider.Providers() {
		base, err := g.Generate(p.Name, "text", 0)
		require.NoError(t, err)
		pl, _, err := g.GenerateMutated(p.Name, "text", 0, "reordered-keys")
		require.NoError(t, err)
		assert.NotEqual(t, string(base.Body), string(pl.Body))
		assert.JSONEq(t, string(base.Body), string(pl.Body))
		top := func(body []byte) []string {
			var keys []string
			for _, l := range leaves(t, body) {
				k := strings.SplitN(l.ptr, "/", 3)[1]
				if len(keys) == 0 || keys[len(keys)-1] != k {
					keys = append(keys, k)
				}
			}
			return keys
		}
		want := top(base.Body)
		slices.Reverse(want)
		assert.Equal(t, want, top(pl.Body))
	}
}
