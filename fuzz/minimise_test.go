package fuzz

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/fixtures"
	"github.com/wahook/wahook/internal/jsoninput"
)

// TestMinimise shrinks payloads against predicates that stand for receivers' defects, and checks that
// what is left is what the defect needs and no more.
func TestMinimise(t *testing.T) {
	text := func(body []byte) string {
		doc, err := jsoninput.Decode(body)
		if err != nil {
			return ""
		}
		m, _ := doc.(map[string]any)
		msg, _ := m["message"].(map[string]any)
		txt, _ := msg["text"].(map[string]any)
		s, _ := txt["body"].(string)
		return s
	}
	tests := []struct {
		name       string
		body       string
		reproduces func([]byte) bool
		want       string
	}{
		{
			name:       "a character, wherever it is in the string",
			body:       `{"id":"1","message":{"type":"text","text":{"body":"שלום abc\u202eevil 😀"}}}`,
			reproduces: func(b []byte) bool { return strings.ContainsRune(text(b), '\u202e') },
			want:       `{"message":{"text":{"body":"` + "\u202e" + `"}}}`,
		},
		{
			name:       "a length in bytes: the characters become plain",
			body:       `{"message":{"text":{"body":"` + strings.Repeat("😀", 600) + `"},"type":"text"}}`,
			reproduces: func(b []byte) bool { return len(text(b)) > 1000 },
			want:       `{"message":{"text":{"body":"` + strings.Repeat("a", 1001) + `"}}}`,
		},
		{
			name:       "a key's presence: its value empties",
			body:       `{"body":{"contact":[{"name":"Jack","phones":["+1 555"]},{"name":"Jill"}],"type":"contacts"}}`,
			reproduces: func(b []byte) bool { return strings.Contains(string(b), `"contact":`) },
			want:       `{"body":{"contact":[]}}`,
		},
		{
			name:       "a number that must not be 0",
			body:       `{"lat":-91.5,"lon":3}`,
			reproduces: func(b []byte) bool { return strings.Contains(string(b), `-91.5`) },
			want:       `{"lat":-91.5}`,
		},
		{
			name: "a number the defect needs stays, one it needs present shortens",
			body: `{"big":2147483648,"ts":1759425925,"n":7,"neg":-35}`,
			reproduces: func(b []byte) bool {
				return strings.Contains(string(b), `"big":2147483648`) && regexp.MustCompile(`"ts":\d{10}`).Match(b) &&
					strings.Contains(string(b), `"neg":-`)
			},
			want: `{"big":2147483648,"neg":-1,"ts":1000000000}`,
		},
		{
			name: "a number the defect needs as 1 stays 1 while the rest shrinks",
			body: `{"a":1,"b":"xxxxx"}`,
			reproduces: func(b []byte) bool {
				return strings.Contains(string(b), `"a":1`) && strings.Contains(string(b), `"b"`)
			},
			want: `{"a":1,"b":""}`,
		},
		{
			name: "a number the defect needs as 0 stays 0",
			body: `{"a":0,"b":[1,2]}`,
			reproduces: func(b []byte) bool {
				return strings.Contains(string(b), `"a":0`) && strings.Contains(string(b), `"b":[`)
			},
			want: `{"a":0,"b":[]}`,
		},
		{
			name:       "bytes that are not JSON are cut",
			body:       "{\"a\":\"x\xff\",\"b\":1",
			reproduces: func(b []byte) bool { return strings.Contains(string(b), "\xff") },
			want:       "\xff",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.True(t, tt.reproduces([]byte(tt.body)), "the original must reproduce")
			got := minimise([]byte(tt.body), tt.reproduces, 1000)
			assert.Equal(t, tt.want, string(got))
		})
	}
}

// TestMinimiseKeepsTheBestWhenTheBudgetEnds checks that a budget cut short leaves a payload that
// still reproduces, and that no more tries than the budget are made.
func TestMinimiseKeepsTheBestWhenTheBudgetEnds(t *testing.T) {
	body := []byte(`{"a":"` + strings.Repeat("x", 100) + `","b":{"c":[1,2,3],"d":"y"}}`)
	for _, budget := range []int{0, 1, 3, 10} {
		calls := 0
		reproduces := func(b []byte) bool {
			calls++
			return strings.Contains(string(b), `"d"`)
		}
		got := minimise(body, reproduces, budget)
		assert.LessOrEqual(t, calls, budget)
		assert.True(t, strings.Contains(string(got), `"d"`), "budget %d: %s", budget, got)
		assert.LessOrEqual(t, len(got), len(body))
	}
}

