package schemas

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAcceptorEdges pins the acceptance path on the values the documented payloads do not reach:
// numbers at and past their bounds, integers float64 cannot tell, multi-byte strings, keywords left to
// the library. Each case states both verdicts, and the acceptor never says valid where the library
// says invalid.
func TestAcceptorEdges(t *testing.T) {
	const closedIf = `{"type": "object", "properties": {"a": {}},
		"if": {"required": ["t"], "properties": {"t": {"const": "x"}}}, "then": {"properties": {"b": {}}},
		"unevaluatedProperties": false}`
	const closedRef = `{"$defs": {"o": {"type": "object", "properties": {"x": {}}, "unevaluatedProperties": false}},
		"$ref": "#/$defs/o", "properties": {"y": {}}, "unevaluatedProperties": false}`
	for _, tc := range []struct {
		schema, instance string
		useNumber        bool // decode the instance with json.Number, as Decode does past float64's range
		accepts, library bool
	}{
		{`{"type": "integer"}`, `3`, false, true, true},
		{`{"type": "integer"}`, `-0`, false, true, true},
		{`{"type": "integer"}`, `3.5`, false, false, false},
		{`{"type": "integer"}`, `1e300`, false, false, true},            // past 2^53: left to the library
		{`{"type": "integer"}`, `9007199254740992`, false, false, true}, // 2^53
		{`{"type": ["string", "integer"]}`, `"1.5"`, false, true, true},
		{`{"type": "number"}`, `1`, true, false, true}, // json.Number: left to the library
		{`{"minimum": 0}`, `0`, false, true, true},
		{`{"minimum": 0}`, `-0`, false, true, true},
		{`{"minimum": 0}`, `-1e-300`, false, false, false},
		{`{"exclusiveMinimum": 0}`, `0`, false, false, false},
		{`{"exclusiveMaximum": 10}`, `9.999`, false, true, true},
		{`{"minimum": -90, "maximum": 90}`, `-90.0`, false, true, true},
		{`{"minimum": -90, "maximum": 90}`, `90.000001`, false, false, false},
		{`{"minimum": 1000000000, "maximum": 9999999999}`, `1693396796`, false, true, true},
		{`{"minimum": 1000000000, "maximum": 9999999999}`, `1693396796000`, false, false, false},
		// float64 holds 2^60 exactly, but the library reads it back as the decimal 1.152921504606847e+18.
		{`{"maximum": 1152921504606846976}`, `1152921504606846976`, false, false, false},
		{`{"maximum": 0.1}`, `0.05`, false, false, true}, // a bound float64 cannot hold
		{`{"multipleOf": 2}`, `4`, false, false, true},
		{`{"multipleOf": 2}`, `"4"`, false, true, true},
		{`{"enum": ["a", true, null]}`, `"a"`, false, true, true},
		{`{"enum": ["a", true, null]}`, `null`, false, true, true},
		{`{"enum": ["a", true, null]}`, `"true"`, false, false, false},
		{`{"enum": [1]}`, `1`, false, false, true}, // a number in an enum: left to the library
		{`{"const": "x"}`, `"x"`, false, true, true},
		{`{"const": "x"}`, `["x"]`, false, false, false},
		{`{"minLength": 2}`, `"é"`, false, false, false}, // one rune, two bytes
		{`{"maxLength": 1}`, `"é"`, false, true, true},
		{`{"pattern": "^-?(90(\\.0+)?|[0-8]?[0-9](\\.[0-9]+)?)$"}`, `"-90.00"`, false, true, true},
		{`{"pattern": "^-?(90(\\.0+)?|[0-8]?[0-9](\\.[0-9]+)?)$"}`, `"90.5"`, false, false, false},
		{`{"pattern": "^a"}`, `7`, false, true, true},
		{`{"format": "date-time"}`, `"2023-02-22T12:00:00.5+08:00"`, false, true, true},
		{`{"format": "date-time"}`, `"22/02/2023 12:00"`, false, false, false},
		{`{"format": "date-time"}`, `5`, false, true, true},
		{`{"format": "uri"}`, `"relative/path"`, false, false, false},
		{`{"oneOf": [{"type": "string"}]}`, `"x"`, false, false, true}, // left to the library
		{`{"anyOf": [{"required": ["a"]}, {"required": ["b"]}]}`, `{"b": 1}`, false, true, true},
		{`{"anyOf": [{"required": ["a"]}, {"required": ["b"]}]}`, `{}`, false, false, false},
		{`{"type": "array", "minItems": 1, "items": {"type": "string"}}`, `["a"]`, false, true, true},
		{`{"type": "array", "minItems": 1, "items": {"type": "string"}}`, `[]`, false, false, false},
		{`{"type": "array", "minItems": 1, "items": {"type": "string"}}`, `["a", 1]`, false, false, false},
		{closedIf, `{"a": 1, "t": "x", "b": 2}`, false, true, true},
		{closedIf, `{"t": "x"}`, false, true, true}, // the if that holds evaluates t
		{closedIf, `{"t": "y", "b": 2}`, false, false, false},
		{closedIf, `{"a": 1, "c": 2}`, false, false, false},
		{closedRef, `{"x": 1}`, false, true, true},
		{closedRef, `{"x": 1, "y": 2}`, false, false, false}, // the $ref's own closure refuses y
	} {
		t.Run(fmt.Sprintf("%s/%s", tc.schema, tc.instance), func(t *testing.T) {
			c := jsonschema.NewCompiler()
			c.Draft = jsonschema.Draft2020
			c.AssertFormat = true
			require.NoError(t, c.AddResource("edge.json", bytes.NewReader([]byte(tc.schema))))
			lib, err := c.Compile("edge.json")
			require.NoError(t, err)
			acc, err := compileAcceptor([]byte(tc.schema))
			require.NoError(t, err)
			dec := json.NewDecoder(bytes.NewReader([]byte(tc.instance)))
			if tc.useNumber {
				dec.UseNumber()
			}
			var doc any
			require.NoError(t, dec.Decode(&doc))

			require.Equal(t, tc.library, lib.Validate(doc) == nil, "the library's verdict")
			assert.Equal(t, tc.accepts, acc.accepts(doc), "the acceptor's verdict")
		})
	}
}

