package redact_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/internal/redact"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

var (
	key      = bytes.Repeat([]byte{1}, 32)
	otherKey = bytes.Repeat([]byte{2}, 32)
)

// kind names what a fake must keep of rune c: its class for a digit or letter (with the script and
// case of a letter beyond ASCII), its general category for anything else.
func kind(c rune) string {
	switch {
	case '0' <= c && c <= '9':
		return "digit"
	case 'a' <= c && c <= 'z':
		return "lower"
	case 'A' <= c && c <= 'Z':
		return "upper"
	case unicode.IsDigit(c):
		return fmt.Sprintf("digit of %s", scriptOf(c))
	case unicode.IsLetter(c):
		return fmt.Sprintf("letter of %s upper=%v lower=%v", scriptOf(c), unicode.IsUpper(c), unicode.IsLower(c))
	}
	for name, t := range unicode.Categories {
		if len(name) == 2 && unicode.Is(t, c) {
			return name
		}
	}
	return "none"
}

func scriptOf(c rune) string {
	for name, t := range unicode.Scripts {
		if unicode.Is(t, c) {
			return name
		}
	}
	return "none"
}

func isLetterOrDigit(c rune) bool { return unicode.IsLetter(c) || unicode.IsDigit(c) }

// requireShape checks that fake has the runes of orig's kinds in the same places, and, where orig
// has a letter or digit to change, every other rune of it unchanged.
func requireShape(t *testing.T, orig, fake string) {
	t.Helper()
	o, f := []rune(orig), []rune(fake)
	require.Len(t, f, len(o), "rune count of %q -> %q", orig, fake)
	changeable := strings.IndexFunc(orig, isLetterOrDigit) >= 0
	for i := range o {
		assert.Equal(t, kind(o[i]), kind(f[i]), "rune %d of %q -> %q", i, orig, fake)
		if isLetterOrDigit(o[i]) {
			// From the same block, so the fake renders in the same fonts.
			assert.Equal(t, utf8.RuneLen(o[i]), utf8.RuneLen(f[i]), "UTF-8 length of rune %d of %q -> %q", i, orig, fake)
		} else if changeable {
			assert.Equal(t, string(o[i]), string(f[i]), "rune %d of %q -> %q", i, orig, fake)
		}
	}
}

func TestValue(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"one letter", "a"},
		{"one digit", "7"},
		{"emoji", "👍"},
		{"emoji with skin tone", "👋🏾"},
		{"emoji joined", "👩\u200d👩\u200d👧"},
		{"punctuation", "!!"},
		{"spaces", "  "},
		{"phone", "+8613800138000"},
		{"email", "delia@heathcote.com"},
		{"name", "Dulce Cleora Braun"},
		{"Latin beyond ASCII", "Åland café"},
		{"Arabic", "مرحبا"},
		{"Arabic-Indic digits", "٠١٢٣٤٥٦٧٨٩"},
		{"Cyrillic", "Привет"},
		{"Han", "你好"},
		{"Devanagari with marks", "नमस्ते, मेरा ऑर्डर कहाँ है?"},
		{"link", "http://127.0.0.1:8787/media/image-0000000000000003"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := redact.New(key)
			fake := r.Value(tc.in)
			requireShape(t, tc.in, fake)
			assert.NotEqual(t, tc.in, fake)
			assert.Equal(t, fake, r.Value(tc.in), "same Redactor")
			assert.Equal(t, fake, redact.New(key).Value(tc.in), "same key")
			// Too few letters and digits, and another key may draw the same by chance.
			if len(strings.Map(func(c rune) rune {
				if isLetterOrDigit(c) {
					return c
				}
				return -1
			}, tc.in)) >= 6 {
				assert.NotEqual(t, fake, redact.New(otherKey).Value(tc.in), "other key")
			}
		})
	}
	assert.Empty(t, redact.New(key).Value(""))
}

// TestConcurrent has goroutines build the same letter pools at once (scripts no other test uses, so
// the pools are not built yet); run with -race.
func TestConcurrent(t *testing.T) {
	r := redact.New(key)
	in := []string{"Ελλάδα", "საქართველო", "שלום", "สวัสดี", "Բարեւ"}
	got := make([][]string, 8)
	var wg sync.WaitGroup
	for g := range got {
		wg.Go(func() {
			for _, s := range in {
				got[g] = append(got[g], r.Value(s))
			}
		})
	}
	wg.Wait()
	for _, fakes := range got {
		for i, s := range in {
			assert.Equal(t, redact.New(key).Value(s), fakes[i])
			requireShape(t, s, fakes[i])
		}
	}
}

