package fuzz

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/wahook/wahook/internal/jsonpointer"
)

// valueKind is the JSON kind of a value found in raw bytes.
type valueKind byte

const (
	kindObject valueKind = iota
	kindArray
	kindString
	kindNumber
	kindLiteral // true, false, null
)

// span is one value of a raw JSON document: where it is and what it is.
type span struct {
	pointer    string
	start, end int
	kind       valueKind
}

// scanner walks the values of a well-formed JSON document in raw bytes, so that the fuzzer can edit
// one value by splicing bytes instead of decoding and re-encoding the whole payload.
type scanner struct {
	b      []byte
	path   []string
	count  int
	target int // index of the value to locate; -1 to only count
	found  span
	ok     bool
}

// pickValue returns the n-th value (in document order, the root excluded) of body, n modulo the
// number of values. It reports false for a document it cannot walk.
func pickValue(body []byte, n uint64) (span, bool) {
	s := &scanner{b: body, target: -1}
	if _, ok := s.value(s.skip(0)); !ok || s.count == 0 {
		return span{}, false
	}
	s2 := &scanner{b: body, target: int(n % uint64(s.count))}
	s2.value(s2.skip(0))
	return s2.found, s2.ok
}

func (s *scanner) skip(i int) int {
	for i < len(s.b) && (s.b[i] == ' ' || s.b[i] == '\t' || s.b[i] == '\n' || s.b[i] == '\r') {
		i++
	}
	return i
}

// value walks the value at i and returns the index after it.
func (s *scanner) value(i int) (int, bool) {
	if i >= len(s.b) {
		return i, false
	}
	start := i
	var kind valueKind
	var ok bool
	switch c := s.b[i]; {
	case c == '{':
		kind = kindObject
		i, ok = s.object(i)
	case c == '[':
		kind = kindArray
		i, ok = s.array(i)
	case c == '"':
		kind = kindString
		i, ok = s.str(i)
	case c == '-' || c >= '0' && c <= '9':
		kind = kindNumber
		for i++; i < len(s.b) && strings.IndexByte("0123456789.eE+-", s.b[i]) >= 0; i++ {
		}
		ok = true
	case c == 't' || c == 'f' || c == 'n':
		kind = kindLiteral
		for i++; i < len(s.b) && s.b[i] >= 'a' && s.b[i] <= 'z'; i++ {
		}
		ok = true
	}
	if !ok {
		return i, false
	}
	if len(s.path) > 0 { // the root is not a candidate: replacing it is a byte-level mutation's job
		if s.count == s.target {
			s.found = span{pointer: pointerOf(s.path), start: start, end: i, kind: kind}
			s.ok = true
		}
		s.count++
	}
	return i, true
}

func (s *scanner) str(i int) (int, bool) {
	for i++; i < len(s.b); i++ {
		switch s.b[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return i, false
}

func (s *scanner) object(i int) (int, bool) {
	i = s.skip(i + 1)
	if i < len(s.b) && s.b[i] == '}' {
		return i + 1, true
	}
	for i < len(s.b) {
		keyStart := i
		end, ok := s.str(i)
		if !ok {
			return end, false
		}
		key := string(s.b[keyStart+1 : end-1])
		if bytes.IndexByte(s.b[keyStart:end], '\\') >= 0 {
			if unquoted, err := strconv.Unquote(string(s.b[keyStart:end])); err == nil {
				key = unquoted
			}
		}
		i = s.skip(end)
		if i >= len(s.b) || s.b[i] != ':' {
			return i, false
		}
		s.path = append(s.path, key)
		i, ok = s.value(s.skip(i + 1))
		s.path = s.path[:len(s.path)-1]
		if !ok {
			return i, false
		}
		var more bool
		if i, more, ok = s.afterElement(i, '}'); !more {
			return i, ok
		}
	}
	return i, false
}

// afterElement reads past the blanks after an element of a container that ends in closer: at a comma
// there are more elements and i is at the next; at closer the container is done and i is past it;
// anything else is broken JSON.
func (s *scanner) afterElement(i int, closer byte) (next int, more, ok bool) {
	i = s.skip(i)
	switch {
	case i < len(s.b) && s.b[i] == ',':
		return s.skip(i + 1), true, true
	case i < len(s.b) && s.b[i] == closer:
		return i + 1, false, true
	}
	return i, false, false
}

func (s *scanner) array(i int) (int, bool) {
	i = s.skip(i + 1)
	if i < len(s.b) && s.b[i] == ']' {
		return i + 1, true
	}
	for n := 0; i < len(s.b); n++ {
		s.path = append(s.path, strconv.Itoa(n))
		var ok bool
		i, ok = s.value(i)
		s.path = s.path[:len(s.path)-1]
		if !ok {
			return i, false
		}
		var more bool
		if i, more, ok = s.afterElement(i, ']'); !more {
			return i, ok
		}
	}
	return i, false
}

func pointerOf(path []string) string {
	var b strings.Builder
	for _, p := range path {
		b.WriteByte('/')
		b.WriteString(jsonpointer.Escape(p))
	}
	return b.String()
}

// normalise replaces array indices in a pointer with 0 and the names of fields the fuzzer added with
// one token, so that one defect reached through different elements of an array, or through different
// made-up fields, has one signature.
func normalise(ptr string) string {
	return jsonpointer.Generalise(ptr, func(t string) string { return foldKey(jsonpointer.IndexAsZero(t)) })
}
