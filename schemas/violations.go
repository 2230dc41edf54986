package schemas

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/wahook/wahook/internal/jsonpointer"
)

// maxEcho is how much of a payload's own value a message repeats: enough to recognise it, never a
// megabyte line.
const maxEcho = 64

const notDocumented = "property is not documented (strict mode)"

// converter turns the library's error trees into Violations for one provider's schema source.
type converter struct {
	url string         // the schema's $id: the library's absolute keyword locations start with it
	src map[string]any // the source compiled, to read a failed keyword's neighbours (bounds, titles)
}

// leaves collects the failures that caused ve, skipping the allOf/$ref/then wrappers around them. doc is
// the value ve's instance locations point into.
func (c *converter) leaves(ve *jsonschema.ValidationError, doc any, out []Violation) []Violation {
	if len(ve.Causes) > 0 {
		if v, ok := c.oneOfMissing(ve); ok {
			return append(out, v)
		}
		for _, cause := range ve.Causes {
			out = c.leaves(cause, doc, out)
		}
		return out
	}
	instance, keyword := rfc6901(ve.InstanceLocation), rfc6901(ve.KeywordLocation)
	if names, ok := missingProperties(ve.Message); ok {
		// One violation per property, pointing where it should be, so that each can be found by pointer.
		for _, name := range names {
			out = append(out, Violation{Instance: instance + "/" + jsonpointer.Escape(name), Keyword: keyword, Message: "required property is missing"})
		}
		return out
	}
	if strings.HasSuffix(keyword, "/unevaluatedProperties") && strings.Count(instance, "/") == instanceDepth(keyword) {
		// The library joins an empty key without its slash, naming the object instead of its "" property.
		instance += "/"
	}
	return append(out, Violation{Instance: instance, Keyword: keyword, Message: c.message(ve, instance, keyword, doc)})
}

// instanceDepth counts the steps into the payload a keyword path takes: one for each property and
// each array item the schemas descend into; $ref, allOf, then and the like stay on the same value.
func instanceDepth(keyword string) int {
	tokens := strings.Split(keyword, "/")
	depth := 0
	for i := 1; i < len(tokens); i++ {
		switch tokens[i] {
		case "properties":
			depth++
			i++ // the property's name, whatever it is
		case "items":
			depth++
		}
	}
	return depth
}

// oneOfMissing recognises an anyOf/oneOf whose every branch only asks for a property that is missing,
// such as InnoPaaS's contacts-or-contact: one violation says so, where a list of "missing" for each
// alternative would suggest that all of them are needed.
func (c *converter) oneOfMissing(ve *jsonschema.ValidationError) (Violation, bool) {
	if !strings.HasSuffix(ve.KeywordLocation, "/anyOf") && !strings.HasSuffix(ve.KeywordLocation, "/oneOf") {
		return Violation{}, false
	}
	var names []string
	for _, cause := range ve.Causes {
		n, ok := missingProperties(cause.Message)
		if !ok || len(cause.Causes) > 0 || cause.InstanceLocation != ve.InstanceLocation {
			return Violation{}, false
		}
		names = append(names, n...)
	}
	if len(names) < 2 {
		return Violation{}, false
	}
	return Violation{
		Instance: rfc6901(ve.InstanceLocation),
		Keyword:  rfc6901(ve.KeywordLocation),
		Message:  "one of " + strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1] + " is required",
	}, true
}

// message rewrites the library's message for the failed keyword in plain words: numbers as written, not
// in float notation, and the payload's own values echoed short.
func (c *converter) message(ve *jsonschema.ValidationError, instance, keyword string, doc any) string {
	value, _ := jsonpointer.Get(doc, instance)
	node := c.node(ve.AbsoluteKeywordLocation)
	switch keyword[strings.LastIndexByte(keyword, '/')+1:] {
	case "unevaluatedProperties":
		if ve.Message == "not allowed" {
			return notDocumented
		}
	case "format":
		if format, ok := node["format"].(string); ok {
			return fmt.Sprintf("%s is not a valid %s", echo(value), format)
		}
	case "pattern":
		if pattern, ok := node["pattern"].(string); ok {
			return fmt.Sprintf("%s does not match the pattern %s", echo(value), pattern)
		}
	case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum":
		return rangeMessage(node, value)
	case "minLength":
		if n, ok := node["minLength"].(float64); ok {
			if n == 1 {
				return "must not be empty"
			}
			return fmt.Sprintf("expected at least %s characters, got %d", plainNumber(n), runeCount(value))
		}
	case "maxLength":
		if n, ok := node["maxLength"].(float64); ok {
			return fmt.Sprintf("expected at most %s characters, got %d", plainNumber(n), runeCount(value))
		}
	case "minItems":
		if n, ok := node["minItems"].(float64); ok {
			items, _ := value.([]any)
			return fmt.Sprintf("expected at least %s %s, got %d", plainNumber(n), plural(n, "item"), len(items))
		}
	}
	return strings.Replace(ve.Message, ", but got ", ", got ", 1)
}

