package fuzz

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wahook/wahook/internal/jsoninput"
	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/schemas"
)

// fuzzKeyPrefix starts the names of the fields the fuzzer adds to objects. Their random suffix says
// nothing about a defect, so signatures and shapes fold them into one token.
const (
	fuzzKeyPrefix = "x_fuzz"
	fuzzKeyToken  = "x_fuzz_*"
)

// foldKey replaces a field name the fuzzer made up with fuzzKeyToken.
func foldKey(k string) string {
	if strings.HasPrefix(k, fuzzKeyPrefix) {
		return fuzzKeyToken
	}
	return k
}

// leafClass describes a value coarsely enough that one defect reached through many inputs gets one
// class, and finely enough that two defects of one field do not: a string by its length (in steps of
// eight) and the unusual characters it carries, a number by its sign and magnitude. notable reports a
// class a minimised payload keeps only because the defect needs it: unusual characters, a string of
// notableLength bytes or more, a number negative, fractional or beyond 2^31. Other values (containers,
// booleans, null, short plain strings, small integers) are not notable.
func leafClass(v any) (class string, notable bool) {
	switch v := v.(type) {
	case string:
		return stringClass(v)
	case float64:
		format := byte('g')
		if v == math.Trunc(v) && math.Abs(v) < 1e21 {
			format = 'f' // an integer written as one, as the payload most likely had it
		}
		return numberClass(strconv.FormatFloat(v, format, -1, 64))
	case json.Number:
		return numberClass(v.String())
	}
	return schemas.JSONType(v), false
}

// lengthClasses are the lower bounds of the string length classes, in bytes.
var lengthClasses = []int{1, 8, 64, 512, 4096, 32768}

// notableLength is the length from which a string in a minimised payload says something: shorter ones
// are what the minimiser could not shorten further without losing the route to the defect (a message
// type such as "location"), not a length the defect needs.
const notableLength = 64

func stringClass(s string) (string, bool) {
	var size string
	i := sort.SearchInts(lengthClasses, len(s)+1)
	switch {
	case len(s) == 0:
		size = "empty"
	case i < len(lengthClasses):
		size = fmt.Sprintf("%d-%d bytes", lengthClasses[i-1], lengthClasses[i]-1)
	default:
		size = fmt.Sprintf("%d bytes or more", lengthClasses[len(lengthClasses)-1])
	}
	cats := charClasses(s)
	class := "string, " + size
	if len(cats) > 0 {
		class += ", " + strings.Join(cats, ", ")
	}
	return class, len(cats) > 0 || len(s) >= notableLength
}

// charClasses lists the unusual kinds of character in s, sorted. The kinds that name one character's
// trouble (controls, format characters such as U+202E, private use, noncharacters, U+FFFD, combining
// marks) list their code points, up to four; the broad ones (non-BMP, other non-ASCII) do not, so that
// a receiver choking on any emoji has one class.
func charClasses(s string) []string {
	points := map[string][]rune{}
	broad := map[string]bool{}
	for _, r := range s {
		switch {
		case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0:
			points["control"] = append(points["control"], r)
		case r == utf8.RuneError:
			points["replacement"] = append(points["replacement"], r)
		case r >= 0xfdd0 && r <= 0xfdef || r&0xfffe == 0xfffe:
			points["noncharacter"] = append(points["noncharacter"], r)
		case unicode.Is(unicode.Cf, r):
			points["format"] = append(points["format"], r)
		case unicode.Is(unicode.Co, r):
			points["private-use"] = append(points["private-use"], r)
		case unicode.In(r, unicode.Mn, unicode.Me):
			points["combining"] = append(points["combining"], r)
		case r > 0xffff:
			broad["non-BMP"] = true
		case r >= 0x80:
			broad["non-ASCII"] = true
		}
	}
	var out []string
	for kind, rs := range points {
		slices.Sort(rs)
		rs = slices.Compact(rs)
		names := make([]string, 0, min(len(rs), 4))
		for _, r := range rs[:min(len(rs), 4)] {
			names = append(names, fmt.Sprintf("U+%04X", r))
		}
		if len(rs) > 4 {
			names = append(names, "...")
		}
		out = append(out, kind+" "+strings.Join(names, " "))
	}
	for kind := range broad {
		out = append(out, kind)
	}
	sort.Strings(out)
	return out
}

// numberClass classes a JSON number literal. A number is notable when it is negative, not an
// integer, or beyond 2^31: the minimiser makes numbers 0, 1 or a few digits unless the defect needs
// them, and a small positive integer left is most likely one the schema requires (a timestamp).
func numberClass(lit string) (string, bool) {
	f, _ := strconv.ParseFloat(lit, 64) // out of range: ±Inf or 0, which the cases below class
	neg := strings.HasPrefix(lit, "-")
	sign := ""
	if neg {
		sign = "negative "
	}
	integer := !strings.ContainsAny(lit, ".eE")
	var mag string
	mantissa := lit
	if i := strings.IndexAny(lit, "eE"); i >= 0 {
		mantissa = lit[:i]
	}
	switch {
	case !strings.ContainsAny(mantissa, "123456789"):
		if neg {
			return "number, negative zero", true
		}
		return "number, 0", false
	case math.IsInf(f, 0) || math.Abs(f) >= 1e300:
		mag = "beyond float64"
	case f == 0 || math.Abs(f) < 1e-300:
		mag = "below float64's precision"
	case integer && math.Abs(f) < 1<<31:
		mag = "integer below 2^31"
		if !neg {
			return "number, " + mag, false
		}
	case integer && math.Abs(f) <= 1<<53:
		mag = "integer below 2^53"
	case integer:
		mag = "integer beyond 2^53"
	default:
		mag = "fraction"
	}
	return "number, " + sign + mag, true
}