func TestBytes(t *testing.T) {
	body := "from=%2B8613800138000&name=Dulce+Braun&city=Москва"
	r := redact.New(key)
	fake := string(r.Bytes([]byte(body)))
	requireShape(t, body, fake)
	assert.NotEqual(t, body, fake)
	assert.Equal(t, fake, string(r.Bytes([]byte(body))))
}

// TestJSONKeepsBytes checks that JSON changes the matched values and not one byte besides: each
// case is the body cut at the matched values, and the output must be the same cut with other
// values of the same kind in place of those.
func TestJSONKeepsBytes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		patterns []string
		parts    []string // the body's kept bytes, with the matched literals at odd indices
	}{
		{"odd spacing, numbers and escapes", []string{"/name"},
			[]string{"{ \"n\" :1.50 ,\"e\":1e3,\"s\" : \"a\\u0041\\n\",  \"name\" :", `"caf\u00e9 \"x\""`, "\t}\n"}},
		{"wildcard over an array", []string{"/*/p"},
			[]string{`[{"p":`, `"+8613800138000"`, `,"t":"HOME"},{"t":"CELL","p":`, `"4915656918880"`, `}]`}},
		{"numbers", []string{"/a", "/b", "/phone"},
			[]string{`{"a":`, `1.50`, `,"b":`, `-0.25e+10`, `,"phone":`, `14394325132`, `,"c":1.50}`}},
		{"trailing-space key is its own", []string{"/frequently_forwarded "},
			[]string{`{"frequently_forwarded":"kept","frequently_forwarded ":`, `"gone"`, `}`}},
		{"escaped pointer segments", []string{"/a~1b/~0"},
			[]string{`{"a/b":{"~":`, `"value"`, `},"a":{"b":{"~":"other"}}}`}},
		{"escaped key", []string{"/ab"},
			[]string{`{"a\u0062":`, `"value"`, `}`}},
		{"booleans, nulls and containers left alone", []string{"/x/*", "/z"},
			[]string{`{"x":[true,null,`, `"s"`, `,{"y":"kept"}],"z":{"k":false}}`}},
		{"nil patterns: every string, no key", nil,
			[]string{`{"k":`, `"v"`, `,"n":[1,`, `"w"`, `],"t":true}`}},
		{"root", []string{""},
			[]string{" ", `"alone"`, " "}},
		{"scripts and emoji", []string{"/t"},
			[]string{`{"t":`, `"Привет, 你好 👋🏾"`, `}`}},
		{"surrogate pair", []string{"/t"},
			[]string{`{"t":`, `"\ud83d\udc4d ok"`, `}`}},
		{"control characters", []string{"/t"},
			[]string{`{"t":`, `"a\tb\u0001\r\n"`, `}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := strings.Join(tc.parts, "")
			require.True(t, json.Valid([]byte(body)), body)
			out, err := redact.New(key).JSON([]byte(body), tc.patterns)
			require.NoError(t, err)
			s := string(out)
			pos := 0
			for i, part := range tc.parts {
				if i%2 == 0 {
					require.True(t, strings.HasPrefix(s[pos:], part), "want %q at byte %d of %s", part, pos, s)
					pos += len(part)
					continue
				}
				end := strings.Index(s[pos:], tc.parts[i+1])
				if i+2 == len(tc.parts) {
					end = len(s) - len(tc.parts[i+1]) - pos
				}
				require.GreaterOrEqual(t, end, 0, "%q after byte %d of %s", tc.parts[i+1], pos, s)
				requireFakeLiteral(t, part, s[pos:pos+end])
				pos += end
			}
			assert.Equal(t, len(s), pos)
		})
	}
}

// requireFakeLiteral checks that fake is a JSON literal of orig's kind and shape, and another.
func requireFakeLiteral(t *testing.T, orig, fake string) {
	t.Helper()
	var o, f any
	require.NoError(t, json.Unmarshal([]byte(orig), &o))
	require.NoError(t, json.Unmarshal([]byte(fake), &f), "fake literal %s", fake)
	if was, ok := o.(string); ok {
		require.IsType(t, "", f)
		requireShape(t, was, f.(string))
		assert.NotEqual(t, was, f)
		return
	}
	require.Len(t, fake, len(orig))
	digits, changed := 0, 0
	for i := range orig {
		assert.Equal(t, unicode.IsDigit(rune(orig[i])), unicode.IsDigit(rune(fake[i])), "%s -> %s", orig, fake)
		if !unicode.IsDigit(rune(orig[i])) {
			assert.Equal(t, orig[i], fake[i], "%s -> %s", orig, fake)
			continue
		}
		digits++
		if orig[i] != fake[i] {
			changed++
		}
	}
	assert.NotEqual(t, orig, fake)
	if e := strings.IndexAny(orig, "eE"); e >= 0 {
		assert.Equal(t, orig[e:], fake[e:], "the exponent, and so the magnitude, is kept")
	}
	// Every digit is drawn afresh, so a long number keeps few (one in ten, on average).
	if digits >= 8 {
		assert.Greater(t, changed, digits/2, "%s -> %s", orig, fake)
	}
}

// TestJSONNumbers checks over many literals that a fake number is still a JSON number of the
// same length, which a leading zero drawn by chance would break.
func TestJSONNumbers(t *testing.T) {
	var lits []string
	for i := range 300 {
		lits = append(lits, fmt.Sprint(i*37), fmt.Sprintf("-%d.%02de%d", i, i%100, i%5))
	}
	body := "[" + strings.Join(lits, ",") + "]"
	out, err := redact.New(key).JSON([]byte(body), []string{"/*"})
	require.NoError(t, err)
	var fakes []json.RawMessage
	require.NoError(t, json.Unmarshal(out, &fakes), "%s", out)
	require.Len(t, fakes, len(lits))
	for i, lit := range lits {
		require.Len(t, string(fakes[i]), len(lit), "%s -> %s", lit, fakes[i])
		if lit != "0" {
			assert.NotEqual(t, lit, string(fakes[i]))
		}
	}
}

func TestJSONErrors(t *testing.T) {
	for _, tc := range []struct {
		body string
		at   int
	}{
		{``, 0},
		{`   `, 3},
		{`{"a":}`, 5},
		{`[1,]`, 3},
		{`{"a":1,}`, 7},
		{`{"a" 1}`, 5},
		{`{1:2}`, 1},
		{`"abc`, 0},
		{`"\q"`, 1},
		{`"\u12"`, 1},
		{"\"a\x01\"", 2},
		{`01`, 0},
		{`1-2`, 0},
		{`1.`, 0},
		{`-`, 0},
		{`1e`, 0},
		{`tru`, 0},
		{`{} x`, 3},
		{`[1 2]`, 3},
	} {
		t.Run(tc.body, func(t *testing.T) {
			_, err := redact.New(key).JSON([]byte(tc.body), nil)
			require.Error(t, err)
			assert.ErrorContains(t, err, fmt.Sprintf("at byte %d:", tc.at))
		})
	}
	_, err := redact.New(key).JSON([]byte(strings.Repeat("[", 1<<15)), nil)
	assert.ErrorContains(t, err, "nested")
	_, err = redact.New(key).JSON([]byte(`{}`), []string{"from"})
	assert.Error(t, err, "a pattern that is not a pointer")
}

// strip replaces in doc, decoded with UseNumber, every string and number at a path matching one of
// patterns with a placeholder, and returns doc and the values it took out by path.
func strip(doc any, patterns [][]string) (any, map[string]any) {
	taken := map[string]any{}
	var walk func(v any, path []string) any
	walk = func(v any, path []string) any {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				v[k] = walk(x, append(path, k))
			}
		case []any:
			for i, x := range v {
				v[i] = walk(x, append(path, fmt.Sprint(i)))
			}
		case string, json.Number:
			for _, p := range patterns {
				if matches(p, path) {
					ptr := ""
					for _, seg := range path {
						ptr += "/" + jsonpointer.Escape(seg)
					}
					taken[ptr] = v
					return "<personal>"
				}
			}
		}
		return v
	}
	return walk(doc, nil), taken
}

