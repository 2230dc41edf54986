package mockprovider

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
// nils, and records the key order of every object. A key twice in one object is refused: the order
// table could not say where its one value belongs.
func decodeOrdered(b []byte) (any, keyOrders, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	o := keyOrders{}
	v, err := o.decodeValue(dec, 0)
	if err == nil {
		if _, err = dec.Token(); err == io.EOF {
			return v, o, nil
		} else if err == nil {
			err = errors.New("data after the JSON value")
		}
	}
	return nil, nil, fmt.Errorf("decode payload at byte %d: %w", dec.InputOffset(), err)
}

// decodeValue reads one value from dec, recording the key order of the objects in it.
func (o keyOrders) decodeValue(dec *json.Decoder, depth int) (any, error) {
	tok, err := dec.Token()
	if err == io.EOF {
		return nil, io.ErrUnexpectedEOF
	}
	if err != nil || (tok != json.Delim('{') && tok != json.Delim('[')) {
		return tok, err // a scalar: string, json.Number, bool or nil
	}
	if depth >= maxOrderedDepth {
		return nil, errors.New("nesting too deep")
	}
	if tok == json.Delim('[') {
		arr := []any{}
		for dec.More() {
			v, err := o.decodeValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err := dec.Token() // ]
		return arr, err
	}
	obj, keys := map[string]any{}, []string(nil)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k := tok.(string) // the decoder refuses anything else where a key belongs
		v, err := o.decodeValue(dec, depth+1)
		if err != nil {
			return nil, err
		}
		if _, dup := obj[k]; dup {
			return nil, fmt.Errorf("duplicate key %q", k)
		}
		obj[k], keys = v, append(keys, k)
	}
	o[mapID(obj)] = orderedObject{obj, keys}
	_, err = dec.Token() // }
	return obj, err
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
