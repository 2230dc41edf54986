package fuzz

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
	"unicode/utf8"
)

// minimise shrinks body while reproduces still holds, spending at most budget calls of it. A body
// that decodes is shrunk as JSON (drop members in halving chunks, keep one array element, halve
// strings, zero numbers), so the result stays readable; other bytes are shrunk by cutting chunks.
func minimise(body []byte, reproduces func([]byte) bool, budget int) []byte {
	calls := 0
	try := func(candidate []byte) bool {
		if calls >= budget {
			return false
		}
		calls++
		return reproduces(candidate)
	}
	var doc any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&doc) == nil && !dec.More() {
		if enc, err := encode(doc); err == nil && (bytes.Equal(enc, body) || try(enc)) {
			s := &shrinker{doc: doc, best: enc, try: try}
			s.node(doc, func(v any) { s.doc = v })
			return s.best
		}
	}
	return shrinkBytes(body, try)
}

func encode(doc any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// shrinker edits doc in place, keeping each edit whose encoding still reproduces.
type shrinker struct {
	doc  any
	best []byte
	try  func([]byte) bool
}

// attempt keeps the current state of doc if it still reproduces and reports whether it does.
func (s *shrinker) attempt() bool {
	candidate, err := encode(s.doc)
	if err != nil || len(candidate) >= len(s.best) || !s.try(candidate) {
		return false
	}
	s.best = candidate
	return true
}

// node shrinks one value; set replaces it in its parent.
func (s *shrinker) node(v any, set func(any)) {
	switch n := v.(type) {
	case map[string]any:
		s.object(n)
	case []any:
		if len(n) > 1 {
			set(n[:1])
			if s.attempt() {
				n = n[:1]
			} else {
				set(n)
			}
		}
		for i := range n {
			s.node(n[i], func(x any) { n[i] = x })
		}
	case string:
		// Binary search for the shortest prefix that still reproduces: a receiver that refuses texts
		// over 1000 bytes keeps a 1001-byte text, not the 1960 bytes that halving would stop at.
		runes := []rune(n)
		keep := len(runes)
		for lo := 0; keep-lo > 1; {
			mid := lo + (keep-lo)/2
			set(string(runes[:mid]))
			if s.attempt() {
				keep = mid
			} else {
				lo = mid
			}
		}
		set(string(runes[:keep]))
	case json.Number:
		if n != "0" {
			set(json.Number("0"))
			if !s.attempt() {
				set(n)
			}
		}
	}
}

// object drops members in chunks, halving the chunk size, then shrinks the members that remain.
func (s *shrinker) object(obj map[string]any) {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for chunk := max(1, len(keys)/2); chunk >= 1; chunk /= 2 {
		for i := 0; i < len(keys); {
			end := min(i+chunk, len(keys))
			saved := make(map[string]any, end-i)
			for _, k := range keys[i:end] {
				saved[k] = obj[k]
				delete(obj, k)
			}
			if s.attempt() {
				keys = slices.Delete(keys, i, end)
				continue
			}
			for k, v := range saved {
				obj[k] = v
			}
			i = end
		}
		if chunk == 1 {
			break
		}
	}
	for _, k := range keys {
		s.node(obj[k], func(v any) { obj[k] = v })
	}
}

// shrinkBytes cuts chunks out of b, halving the chunk size down to one byte.
func shrinkBytes(b []byte, try func([]byte) bool) []byte {
	for chunk := len(b) / 2; chunk >= 1; chunk /= 2 {
		for start := 0; start+chunk <= len(b); {
			candidate := slices.Concat(b[:start], b[start+chunk:])
			if utf8.Valid(b) && !utf8.Valid(candidate) {
				start += chunk // keep text readable: never cut a character in two
				continue
			}
			if try(candidate) {
				b = candidate
				continue
			}
			start += chunk
		}
	}
	return b
}
