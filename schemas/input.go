package schemas

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

// Errors describing why bytes are not a usable payload. Validate reports them as violations; Detect
// and Decode return them.
var (
	ErrEmpty    = errors.New("empty payload")
	ErrTooLarge = errors.New("payload too large")
	ErrTooDeep  = errors.New("payload nested too deeply")
	ErrNotUTF8  = errors.New("payload is not valid UTF-8")
	ErrNotJSON  = errors.New("not JSON")
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Decode parses an untrusted payload into the generic form the schemas validate (numbers as json.Number,
// so that 1e400 survives to be reported by the schema rather than by the parser). It refuses payloads
// over the default size and depth limits.
func Decode(payload []byte) (any, error) {
	return decodeLimited(payload, DefaultMaxBytes, DefaultMaxDepth)
}

func decode(payload []byte) (any, error) { return Decode(payload) }

func decodeLimited(payload []byte, maxBytes, maxDepth int) (any, error) {
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
	if depth, at := nesting(payload, maxDepth); depth > maxDepth {
		return nil, fmt.Errorf("%w: deeper than %d at byte %d", ErrTooDeep, maxDepth, at)
	}
	var doc any
	err := json.Unmarshal(payload, &doc)
	var rangeErr *json.UnmarshalTypeError
	if errors.As(err, &rangeErr) {
		// A number float64 cannot hold, such as 1e400. Decode it again keeping numbers as text, so
		// that the schema reports the field instead of the parser failing the whole payload.
		return decodeNumbers(payload)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrNotJSON, describeSyntaxError(err, payload))
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

// nesting scans for the first point where arrays and objects nest deeper than limit, before the decoder
// would recurse that deep. It returns the depth reached and its byte offset.
func nesting(payload []byte, limit int) (depth, at int) {
	inString, escaped := false, false
	for i, c := range payload {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > limit {
				return depth, i
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return depth, len(payload)
}
