package schemas_test

import (
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/fixtures"
	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/schemas"
)

// wideVariants are payloads with arrays and objects that bounded validation splits: several contact
// cards, some broken, with addresses, some broken; undocumented keys at several levels; arrays where
// the schema does not look.
func wideVariants(t *testing.T, p schemas.Provider) []any {
	t.Helper()
	msg := messagePointer(p)
	var out []any
	contacts := validDoc(t, p, "contacts")
	key := "/contacts"
	if _, err := jsonpointer.Get(contacts, msg+key); err != nil {
		key = "/contact" // InnoPaaS's example's spelling
	}
	card := mustGet(t, contacts, msg+key+"/0")
	cards := make([]any, 7)
	for i := range cards {
		cards[i] = jsonpointer.Clone(card)
	}
	doc := jsonpointer.Clone(contacts)
	require.NoError(t, jsonpointer.Set(doc, msg+key, cards))
	out = append(out, jsonpointer.Clone(doc))
	require.NoError(t, jsonpointer.Remove(doc, msg+key+"/3/name"))
	require.NoError(t, jsonpointer.Set(doc, msg+key+"/5/birthday", 19900101))
	require.NoError(t, jsonpointer.Set(doc, msg+key+"/6/xExtra", "x"))
	addresses := mustGet(t, doc, msg+key+"/4/addresses").([]any)
	for range 5 {
		addresses = append(addresses, jsonpointer.Clone(addresses[0]))
	}
	addresses[4].(map[string]any)["city"] = true
	addresses[5].(map[string]any)["xStreet2"] = "x"
	require.NoError(t, jsonpointer.Set(doc, msg+key+"/4/addresses", addresses))
	out = append(out, jsonpointer.Clone(doc))
	require.NoError(t, jsonpointer.Set(doc, msg+"/xList", []any{1, 2, 3, map[string]any{"a": 1}}))
	require.NoError(t, jsonpointer.Set(doc, "/xTop", map[string]any{"a": []any{1, 2}, "b": 2, "c": 3}))
	for i := range 5 {
		require.NoError(t, jsonpointer.Set(doc, fmt.Sprintf("%s/x%d", msg, i), i))
	}
	out = append(out, jsonpointer.Clone(doc))
	retyped := jsonpointer.Clone(doc)
	require.NoError(t, jsonpointer.Set(retyped, msg+"/type", "bogus"))
	out = append(out, retyped)
	untyped := jsonpointer.Clone(doc)
	require.NoError(t, jsonpointer.Remove(untyped, msg+"/type"))
	out = append(out, untyped)
	notObject := jsonpointer.Clone(doc)
	require.NoError(t, jsonpointer.Set(notObject, msg, cards))
	out = append(out, notObject)
	emptyCards := jsonpointer.Clone(doc)
	require.NoError(t, jsonpointer.Set(emptyCards, msg+key, []any{}))
	out = append(out, emptyCards)

	if key == "/contact" {
		both := jsonpointer.Clone(contacts)
		require.NoError(t, jsonpointer.Set(both, msg+"/contacts", []any{card, card, map[string]any{}}))
		out = append(out, both)
	}
	// The variants of what the provider's examples have: an errors array, list sections.
	has := func(typ, ptr string) bool {
		if !slices.Contains(schemas.Types(p), typ) {
			return false
		}
		_, err := jsonpointer.Get(validDoc(t, p, typ), msg+ptr)
		return err == nil
	}
	if has("unknown", "/errors") {
		unknown := validDoc(t, p, "unknown")
		errs := mustGet(t, unknown, msg+"/errors").([]any)
		for i := range 4 {
			e := jsonpointer.Clone(errs[0]).(map[string]any)
			e["code"] = []any{"1.5", 1.5, "x", nil}[i]
			errs = append(errs, e)
		}
		require.NoError(t, jsonpointer.Set(unknown, msg+"/errors", errs))
		out = append(out, unknown)
	}
	if has("interactive", "/interactive/action/sections") {
		interactive := validDoc(t, p, "interactive")
		sections := mustGet(t, interactive, msg+"/interactive/action/sections").([]any)
		rows := sections[0].(map[string]any)["rows"].([]any)
		for range 3 {
			rows = append(rows, jsonpointer.Clone(rows[0]))
		}
		delete(rows[2].(map[string]any), "id")
		rows[3].(map[string]any)["title"] = 7
		sections[1].(map[string]any)["rows"] = rows
		require.NoError(t, jsonpointer.Set(interactive, msg+"/interactive/action/buttons",
			[]any{map[string]any{"type": "reply", "reply": map[string]any{"id": "b", "title": strings.Repeat("t", 21)}}, "x"}))
		out = append(out, interactive)
	}
	return out
}

