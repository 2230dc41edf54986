package schemas

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
)

// The library validating the schemas allocates a map of an object's keys every time it applies a
// subschema to that object, and the schemas select a message's type with one if/then per type. Most
// of validation time went there. So for each message type the Validator also compiles a specialised
// copy of the schema: the type's if/then branch merged in, the others dropped, every $ref inlined. A
// payload whose discriminators are known is checked against its copy first; the full schema runs only
// to explain a failure. Specialising evaluates only `if`s on the discriminators, which the copy's
// own `const` then requires, so both give the same verdict (TestSpecialisedAgreesWithFull checks it).

// discriminators locates, in the decoded payload, the values the schemas' root and message if/then
// branches test, and the key of the specialised schema that fits them.
type discriminators struct {
	envelope    string // pointer of the message object
	envelopeKey string // top-level key whose value selects the message branch, "" for none
	envelopeVal string // the value that selects it
}

var providerDiscriminators = map[Provider]discriminators{
	InnoPaaS:  {envelope: "body", envelopeKey: "type", envelopeVal: "whatsapp_mo_message_received"},
	ITNIOTech: {envelope: "message"},
}

// messageType returns the message type doc carries when its envelope selects the message branch.
func (d discriminators) messageType(doc any) (string, bool) {
	root, ok := doc.(map[string]any)
	if !ok {
		return "", false
	}
	if d.envelopeKey != "" && root[d.envelopeKey] != d.envelopeVal {
		return "", false
	}
	msg, ok := root[d.envelope].(map[string]any)
	if !ok {
		return "", false
	}
	t, ok := msg["type"].(string)
	return t, ok
}

// specialise returns the schema src as it applies to a payload of message type typ.
func specialise(src map[string]any, p Provider, typ string) (map[string]any, error) {
	defs := dig(src, "$defs")
	d := providerDiscriminators[p]
	s := &specialiser{defs: defs}
	root := s.inline(src).(map[string]any)
	root, err := s.resolveBranches(root, d.envelopeKey, d.envelopeVal)
	if err != nil {
		return nil, err
	}
	msg := dig(root, "properties", d.envelope)
	if msg == nil {
		return nil, fmt.Errorf("specialise %s: no %s property", p, d.envelope)
	}
	msg, err = s.resolveBranches(msg, "type", typ)
	if err != nil {
		return nil, err
	}
	dig(root, "properties")[d.envelope] = msg
	root["$id"] = specialisedURL(p, typ)
	return root, nil
}

type specialiser struct {
	defs map[string]any
}

// inline returns a deep copy of node with every local $ref replaced by a copy of its target.
func (s *specialiser) inline(node any) any {
	switch n := node.(type) {
	case map[string]any:
		if ref, ok := n["$ref"].(string); ok && len(n) == 1 {
			return s.inline(dig(s.defs, ref[len("#/$defs/"):]))
		}
		out := make(map[string]any, len(n))
		for k, v := range n {
			if k == "$defs" {
				continue
			}
			out[k] = s.inline(v)
		}
		return out
	case []any:
		out := make([]any, len(n))
		for i, v := range n {
			out[i] = s.inline(v)
		}
		return out
	}
	return node
}

// resolveBranches merges into node the if/then branches (its own and its allOf's) whose `if` tests
// key against value, and drops those testing another value.
func (s *specialiser) resolveBranches(node map[string]any, key, value string) (map[string]any, error) {
	if key == "" {
		return node, nil
	}
	branches := []map[string]any{}
	if node["if"] != nil {
		branches = append(branches, map[string]any{"if": node["if"], "then": node["then"]})
		delete(node, "if")
		delete(node, "then")
	}
	var kept []any
	for _, sub := range asSlice(node["allOf"]) {
		b := sub.(map[string]any)
		if b["if"] != nil && len(b) == 2 && b["then"] != nil {
			branches = append(branches, b)
			continue
		}
		kept = append(kept, b)
	}
	if len(kept) > 0 {
		node["allOf"] = kept
	} else {
		delete(node, "allOf")
	}
	for _, b := range branches {
		want, ok := constOf(dig(b, "if"), key)
		if !ok {
			return nil, fmt.Errorf("specialise: an if/then branch does not test %q", key)
		}
		if want != value {
			continue
		}
		if err := merge(node, dig(b, "then")); err != nil {
			return nil, err
		}
	}
	// The branch was chosen because key has this value; the copy requires it so that it can never
	// accept a payload the full schema would judge by another branch.
	props := dig(node, "properties")
	if props == nil {
		props = map[string]any{}
		node["properties"] = props
	}
	prop, _ := props[key].(map[string]any)
	if prop == nil {
		prop = map[string]any{}
	}
	prop["const"] = value
	props[key] = prop
	node["required"] = appendUnique(toAnys(node["required"]), key)
	return node, nil
}

// constOf reads the value an `if` of the form {required: [key], properties: {key: {const: v}}} tests.
func constOf(cond map[string]any, key string) (string, bool) {
	if !slices.Contains(toStrings(cond["required"]), key) || len(dig(cond, "properties")) != 1 {
		return "", false
	}
	v, ok := dig(cond, "properties", key)["const"].(string)
	return v, ok
}

// merge adds the keywords of extra to node, as an allOf of the two would constrain.
func merge(node, extra map[string]any) error {
	for k, v := range extra {
		cur, exists := node[k]
		switch {
		case !exists:
			node[k] = v
		case k == "required":
			for _, name := range asSlice(v) {
				node[k] = appendUnique(asSlice(node[k]), name)
			}
		case k == "properties":
			props := cur.(map[string]any)
			for name, schema := range v.(map[string]any) {
				if existing, ok := props[name].(map[string]any); ok {
					merged := maps.Clone(existing)
					if err := merge(merged, schema.(map[string]any)); err != nil {
						return fmt.Errorf("property %s: %w", name, err)
					}
					props[name] = merged
					continue
				}
				props[name] = schema
			}
		case reflect.DeepEqual(cur, v):
		default:
			return fmt.Errorf("cannot merge keyword %q", k)
		}
	}
	return nil
}

func appendUnique(list []any, v any) []any {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

func toAnys(v any) []any { return asSlice(v) }

func specialisedURL(p Provider, typ string) string {
	return fmt.Sprintf("%sspecialised/%s/%s.schema.json", baseURL, p, typ)
}

// specialisedSources returns, for every message type of p, the specialised schema's bytes.
func specialisedSources(p Provider) (map[string][]byte, error) {
	f := formatsOf()[p]
	out := make(map[string][]byte, len(f.types))
	for _, typ := range f.types {
		s, err := specialise(f.source, p, typ)
		if err != nil {
			return nil, fmt.Errorf("specialise %s %s: %w", p, typ, err)
		}
		raw, err := json.Marshal(s)
		if err != nil {
			return nil, fmt.Errorf("specialise %s %s: %w", p, typ, err)
		}
		out[typ] = raw
	}
	return out, nil
}
