package fuzz

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// minimise shrinks body while reproduces still holds, spending at most budget calls of it. A body
// that decodes is shrunk as JSON (drop members in halving chunks, empty arrays or keep one element,
// shorten strings and make them plain, zero numbers), so the result stays readable; other bytes are
// shrunk by cutting chunks.
func minimise(body []byte, reproduces func([]byte) bool, budget int) []byte {
	calls := 0
	// Once the budget is spent, every loop below stops: trying on would only re-encode the document,
	// at a cost that grows with the square of a large payload's size.
	spent := func() bool { return calls >= budget }
	try := func(candidate []byte) bool {
		if spent() {
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
			s := &shrinker{doc: doc, best: enc, try: try, spent: spent}
			s.node(doc, func(v any) { s.doc = v })
			if len(s.best) >= len(enc) && !spent() {
				// No progress: try again structure first, one whole part at a time, the deepest
				// containers before the keys that hold plain values.
				s.structure(s.doc)
			}
			return s.best
		}
	}
	return shrinkBytes(body, try, spent)
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
	doc   any
	best  []byte
	try   func([]byte) bool
	spent func() bool
}

// attempt keeps the current state of doc if it is smaller and still reproduces, and reports whether
// it was kept.
func (s *shrinker) attempt() bool { return s.keep(false) }

// attemptSimpler is attempt for an edit that makes a value simpler without shortening it: characters
// made plain (a byte count can be what the defect needs), a number made 0 or 1. No longer is enough;
// it cannot cycle, as nothing is made less simple.
func (s *shrinker) attemptSimpler() bool { return s.keep(true) }

func (s *shrinker) keep(sameSize bool) bool {
	if s.spent() {
		return false
	}
	candidate, err := encode(s.doc)
	if err != nil || len(candidate) > len(s.best) || len(candidate) == len(s.best) && !sameSize || !s.try(candidate) {
		return false
	}
	s.best = candidate
	return true
}

// node shrinks one value; set replaces it in its parent.
func (s *shrinker) node(v any, set func(any)) {
	if s.spent() {
		return
	}
	switch n := v.(type) {
	case map[string]any:
		s.object(n)
	case []any:
		if len(n) > 0 {
			set([]any{})
			if s.attempt() {
				return
			}
			set(n)
		}
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
		s.str(n, set)
	case json.Number:
		s.number(n, set)
	}
}

// number makes a number 0, else 1, else the round number of as many digits, else drops an integer's
// last digits while the defect holds: a timestamp the schema requires stays, but as 1000000000, so
// that two findings do not differ by what their first inputs happened to carry; 2147483648, for a
// receiver that overflows an int32, stays. Whatever it tries, it leaves n, or what replaced it, in
// place: a 1 that failed as 0 is put back before the next value is shrunk.
func (s *shrinker) number(n json.Number, set func(any)) {
	for _, simple := range []json.Number{"0", "1"} {
		if n == simple {
			break // nothing simpler to try than what failed before it
		}
		if set(simple); s.attemptSimpler() {
			return
		}
	}
	digits := strings.TrimPrefix(string(n), "-")
	if len(digits) > 1 && strings.Trim(digits, "0123456789") == "" {
		round := json.Number(strings.TrimSuffix(string(n), digits) + "1" + strings.Repeat("0", len(digits)-1))
		if set(round); round != n && s.attemptSimpler() {
			n, digits = round, strings.TrimPrefix(string(round), "-")
		}
	}
	for strings.Trim(digits, "0123456789") == "" && len(digits) > 1 && !s.spent() {
		shorter := json.Number(strings.TrimSuffix(string(n), digits) + digits[:len(digits)-1])
		if set(shorter); !s.attempt() {
			break
		}
		n, digits = shorter, digits[:len(digits)-1]
	}
	set(n)
}

