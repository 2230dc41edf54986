package mockprovider

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/message"
	"github.com/wahook/wahook/schemas"
)

// namedMutations lists the hand-written catalogue for provider p. Ids are stable.
func namedMutations(p *Provider) []Mutation {
	msg := p.MessagePointer
	// The webhook's own id, or the message's for a provider whose webhooks have none.
	ownID, wrongValueTypes := p.EnvelopeIDPointer, "the envelope id a number, the message type a boolean, the send time an array"
	if ownID == "" {
		ownID, wrongValueTypes = p.IDPointer, "the message id a number, the message type a boolean, the send time an array"
	}
	all := []Mutation{
		// Bytes that are not a JSON object.
		{ID: "invalid-json", Description: "a syntax error mid-document: a colon replaced by a space", Expect: Reject, Schema: SchemaInvalid,
			apply: rawEdit(func(m *mutating, b []byte) []byte {
				i := bytes.Index(b[len(b)/2:], []byte(`":`))
				if i < 0 {
					return append(b, '}')
				}
				i += len(b) / 2
				return slices.Concat(b[:i+1], []byte(" "), b[i+2:])
			})},
		{ID: "truncated-json", Description: "the body cut off part-way, as by a dropped connection", Expect: Reject, Schema: SchemaInvalid,
			apply: rawEdit(func(m *mutating, b []byte) []byte { return b[:len(b)/4+m.f.intn(len(b)/2)] })},
		{ID: "empty-body", Description: "no body at all", Expect: Reject, Schema: SchemaInvalid,
			apply: rawEdit(func(*mutating, []byte) []byte { return []byte{} })},
		{ID: "json-array", Description: "the payload wrapped in a JSON array", Expect: Reject, Schema: SchemaInvalid,
			apply: func(m *mutating) error { m.doc = []any{m.doc}; return nil }},
		{ID: "json-scalar", Description: "a JSON string instead of an object: the provider's event name", Expect: Reject, Schema: SchemaInvalid,
			apply: func(m *mutating) error { m.doc = m.p.Event; return nil }},
		{ID: "json-null", Description: "the JSON literal null", Expect: Reject, Schema: SchemaInvalid,
			apply: rawEdit(func(*mutating, []byte) []byte { return []byte("null") })},
		{ID: "empty-object", Description: "an empty JSON object", Expect: Reject, Schema: SchemaInvalid,
			apply: func(m *mutating) error { m.doc = map[string]any{}; return nil }},
		{ID: "single-quoted-json", Description: "single quotes instead of double quotes, as some hand-written test tools send", Expect: Reject, Schema: SchemaInvalid,
			apply: rawEdit(func(_ *mutating, b []byte) []byte { return bytes.ReplaceAll(b, []byte(`"`), []byte(`'`)) })},
		{ID: "trailing-garbage", Description: "a second JSON value after the payload", Expect: Reject, Schema: SchemaInvalid,
			apply: rawEdit(func(_ *mutating, b []byte) []byte { return append(b, []byte(`{"id":"extra"}`)...) })},
		{ID: "unescaped-control-characters", Description: "raw control characters (U+0001, a newline) inside a string", Expect: Reject, Schema: SchemaInvalid,
			apply: rawEdit(func(m *mutating, b []byte) []byte { return insertInFirstString(b, m.p.MessagePointer, "\x01\nraw") })},
		{ID: "invalid-utf8", Description: "bytes that are not UTF-8 inside a string", Expect: Reject, Schema: SchemaInvalid,
			apply: rawEdit(func(m *mutating, b []byte) []byte { return insertInFirstString(b, m.p.MessagePointer, "\xc3\x28\xff") })},
		{ID: "utf8-bom", Description: "a UTF-8 byte order mark before the JSON", Expect: Reject, Schema: SchemaInvalid,
			apply: rawEdit(func(_ *mutating, b []byte) []byte { return slices.Concat([]byte{0xEF, 0xBB, 0xBF}, b) })},
		{ID: "deep-nesting", Description: "an extra field nested 10,000 arrays deep", Expect: Reject, Schema: SchemaInvalid,
			apply: rawEdit(func(_ *mutating, b []byte) []byte {
				return slices.Concat([]byte(`{"nested":`), bytes.Repeat([]byte("["), 10000), bytes.Repeat([]byte("]"), 10000), []byte(","), b[1:])
			})},
		{ID: "oversized-body", Description: "a body over the 3 MiB webhook size cap", Expect: Reject, Schema: SchemaInvalid,
			apply: func(m *mutating) error {
				return jsonpointer.Set(m.doc, "/padding", strings.Repeat("a", schemas.DefaultMaxBytes+1024))
			}},
		{ID: "duplicate-keys", Description: "the message type given twice with conflicting values (decoders disagree on which wins)", Expect: Reject, Schema: SchemaInvalid,
			apply: rawEdit(func(m *mutating, b []byte) []byte {
				key := messageKey(m.p.MessagePointer)
				i := bytes.Index(b, key)
				if i < 0 {
					return b
				}
				i += len(key)
				return slices.Concat(b[:i], []byte(`"type":"`+otherType(m)+`",`), b[i:])
			})},

		// JSON objects that break the contract.
		{ID: "missing-envelope-id", Description: "the webhook's id removed", Expect: Reject, Schema: SchemaInvalid,
			apply: func(m *mutating) error { return jsonpointer.Remove(m.doc, m.p.EnvelopeIDPointer) }},
		{ID: "missing-message-type", Description: "the message's type removed", Expect: Reject, Schema: SchemaInvalid,
			apply: func(m *mutating) error { return jsonpointer.Remove(m.doc, msg+"/type") }},
		{ID: "type-object-mismatch", Description: "the message type names another type than the object it carries (type image carrying text)", Expect: Reject, Schema: SchemaInvalid,
			apply: func(m *mutating) error { return jsonpointer.Set(m.doc, msg+"/type", otherType(m)) }},
		{ID: "wrong-value-types", Description: wrongValueTypes, Expect: Reject, Schema: SchemaInvalid,
			apply: func(m *mutating) error {
				return firstError(
					jsonpointer.Set(m.doc, ownID, json.Number("4711")),
					jsonpointer.Set(m.doc, msg+"/type", true),
					jsonpointer.Set(m.doc, m.p.SentAtPointer, []any{}),
				)
			}},
		{ID: "null-required-fields", Description: "every required field of the message set to null", Expect: Reject, Schema: SchemaInvalid,
			apply: func(m *mutating) error {
				fields, err := schemas.Fields(m.p.Name, m.doc)
				if err != nil {
					return err
				}
				var nulled []string
				for _, f := range fields {
					inside := slices.ContainsFunc(nulled, func(p string) bool { return strings.HasPrefix(f.Pointer, p+"/") })
					if f.Required && f.Present && strings.HasPrefix(f.Pointer, msg+"/") && !inside {
						if err := jsonpointer.Set(m.doc, f.Pointer, nil); err != nil {
							return err
						}
						nulled = append(nulled, f.Pointer)
					}
				}
				return nil
			}},
		{ID: "number-out-of-range", Description: "a number no float64 can hold (1e400) where the schema wants a number", Expect: Reject, Schema: SchemaInvalid,
			apply: func(m *mutating) error { return jsonpointer.Set(m.doc, numericPointer(m), json.Number("1e400")) }},
		{ID: "nan-literal", Description: "NaN where a number belongs: JavaScript's output, not JSON", Expect: Reject, Schema: SchemaInvalid,
			apply: func(m *mutating) error {
				marker := "wahook-nan-" + m.f.hex(8)
				if err := jsonpointer.Set(m.doc, numericPointer(m), marker); err != nil {
					return err
				}
				b, err := m.body()
				if err != nil {
					return err
				}
				m.setRaw(bytes.Replace(b, []byte(`"`+marker+`"`), []byte("NaN"), 1))
				return nil
			}},
		{ID: "non-json-content-type", Description: "a valid body sent as Content-Type: text/plain", Expect: Reject, Schema: NotChecked,
			apply: func(m *mutating) error { m.contentType = "text/plain"; return nil }},

		// What the provider can legitimately send.
		{ID: "unknown-fields", Description: "an undocumented field added to every object, as providers add fields without notice", Expect: Tolerate, Schema: SchemaValid,
			apply: func(m *mutating) error { addEverywhere(m.doc, "x_wahook_unknown", "added by wahook"); return nil },
			// The model carries an order, a system notice and error details as sent, the added
			// field with them.
			meaning: func(m *message.Message) bool {
				return m.Order == nil && m.System == nil &&
					!slices.ContainsFunc(m.Errors, func(e message.Error) bool { return strings.HasPrefix(e.Details, "{") })
			}},
		{ID: "unknown-message-type", Description: "a message type the schema does not know, carrying an object of its name", Expect: Tolerate, Schema: SchemaInvalid,
			apply: func(m *mutating) error {
				return firstError(
					jsonpointer.Set(m.doc, msg+"/type", "ephemeral"),
					jsonpointer.Set(m.doc, msg+"/ephemeral", map[string]any{"expiresIn": json.Number("86400")}),
				)
			}},
		{ID: "missing-optional-fields", Description: "every optional field removed", Expect: Tolerate, Schema: SchemaValid,
			apply: func(m *mutating) error {
				fields, err := schemas.Fields(m.p.Name, m.doc)
				if err != nil {
					return err
				}
				// The type's own object stays even where the schema makes it optional, as when a
				// provider allows it under either of two keys.
				typeObjects := make([]string, 0, 2)
				for _, key := range m.p.typeObjectKeys(m.typ) {
					typeObjects = append(typeObjects, msg+"/"+key)
				}
				for _, f := range slices.Backward(fields) {
					onPath := strings.HasPrefix(msg+"/", f.Pointer+"/") // what holds the message, which one of several keys may
					if f.Present && !f.Required && !onPath && !slices.Contains(typeObjects, f.Pointer) && !isDigits(lastToken(f.Pointer)) {
						_ = jsonpointer.Remove(m.doc, f.Pointer) // a parent may already be gone
					}
				}
				return nil
			}},
		{ID: "empty-optional-strings", Description: "every optional string that may be empty set to \"\"", Expect: Tolerate, Schema: SchemaValid,
			apply: func(m *mutating) error {
				fields, err := schemas.Fields(m.p.Name, m.doc)
				if err != nil {
					return err
				}
				for _, f := range fields {
					if f.Present && !f.Required && !f.NonEmpty && slices.Equal(f.Types, []string{"string"}) {
						if err := jsonpointer.Set(m.doc, f.Pointer, ""); err != nil {
							return err
						}
					}
				}
				return nil
			}},
		{ID: "max-length-text", Description: "a text of exactly 4096 characters, all non-BMP emoji: over 16 KiB of UTF-8", Expect: Tolerate, Schema: SchemaValid,
			types: []string{"text"},
			apply: func(m *mutating) error {
				return jsonpointer.Set(m.doc, msg+"/text/body", strings.Repeat("😀", maxTextLength))
			},
			meaning: func(m *message.Message) bool { m.Text.Body = strings.Repeat("😀", maxTextLength); return true }},
		{ID: "heavy-unicode", Description: "right-to-left text, combining marks, ZWJ sequences and non-BMP characters in names and text", Expect: Tolerate, Schema: SchemaValid,
			apply: func(m *mutating) error {
				const heavy = "\u202eمرحبا\u202c Z\u0351\u0362a\u0353\u0359l\u0336g\u0334o 👩🏽\u200d🚀 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \U0001F9D1\u200d\U0001F91D\u200d\U0001F9D1 ﷽"
				setStrings(m, func(ptr string) bool { return strings.HasSuffix(ptr, "/name") || strings.HasSuffix(ptr, "/body") }, heavy)
				return nil
			}},
		{ID: "large-contacts", Description: "contact cards cloned until the message is over 64 KiB", Expect: Tolerate, Schema: SchemaValid,
			types: []string{"contacts"},
			apply: func(m *mutating) error {
				for _, key := range m.p.typeObjectKeys(m.typ) {
					cards, err := jsonpointer.Get(m.doc, msg+"/"+key)
					if err != nil {
						continue
					}
					original := cards.([]any)
					list := slices.Clone(original)
					for {
						if err := jsonpointer.Set(m.doc, msg+"/"+key, list); err != nil {
							return err
						}
						b, err := m.body()
						if err != nil || len(b) > largeContactsBytes {
							return err
						}
						for range 10 {
							list = append(list, m.order.clone(original[len(list)%len(original)]))
						}
					}
				}
				return fmt.Errorf("no contacts array")
			}},
		{ID: "escaped-unicode", Description: "every non-ASCII character, and the letters of the message type, written as \\u escapes (surrogate pairs for emoji)", Expect: Tolerate, Schema: SchemaValid,
			apply: func(m *mutating) error {
				// The type too, so that every payload changes, even an all-ASCII one, and a receiver
				// that matches raw bytes ("type":"text") rather than decoded values shows.
				marker := "wahook-escaped-" + m.f.hex(8)
				if err := jsonpointer.Set(m.doc, msg+"/type", marker); err != nil {
					return err
				}
				b, err := m.body()
				if err != nil {
					return err
				}
				escaped := []byte{'"'}
				for _, c := range []byte(m.typ) {
					escaped = fmt.Appendf(escaped, `\u%04x`, c)
				}
				escaped = append(escaped, '"')
				m.setRaw(escapeNonASCII(bytes.Replace(b, []byte(`"`+marker+`"`), escaped, 1)))
				return nil
			}, meaning: sameMessage},
		{ID: "pretty-printed", Description: "indented with tabs and CRLF line ends", Expect: Tolerate, Schema: SchemaValid,
			apply: rawEdit(func(_ *mutating, b []byte) []byte {
				var out bytes.Buffer
				if json.Indent(&out, b, "", "\t") != nil {
					return b
				}
				return bytes.ReplaceAll(out.Bytes(), []byte("\n"), []byte("\r\n"))
			}), meaning: sameMessage},
		{ID: "reordered-keys", Description: "keys in another order: the message before the envelope's id, as InnoPaaS's contacts example prints", Expect: Tolerate, Schema: SchemaValid,
			apply: rawEdit(func(_ *mutating, b []byte) []byte { return reverseTopLevel(b) }), meaning: sameMessage},
		{ID: "content-type-charset", Description: "Content-Type: application/json; charset=UTF-8", Expect: Tolerate, Schema: NotChecked,
			apply: func(m *mutating) error { m.contentType = "application/json; charset=UTF-8"; return nil }, meaning: sameMessage},
		// The quirk forms: a payload with every optional part, so that each quirk its type can carry is
		// there (ITNIO's context flags, for one), written in one form.
		{ID: "documented-quirk-forms", Description: "every documented quirk the type can carry, in the form the provider's examples show", Expect: Tolerate, Schema: SchemaValid,
			types: p.quirkTypes(), quirks: QuirksExample, full: true, apply: func(*mutating) error { return nil }, meaning: sameMessage},
		{ID: "table-quirk-forms", Description: "every documented quirk the type can carry, in the form the provider's tables describe", Expect: Tolerate, Schema: SchemaValid,
			types: p.quirkTypes(), quirks: QuirksTable, full: true, apply: func(*mutating) error { return nil }, meaning: sameMessage},
	}
	if p.EnvelopeIDPointer == "" { // a provider whose webhooks have no id of their own
		all = slices.DeleteFunc(all, func(m Mutation) bool { return m.ID == "missing-envelope-id" })
	}
	for _, ev := range p.otherEvents {
		all = append(all, Mutation{
			ID:          "other-event." + ev.Type,
			Description: fmt.Sprintf("a %s event, which the provider POSTs to the same URL", ev.Type),
			Expect:      Tolerate, Schema: SchemaValid,
			apply: func(m *mutating) error {
				b := &builder{f: m.f}
				ev.write(b)
				m.setRaw(b.w.buf)
				return nil
			},
		})
	}
	return append(all, p.mutations...)
}