// oneFieldBreakages are doc and every variant of it with one field dropped, given the wrong type or
// given an undocumented sibling, or with the message type changed.
func oneFieldBreakages(t *testing.T, p schemas.Provider, doc any) []any {
	t.Helper()
	fields, err := schemas.Fields(p, doc)
	require.NoError(t, err)
	variants := []any{doc}
	for _, f := range fields {
		if !f.Present {
			continue
		}
		removed := jsonpointer.Clone(doc)
		if jsonpointer.Remove(removed, f.Pointer) == nil {
			variants = append(variants, removed)
		}
		wrong := jsonpointer.Clone(doc)
		require.NoError(t, jsonpointer.Set(wrong, f.Pointer, wrongValue(f.Types)))
		variants = append(variants, wrong)
		if obj, ok := mustGet(t, doc, f.Pointer).(map[string]any); ok && obj != nil {
			extra := jsonpointer.Clone(doc)
			require.NoError(t, jsonpointer.Set(extra, f.Pointer+"/xExtra", 1))
			variants = append(variants, extra)
		}
	}
	for _, other := range schemas.Types(p) {
		retyped := jsonpointer.Clone(doc)
		require.NoError(t, jsonpointer.Set(retyped, messagePointer(p)+"/type", other))
		variants = append(variants, retyped)
	}
	return variants
}

// TestBoundedAgreesWithWhole checks that validating in bounded pieces reports exactly what validating
// the whole payload at once does, on every valid payload, every one-field breakage of it, and payloads
// wide enough to be split: with windows of one item and no key, every payload is split everywhere.
func TestBoundedAgreesWithWhole(t *testing.T) {
	for _, strict := range []bool{false, true} {
		opts := schemas.Options{Strict: strict, MaxViolations: 1 << 20}
		whole, err := schemas.NewWindowed(opts, 1<<30, 1<<30)
		require.NoError(t, err)
		bounded, err := schemas.NewWindowed(opts, 1, 0)
		require.NoError(t, err)
		for _, p := range schemas.Providers() {
			for _, typ := range schemas.Types(p) {
				t.Run(fmt.Sprintf("strict=%v/%s/%s", strict, p, typ), func(t *testing.T) {
					for i, doc := range oneFieldBreakages(t, p, validDoc(t, p, typ)) {
						assertSameReport(t, whole, bounded, p, doc, fmt.Sprintf("variant %d", i))
					}
				})
			}
			t.Run(fmt.Sprintf("strict=%v/%s/wide", strict, p), func(t *testing.T) {
				for i, doc := range wideVariants(t, p) {
					assertSameReport(t, whole, bounded, p, doc, fmt.Sprintf("wide variant %d", i))
				}
			})
		}
	}
}

func assertSameReport(t *testing.T, whole, bounded *schemas.Validator, p schemas.Provider, doc any, name string) {
	t.Helper()
	raw, err := json.Marshal(doc)
	require.NoError(t, err)
	want, err := whole.Validate(p, raw)
	require.NoError(t, err)
	got, err := bounded.Validate(p, raw)
	require.NoError(t, err)
	assert.Equal(t, want, got, "%s: %s", name, raw)
}

// TestBoundedValidationIsBounded validates the payload that took 1.4 GB: 3 MB of empty contact cards,
// a million violations. No library call may see more than a window of them, the report lists the cap,
// and the whole validation allocates a small multiple of the payload (decoding it alone takes 130 MB).
func TestBoundedValidationIsBounded(t *testing.T) {
	base := string(fixtures.ForType(schemas.InnoPaaS, "contacts")[0].Bytes())
	cards := "[" + strings.Repeat("{},", 999_999) + "{}]"
	i, j := strings.Index(base, `"contact": [`), strings.Index(base, `"customerProfile"`)
	require.Positive(t, i)
	require.Positive(t, j)
	payload := []byte(base[:i] + `"contact": ` + cards + ", " + base[j:])
	require.Less(t, len(payload), schemas.DefaultMaxBytes)

	v, err := schemas.New(schemas.Options{})
	require.NoError(t, err)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r, largest, err := v.LargestCall(schemas.InnoPaaS, payload)
	runtime.ReadMemStats(&after)
	require.NoError(t, err)

	require.Len(t, r.Violations, schemas.DefaultMaxViolations)
	assert.Equal(t, schemas.Violation{Instance: "/body/contact/0/name", Keyword: "/then/properties/body/$ref/allOf/9/then/properties/contact/$ref/items/required", Message: "required property is missing"}, r.Violations[0])
	assert.Equal(t, "/body/contact/99/name", r.Violations[99].Instance, "the first violations in payload order")
	assert.True(t, r.Truncated, "checking stopped at the cap")
	assert.Positive(t, r.Omitted)
	assert.Positive(t, largest, "LargestCall saw the library calls")
	assert.LessOrEqual(t, largest, 64, "violations from one library call")
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d MiB validating %d bytes", allocated>>20, len(payload))
	assert.Less(t, allocated, uint64(512<<20), "bytes allocated")
}

