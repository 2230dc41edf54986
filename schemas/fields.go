package schemas

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/wahook/wahook/internal/jsonpointer"
)

// Field is one property that p's schema defines for a particular payload.
type Field struct {
	// Pointer is the field's JSON pointer in the payload.
	Pointer string
	// Required reports whether the schema requires the field where the payload has its parent.
	Required bool
	// Types lists the JSON types the schema allows ("string", "number", "integer", "boolean", "object",
	// "array", "null"); empty when any type is allowed.
	Types []string
	// Present reports whether the payload has the field.
	Present bool
	// NonEmpty reports whether a string value must have at least one character.
	NonEmpty bool
}

// Fields lists the fields p's schema defines for doc, a decoded payload: the envelope, the message, and
// the object of the message's own type, recursing into objects and into the array elements doc has.
// The if/then branches are resolved with doc's own discriminator values (the envelope and message
// type), so an image message lists image fields and not text ones. It is how wahook derives "drop each
// required field" and "give each field the wrong type" cases from the schema instead of from a list.
func Fields(p Provider, doc any) ([]Field, error) {
	f, ok := known().formats[p]
	if !ok {
		return nil, fmt.Errorf("fields: %w %q", ErrUnknownProvider, p)
	}
	w := fieldWalker{defs: dig(f.source, "$defs")}
	w.object(f.source, "", doc)
	return w.out, nil
}

type fieldWalker struct {
	defs map[string]any
	out  []Field
}

func (w *fieldWalker) resolve(node map[string]any) map[string]any {
	for {
		ref, ok := node["$ref"].(string)
		if !ok {
			return node
		}
		node = dig(w.defs, strings.TrimPrefix(ref, "#/$defs/"))
	}
}

// object lists the properties of node, an object schema, for value (the payload's value there, or nil).
func (w *fieldWalker) object(node map[string]any, ptr string, value any) {
	node = w.resolve(node)
	obj, _ := value.(map[string]any)
	props := map[string]map[string]any{}
	var required []string
	add := func(s map[string]any) {
		for k, v := range dig(s, "properties") {
			props[k] = v.(map[string]any)
		}
		required = append(required, toStrings(s["required"])...)
	}
	add(node)
	branches := []map[string]any{node}
	for _, sub := range asSlice(node["allOf"]) {
		branches = append(branches, sub.(map[string]any))
	}
	for _, b := range branches {
		if cond := dig(b, "if"); cond != nil && matches(cond, obj) {
			add(dig(b, "then"))
		}
	}
	names := make([]string, 0, len(props))
	for k := range props {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		child, present := obj[name]
		w.value(props[name], ptr+"/"+jsonpointer.Escape(name), child, present, slices.Contains(required, name))
	}
}

func (w *fieldWalker) value(node map[string]any, ptr string, value any, present, required bool) {
	node = w.resolve(node)
	minLength, _ := node["minLength"].(float64)
	w.out = append(w.out, Field{Pointer: ptr, Required: required, Types: typesOf(node), Present: present, NonEmpty: minLength >= 1})
	if !present {
		return
	}
	switch v := value.(type) {
	case map[string]any:
		if dig(node, "properties") != nil || node["allOf"] != nil {
			w.object(node, ptr, v)
		}
	case []any:
		items := dig(node, "items")
		if items == nil {
			return
		}
		for i, elem := range v {
			w.value(items, ptr+"/"+strconv.Itoa(i), elem, true, false)
		}
	}
}

// matches evaluates the one form of `if` the schemas use: required keys whose values equal consts.
func matches(cond, obj map[string]any) bool {
	for _, k := range toStrings(cond["required"]) {
		if _, ok := obj[k]; !ok {
			return false
		}
	}
	for k, s := range dig(cond, "properties") {
		if want, ok := s.(map[string]any)["const"]; ok && obj[k] != want {
			return false
		}
	}
	return true
}

func typesOf(node map[string]any) []string {
	switch t := node["type"].(type) {
	case string:
		return []string{t}
	case []any:
		return toStrings(t)
	}
	values := asSlice(node["enum"])
	if c, ok := node["const"]; ok {
		values = []any{c}
	}
	var types []string
	for _, v := range values {
		if t := JSONType(v); !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	return types
}

// JSONType names the JSON type of a decoded value, as JSON Schema's "type" keyword does.
func JSONType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case float64:
		if v == float64(int64(v)) {
			return "integer"
		}
		return "number"
	case interface{ String() string }: // json.Number
		if strings.ContainsAny(v.String(), ".eE") {
			return "number"
		}
		return "integer"
	}
	return "unknown"
}

// OtherTypeValue returns a value of a JSON type that types does not allow, for giving a field the
// wrong type; false when types is empty (any type is allowed).
func OtherTypeValue(types []string) (any, bool) {
	if len(types) == 0 {
		return nil, false
	}
	candidates := []struct {
		value any
		types []string
	}{
		{true, []string{"boolean"}},
		{json.Number("12345"), []string{"integer", "number"}},
		{"wrong", []string{"string"}},
		{[]any{}, []string{"array"}},
		{map[string]any{}, []string{"object"}},
	}
	for _, c := range candidates {
		if !slices.ContainsFunc(c.types, func(t string) bool { return slices.Contains(types, t) }) {
			return c.value, true
		}
	}
	return nil, false
}

func toStrings(v any) []string {
	var out []string
	for _, s := range asSlice(v) {
		out = append(out, s.(string))
	}
	return out
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}