// str shrinks a string: plain ASCII of the same length in bytes in its place if that still
// reproduces, then the shortest prefix and the shortest suffix (binary searches: a receiver that
// refuses texts over 1000 bytes keeps a 1001-byte text, not the 1960 bytes that halving would stop at),
// then each unusual character the defect does not need made plain. What is left is what the defect
// needs: "\u202e", not "\u202eevil".
func (s *shrinker) str(v string, set func(any)) {
	runes := []rune(v)
	if !plain(runes) {
		plainer := []rune(strings.Repeat("a", len(v)))
		if set(string(plainer)); s.attemptSimpler() {
			runes = plainer
		} else {
			set(v)
		}
	}
	// The shortest prefix: runes[:hi] reproduces, runes[:lo] does not (or lo is -1, untried).
	lo, hi := -1, len(runes)
	for hi-lo > 1 && !s.spent() {
		mid := lo + (hi-lo)/2
		if set(string(runes[:mid])); s.attempt() {
			hi = mid
		} else {
			lo = mid
		}
	}
	runes = runes[:hi]
	// The shortest suffix: runes[lo:] reproduces, runes[hi:] does not (or hi is past the end).
	lo, hi = 0, len(runes)+1
	for hi-lo > 1 && !s.spent() {
		mid := lo + (hi-lo)/2
		if set(string(runes[mid:])); s.attempt() {
			lo = mid
		} else {
			hi = mid
		}
	}
	runes = runes[lo:]
	// Unusual characters the defect does not need become as many 'a's as they had bytes, in halving
	// runs. Each character is a unit of its own, so that one made several 'a's long leaves the indices
	// in odd pointing at the same characters.
	units := make([]string, len(runes))
	var odd []int
	for i, r := range runes {
		units[i] = string(r)
		if !plain(runes[i : i+1]) {
			odd = append(odd, i)
		}
	}
	dropRuns(len(odd), s.spent, func(i, j int) bool {
		candidate := slices.Clone(units)
		for _, at := range odd[i:j] {
			candidate[at] = strings.Repeat("a", len(units[at]))
		}
		if set(strings.Join(candidate, "")); !s.attemptSimpler() {
			return false
		}
		units, odd = candidate, slices.Delete(odd, i, j)
		return true
	})
	set(strings.Join(units, ""))
}

// plain reports whether every rune is printable ASCII that JSON writes as itself.
func plain(runes []rune) bool {
	for _, r := range runes {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return false
		}
	}
	return true
}

// object drops members in halving runs, then shrinks the members that remain.
func (s *shrinker) object(obj map[string]any) {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	dropRuns(len(keys), s.spent, func(i, j int) bool {
		saved := make(map[string]any, j-i)
		for _, k := range keys[i:j] {
			saved[k] = obj[k]
			delete(obj, k)
		}
		if s.attempt() {
			keys = slices.Delete(keys, i, j)
			return true
		}
		for k, v := range saved {
			obj[k] = v
		}
		return false
	})
	for _, k := range keys {
		s.node(obj[k], func(v any) { obj[k] = v })
	}
}

// structure drops the members of every object one at a time, those holding objects or arrays first,
// deepest first, then the others; it keeps each drop that still reproduces. It is the slow, thorough
// pass, for a payload the halving of node could not shrink at all.
func (s *shrinker) structure(v any) {
	switch n := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(n))
		for k := range n {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			ci, cj := depth(n[keys[i]]), depth(n[keys[j]])
			if ci != cj {
				return ci > cj
			}
			return keys[i] < keys[j]
		})
		for _, k := range keys {
			if s.spent() {
				return
			}
			child := n[k]
			delete(n, k)
			if !s.attempt() {
				n[k] = child
				s.structure(child)
			}
		}
	case []any:
		for _, child := range n {
			s.structure(child)
		}
	}
}

// depth is how deep v nests: 0 for a plain value.
func depth(v any) int {
	d := 0
	switch n := v.(type) {
	case map[string]any:
		for _, c := range n {
			d = max(d, depth(c))
		}
		return d + 1
	case []any:
		for _, c := range n {
			d = max(d, depth(c))
		}
		return d + 1
	}
	return 0
}

// shrinkBytes cuts runs of bytes out of b while it reproduces, never a character of valid UTF-8 in
// two, so that text stays readable.
func shrinkBytes(b []byte, try func([]byte) bool, spent func() bool) []byte {
	dropRuns(len(b), spent, func(i, j int) bool {
		candidate := slices.Concat(b[:i], b[j:])
		if utf8.Valid(b) && !utf8.Valid(candidate) || !try(candidate) {
			return false
		}
		b = candidate
		return true
	})
	return b
}

// dropRuns offers drop every run of a list of n items, longest first: runs of half the list, then of
// a quarter, down to single items, until spent. drop(i, j) tries the list without items i to j-1 and
// reports whether it kept that; the list is then j-i items shorter, and the next run starts at i.
// Halving finds what a defect needs in few tries when most of the list is not it.
func dropRuns(n int, spent func() bool, drop func(i, j int) bool) {
	for run := max(1, n/2); n > 0 && !spent(); run /= 2 {
		for i := 0; i < n && !spent(); {
			j := min(i+run, n)
			if drop(i, j) {
				n -= j - i
			} else {
				i = j
			}
		}
		if run == 1 {
			break
		}
	}
}
