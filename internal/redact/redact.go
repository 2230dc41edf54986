// Package redact replaces the personal data in webhook bodies with generated values of the same
// shape and script, for recordings that can be shared: a phone number stays a string of as many
// digits, a Cyrillic name a Cyrillic word of as many letters, an email keeps its '@' and dots.
//
// The fakes are deterministic per original value within one Redactor, so that the same phone number
// becomes the same fake everywhere in a recording and its conversations stay linked. They are keyed
// with a secret, so that a fake cannot be reversed by running every phone number through the same
// function.
package redact

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wahook/wahook/internal/jsonpointer"
)

// Redactor makes the fakes of one recording. It is safe for concurrent use.
type Redactor struct {
	key []byte
}

// New returns a Redactor keyed with key (any length; callers pass 32 random bytes per recording).
func New(key []byte) *Redactor {
	return &Redactor{key: bytes.Clone(key)}
}

// rng returns the random stream of the fake of s.
func (r *Redactor) rng(s string) *rand.Rand {
	mac := hmac.New(sha256.New, r.key)
	mac.Write([]byte(s))
	var seed [32]byte
	mac.Sum(seed[:0])
	return rand.New(rand.NewChaCha8(seed))
}

// Value returns the fake for s: every ASCII digit, lower-case and upper-case letter replaced by a
// random one of its kind, every other letter and decimal digit by one of its script and case, and
// everything else (spaces, punctuation, marks, emoji, joiners) kept, so the fake has as many runes
// of the same kinds in the same places. Should that leave s unchanged, as it does a value with no
// letter or digit, its first rune that is not a space, format character or mark becomes another of
// its general category, so that no non-empty original survives. Bytes that are not UTF-8 are kept.
func (r *Redactor) Value(s string) string {
	rng := r.rng(s)
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c, n := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && n == 1 {
			b.WriteByte(s[i])
		} else {
			b.WriteRune(fake(rng, c))
		}
		i += n
	}
	if out := b.String(); out != s {
		return out
	}
	// Not a joiner or a variation selector, which would change nothing to see.
	at := strings.IndexFunc(s, func(c rune) bool {
		return c != utf8.RuneError && !unicode.IsSpace(c) && !unicode.Is(unicode.Cf, c) && !unicode.IsMark(c)
	})
	if at < 0 {
		at = 0
	}
	c, n := utf8.DecodeRuneInString(s[at:])
	if c == utf8.RuneError {
		return s // bytes that are not UTF-8, and nothing else to change
	}
	return s[:at] + string(another(c)) + s[at+n:]
}

// Bytes is for a body that is not JSON: every letter and digit is replaced, as Value would, and
// everything else kept. The whole body is one value, seeded as a whole.
func (r *Redactor) Bytes(body []byte) []byte {
	return []byte(r.Value(string(body)))
}

// number returns the fake of the JSON number literal lit: each digit of its mantissa drawn afresh,
// sign, point, exponent and length kept, and a leading digit kept non-zero, or zero, as it was, so
// that the literal stays a JSON number of the same magnitude. As Value does, it draws again while
// the fake is the original, unless there is no digit to draw ("0").
func (r *Redactor) number(lit []byte) []byte {
	rng := r.rng(string(lit))
	end := bytes.IndexAny(lit, "eE")
	if end < 0 {
		end = len(lit)
	}
	lead := bytes.IndexAny(lit, "0123456789")
	free := lit[lead] != '0' || bytes.ContainsAny(lit[lead+1:end], "0123456789")
	out := bytes.Clone(lit)
	for first := true; first || free && bytes.Equal(out, lit); first = false {
		for i := lead; i < end; i++ {
			switch {
			case !isDigit(lit[i]) || i == lead && lit[i] == '0':
			case i == lead:
				out[i] = '1' + byte(rng.IntN(9))
			default:
				out[i] = '0' + byte(rng.IntN(10))
			}
		}
	}
	return out
}

// maxDepth bounds nesting, so that a hostile body cannot exhaust the stack; it is above what
// encoding/json accepts.
const maxDepth = 1 << 14

// JSON returns body with the string (and number) value at every pointer matching one of patterns
// replaced by its Value (a number by digits drawn the same way, keeping its sign, point, exponent and
// length). A pattern is a JSON pointer whose "*" segment matches any one key or array index; nil
// patterns means every string value in the document, an empty list none. Booleans, nulls, and the
// objects and arrays at a matching pointer are left alone (their own values are matched as usual).
// The bytes outside the replaced values are kept exactly: key order, whitespace, number formats,
// every other value. It returns an error when body is not JSON or a pattern not a pointer.
func (r *Redactor) JSON(body []byte, patterns []string) ([]byte, error) {
	w := &walker{r: r, in: body, all: patterns == nil}
	for _, p := range patterns {
		segs, err := jsonpointer.Split(p)
		if err != nil {
			return nil, fmt.Errorf("redact: %w", err)
		}
		w.patterns = append(w.patterns, segs)
	}
	if err := w.value(0); err != nil {
		return nil, err
	}
	w.space()
	if w.pos < len(w.in) {
		return nil, w.errorf(w.pos, "data after the document")
	}
	return append(w.out, w.in[w.copied:]...), nil
}

// walker reads a JSON document once, from start to end, and copies it to out with the matched
// values replaced.
type walker struct {
	r        *Redactor
	in, out  []byte
	pos      int // the next byte to read
	copied   int // in[:copied] is in out, with its replacements
	path     []string
	patterns [][]string
	all      bool
}