func matches(pattern, path []string) bool {
	if len(pattern) != len(path) {
		return false
	}
	for i := range pattern {
		if pattern[i] != "*" && pattern[i] != path[i] {
			return false
		}
	}
	return true
}

func decode(t *testing.T, body []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v any
	require.NoError(t, d.Decode(&v), "%s", body)
	return v
}

// encoded returns s as it appears inside a JSON string.
func encoded(s string) string {
	var b strings.Builder
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	_ = e.Encode(s)
	return strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(b.String()), `"`), `"`)
}

// TestProviders redacts generated payloads of every type of every provider with its Personal
// pointers, and checks that only those changed, that nothing of them survives, that a value has one
// fake throughout, and that the result is as valid as the original.
func TestProviders(t *testing.T) {
	g, err := mockprovider.New(mockprovider.Options{Seed: 7})
	require.NoError(t, err)
	v, err := schemas.New(schemas.Options{})
	require.NoError(t, err)
	r := redact.New(key)
	fakes := map[string]string{} // original value -> its fake, over every payload
	repeats := 0
	for _, p := range mockprovider.Providers() {
		var patterns [][]string
		for _, ptr := range p.Personal {
			segs, err := jsonpointer.Split(ptr)
			require.NoError(t, err)
			patterns = append(patterns, segs)
		}
		used := map[int]bool{}
		for _, typ := range p.Types() {
			t.Run(string(p.Name)+"/"+typ, func(t *testing.T) {
				// Thirty messages, then the provider's other events of the same URL (Meta's statuses),
				// which carry personal data too.
				cat, err := mockprovider.Mutations(p.Name)
				require.NoError(t, err)
				var others []string
				for _, m := range cat {
					if strings.HasPrefix(m.ID, "other-event.") {
						others = append(others, m.ID)
					}
				}
				for i := range uint64(30 + len(others)) {
					pl, err := g.Generate(p.Name, typ, i)
					event := i >= 30
					if event {
						pl, _, err = g.GenerateMutated(p.Name, typ, i, others[i-30])
					}
					require.NoError(t, err)
					out, err := r.JSON(pl.Body, p.Personal)
					require.NoError(t, err)
					again, err := r.JSON(pl.Body, p.Personal)
					require.NoError(t, err)
					require.Equal(t, string(out), string(again), "redacting twice")

					orig, taken := strip(decode(t, pl.Body), patterns)
					red, given := strip(decode(t, out), patterns)
					require.Equal(t, orig, red, "outside the personal values, payload %d:\n%s\n%s", i, pl.Body, out)
					require.True(t, event || len(taken) > 0, "payload %d has no personal value", i)
					for ptr, was := range taken {
						now := given[ptr]
						s, ok := was.(string)
						if !ok || s == "" {
							continue
						}
						require.IsType(t, "", now, "%s", ptr)
						assert.NotEqual(t, s, now, "%s", ptr)
						if enc := encoded(s); len(enc) >= 4 {
							assert.NotContains(t, string(out), enc, "%s survives in payload %d", ptr, i)
						}
						if fake, seen := fakes[s]; seen {
							repeats++
							assert.Equal(t, fake, now, "%q at %s has two fakes", s, ptr)
						}
						fakes[s] = now.(string)
					}
					for j, pat := range patterns {
						for ptr := range taken {
							segs, _ := jsonpointer.Split(ptr)
							used[j] = used[j] || matches(pat, segs)
						}
					}

					was, err := v.Validate(p.Name, pl.Body)
					require.NoError(t, err)
					if was.Valid() {
						now, err := v.Validate(p.Name, out)
						require.NoError(t, err)
						assert.True(t, now.Valid(), "payload %d: %v\n%s", i, now.Violations, out)
					}
				}
			})
		}
		for j, ptr := range p.Personal {
			assert.True(t, used[j], "%s: Personal %s matches nothing generated", p.Name, ptr)
		}
	}
	assert.Positive(t, repeats, "no value came twice, so one fake per value went untested")
}

