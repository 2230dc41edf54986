package mockprovider

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
)

// keyOrders remembers the key order of every object of a decoded payload, so that a mutation can
// decode a payload into the generic form jsonpointer and schemas.Fields edit and read, change one
// thing, and encode it again with every other byte as the generator wrote it: encoding/json would sort
// the keys, and re-format numbers, which is a second, unnamed change.
//
// Objects are known by the address of their map. Each entry holds its map, so that the address cannot
// be reused by a map made later while the table is alive.
type keyOrders map[uintptr]orderedObject

type orderedObject struct {
	obj  map[string]any
	keys []string
}

func mapID(m map[string]any) uintptr { return reflect.ValueOf(m).Pointer() }

// maxOrderedDepth bounds the nesting decodeOrdered accepts; generated payloads nest less than ten deep.
const maxOrderedDepth = 256

// decodeOrdered parses b, a generated payload, into maps, slices, strings, json.Number, bools and
// nils, and records the key order of every object.
func decodeOrdered(b []byte) (any, keyOrders, error) {
	d := &orderedDecoder{data: b, orders: keyOrders{}}
	d.space()
	v, err := d.value(0)
	if err != nil {
		return nil, nil, err
	}
	if d.space(); d.pos != len(d.data) {
		return nil, nil, d.fail("data after the JSON value")
	}
	return v, d.orders, nil
}

type orderedDecoder struct {
	data   []byte
	pos    int
	orders keyOrders
}

func (d *orderedDecoder) fail(what string) error {
	return fmt.Errorf("decode payload: %s at byte %d", what, d.pos)
}

func (d *orderedDecoder) space() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\r', '\n':
			d.pos++
		default:
			return
		}
	}
}

func (d *orderedDecoder) value(depth int) (any, error) {
	if depth > maxOrderedDepth {
		return nil, d.fail("nesting too deep")
	}
	if d.pos >= len(d.data) {
		return nil, d.fail("unexpected end")
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object(depth)
	case c == '[':
		return d.array(depth)
	case c == '"':
		return d.string()
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	}
	for _, lit := range []struct {
		text  string
		value any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if len(d.data)-d.pos >= len(lit.text) && string(d.data[d.pos:d.pos+len(lit.text)]) == lit.text {
			d.pos += len(lit.text)
			return lit.value, nil
		}
	}
	return nil, d.fail("unexpected character")
}

func (d *orderedDecoder) object(depth int) (any, error) {
	d.pos++ // {
	obj := map[string]any{}
	var keys []string
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		d.orders[mapID(obj)] = orderedObject{obj, keys}
		return obj, nil
	}
	for {
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, d.fail("want an object key")
		}
		k, err := d.string()
		if err != nil {
			return nil, err
		}
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.fail("want a colon")
		}
		d.pos++
		d.space()
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		if _, dup := obj[k]; dup {
			return nil, d.fail(fmt.Sprintf("duplicate key %q", k))
		}
		obj[k] = v
		keys = append(keys, k)
		d.space()
		if d.pos >= len(d.data) {
			return nil, d.fail("unexpected end in an object")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			d.orders[mapID(obj)] = orderedObject{obj, keys}
			return obj, nil
		default:
			return nil, d.fail("want a comma or the end of the object")
		}
	}
}

func (d *orderedDecoder) array(depth int) (any, error) {
	d.pos++ // [
	arr := []any{}
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return arr, nil
	}
	for {
		d.space()
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
		d.space()
		if d.pos >= len(d.data) {
			return nil, d.fail("unexpected end in an array")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			return arr, nil
		default:
			return nil, d.fail("want a comma or the end of the array")
		}
	}
}

func (d *orderedDecoder) string() (string, error) {
	start := d.pos
	escaped := false
	for i := start + 1; i < len(d.data); i++ {
		switch c := d.data[i]; {
		case c == '\\':
			escaped = true
			i++
		case c == '"':
			d.pos = i + 1
			if !escaped {
				return string(d.data[start+1 : i]), nil
			}
			var s string
			if err := json.Unmarshal(d.data[start:i+1], &s); err != nil {
				d.pos = start
				return "", d.fail("bad string escape")
			}
			return s, nil
		case c < 0x20:
			d.pos = i
			return "", d.fail("control character in a string")
		}
	}
	return "", d.fail("unterminated string")
}

func (d *orderedDecoder) number() (any, error) {
	start := d.pos
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if !(c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E') {
			break
		}
		d.pos++
	}
	n := json.Number(d.data[start:d.pos])
	if !json.Valid([]byte(n)) {
		d.pos = start
		return nil, d.fail("bad number")
	}
	return n, nil
}

// errUnencodable is returned for a value no JSON text can hold, such as a NaN float.
var errUnencodable = errors.New("value cannot be encoded as JSON")

// encode writes doc as compact JSON: objects the table knows in their recorded key order (keys added
// since at the end, sorted), strings escaped as the generator escapes them, numbers as their text.
func (o keyOrders) encode(doc any) ([]byte, error) {
	return o.appendValue(make([]byte, 0, 1024), doc)
}

func (o keyOrders) appendValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case string:
		return appendQuoted(b, v), nil
	case json.Number:
		if v == "" {
			return append(b, '0'), nil
		}
		return append(b, v...), nil
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = o.appendValue(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		b = append(b, '{')
		for i, k := range o.keys(v) {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(appendQuoted(b, k), ':')
			var err error
			if b, err = o.appendValue(b, v[k]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errUnencodable, err)
	}
	return append(b, raw...), nil
}

// keys returns m's keys: those the table recorded that m still has, in their order, then the others
// sorted.
func (o keyOrders) keys(m map[string]any) []string {
	rec := o[mapID(m)]
	out := make([]string, 0, len(m))
	for _, k := range rec.keys {
		if _, ok := m[k]; ok {
			out = append(out, k)
		}
	}
	if len(out) == len(m) {
		return out
	}
	var added []string
	for k := range m {
		if !slices.Contains(out, k) {
			added = append(added, k)
		}
	}
	slices.Sort(added)
	return append(out, added...)
}

// clone deep-copies v, giving each copied object the key order of its original.
func (o keyOrders) clone(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = o.clone(e)
		}
		o[mapID(out)] = orderedObject{out, o.keys(v)}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = o.clone(e)
		}
		return out
	}
	return v
}
