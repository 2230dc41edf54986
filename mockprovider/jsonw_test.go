package mockprovider

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func FuzzAppendQuoted(f *testing.F) {
	for _, s := range []string{"", "plain", `"quoted" \ back`, "tab\tnew\nline\r\x01\x1f", "中文 😀 👨‍👩‍👧", "bad \xff utf8", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := appendQuoted(nil, s)
		var got string
		require.NoError(t, json.Unmarshal(out, &got), "%q", out)
		want := strings.ToValidUTF8(s, "\uFFFD")
		if utf8.ValidString(s) {
			want = s
		}
		// encoding/json replaces each invalid byte; ToValidUTF8 replaces runs: compare the valid case exactly.
		if utf8.ValidString(s) {
			assert.Equal(t, want, got)
		} else {
			assert.True(t, utf8.ValidString(got))
		}
	})
}

func TestIsoMillis(t *testing.T) {
	for _, ms := range []int64{0, 1, 999, 1677067200000, 253402300799999} {
		at := timeFromMillis(ms)
		assert.Equal(t, at.UTC().Format("2006-01-02T15:04:05.000Z"), isoMillis(at))
	}
}

func timeFromMillis(ms int64) time.Time { return time.UnixMilli(ms) }

func TestAppendQuoted(t *testing.T) {
	long := strings.Repeat("abcdefgh", 3)
	for _, tt := range []struct{ in, want string }{
		{"", `""`},
		{"plain ascii, longer than one word", `"plain ascii, longer than one word"`},
		{`say "hi" \ bye`, `"say \"hi\" \\ bye"`},
		{"tab\tnew\nline\rbell\x07del\x7f", `"tab\tnew\nline\rbell\u0007del` + "\x7f" + `"`},
		{long + `"` + long, `"` + long + `\"` + long + `"`},
		{long + "\x1f", `"` + long + `\u001f"`},
		{"中文 😀 👨‍👩‍👧 and \"quotes\" after", `"中文 😀 👨‍👩‍👧 and \"quotes\" after"`},
		{long + "é\n", `"` + long + `é\n"`},
		{"bad \xff utf8 \xfe", `"bad \ufffd utf8 \ufffd"`},
		{"中\xff文\"", `"中\ufffd文\""`},
		{"\xff" + long + "中", `"\ufffd` + long + `中"`},
		{"\uFFFD is valid", "\"\uFFFD is valid\""},
		{"\u2028\u2029", "\"\u2028\u2029\""},
		{"ab\"cdefghijkl", `"ab\"cdefghijkl"`},
		{long + "中文\t" + long, `"` + long + `中文\t` + long + `"`},
	} {
		assert.Equal(t, tt.want, string(appendQuoted([]byte("prefix:"), tt.in))[len("prefix:"):], "%q", tt.in)
	}
}

// TestPlainWord holds the eight-bytes-at-a-time test to the byte table for every pair of byte values
// at every pair of positions in a word, where a borrow from one byte into the next could go wrong.
func TestPlainWord(t *testing.T) {
	const filler = 'a'
	for i := range 8 {
		for j := i + 1; j < 8; j++ {
			for a := range 256 {
				for b := range 256 {
					var x uint64
					want := true
					for k := range 8 {
						c := byte(filler)
						switch k {
						case i:
							c = byte(a)
						case j:
							c = byte(b)
						}
						x |= uint64(c) << (8 * k)
						want = want && plainASCII[c]
					}
					if got := plainWord(x); got != want {
						t.Fatalf("plainWord(%#016x) = %v, want %v", x, got, want)
					}
				}
			}
		}
	}
}
