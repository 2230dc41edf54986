// Package jsoninput reads untrusted bytes as a JSON payload, within limits of size and depth, and
// refuses what receivers would read differently: a byte order mark, invalid UTF-8, duplicate keys.
// The schemas validate what it decodes; the fuzzer classes its refusals.
package jsoninput

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Default limits for untrusted input. 3 MiB is the size cap Meta documents for WhatsApp webhooks; no
// documented payload nests deeper than 8.
const (
	DefaultMaxBytes = 3 << 20
	DefaultMaxDepth = 64
)

// Errors describing why bytes are not a usable payload. schemas.Validator reports them as
// violations; Decode returns them.
var (
	ErrEmpty    = errors.New("empty payload")
	ErrTooLarge = errors.New("payload too large")
	ErrTooDeep  = errors.New("payload nested too deeply")
	ErrNotUTF8  = errors.New("payload is not valid UTF-8")
	ErrNotJSON  = errors.New("not JSON")
	// ErrDuplicateKey: RFC 8259 leaves the meaning of a repeated key to the parser, so a payload with
	// one means different things to different receivers.
	ErrDuplicateKey = errors.New("duplicate key")
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Decode parses an untrusted payload into the generic form the schemas validate: numbers as float64,
// or all as json.Number when one is out of float64's range, so that 1e400 survives to be reported by
// the schema rather than by the parser. It refuses payloads over the default size and depth limits.
func Decode(payload []byte) (any, error) {
	return DecodeLimited(payload, DefaultMaxBytes, DefaultMaxDepth)
}

// DecodeLimited is Decode within other limits.
func DecodeLimited(payload []byte, maxBytes, maxDepth int) (any, error) {
	if len(payload) > maxBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(payload), maxBytes)
	}
	if len(bytes.TrimSpace(payload)) == 0 {
		return nil, ErrEmpty
	}
	if bytes.HasPrefix(payload, utf8BOM) {
		return nil, fmt.Errorf("%w: starts with a UTF-8 byte order mark", ErrNotJSON)
	}
	if !utf8.Valid(payload) {
		return nil, ErrNotUTF8
	}
	st := scanStructure(payload, maxDepth)
	if st.tooDeep {
		return nil, fmt.Errorf("%w: deeper than %d at byte %d", ErrTooDeep, maxDepth, st.depthAt)
	}
	var doc any
	if err := json.Unmarshal(payload, &doc); err != nil {
		var rangeErr *json.UnmarshalTypeError
		if !errors.As(err, &rangeErr) {
			return nil, fmt.Errorf("%w: %s", ErrNotJSON, describeSyntaxError(err, payload))
		}
		// A number float64 cannot hold, such as 1e400. Decode it again keeping numbers as text, so
		// that the schema reports the field instead of the parser failing the whole payload.
		if doc, err = decodeNumbers(payload); err != nil {
			return nil, err
		}
	}
	if st.hasDuplicate {
		return nil, fmt.Errorf("%w: key %q appears twice in one object (byte %d)", ErrDuplicateKey, st.duplicate, st.dupAt)
	}
	return doc, nil
}

func decodeNumbers(payload []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrNotJSON, describeSyntaxError(err, payload))
	}
	return doc, nil
}

// describeSyntaxError says what is wrong and at which byte: the parser's messages give no position,
// and "unexpected end of JSON input" does not say the payload was cut short.
func describeSyntaxError(err error, payload []byte) string {
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn) && strings.HasPrefix(syn.Error(), "invalid character") && strings.Contains(syn.Error(), "after top-level value"):
		return fmt.Sprintf("trailing data after the JSON value at byte %d", syn.Offset-1)
	case errors.As(err, &syn) && syn.Error() == "unexpected end of JSON input":
		return fmt.Sprintf("unexpected end of input at byte %d (truncated?)", len(payload))
	case errors.As(err, &syn):
		return fmt.Sprintf("%s at byte %d", syn.Error(), syn.Offset)
	}
	return err.Error()
}