func (w *walker) errorf(at int, format string, args ...any) error {
	return fmt.Errorf("redact: invalid JSON at byte %d: %s", at, fmt.Sprintf(format, args...))
}

func (w *walker) space() {
	for w.pos < len(w.in) && strings.IndexByte(" \t\r\n", w.in[w.pos]) >= 0 {
		w.pos++
	}
}

func (w *walker) peek(c byte) bool { return w.pos < len(w.in) && w.in[w.pos] == c }

// matches reports whether the value at the current path is to be replaced; only strings are when
// no patterns were given.
func (w *walker) matches(isString bool) bool {
	if w.all {
		return isString
	}
	return slices.ContainsFunc(w.patterns, func(p []string) bool {
		return slices.EqualFunc(p, w.path, func(seg, key string) bool { return seg == "*" || seg == key })
	})
}

// replace puts with in place of in[start:pos].
func (w *walker) replace(start int, with []byte) {
	w.out = append(w.out, w.in[w.copied:start]...)
	w.out = append(w.out, with...)
	w.copied = w.pos
}

func (w *walker) value(depth int) error {
	if depth > maxDepth {
		return w.errorf(w.pos, "nested deeper than %d", maxDepth)
	}
	w.space()
	if w.pos >= len(w.in) {
		return w.errorf(w.pos, "unexpected end")
	}
	start := w.pos
	switch c := w.in[w.pos]; {
	case c == '{' || c == '[':
		return w.container(depth, c+2) // '}' and ']' follow their openers by two
	case c == '"':
		raw, err := w.str()
		if err != nil {
			return err
		}
		if w.matches(true) {
			w.replace(start, quote(w.r.Value(unescape(raw))))
		}
	case c == '-' || isDigit(c):
		if err := w.number(); err != nil {
			return err
		}
		if w.matches(false) {
			w.replace(start, w.r.number(w.in[start:w.pos]))
		}
	default:
		for _, lit := range []string{"true", "false", "null"} {
			if bytes.HasPrefix(w.in[w.pos:], []byte(lit)) {
				w.pos += len(lit)
				return nil
			}
		}
		return w.errorf(w.pos, "unexpected %q", c)
	}
	return nil
}

// container reads the object or array at pos, which ends at end.
func (w *walker) container(depth int, end byte) error {
	w.pos++
	w.space()
	if w.peek(end) {
		w.pos++
		return nil
	}
	for i := 0; ; i++ {
		var seg string
		if end == '}' {
			w.space()
			if !w.peek('"') {
				return w.errorf(w.pos, "expected a key")
			}
			raw, err := w.str()
			if err != nil {
				return err
			}
			w.space()
			if !w.peek(':') {
				return w.errorf(w.pos, "expected ':'")
			}
			w.pos++
			seg = unescape(raw)
		} else if !w.all {
			seg = strconv.Itoa(i)
		}
		w.path = append(w.path, seg)
		if err := w.value(depth + 1); err != nil {
			return err
		}
		w.path = w.path[:len(w.path)-1]
		w.space()
		switch {
		case w.peek(','):
			w.pos++
		case w.peek(end):
			w.pos++
			return nil
		default:
			return w.errorf(w.pos, "expected ',' or %q", end)
		}
	}
}

// str reads the string literal at pos and returns what is between its quotes, still escaped.
func (w *walker) str() ([]byte, error) {
	start := w.pos
	for i := start + 1; i < len(w.in); i++ {
		switch c := w.in[i]; {
		case c == '"':
			w.pos = i + 1
			return w.in[start+1 : i], nil
		case c < 0x20:
			return nil, w.errorf(i, "control character in a string")
		case c == '\\':
			i++
			switch {
			case i < len(w.in) && strings.IndexByte(`"\/bfnrt`, w.in[i]) >= 0:
			case i+4 < len(w.in) && w.in[i] == 'u' && isHex4(w.in[i+1:i+5]):
				i += 4
			default:
				return nil, w.errorf(i-1, "invalid escape")
			}
		}
	}
	return nil, w.errorf(start, "unterminated string")
}

// number reads the number literal at pos. A JSON number is never followed by one of the bytes it is
// made of, so the longest run of them is the literal, and encoding/json judges its grammar.
func (w *walker) number() error {
	start := w.pos
	for w.pos < len(w.in) && strings.IndexByte("+-.0123456789eE", w.in[w.pos]) >= 0 {
		w.pos++
	}
	if !json.Valid(w.in[start:w.pos]) {
		return w.errorf(start, "invalid number %q", w.in[start:w.pos])
	}
	return nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHex4(b []byte) bool {
	_, err := strconv.ParseUint(string(b), 16, 16)
	return err == nil
}

// unescape decodes the contents of a string literal that str has checked, as encoding/json does (a
// lone surrogate becomes U+FFFD). Contents without an escape are taken as they are, bytes that are
// not UTF-8 included, for Value to keep.
func unescape(raw []byte) string {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw)
	}
	var s string
	_ = json.Unmarshal(slices.Concat([]byte{'"'}, raw, []byte{'"'}), &s)
	return s
}

// quote writes s as a JSON string, escaping only what JSON requires.
func quote(s string) []byte {
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if j := strings.IndexByte("\"\\\n\r\t", s[i]); j >= 0 {
			b = append(b, '\\', "\"\\nrt"[j])
		} else if s[i] < 0x20 {
			b = fmt.Appendf(b, `\u%04x`, s[i])
		} else {
			b = append(b, s[i])
		}
	}
	return append(b, '"')
}
