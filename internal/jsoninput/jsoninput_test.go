package jsoninput_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/jsoninput"
)

func TestDecodeLimited(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		want    error  // nil for a payload that decodes
		message string // part of the error's text
	}{
		{"object", `{"a":[1,2,{"b":null}]}`, nil, ""},
		{"empty", "", jsoninput.ErrEmpty, "empty payload"},
		{"blank", " \n\t", jsoninput.ErrEmpty, "empty payload"},
		{"too large", `{"a":"` + strings.Repeat("x", 64) + `"}`, jsoninput.ErrTooLarge, "limit 32"},
		{"byte order mark", "\xEF\xBB\xBF{}", jsoninput.ErrNotJSON, "byte order mark"},
		{"not UTF-8", "{\"a\":\"\xff\"}", jsoninput.ErrNotUTF8, "not valid UTF-8"},
		{"too deep", `[[[[[1]]]]]`, jsoninput.ErrTooDeep, "deeper than 4 at byte 4"},
		{"truncated", `{"a":`, jsoninput.ErrNotJSON, "unexpected end of input at byte 5"},
		{"trailing data", `{} {}`, jsoninput.ErrNotJSON, "trailing data after the JSON value at byte 3"},
		{"duplicate key", `{"a":1,"b":{"c":1,"c":2}}`, jsoninput.ErrDuplicateKey, `key "c" appears twice`},
		{"same key in two objects", `{"a":{"c":1},"b":{"c":2}}`, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := jsoninput.DecodeLimited([]byte(tt.payload), 32, 4)
			if tt.want == nil {
				require.NoError(t, err)
				assert.NotNil(t, doc)
				return
			}
			require.ErrorIs(t, err, tt.want)
			assert.Contains(t, err.Error(), tt.message)
		})
	}
}

// A number float64 cannot hold survives as text, for the schema to report the field.
func TestDecodeOutOfRangeNumber(t *testing.T) {
	doc, err := jsoninput.Decode([]byte(`{"latitude":1e400,"n":2}`))
	require.NoError(t, err)
	obj, ok := doc.(map[string]any)
	require.True(t, ok)
	assert.Equal(t, json.Number("1e400"), obj["latitude"])
	assert.Equal(t, json.Number("2"), obj["n"])
}