// node returns the schema object holding the keyword at an absolute keyword location of c's schema.
func (c *converter) node(absolute string) map[string]any {
	base, fragment, ok := strings.Cut(absolute, "#")
	if !ok || base != c.url {
		return nil
	}
	ptr := rfc6901(fragment)
	ptr = ptr[:max(strings.LastIndexByte(ptr, '/'), 0)]
	n, err := jsonpointer.Get(c.src, ptr)
	if err != nil {
		return nil
	}
	m, _ := n.(map[string]any)
	return m
}

// rangeMessage says which numbers a minimum/maximum allows and which it got. A schema title names the
// unit; for a value in seconds that is a thousand times too large, the likely mistake is named too.
func rangeMessage(node map[string]any, value any) string {
	lo, hasLo := node["minimum"].(float64)
	hi, hasHi := node["maximum"].(float64)
	var want string
	switch {
	case hasLo && hasHi:
		want = plainNumber(lo) + " to " + plainNumber(hi)
	case hasLo:
		want = "at least " + plainNumber(lo)
	case hasHi:
		want = "at most " + plainNumber(hi)
	default:
		return "out of range: " + echo(value)
	}
	title, _ := node["title"].(string)
	msg := "expected " + want
	if title != "" {
		msg = fmt.Sprintf("expected %s (%s)", title, want)
	}
	msg += ", got " + echo(value)
	if f, ok := asFloat(value); ok && hasLo && hasHi && strings.HasSuffix(title, "in seconds") && f/1000 >= lo && f/1000 <= hi {
		msg += " (milliseconds?)"
	}
	return msg
}

func asFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	}
	return 0, false
}

// echo renders a payload value for a message: numbers as written, strings quoted, anything long cut to
// maxEcho characters.
func echo(v any) string {
	var s string
	switch v := v.(type) {
	case float64:
		s = plainNumber(v)
	case json.Number:
		s = v.String()
	case string:
		return strconv.Quote(truncate(v, maxEcho))
	case nil:
		s = "null"
	default:
		b, err := json.Marshal(v)
		if err != nil {
			s = fmt.Sprint(v)
		} else {
			s = string(b)
		}
	}
	return truncate(s, maxEcho)
}

// plainNumber writes a float64 the way JSON would carry it, without an exponent: 1693396796000, not
// 1.693396796e+12.
func plainNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut := 0
	for i := range s {
		if n == 0 {
			cut = i
			break
		}
		n--
	}
	return s[:cut] + "…"
}

func runeCount(v any) int {
	s, _ := v.(string)
	return utf8.RuneCountInString(s)
}