// largeContactsBytes is the size the large-contacts mutation passes: over 64 KiB, where receivers
// with a small body buffer break.
const largeContactsBytes = 64<<10 + 1024

// rawEdit makes a byte-level mutation.
func rawEdit(edit func(m *mutating, b []byte) []byte) func(m *mutating) error {
	return func(m *mutating) error {
		b, err := m.body()
		if err != nil {
			return err
		}
		m.setRaw(edit(m, b))
		return nil
	}
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// otherType returns a message type other than the payload's own, chosen from the seed.
func otherType(m *mutating) string {
	// Not one whose object shares a key with this type's (Meta's unknown and unsupported both carry
	// errors): the payload would still carry the other type's object.
	own := m.p.typeObjectKeys(m.typ)
	others := slices.DeleteFunc(slices.Clone(m.p.types), func(t string) bool {
		return slices.ContainsFunc(m.p.typeObjectKeys(t), func(k string) bool { return slices.Contains(own, k) })
	})
	return others[m.f.intn(len(others))]
}

// numericPointer returns a field of the payload where the schema wants a number.
func numericPointer(m *mutating) string {
	fields, _ := schemas.Fields(m.p.Name, m.doc)
	for _, f := range fields {
		if f.Present && (slices.Contains(f.Types, "integer") || slices.Contains(f.Types, "number")) {
			return f.Pointer
		}
	}
	if m.p.EnvelopeIDPointer == "" {
		return m.p.IDPointer
	}
	return m.p.EnvelopeIDPointer // no numeric field: a number where a string belongs is out of range too
}

// messageKey is the bytes that open the message object at msgPointer in a compact body: `"body":{`
// for /body, `"messages":[{` for a message that is the first element of an array (/.../messages/0).
// It assumes the key is the first of its spelling in the body, as the providers' envelopes have it.
func messageKey(msgPointer string) []byte {
	tokens := strings.Split(msgPointer, "/")
	last := tokens[len(tokens)-1]
	if isDigits(last) && len(tokens) > 2 {
		return []byte(`"` + tokens[len(tokens)-2] + `":[{`)
	}
	return []byte(`"` + last + `":{`)
}

// insertInFirstString puts s inside the first string value of the message object, at byte level.
func insertInFirstString(b []byte, msgPointer, s string) []byte {
	i := bytes.Index(b, messageKey(msgPointer))
	if i < 0 {
		i = 0
	}
	j := bytes.Index(b[i:], []byte(`":"`))
	if j < 0 {
		return append(b, s...)
	}
	at := i + j + 3
	return slices.Concat(b[:at], []byte(s), b[at:])
}

// addEverywhere adds key to every object in doc.
func addEverywhere(doc any, key string, value any) {
	switch d := doc.(type) {
	case map[string]any:
		for _, v := range d {
			addEverywhere(v, key, value)
		}
		d[key] = value
	case []any:
		for _, v := range d {
			addEverywhere(v, key, value)
		}
	}
}

// setStrings sets every string field whose pointer matches to value.
func setStrings(m *mutating, match func(ptr string) bool, value string) {
	fields, _ := schemas.Fields(m.p.Name, m.doc)
	for _, f := range fields {
		if f.Present && match(f.Pointer) && slices.Equal(f.Types, []string{"string"}) {
			_ = jsonpointer.Set(m.doc, f.Pointer, value)
		}
	}
}

func lastToken(ptr string) string { return ptr[strings.LastIndex(ptr, "/")+1:] }

func isDigits(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }

// escapeNonASCII rewrites every non-ASCII character inside JSON strings as \u escapes.
func escapeNonASCII(b []byte) []byte {
	out := make([]byte, 0, len(b)*2)
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r < utf8.RuneSelf:
			out = append(out, b[i])
		case r > 0xFFFF:
			r -= 0x10000
			out = fmt.Appendf(out, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		default:
			out = fmt.Appendf(out, `\u%04x`, r)
		}
		i += size
	}
	return out
}

// reverseTopLevel rewrites a JSON object with its top-level members in reverse order.
func reverseTopLevel(b []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var members []struct {
		key   string
		value json.RawMessage
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return b
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return b
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return b
		}
		members = append(members, struct {
			key   string
			value json.RawMessage
		}{tok.(string), raw})
	}
	out := []byte{'{'}
	for i := len(members) - 1; i >= 0; i-- {
		out = appendQuoted(out, members[i].key)
		out = append(out, ':')
		out = append(out, members[i].value...)
		if i > 0 {
			out = append(out, ',')
		}
	}
	return append(out, '}')
}