// structure is what one pass over the raw bytes finds before decoding: nesting too deep for the
// decoder to be asked to recurse, and duplicate object keys, which encoding/json silently resolves
// (the last wins) while other parsers take the first: a payload whose meaning depends on the parser.
type structure struct {
	tooDeep      bool
	depthAt      int // byte offset where nesting passed the limit
	hasDuplicate bool
	duplicate    string // the first duplicated key, unescaped (possibly "")
	dupAt        int    // its byte offset
}

// maxLinearKeys is how many keys an object may have before duplicates are looked up in a map.
const maxLinearKeys = 32

// key is an object key as it appears in the payload; unescaped holds its value when it has escapes.
type key struct {
	start, end int
	escaped    bool
	unescaped  string
}

func (k key) text(payload []byte) string {
	if k.escaped {
		return k.unescaped
	}
	return string(payload[k.start:k.end])
}

type frame struct {
	object   bool
	keysFrom int                 // start of this object's keys in scanStructure's keys
	seen     map[string]struct{} // once the object has more than maxLinearKeys keys
}

// scanStructure scans payload once, without allocating for ordinary payloads. The stack grows with the
// payload's nesting, never with limit, which may be any size. On malformed JSON it may report nothing;
// the decoder does.
func scanStructure(payload []byte, limit int) structure {
	var (
		st       structure
		stackArr [DefaultMaxDepth + 1]frame
		stack    = stackArr[:0]
		keysArr  [64]key
		keys     = keysArr[:0]
	)
	for i := 0; i < len(payload); i++ {
		switch c := payload[i]; c {
		case '"':
			start := i
			escaped := false
			for i++; i < len(payload) && payload[i] != '"'; i++ {
				if payload[i] == '\\' {
					escaped = true
					i++
				}
			}
			if i >= len(payload) || st.hasDuplicate || len(stack) == 0 || !stack[len(stack)-1].object || !followedByColon(payload, i+1) {
				continue
			}
			k := key{start: start + 1, end: i, escaped: escaped}
			if escaped {
				var unescaped string
				if json.Unmarshal(payload[start:i+1], &unescaped) != nil {
					continue
				}
				k.unescaped = unescaped
			}
			var dup bool
			if keys, dup = stack[len(stack)-1].add(payload, k, keys); dup {
				st.hasDuplicate, st.duplicate, st.dupAt = true, k.text(payload), start
			}
		case '{', '[':
			if len(stack) == limit {
				st.tooDeep, st.depthAt = true, i
				return st
			}
			stack = append(stack, frame{object: c == '{', keysFrom: len(keys)})
		case '}', ']':
			if len(stack) > 0 {
				keys = keys[:stack[len(stack)-1].keysFrom]
				stack = stack[:len(stack)-1]
			}
		}
	}
	return st
}

// add records k in the object, returning keys with it and whether the object already had it.
func (f *frame) add(payload []byte, k key, keys []key) ([]key, bool) {
	if f.seen != nil {
		text := k.text(payload)
		if _, ok := f.seen[text]; ok {
			return keys, true
		}
		f.seen[text] = struct{}{}
		return keys, false
	}
	own := keys[f.keysFrom:]
	for _, other := range own {
		if other.escaped || k.escaped {
			if other.text(payload) == k.text(payload) {
				return keys, true
			}
		} else if bytes.Equal(payload[other.start:other.end], payload[k.start:k.end]) {
			return keys, true
		}
	}
	if len(own) == maxLinearKeys {
		f.seen = make(map[string]struct{}, 2*maxLinearKeys)
		for _, other := range own {
			f.seen[other.text(payload)] = struct{}{}
		}
		f.seen[k.text(payload)] = struct{}{}
		return keys, false
	}
	return append(keys, k), false
}

func followedByColon(payload []byte, i int) bool {
	for ; i < len(payload); i++ {
		switch payload[i] {
		case ' ', '\t', '\n', '\r':
			continue
		case ':':
			return true
		}
		return false
	}
	return false
}
