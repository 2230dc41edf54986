package headerline_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/headerline"
)

// TestParse: Parse checks a line's shape only, and quotes nothing of it: whether the
// header can be sent is mockprovider.Target.Check's to say.
func TestParse(t *testing.T) {
	tests := []struct {
		line, name, value string
		wantErr           string
	}{
		{line: "X-Trace: abc", name: "X-Trace", value: "abc"},
		{line: "x-lower:value", name: "x-lower", value: "value"},
		{line: "  Authorization :  Bearer abc==:x  ", name: "Authorization", value: "Bearer abc==:x"},
		{line: "X-Empty:", name: "X-Empty", value: ""},
		{line: "X-Colons: a:b:c", name: "X-Colons", value: "a:b:c"},
		{line: "UserName: alice", name: "UserName", value: "alice"},
		{line: "X-Tab: a\tb", name: "X-Tab", value: "a\tb"},
		{line: "Host: receiver.example:8443", name: "Host", value: "receiver.example:8443"},
		// Split as given; Target.Check refuses them.
		{line: "X(bad: v", name: "X(bad", value: "v"},
		{line: "Authorization: Bearer s3cret\x01", name: "Authorization", value: "Bearer s3cret\x01"},
		{line: "Bearer s3cret", wantErr: "a line without ':': want 'Name: value'"},
		{line: ": s3cret", wantErr: "no name before ':': want 'Name: value'"},
		{line: "", wantErr: "a line without ':': want 'Name: value'"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			name, value, err := headerline.Parse(tt.line)
			if tt.wantErr != "" {
				assert.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.name, name)
			assert.Equal(t, tt.value, value)
		})
	}
}

func TestAll(t *testing.T) {
	tests := []struct {
		name    string
		lines   []string
		want    http.Header
		wantErr string
	}{
		{name: "none", want: http.Header{}},
		{name: "repeated in any case: one header, first spelling, values in order",
			lines: []string{"X-A: one", "x-a: two", "X-B: b", "X-a: three"},
			want:  http.Header{"X-A": {"one", "two", "three"}, "X-B": {"b"}}},
		{name: "spelling kept as typed", lines: []string{"UserName: alice", "x-lower: v"},
			want: http.Header{"UserName": {"alice"}, "x-lower": {"v"}}},
		{name: "a bad line", lines: []string{"X-A: 1", "X-B"}, wantErr: "a line without ':': want 'Name: value'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Repeated: the result must not depend on map order.
			for range 20 {
				got, err := headerline.All(tt.lines)
				if tt.wantErr != "" {
					require.EqualError(t, err, tt.wantErr)
					continue
				}
				require.NoError(t, err)
				require.Equal(t, tt.want, got)
			}
		})
	}
}

// FuzzParse: any -H value either parses into a name and a value that parse back to
// themselves, or is refused with an error that quotes none of it (it may hold a credential).
func FuzzParse(f *testing.F) {
	for _, seed := range []string{"UserName: acme", "Authorization:Bearer x", " X-A :  b ", ":", "", "a:b:c", "\x00: \r\n", "Ü: ü"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		name, value, err := headerline.Parse(line)
		if err != nil {
			if len(line) > 3 {
				assert.NotContains(t, err.Error(), line)
			}
			return
		}
		require.NotEmpty(t, name)
		assert.Equal(t, strings.TrimSpace(name), name)
		assert.Equal(t, strings.TrimSpace(value), value)
		assert.NotContains(t, name, ":")
		n2, v2, err := headerline.Parse(name + ": " + value)
		require.NoError(t, err)
		assert.Equal(t, name, n2)
		assert.Equal(t, value, v2)

		// Header names are ASCII tokens; letter case outside ASCII (ı and I) is not folded.
		if isASCII(name) {
			h, err := headerline.All([]string{line, strings.ToUpper(name) + ": again"})
			require.NoError(t, err)
			assert.Len(t, h, 1, "a name given twice in any letter case is one header")
		}
	})
}

func isASCII(s string) bool {
	for _, b := range []byte(s) {
		if b >= 0x80 {
			return false
		}
	}
	return true
}