// FuzzJSON checks that redacting every string of a JSON document leaves a JSON document of the same
// structure, with strings of the same lengths in runes, and that no input panics.
func FuzzJSON(f *testing.F) {
	for _, s := range []string{
		`{"a":"b","c":[1,2.5e-3,true,null,{"d":"\u00e9\ud83d\udc4d"}]}`,
		`"\ud800 lone"`, `[]`, `{}`, `0`, `"\u0000\t"`, "\"\xff\xfe\"", ` [ "x" , -0 ] `,
		`{"frequently_forwarded ":"true","a":"","b":"👋🏾"}`, `["a\"b\\c\/d"]`,
	} {
		f.Add([]byte(s))
	}
	g, err := mockprovider.New(mockprovider.Options{Seed: 7})
	require.NoError(f, err)
	for _, p := range mockprovider.Providers() {
		for _, typ := range p.Types() {
			pl, err := g.Generate(p.Name, typ, 0)
			require.NoError(f, err)
			f.Add(pl.Body)
		}
	}
	r := redact.New(key)
	f.Fuzz(func(t *testing.T, body []byte) {
		out, err := r.JSON(body, nil)
		if !json.Valid(body) {
			return
		}
		require.NoError(t, err)
		require.True(t, json.Valid(out), "%q -> %q", body, out)
		assert.Equal(t, runeCounts(decode(t, body)), runeCounts(decode(t, out)), "%q -> %q", body, out)
	})
}

// runeCounts replaces every string value in doc with its length in runes.
func runeCounts(doc any) any {
	switch v := doc.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = runeCounts(x)
		}
	case []any:
		for i, x := range v {
			v[i] = runeCounts(x)
		}
	case string:
		return utf8.RuneCountInString(v)
	}
	return doc
}
