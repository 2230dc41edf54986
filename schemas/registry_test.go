package schemas_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/schemas"
)

func TestEmbeddedSchemasLoad(t *testing.T) {
	require.NoError(t, schemas.Check())
	for _, p := range schemas.Providers() {
		assert.NotEmpty(t, schemas.Types(p), p)
	}
}

// fakeSchema is a minimal schema following the conventions; edit breaks one of them.
func fakeSchema(name schemas.Provider, edit func(string) string) []byte {
	doc := `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "` + name.URL() + `",
  "type": "object",
  "required": ["kind", "message"],
  "properties": {"kind": {"const": "message"}, "message": {"$ref": "#/$defs/message"}},
  "$defs": {"message": {"type": "object", "required": ["type"], "properties": {"type": {"enum": ["text", "ping"]}}}}
}`
	if edit != nil {
		doc = edit(doc)
	}
	return []byte(doc)
}

func TestRegisterRejectsBrokenSchemas(t *testing.T) {
	const name = schemas.Provider("no-such-provider")
	replace := func(old, new string) func(string) string {
		return func(s string) string { return strings.Replace(s, old, new, 1) }
	}
	tests := []struct {
		name, schemaName string
		edit             func(string) string
		wantErr          string
	}{
		{"not JSON", "", replace("{", "["), "bad schema no-such-provider.schema.json: not a JSON object"},
		{"wrong $id", "", replace(string(name.URL()), "https://example.com/x.json"), `bad schema no-such-provider.schema.json: /$id: want "` + name.URL() + `"`},
		{"no envelope", "", replace(`"properties": {"kind"`, `"props": {"kind"`), "bad schema no-such-provider.schema.json: /properties: want an object"},
		{"no message def", "", replace(`"$defs": {"message"`, `"$defs": {"msg"`), "bad schema no-such-provider.schema.json: /$defs/message/properties/type/enum: want a non-empty array"},
		{"types not an array", "", replace(`"enum": ["text", "ping"]`, `"enum": "text"`), "/$defs/message/properties/type/enum: want a non-empty array"},
		{"a type not a string", "", replace(`"ping"`, `7`), "/$defs/message/properties/type/enum/1: want a distinct non-empty string, not 7"},
		{"a type twice", "", replace(`"ping"`, `"text"`), `/$defs/message/properties/type/enum/1: want a distinct non-empty string, not "text"`},
		{"name auto", "auto", nil, `register provider "auto": want a name of lowercase letters`},
		{"name with a slash", "a/b", nil, `register provider "a/b": want a name`},
		{"a built-in name", string(schemas.InnoPaaS), nil, `register provider "innopaas": provider already registered`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := name
			if tt.schemaName != "" {
				p = schemas.Provider(tt.schemaName)
			}
			err := schemas.Register(p, fakeSchema(p, tt.edit))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.NotContains(t, err.Error(), "\n")
			assert.NotContains(t, schemas.Providers(), name)
		})
	}
}

func TestRegisterAndUnregister(t *testing.T) {
	const name = schemas.Provider("no-such-provider")
	before := schemas.Providers()
	require.NoError(t, schemas.Register(name, fakeSchema(name, nil)))
	t.Cleanup(func() { _ = schemas.Unregister(name) })

	assert.Equal(t, append(before, name), schemas.Providers())
	assert.Equal(t, []string{"text", "ping"}, schemas.Types(name))
	assert.Equal(t, []string{"kind", "message"}, schemas.EnvelopeKeys(name))
	got, err := schemas.ParseProvider(string(name), false)
	require.NoError(t, err)
	assert.Equal(t, name, got)
	require.ErrorIs(t, schemas.Register(name, fakeSchema(name, nil)), schemas.ErrProviderExists)

	v, err := schemas.New(schemas.Options{})
	require.NoError(t, err)
	r, err := v.Validate(name, []byte(`{"kind": "message", "message": {"type": "ping"}}`))
	require.NoError(t, err)
	assert.True(t, r.Valid(), r.Violations)
	r, err = v.Validate(name, []byte(`{"kind": "message", "message": {"type": "pong"}}`))
	require.NoError(t, err)
	assert.False(t, r.Valid())

	require.NoError(t, schemas.Unregister(name))
	assert.Equal(t, before, schemas.Providers())
	assert.Nil(t, schemas.Types(name))
	require.ErrorIs(t, schemas.Unregister(name), schemas.ErrUnknownProvider)
	_, err = v.Validate(name, []byte(`{}`))
	assert.NoError(t, err, "a Validator keeps the providers it was made with")
}
