package jsonpointer

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func doc(t *testing.T) any {
	t.Helper()
	var d any
	require.NoError(t, json.Unmarshal([]byte(`{"a":{"b/c":[1,{"d~e":"x"}]},"f":null}`), &d))
	return d
}

func TestGet(t *testing.T) {
	tests := []struct {
		ptr     string
		want    any
		wantErr bool
	}{
		{"", nil, false},
		{"/a/b~1c/0", 1.0, false},
		{"/a/b~1c/1/d~0e", "x", false},
		{"/f", nil, false},
		{"/a/b~1c/2", nil, true},
		{"/a/b~1c/-1", nil, true},
		{"/missing", nil, true},
		{"/f/g", nil, true},
		{"no-slash", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.ptr, func(t *testing.T) {
			got, err := Get(doc(t), tt.ptr)
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			if tt.ptr != "" {
				assert.Equal(t, tt.want, got)
			}
		})
	}
}

func TestEdits(t *testing.T) {
	d := doc(t)
	orig := Clone(d)
	require.NoError(t, Set(d, "/a/b~1c/0", "one"))
	require.NoError(t, Set(d, "/a/new", true))
	require.NoError(t, Remove(d, "/f"))
	require.NoError(t, Rename(d, "/a/new", "re/named"))
	got, err := json.Marshal(d)
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":{"b/c":["one",{"d~e":"x"}],"re/named":true}}`, string(got))
	assert.Error(t, Remove(d, "/a/b~1c/0"), "array elements are not removed")
	assert.Error(t, Set(d, "/nope/x", 1))
	assert.Error(t, Remove(d, "/nope"))
	before, err := json.Marshal(orig)
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":{"b/c":[1,{"d~e":"x"}]},"f":null}`, string(before), "Clone is deep")
}

func TestGeneralise(t *testing.T) {
	tests := []struct{ ptr, want string }{
		{"", ""},
		{"/message/contacts/2/phones/10/phone", "/message/contacts/0/phones/0/phone"},
		{"/a~1b/007", "/a~1b/0"},
		{"/x1/1x", "/x1/1x"},
		{"no-slash", "no-slash"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Generalise(tt.ptr, IndexAsZero), tt.ptr)
	}
	assert.Equal(t, "/A/B", Generalise("/a/b", strings.ToUpper))
}
