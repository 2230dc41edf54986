package schemas

// closeObjects derives the strict variant of a schema in place: every object schema that lists its
// properties also refuses properties it does not list. unevaluatedProperties, unlike
// additionalProperties, sees the properties declared by the if/then branch of the message's type, so
// one rule covers every type.
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
