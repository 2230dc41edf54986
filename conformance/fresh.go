package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/mockprovider"
)

// refreshIdentity rewrites body's identity fields (the provider's IdentityPointers: the fields a
// receiver keys on or orders by) with the values of the same fields in fresh, a generated payload of
// the same provider, so that a receiver that deduplicates by id does not take every replayed example
// for a copy of the first. Only the bytes of those values change: keys, order, whitespace and every
// other value stay as they were. A field missing from either side, or of another JSON kind there, is
// left alone.
func refreshIdentity(p *mockprovider.Provider, body, fresh []byte) ([]byte, error) {
	freshDoc, err := decodeNumbers(fresh)
	if err != nil {
		return nil, fmt.Errorf("fresh payload: %w", err)
	}
	doc, err := decodeNumbers(body)
	if err != nil {
		return nil, err
	}
	values := map[string][]byte{}
	for _, ptr := range p.IdentityPointers {
		old, err1 := jsonpointer.Get(doc, ptr)
		now, err2 := jsonpointer.Get(freshDoc, ptr)
		if err1 != nil || err2 != nil || kind(old) != kind(now) || kind(old) == "" {
			continue
		}
		raw, err := marshal(now)
		if err != nil {
			return nil, err
		}
		values[ptr] = raw
	}
	return replaceValues(body, values)
}

func decodeNumbers(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// kind is the JSON kind of a scalar, "" for anything else.
func kind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case json.Number:
		return "number"
	}
	return ""
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// replaceValues replaces the scalar values at the JSON pointers in values with the raw JSON given,
// at byte level.
func replaceValues(body []byte, values map[string][]byte) ([]byte, error) {
	type span struct {
		start, end int
		raw        []byte
	}
	var spans []span
	type frame struct {
		object  bool
		wantKey bool
		key     string
		index   int
	}
	var stack []frame
	pointer := func() string {
		var b strings.Builder
		for _, f := range stack {
			b.WriteByte('/')
			if f.object {
				b.WriteString(jsonpointer.Escape(f.key))
			} else {
				b.WriteString(strconv.Itoa(f.index))
			}
		}
		return b.String()
	}
	valueDone := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].object {
				stack[n-1].wantKey = true
			} else {
				stack[n-1].index++
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for {
		off := int(dec.InputOffset())
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
			if tok == json.Delim('}') {
				stack = stack[:n-1]
				valueDone()
				continue
			}
			stack[n-1].key, stack[n-1].wantKey = tok.(string), false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{object: true, wantKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, frame{})
			continue
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
			continue
		}
		if raw, ok := values[pointer()]; ok {
			start := off
			for start < len(body) && strings.IndexByte(" \t\r\n:,", body[start]) >= 0 {
				start++
			}
			spans = append(spans, span{start, int(dec.InputOffset()), raw})
		}
		valueDone()
	}
	out := slices.Clone(body)
	for _, s := range slices.Backward(spans) {
		out = slices.Concat(out[:s.start], s.raw, out[s.end:])
	}
	return out, nil
}
