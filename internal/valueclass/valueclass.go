// Package valueclass names the kinds of values that expose receivers' misreadings: a caption with a
// character above U+FFFF, a latitude with more decimals than a float32 keeps, a flag sent as "false",
// an id longer than a database column. Each Class says which misreading it exposes, makes a value of
// itself from a field's generated one (Apply), and recognises itself in any value (Of), so that the
// conformance suite can carry every class the schema allows in every field, and say which case
// carries which (wahook conform --coverage).
package valueclass

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Family is the kind of field a class applies to.
type Family string

// The families. A field is an instant or an id by what it holds and where; otherwise it is of its
// JSON type's family, a string holding a decimal number being a number.
const (
	String  Family = "string"
	Number  Family = "number"
	Boolean Family = "boolean"
	Instant Family = "instant"
	ID      Family = "id"
)

// Class is one kind of value.
type Class struct {
	Name    string `json:"name"`
	Family  Family `json:"family"`
	Example string `json:"example"`
	// Exposes is the misreading a receiver shows by getting a value of the class wrong.
	Exposes string `json:"exposes"`
	make    func(v any) (any, bool)
	is      func(v any) bool
}

// Apply returns the value of c made from v, a field's decoded value (numbers as json.Number), and
// false when c does not apply to it.
func (c Class) Apply(v any) (any, bool) {
	out, ok := c.make(v)
	if !ok || same(out, v) {
		return nil, false
	}
	return out, true
}

// same reports whether two scalars are the same JSON value, written alike: "1" and 1 are not.
func same(a, b any) bool { return a == b }

// longRunes is the length of the long class: WhatsApp's limit on a text message's body.
const longRunes = 4096

// longID is the length of the longest-id class: longer than the 32 to 64 characters receivers size
// their id columns by.
const longID = 96

// All returns every class, in families and then in the order a reader would check them.
func All() []Class { return classes }

