package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/mockprovider"
)

func TestListTypes(t *testing.T) {
	got := runWahook(t, "", "list", "types")
	require.Equal(t, 0, got.code, got.stderr)
	assert.Empty(t, got.stderr)
	golden(t, got.stdout)
}

func TestListTypesJSON(t *testing.T) {
	got := runWahook(t, "", "list", "types", "--provider", "itniotech", "--output", "json")
	require.Equal(t, 0, got.code, got.stderr)
	var rows []typeRow
	require.NoError(t, json.Unmarshal([]byte(got.stdout), &rows))
	p, err := mockprovider.Lookup("itniotech")
	require.NoError(t, err)
	require.Len(t, rows, len(p.Types()))
	for i, typ := range p.Types() {
		assert.Equal(t, typeRow{"itniotech", typ}, rows[i])
	}
}

func TestListMutations(t *testing.T) {
	got := runWahook(t, "", "list", "mutations", "--provider", "innopaas")
	require.Equal(t, 0, got.code, got.stderr)
	lines := strings.Split(strings.TrimSuffix(got.stdout, "\n"), "\n")
	muts, err := mockprovider.Mutations("innopaas")
	require.NoError(t, err)
	require.Len(t, lines, len(muts)+1, "a header and one line per mutation")

	header := lines[0]
	assert.Regexp(t, `^PROVIDER +ID +EXPECT +SCHEMA +TYPES +DESCRIPTION$`, header)
	columns := []string{"ID", "EXPECT", "SCHEMA", "TYPES", "DESCRIPTION"}
	systematic := false
	for i, line := range lines[1:] {
		for _, col := range columns { // aligned: every column starts where its heading does
			at := strings.Index(header, " "+col) + 1
			assert.NotEqual(t, ' ', line[at], "line %d, column %s: %q", i+1, col, line)
			assert.Equal(t, ' ', rune(line[at-1]), "line %d, column %s: %q", i+1, col, line)
		}
		fields := strings.Fields(line)
		isSystematic := strings.HasPrefix(fields[1], "drop-required.") || strings.HasPrefix(fields[1], "wrong-type.")
		assert.False(t, systematic && !isSystematic, "named mutation %s after a systematic one", fields[1])
		systematic = systematic || isSystematic
	}
	assert.True(t, systematic, "the systematic mutations are listed")
	assert.Regexp(t, `^innopaas +invalid-json +reject +invalid +all +a syntax error`, lines[1])
	assert.Contains(t, got.stdout, "max-length-text")
	assert.Regexp(t, `max-length-text +tolerate +valid +text +`, got.stdout, "a mutation of one type names it")
}

func TestListMutationsJSON(t *testing.T) {
	got := runWahook(t, "", "list", "mutations", "-o", "json")
	require.Equal(t, 0, got.code, got.stderr)
	var rows []mutationRow
	require.NoError(t, json.Unmarshal([]byte(got.stdout), &rows))
	want := 0
	for _, p := range mockprovider.Providers() {
		muts, err := mockprovider.Mutations(p.Name)
		require.NoError(t, err)
		want += len(muts)
	}
	require.Len(t, rows, want)
	assert.Equal(t, "innopaas", string(rows[0].Provider))
	assert.Equal(t, mockprovider.Providers()[len(mockprovider.Providers())-1].Name, rows[len(rows)-1].Provider)
	for _, r := range rows {
		assert.NotEmpty(t, r.ID)
		assert.NotEmpty(t, r.Types, r.ID)
		assert.NotEmpty(t, r.Description, r.ID)
		assert.Contains(t, []mockprovider.Expectation{mockprovider.Reject, mockprovider.Tolerate}, r.Expect, r.ID)
	}
	assert.Contains(t, got.stdout, `"systematic": true`)
}

func TestListErrors(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{"nothing to list", []string{"list"}, "wahook: list: what to list? want types, mutations or values\n"},
		{"unknown catalogue", []string{"list", "foo"}, "wahook: list: unknown catalogue \"foo\" (want types, mutations or values)\n"},
		{"two catalogues", []string{"list", "types", "mutations"}, "wahook: list: one catalogue at a time, got 2 arguments (want types, mutations or values)\n"},
		{"unknown provider", []string{"list", "types", "--provider", "no-such-provider"}, "wahook: --provider: unknown provider \"no-such-provider\" (want one of " + providerList + ")\n"},
		{"unknown output", []string{"list", "mutations", "-o", "yaml"}, "wahook: --output: unknown format \"yaml\" (want text or json)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runWahook(t, "", tt.args...)
			assert.Equal(t, 2, got.code)
			assert.Equal(t, tt.wantStderr, got.stderr)
			assert.Empty(t, got.stdout)
		})
	}
}