// TestAcceptorRefusesUnknownKeywords: a keyword the acceptor does not evaluate is a build error, never
// a keyword silently ignored.
func TestAcceptorRefusesUnknownKeywords(t *testing.T) {
	for _, schema := range []string{
		`{"properties": {"a": {"maxItems": 1}}}`,
		`{"if": {"properties": {"t": {"type": "string"}}}}`,
		`{"unevaluatedProperties": {"type": "string"}}`,
		`{"$ref": "other.json"}`,
	} {
		_, err := compileAcceptor([]byte(schema))
		assert.Error(t, err, schema)
	}
}

// TestAcceptorLeavesForeignValuesToTheLibrary: a value of a Go type Decode never produces (a caller of
// ValidateValue may build one) is never vouched for, even where only an if looks at it.
func TestAcceptorLeavesForeignValuesToTheLibrary(t *testing.T) {
	for _, tc := range []struct {
		schema string
		doc    any
	}{
		{`{"type": "number"}`, 1},
		{`{"type": "number"}`, float32(1)},
		{`{"type": "number"}`, json.Number("1")},
		{`{"items": {}}`, []any{[]string{"a"}}},
		{`{"if": {"properties": {"t": {"const": "x"}}}}`, map[string]any{"t": 1}},
	} {
		acc, err := compileAcceptor([]byte(tc.schema))
		require.NoError(t, err)
		assert.False(t, acc.accepts(tc.doc), "%s: %#v", tc.schema, tc.doc)
	}
}

// TestLintAndAcceptorAgree: lint and the acceptor read the keywords they share from one place: the
// annotations both let pass, and the $ref both resolve (or refuse) alike.
func TestLintAndAcceptorAgree(t *testing.T) {
	check := func(t *testing.T, schema string) (lintErr, accErr error) {
		t.Helper()
		var node map[string]any
		require.NoError(t, json.Unmarshal([]byte(schema), &node))
		_, accErr = compileAcceptor([]byte(schema))
		return lint(node, "", dig(node, "$defs"), 10), accErr
	}
	for k := range annotationKeywords {
		t.Run(k, func(t *testing.T) {
			lintErr, accErr := check(t, fmt.Sprintf(`{%q: "x", "type": "string"}`, k))
			assert.NoError(t, lintErr, "lint")
			assert.NoError(t, accErr, "acceptor")
		})
	}
	for _, tc := range []struct {
		ref, defs string
		ok        bool
	}{
		{"#/$defs/s", `{"s": {"type": "string"}}`, true},
		{"#/$defs/missing", `{"s": {"type": "string"}}`, false},
		{"#/definitions/s", `{"s": {"type": "string"}}`, false},
		{"other.json#/$defs/s", `{"s": {"type": "string"}}`, false},
		{"#/$defs/s", `{}`, false},
		{"#/$defs/s", `{"s": true}`, false},
	} {
		t.Run(tc.ref+" in "+tc.defs, func(t *testing.T) {
			lintErr, accErr := check(t, `{"$defs": `+tc.defs+`, "$ref": "`+tc.ref+`"}`)
			if tc.ok {
				assert.NoError(t, lintErr, "lint")
				assert.NoError(t, accErr, "acceptor")
				return
			}
			require.Error(t, lintErr, "lint")
			require.Error(t, accErr, "acceptor")
			if tc.defs != `{"s": true}` { // lint refuses the definition itself first
				want := fmt.Sprintf("$ref %q is not a local #/$defs/ reference", tc.ref)
				assert.Contains(t, lintErr.Error(), want)
				assert.Contains(t, accErr.Error(), want)
			}
		})
	}
}