func plural(n float64, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// rfc6901 turns the library's locations into RFC 6901 JSON pointers: the library escapes each token
// as RFC 6901 does (~0, ~1) and then URL-escapes it (so "a b" comes out as a%20b).
func rfc6901(location string) string {
	if !strings.Contains(location, "%") {
		return location
	}
	tokens := strings.Split(location, "/")
	for i, t := range tokens {
		if u, err := url.PathUnescape(t); err == nil {
			tokens[i] = u
		}
	}
	return strings.Join(tokens, "/")
}

var quotedName = regexp.MustCompile(`'(?:[^'\\]|\\.)*'`)

// missingProperties parses the library's `missing properties: 'a', 'b'` message, whose names are
// Go-quoted with single quotes.
func missingProperties(msg string) ([]string, bool) {
	rest, ok := strings.CutPrefix(msg, "missing properties: ")
	if !ok {
		return nil, false
	}
	var names []string
	for _, q := range quotedName.FindAllString(rest, -1) {
		inner := strings.ReplaceAll(q[1:len(q)-1], `\'`, `'`)
		name, err := strconv.Unquote(`"` + strings.ReplaceAll(inner, `"`, `\"`) + `"`)
		if err != nil {
			return nil, false
		}
		names = append(names, name)
	}
	return names, len(names) > 0
}

// tidy prepares the violations of one library call for the report: identical ones (the same instance
// and message, reached through two schemas) once, and no strict-mode complaint about a property that
// documented says an applicable schema names: when the branch validating a property fails, the library
// also calls every property of that branch unevaluated, and the failure itself is reported anyway.
func tidy(vs []Violation, documented func(ptr string) bool) []Violation {
	type key struct{ instance, message string }
	first := make(map[key]int, len(vs))
	out := vs[:0]
	for _, v := range vs {
		if v.Message == notDocumented && documented(v.Instance) {
			continue
		}
		k := key{v.Instance, v.Message}
		if i, seen := first[k]; seen {
			if v.Keyword < out[i].Keyword {
				out[i].Keyword = v.Keyword // the same choice whatever order the library found them in
			}
			continue
		}
		first[k] = len(out)
		out = append(out, v)
	}
	return out
}

// sink is where validation puts the violations it finds: a *collector, or in a test one that wraps
// it to watch what arrives.
type sink interface {
	// add takes the violations one library call found.
	add(vs ...Violation)
	// overflowing reports whether more violations were found than the report lists.
	overflowing() bool
	// result returns the violations the report lists, in document order, and how many more there were.
	result() (list []Violation, omitted int)
}

// collector keeps the first max violations in document order and counts the rest.
type collector struct {
	max     int
	list    []Violation
	omitted int
}

func (c *collector) add(vs ...Violation) {
	c.list = append(c.list, vs...)
	if len(c.list) > 2*c.max {
		c.cut()
	}
}

func (c *collector) cut() {
	slices.SortFunc(c.list, compareViolations)
	if len(c.list) > c.max {
		c.omitted += len(c.list) - c.max
		clear(c.list[c.max:])
		c.list = c.list[:c.max]
	}
}

func (c *collector) overflowing() bool { return len(c.list)+c.omitted > c.max }

func (c *collector) result() ([]Violation, int) {
	c.cut()
	return c.list, c.omitted
}

// compareViolations orders violations as their values appear in the payload: pointers token by token,
// array indexes as numbers, so that /a/2 comes before /a/10.
func compareViolations(a, b Violation) int {
	if n := comparePointers(a.Instance, b.Instance); n != 0 {
		return n
	}
	if n := strings.Compare(a.Keyword, b.Keyword); n != 0 {
		return n
	}
	return strings.Compare(a.Message, b.Message)
}

func comparePointers(a, b string) int {
	for a != "" && b != "" {
		var ta, tb string
		ta, a = nextToken(a)
		tb, b = nextToken(b)
		if ta == tb {
			continue
		}
		na, errA := strconv.ParseUint(ta, 10, 64)
		nb, errB := strconv.ParseUint(tb, 10, 64)
		if errA == nil && errB == nil {
			if na < nb {
				return -1
			}
			return 1
		}
		return strings.Compare(ta, tb)
	}
	return strings.Compare(a, b) // the shorter (an ancestor) first
}

// nextToken splits "/a/b" into "a" and "/b".
func nextToken(p string) (token, rest string) {
	p = p[1:]
	if i := strings.IndexByte(p, '/'); i >= 0 {
		return p[:i], p[i:]
	}
	return p, ""
}

// displayPointer writes a pointer for a one-line message: control characters escaped, so that a key
// such as "x\ny" cannot break the line, and very long tokens shortened.
func displayPointer(p string) string {
	clean := true
	for _, r := range p {
		if !unicode.IsPrint(r) && r != ' ' {
			clean = false
			break
		}
	}
	if clean && len(p) <= 4*maxEcho {
		return p
	}
	tokens := strings.Split(p, "/")
	for i, t := range tokens {
		t = truncate(t, maxEcho)
		var b strings.Builder
		for _, r := range t {
			if unicode.IsPrint(r) || r == ' ' {
				b.WriteRune(r)
			} else {
				q := strconv.QuoteRune(r)
				b.WriteString(q[1 : len(q)-1])
			}
		}
		tokens[i] = b.String()
	}
	return strings.Join(tokens, "/")
}