// leaf is one value of a document that holds no other: a scalar, or an empty object or array.
type leaf struct {
	pointer string
	depth   int
	value   any
	class   string
	notable bool
	chars   bool // the class names unusual characters
	size    int  // the value's length in bytes as JSON
}

// leavesOf lists doc's leaves in pointer order, with array indices and fuzz-added keys folded.
func leavesOf(doc any) []leaf {
	var out []leaf
	var walk func(v any, path []string)
	walk = func(v any, path []string) {
		switch d := v.(type) {
		case map[string]any:
			if len(d) > 0 {
				for k, child := range d {
					walk(child, append(path, foldKey(k)))
				}
				return
			}
		case []any:
			if len(d) > 0 {
				for _, child := range d {
					walk(child, append(path, "0"))
				}
				return
			}
		}
		class, notable := leafClass(v)
		b, _ := json.Marshal(v)
		_, isString := v.(string)
		out = append(out, leaf{
			pointer: pointerOf(path), depth: len(path), value: v, class: class, notable: notable,
			chars: isString && len(charClasses(v.(string))) > 0, size: len(b),
		})
	}
	walk(doc, nil)
	sort.Slice(out, func(i, j int) bool {
		if out[i].pointer != out[j].pointer {
			return out[i].pointer < out[j].pointer
		}
		return out[i].class < out[j].class
	})
	return out
}

// parsed is a payload decoded once, with its leaves listed once, for the functions that name and
// compare findings: each would otherwise decode it again and marshal every leaf again.
type parsed struct {
	doc    any
	err    error // why the payload does not decode; doc and leaves are nil then
	leaves []leaf
}

func parse(body []byte) parsed {
	doc, err := jsoninput.Decode(body)
	if err != nil {
		return parsed{err: err}
	}
	return parsed{doc: doc, leaves: leavesOf(doc)}
}

// bestLeaf picks, of the leaves keep accepts, the one that best names what a minimised payload is
// about: one with unusual characters, else a notable one (the longest by length class), else the
// deepest; ties go to the first pointer. It reports false when keep accepts none.
func bestLeaf(leaves []leaf, keep func(leaf) bool) (leaf, bool) {
	var best leaf
	found := false
	for _, l := range leaves {
		if keep(l) && (!found || tells(l, best)) {
			best, found = l, true
		}
	}
	return best, found
}

// belowRoot accepts the leaves that are not the whole document.
func belowRoot(l leaf) bool { return l.depth > 0 }

// tells reports whether a says more than b.
func tells(a, b leaf) bool {
	if a.chars != b.chars {
		return a.chars
	}
	if a.notable != b.notable {
		return a.notable
	}
	if ca, cb := sizeClass(a.size), sizeClass(b.size); a.notable && ca != cb {
		return ca > cb
	}
	return a.depth > b.depth
}

func sizeClass(n int) int { return sort.SearchInts(lengthClasses, n+1) }

// hasPath reports whether doc has a value at the normalised pointer ptr: an index token "0" matches any
// element of an array, and fuzzKeyToken any field the fuzzer added.
func hasPath(doc any, ptr string) bool { return valueAt(doc, ptr, func(any) bool { return true }) }

// valueAt reports whether doc has, at the normalised pointer ptr (as hasPath matches it), a value
// is accepts.
func valueAt(doc any, ptr string, is func(any) bool) bool {
	tokens, err := jsonpointer.Split(ptr)
	if err != nil {
		return false
	}
	var match func(v any, tokens []string) bool
	match = func(v any, tokens []string) bool {
		if len(tokens) == 0 {
			return is(v)
		}
		switch d := v.(type) {
		case map[string]any:
			if tokens[0] == fuzzKeyToken {
				for k, child := range d {
					if strings.HasPrefix(k, fuzzKeyPrefix) && match(child, tokens[1:]) {
						return true
					}
				}
				return false
			}
			child, ok := d[tokens[0]]
			return ok && match(child, tokens[1:])
		case []any:
			if tokens[0] != "0" {
				return false
			}
			for _, child := range d {
				if match(child, tokens[1:]) {
					return true
				}
			}
		}
		return false
	}
	return match(doc, tokens)
}

// notableClassAt returns the class of the most telling leaf at the normalised pointer ptr when that
// class is notable, else "".
func notableClassAt(leaves []leaf, ptr string) string {
	l, _ := bestLeaf(leaves, func(l leaf) bool { return l.pointer == ptr && l.notable })
	return l.class
}
