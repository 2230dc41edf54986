package mockprovider_test

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
						assert.True(t, changed || m.ID == "documented-quirk-forms" || m.ID == "table-quirk-forms", "%s: the mutation changes something", typ)
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