var classes = []Class{
	{Name: "empty", Family: String, Example: `""`, Exposes: "an empty value read as missing, or refused",
		make: str(func(s string) string { return "" }), is: isStr(func(s string) bool { return s == "" })},
	{Name: "surrounding-whitespace", Family: String, Example: `"  hi "`, Exposes: "whitespace trimmed from what the customer wrote",
		make: str(func(s string) string { return "  " + s + " " }), is: isStr(func(s string) bool { return s != "" && strings.TrimSpace(s) != s })},
	{Name: "inner-newline-tab", Family: String, Example: `"a\n\tb"`, Exposes: "lines joined, or the value cut at the first newline",
		make: str(func(s string) string { return insert(s, "\n\t") }), is: isStr(func(s string) bool { return strings.ContainsAny(strings.TrimSpace(s), "\n\t") })},
	{Name: "above-bmp", Family: String, Example: `"𝄞 😀"`, Exposes: "UTF-16 or 3-byte UTF-8 storage (utf8 in MySQL) mangling or refusing the value",
		make: str(func(s string) string { return s + " 𝄞😀" }), is: isStr(func(s string) bool { return strings.ContainsFunc(s, func(r rune) bool { return r > 0xFFFF }) })},
	{Name: "emoji-sequence", Family: String, Example: `"👩‍💻👍🏽🇧🇷"`, Exposes: "a ZWJ, skin-tone or flag sequence split into its code points, or cut in the middle",
		make: str(func(s string) string { return s + " 👩‍💻👍🏽🇧🇷" }), is: isStr(func(s string) bool {
			return strings.ContainsFunc(s, func(r rune) bool { return r == 0x200D || r >= 0x1F3FB && r <= 0x1F3FF || r >= 0x1F1E6 && r <= 0x1F1FF })
		})},
	{Name: "combining-marks", Family: String, Example: `"e\u0301"`, Exposes: "normalisation (NFC) changing the bytes, or marks dropped",
		make: str(func(s string) string { return "e\u0301 " + s }), is: isStr(func(s string) bool {
			return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Mn, r) })
		})},
	{Name: "bidi", Family: String, Example: `"مرحبا \u202eabc\u202c"`, Exposes: "right-to-left text or bidi controls stripped or reordered",
		make: str(func(s string) string { return "مرحبا \u202Eabc\u202C " + s }), is: isStr(func(s string) bool {
			return strings.ContainsFunc(s, func(r rune) bool {
				return unicode.In(r, unicode.Arabic, unicode.Hebrew) || r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069 || r == 0x200F
			})
		})},
	{Name: "json-escapes", Family: String, Example: `"a\u2028 \"q\" \\"`, Exposes: `an escape decoded twice or not at all: \u2028 breaking JavaScript, a quote or backslash lost`,
		make: str(func(s string) string { return s + "\u2028 \"q\" \\" }), is: isStr(func(s string) bool { return strings.ContainsAny(s, "\u2028\u2029\"\\") })},
	{Name: "long", Family: String, Example: "4096 characters", Exposes: "a column or buffer shorter than WhatsApp's 4096-character limit truncating the value",
		make: str(func(s string) string {
			if s == "" {
				s = "x"
			}
			return repeatTo(s+" ", longRunes)
		}), is: isStr(func(s string) bool { return utf8.RuneCountInString(s) >= longRunes })},

	{Name: "integer-valued", Family: Number, Example: "22", Exposes: "a coordinate with no decimal point read as an integer type, or refused",
		make: num(func(n string) string {
			if i := strings.IndexAny(n, ".eE"); i > 0 {
				return n[:i]
			}
			return ""
		}), is: isNum(func(n string) bool { return !strings.ContainsAny(n, ".eE") })},
	{Name: "negative", Family: Number, Example: "-33.8688", Exposes: "the sign lost: the southern or western hemisphere read as the other",
		make: num(func(n string) string { return "-" + strings.TrimPrefix(n, "-") }), is: isNum(func(n string) bool { return strings.HasPrefix(n, "-") })},
	{Name: "many-decimals", Family: Number, Example: "22.636734008789123", Exposes: "a float32 (or a fixed 6-decimal column) rounding the value",
		make: num(func(n string) string {
			f, err := strconv.ParseFloat(n, 64)
			if err != nil {
				return ""
			}
			return strconv.FormatFloat(float64(int64(f))+0.636734008789123*sign(f), 'f', 15, 64)
		}), is: isNum(func(n string) bool { return significant(n) > 9 })},
	{Name: "exponent-form", Family: Number, Example: "2.2636734e1", Exposes: "a hand-written number parser that knows no exponent",
		make: num(func(n string) string {
			f, err := strconv.ParseFloat(n, 64)
			if err != nil {
				return ""
			}
			return strconv.FormatFloat(f, 'e', -1, 64)
		}), is: isNum(func(n string) bool { return strings.ContainsAny(n, "eE") })},
	{Name: "numeric-string", Family: Number, Example: `"22.6"`, Exposes: "a number expected where the provider sends a string, or the other way round",
		make: func(v any) (any, bool) {
			if n, ok := v.(json.Number); ok {
				return n.String(), true
			}
			return nil, false
		}, is: func(v any) bool { s, ok := v.(string); return ok && numeral.MatchString(s) }},
	{Name: "number-form", Family: Number, Example: "22.6", Exposes: "a string expected where the provider sends a number",
		make: func(v any) (any, bool) {
			if s, ok := v.(string); ok && numeral.MatchString(s) {
				return json.Number(s), true
			}
			return nil, false
		}, is: func(v any) bool { _, ok := v.(json.Number); return ok }},

	{Name: "true", Family: Boolean, Example: "true", Exposes: "the flag ignored",
		make: flag(true), is: func(v any) bool { return v == true }},
	{Name: "false", Family: Boolean, Example: "false", Exposes: "the flag set from the key's presence rather than its value",
		make: flag(false), is: func(v any) bool { return v == false }},
	{Name: "string-true", Family: Boolean, Example: `"true"`, Exposes: "a quoted flag refused or read as false",
		make: flag("true"), is: func(v any) bool { return v == "true" }},
	{Name: "string-false", Family: Boolean, Example: `"false"`, Exposes: `"false" read as true because the string is not empty`,
		make: flag("false"), is: func(v any) bool { return v == "false" }},

	{Name: "whole-seconds", Family: Instant, Example: "2024-03-07T10:46:24Z", Exposes: "a layout that requires fractional seconds",
		make: instant(func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }),
		is:   isInstant(func(s string) bool { return !strings.Contains(s, ".") })},
	{Name: "millis-000", Family: Instant, Example: "2024-03-07T10:46:24.000Z", Exposes: "a .000 fraction read as no fraction, or refused",
		make: instant(func(t time.Time) string { return t.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05.000Z") }),
		is:   isInstant(func(s string) bool { return strings.Contains(s, ".000") })},
	{Name: "millis-999", Family: Instant, Example: "2024-03-07T10:46:24.999Z", Exposes: "milliseconds rounded up into the next second",
		make: instant(func(t time.Time) string {
			return t.UTC().Truncate(time.Second).Add(999 * time.Millisecond).Format("2006-01-02T15:04:05.000Z")
		}),
		is: isInstant(func(s string) bool { return strings.Contains(s, ".999") })},
	{Name: "epoch-2038", Family: Instant, Example: "2147483648 (2038-01-19T03:14:08Z)", Exposes: "a 32-bit time overflowing",
		make: func(v any) (any, bool) {
			switch v := v.(type) {
			case json.Number:
				return json.Number("2147483648"), true
			case string:
				if _, ok := parseInstant(v); ok {
					return "2038-01-19T03:14:08.000Z", true
				}
			}
			return nil, false
		}, is: func(v any) bool {
			t, ok := instantOf(v)
			return ok && t.Unix() >= 1<<31
		}},

	{Name: "longest-id", Family: ID, Example: "96 characters", Exposes: "an id column shorter than the id, truncating it: two messages deduplicated as one",
		make: str(func(s string) string {
			if s == "" {
				return ""
			}
			return repeatTo(s, longID)
		}), is: isStr(func(s string) bool { return utf8.RuneCountInString(s) >= longID })},
	{Name: "unusual-id-characters", Family: ID, Example: `"wamid.HBg=-_+/:"`, Exposes: "an id with characters a URL path, a file name or a key pattern does not take",
		make: str(func(s string) string {
			if s == "" {
				return ""
			}
			return s + "=-_+/:"
		}), is: isStr(func(s string) bool {
			return strings.ContainsFunc(s, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') })
		})},
}

// numeral is a JSON number's text.
var numeral = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)

// idKey tells an id or a phone number by its key, in WhatsApp's own words that every provider
// passes on ("id", "wamid", "wa_id", "from", "to") and the suffixes they build on ("messageId",
// "businessPhone"): no one provider's field list.
var idKey = regexp.MustCompile(`(?i)(^from|^to|wamid|id|phone)$`)

// FamilyOf is the family of the value v at a field whose last key is key.
func FamilyOf(key string, v any) Family {
	switch v := v.(type) {
	case bool:
		return Boolean
	case json.Number:
		if strings.EqualFold(key, "timestamp") {
			return Instant
		}
		return Number
	case string:
		switch {
		case v == "true" || v == "false":
			return Boolean
		case numeral.MatchString(v) && strings.Contains(v, ".") && !idKey.MatchString(key):
			return Number // a decimal in a string, as providers send coordinates; not a zip code
		case idKey.MatchString(key):
			return ID
		}
		if _, ok := parseInstant(v); ok {
			return Instant
		}
		return String
	}
	return ""
}

// Of names the classes of the value v at a field whose last key is key.
func Of(key string, v any) []string {
	fam := FamilyOf(key, v)
	var out []string
	s, isString := v.(string)
	numericString := isString && numeral.MatchString(s) && fam != ID // a phone number is no quantity
	for _, c := range classes {
		// A string that holds a number is a number too, whatever the family its field is read as.
		if (c.Family == fam || numericString && c.Family == Number) && c.is(v) {
			out = append(out, c.Name)
		}
	}
	return out
}

// steps pack each family's classes into as few values as can carry them: the classes of a step go
// into one value together (a string with surrounding whitespace, a newline, combining marks, bidi
// text, characters above U+FFFF, an emoji sequence and JSON escapes all at once), and only classes
// that exclude each other (empty and long; a flag's four forms) need values of their own.
var steps = map[Family][][]string{
	String:  {{"inner-newline-tab", "combining-marks", "bidi", "above-bmp", "emoji-sequence", "json-escapes", "surrounding-whitespace"}, {"empty"}, {"long"}},
	Number:  {{"negative", "many-decimals", "exponent-form"}, {"integer-valued"}, {"numeric-string"}, {"number-form"}},
	Boolean: {{"true"}, {"false"}, {"string-true"}, {"string-false"}},
	Instant: {{"whole-seconds"}, {"millis-000"}, {"millis-999"}, {"epoch-2038"}},
	ID:      {{"longest-id", "unusual-id-characters"}},
}

// Step is classes applied together to one value.
type Step []Class

// Steps returns family f's classes packed into steps, in the order the suite gives them to a field.
func Steps(f Family) []Step {
	var out []Step
	for _, names := range steps[f] {
		var st Step
		for _, n := range names {
			for _, c := range classes {
				if c.Name == n {
					st = append(st, c)
				}
			}
		}
		out = append(out, st)
	}
	return out
}

// Apply makes v into a value of every class of the step that applies to it, in turn, and returns the
// names of those it carries; false when none applies.
func (st Step) Apply(v any) (any, []string, bool) {
	var names []string
	for _, c := range st {
		if out, ok := c.Apply(v); ok {
			v, names = out, append(names, c.Name)
		}
	}
	return v, names, len(names) > 0
}

// Singles splits the step into steps of one class each.
func (st Step) Singles() []Step {
	out := make([]Step, len(st))
	for i, c := range st {
		out[i] = Step{c}
	}
	return out
}

// For returns the classes of family f.
func For(f Family) []Class {
	var out []Class
	for _, c := range classes {
		if c.Family == f {
			out = append(out, c)
		}
	}
	return out
}

func str(f func(string) string) func(any) (any, bool) {
	return func(v any) (any, bool) {
		s, ok := v.(string)
		if !ok {
			return nil, false
		}
		return f(s), true
	}
}

func isStr(f func(string) bool) func(any) bool {
	return func(v any) bool { s, ok := v.(string); return ok && f(s) }
}

// num makes a number class's value in the form v has: a JSON number, or a numeric string.
func num(f func(string) string) func(any) (any, bool) {
	return func(v any) (any, bool) {
		switch v := v.(type) {
		case json.Number:
			if n := f(v.String()); n != "" && numeral.MatchString(n) {
				return json.Number(n), true
			}
		case string:
			if numeral.MatchString(v) {
				if n := f(v); n != "" && numeral.MatchString(n) {
					return n, true
				}
			}
		}
		return nil, false
	}
}

func isNum(f func(string) bool) func(any) bool {
	return func(v any) bool {
		switch v := v.(type) {
		case json.Number:
			return f(v.String())
		case string:
			return numeral.MatchString(v) && f(v)
		}
		return false
	}
}

func flag(to any) func(any) (any, bool) {
	return func(v any) (any, bool) {
		switch v {
		case true, false, "true", "false":
			return to, true
		}
		return nil, false
	}
}

func instant(f func(time.Time) string) func(any) (any, bool) {
	return func(v any) (any, bool) {
		s, ok := v.(string)
		if !ok {
			return nil, false
		}
		t, ok := parseInstant(s)
		if !ok {
			return nil, false
		}
		return f(t), true
	}
}

func isInstant(f func(string) bool) func(any) bool {
	return func(v any) bool {
		s, ok := v.(string)
		if !ok {
			return false
		}
		_, ok = parseInstant(s)
		return ok && f(s)
	}
}

func parseInstant(s string) (time.Time, bool) {
	if len(s) < 20 || s[4] != '-' || s[10] != 'T' {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

func instantOf(v any) (time.Time, bool) {
	switch v := v.(type) {
	case json.Number:
		n, err := v.Int64()
		return time.Unix(n, 0), err == nil
	case string:
		return parseInstant(v)
	}
	return time.Time{}, false
}

// repeatTo repeats s to exactly n runes.
func repeatTo(s string, n int) string {
	r := []rune(strings.Repeat(s, n/utf8.RuneCountInString(s)+1))
	return string(r[:n])
}

// insert puts sep in the middle of s, between two runes.
func insert(s, sep string) string {
	r := []rune(s)
	if len(r) < 2 {
		return s + sep + "x"
	}
	return string(r[:len(r)/2]) + sep + string(r[len(r)/2:])
}

func sign(f float64) float64 {
	if f < 0 {
		return -1
	}
	return 1
}

// significant counts a numeral's significant digits.
func significant(n string) int {
	if i := strings.IndexAny(n, "eE"); i >= 0 {
		n = n[:i]
	}
	n = strings.TrimLeft(strings.ReplaceAll(strings.TrimPrefix(n, "-"), ".", ""), "0")
	return len(n)
}