// FuzzMinimise runs the minimiser and the namers of findings on arbitrary bytes, as minimised payloads
// are: no panic, and the minimised payload is never longer and still reproduces (here: still holds
// a few bytes of the original).
func FuzzMinimise(f *testing.F) {
	for _, fx := range fixtures.All() {
		f.Add(fx.Bytes(), uint16(40))
	}
	f.Add([]byte(`{"message":{"text":{"body":"abc\u202eevil 😀"}},"x_fuzz_1":[1,-0.5,1e400]}`), uint16(30))
	f.Add([]byte("{\"a\":\"\xff\"}"), uint16(3))
	f.Fuzz(func(t *testing.T, body []byte, at uint16) {
		needle := body[min(int(at), len(body)):min(int(at)+3, len(body))]
		reproduces := func(b []byte) bool { return bytes.Contains(b, needle) }
		got := minimise(body, reproduces, 60)
		assert.LessOrEqual(t, len(got), len(body), "minimising never grows")
		assert.True(t, reproduces(got), "the minimised payload reproduces: %q in %q", needle, got)
		original, minimised := parse(body), parse(got)
		trigger := triggerOf(fuzzInput{Body: body, Base: body}, original)
		retrigger(original, trigger, minimised)
		retrigger(original, "/a/0/x_fuzz_*", minimised)
		essenceOf(minimised)
	})
}

// TestDropRuns checks the halving runs every shrinking loop uses: what is left is exactly what is
// needed, whole runs go at once, and nothing is offered once spent.
func TestDropRuns(t *testing.T) {
	tests := []struct {
		name   string
		n      int
		needed []int
		budget int
		want   []int
		tries  int
	}{
		{name: "nothing needed: half, then the other half", n: 16, budget: 100, want: []int{}, tries: 2},
		{name: "two needed items", n: 16, needed: []int{3, 11}, budget: 100, want: []int{3, 11}, tries: 14},
		{name: "everything needed", n: 3, needed: []int{0, 1, 2}, budget: 100, want: []int{0, 1, 2}, tries: 3},
		{name: "one item", n: 1, budget: 100, want: []int{}, tries: 1},
		{name: "empty", n: 0, budget: 100, want: []int{}, tries: 0},
		{name: "spent after three tries", n: 16, needed: []int{3, 11}, budget: 3, want: []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, tries: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list := make([]int, tt.n)
			for i := range list {
				list[i] = i
			}
			tries := 0
			dropRuns(len(list), func() bool { return tries >= tt.budget }, func(i, j int) bool {
				tries++
				for _, v := range list[i:j] {
					if slices.Contains(tt.needed, v) {
						return false
					}
				}
				list = slices.Delete(list, i, j)
				return true
			})
			assert.Equal(t, tt.want, list)
			assert.Equal(t, tt.tries, tries)
		})
	}
}

// TestMinimiseStructurePass: the thorough pass drops whole parts one at a time, containers first,
// and leaves what the defect needs.
func TestMinimiseStructurePass(t *testing.T) {
	doc, err := jsoninput.Decode([]byte(`{"a":{"b":{"c":"x","d":[1,2]},"e":"y"},"f":{"g":1},"h":"z"}`))
	require.NoError(t, err)
	enc, err := encode(doc)
	require.NoError(t, err)
	calls := 0
	s := &shrinker{doc: doc, best: enc, spent: func() bool { return calls >= 100 }, try: func(b []byte) bool {
		calls++
		return strings.Contains(string(b), `"c":"x"`)
	}}
	s.structure(s.doc)
	assert.Equal(t, `{"a":{"b":{"c":"x"}}}`, string(s.best))
	assert.Zero(t, depth("plain"))
	assert.Equal(t, 1, depth(map[string]any{"a": 1}))
	assert.Equal(t, 3, depth(doc))
}
