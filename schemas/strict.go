package schemas

import "encoding/json"

// strictSchema derives the strict variant of a schema: every object schema that lists its properties
// also refuses properties it does not list. unevaluatedProperties, unlike additionalProperties, sees the
// properties declared by the if/then branch of the message's type, so one rule covers every type.
func strictSchema(raw []byte) ([]byte, error) {
	var root any
	if err := json.Unmarshal(raw, &root); err != nil {
		return nil, err
	}
	closeObjects(root)
	return json.Marshal(root)
}

func closeObjects(node any) {
	switch n := node.(type) {
	case map[string]any:
		if n["type"] == "object" && n["properties"] != nil {
			n["unevaluatedProperties"] = false
		}
		for _, child := range n {
			closeObjects(child)
		}
	case []any:
		for _, child := range n {
			closeObjects(child)
		}
	}
}