// TestStrictManyUndocumentedKeys: in strict mode every undocumented key is a violation. 16,000 of them
// once took 4.8 s, a pass over every violation for each of them; 50,000 would take a minute. Whole or
// bounded, they now cost a pass and a sort.
func TestStrictManyUndocumentedKeys(t *testing.T) {
	const n = 50_000
	var b strings.Builder
	b.WriteString(`{"body": "prime time"`)
	for i := range n {
		fmt.Fprintf(&b, `, "x%06d": 1`, i)
	}
	b.WriteString("}")
	doc := validDoc(t, schemas.ITNIOTech, "text")
	var text any
	require.NoError(t, json.Unmarshal([]byte(b.String()), &text))
	require.NoError(t, jsonpointer.Set(doc, "/message/text", text))
	raw, err := json.Marshal(doc)
	require.NoError(t, err)

	tests := []struct {
		name                string
		max, window         int
		wantLen, wantOmited int
		wantTruncated       bool
	}{
		{"bounded, default cap", 0, 0, schemas.DefaultMaxViolations, 1, true},
		{"bounded, all", n, 0, n, 0, false},
		{"whole, default cap", 0, 1 << 30, schemas.DefaultMaxViolations, n - schemas.DefaultMaxViolations, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := schemas.Options{Strict: true, MaxViolations: tt.max}
			v, err := schemas.New(opts)
			if tt.window != 0 {
				v, err = schemas.NewWindowed(opts, tt.window, tt.window)
			}
			require.NoError(t, err)
			r, err := v.Validate(schemas.ITNIOTech, raw)
			require.NoError(t, err)
			require.Len(t, r.Violations, tt.wantLen)
			assert.Equal(t, tt.wantOmited, r.Omitted)
			assert.Equal(t, tt.wantTruncated, r.Truncated)
			assert.Equal(t, "/message/text/x000000", r.Violations[0].Instance)
			assert.Equal(t, "/message/text/x000099", r.Violations[99].Instance)
			for _, viol := range r.Violations {
				assert.Equal(t, "property is not documented (strict mode)", viol.Message)
				assert.True(t, viol.Undocumented())
			}
			assert.False(t, schemas.Violation{Instance: "/message/type", Message: "value must be one of ..."}.Undocumented())
		})
	}
	lenient := newValidator(t, false)
	r, err := lenient.Validate(schemas.ITNIOTech, raw)
	require.NoError(t, err)
	assert.True(t, r.Valid(), "lenient mode accepts undocumented keys, however many")
}

// TestMaxViolations: a report lists the first violations in payload order and counts the others.
func TestMaxViolations(t *testing.T) {
	doc := validDoc(t, schemas.ITNIOTech, "contacts")
	card := mustGet(t, doc, "/message/contacts/0")
	cards := []any{}
	for range 12 { // narrow enough to be validated whole
		c := jsonpointer.Clone(card).(map[string]any)
		delete(c, "name")
		cards = append(cards, c)
	}
	require.NoError(t, jsonpointer.Set(doc, "/message/contacts", cards))
	raw, err := json.Marshal(doc)
	require.NoError(t, err)
	v, err := schemas.New(schemas.Options{MaxViolations: 5})
	require.NoError(t, err)
	r, err := v.Validate(schemas.ITNIOTech, raw)
	require.NoError(t, err)
	assert.Equal(t, []string{"/message/contacts/0/name", "/message/contacts/1/name", "/message/contacts/2/name",
		"/message/contacts/3/name", "/message/contacts/4/name"}, instances(r))
	assert.Equal(t, 7, r.Omitted, "counted exactly when the payload was checked whole")
	assert.False(t, r.Truncated)
}

// TestLint: New refuses a schema keyword bounded validation would not treat as the library does.
func TestLint(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		want   string // "" for accepted
	}{
		{"the keywords the schemas use", `{"type": "object", "required": ["a"], "properties": {"a": {"$ref": "#/$defs/x"}},
			"allOf": [{"if": {"required": ["t"], "properties": {"t": {"const": "x"}}}, "then": {"required": ["b"]}}],
			"anyOf": [{"required": ["c"]}, {"required": ["d"]}], "$defs": {"x": {"type": "array", "minItems": 1, "items": {"type": "string"}}}}`, ""},
		{"maxItems", `{"type": "array", "items": {}, "maxItems": 3}`, `"maxItems"`},
		{"uniqueItems", `{"type": "array", "items": {}, "uniqueItems": true}`, `"uniqueItems"`},
		{"minItems over the window", `{"type": "array", "items": {}, "minItems": 2}`, "minItems 2 is more than the window of 1 items"},
		{"additionalProperties", `{"properties": {"a": {}}, "additionalProperties": false}`, `"additionalProperties" is not supported`},
		{"patternProperties", `{"patternProperties": {"^x": {}}}`, `"patternProperties"`},
		{"maxProperties", `{"maxProperties": 3}`, `"maxProperties"`},
		{"properties in anyOf", `{"anyOf": [{"properties": {"a": {}}}]}`, `"properties" in anyOf/0`},
		{"if on a pattern", `{"if": {"properties": {"t": {"pattern": "x"}}}, "then": {}}`, "if/properties/t is not a string const"},
		{"remote $ref", `{"$ref": "https://example.com/s.json"}`, "not a local #/$defs/ reference"},
		{"nested", `{"properties": {"a": {"properties": {"b": {"not": {}}}}}}`, `at /properties/a/properties/b: "not" is not supported`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var node map[string]any
			require.NoError(t, json.Unmarshal([]byte(tt.schema), &node))
			err := schemas.Lint(node, 1)
			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
