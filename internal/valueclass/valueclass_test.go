package valueclass_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/valueclass"
)

func TestOf(t *testing.T) {
	tests := []struct {
		key   string
		value any
		want  []string
	}{
		{"body", "  hi ", []string{"surrounding-whitespace"}},
		{"body", "", []string{"empty"}},
		{"caption", "a\n\tb 😀", []string{"inner-newline-tab", "above-bmp"}},
		{"caption", "👍🏽", []string{"above-bmp", "emoji-sequence"}},
		{"name", "e\u0301", []string{"combining-marks"}},
		{"name", "مرحبا", []string{"bidi"}},
		{"body", `say "hi"`, []string{"json-escapes"}},
		{"latitude", json.Number("-22.636734008789123"), []string{"negative", "many-decimals", "number-form"}},
		{"latitude", json.Number("2.2e1"), []string{"exponent-form", "number-form"}},
		{"latitude", "22", []string{"integer-valued", "numeric-string"}},
		{"latitude", "22.5", []string{"numeric-string"}},
		{"latitude", json.Number("22.5"), []string{"number-form"}},
		{"forwarded", false, []string{"false"}},
		{"forwarded", "false", []string{"string-false"}},
		{"sendTime", "2024-03-07T10:46:24.999Z", []string{"millis-999"}},
		{"sendTime", "2038-01-19T03:14:08Z", []string{"whole-seconds", "epoch-2038"}},
		{"timestamp", json.Number("2147483648"), []string{"epoch-2038"}},
		{"messageId", "abc=-_+/:", []string{"unusual-id-characters"}},
		{"from", "8613800138000", nil}, // a phone number of digits: an id, and nothing unusual
		{"zip", "08407", nil},          // not a number: a leading zero
	}
	for _, tt := range tests {
		t.Run(tt.key+" "+string(mustJSON(t, tt.value)), func(t *testing.T) {
			assert.Equal(t, tt.want, valueclass.Of(tt.key, tt.value))
		})
	}
}

// Every class applies to some value of its family and makes a value it recognises as its own; a
// step's value carries every class of the step that applied.
func TestApplyMakesItsClass(t *testing.T) {
	seeds := map[valueclass.Family][]struct {
		key   string
		value any
	}{
		valueclass.String:  {{"body", "Hello there"}},
		valueclass.Number:  {{"latitude", json.Number("22.636734")}, {"latitude", "22.636734"}},
		valueclass.Boolean: {{"forwarded", true}, {"forwarded", "true"}},
		valueclass.Instant: {{"sendTime", "2024-03-07T10:46:24.123Z"}, {"timestamp", json.Number("1718291458")}},
		valueclass.ID:      {{"messageId", "cac6cb190c2909b2"}},
	}
	for _, c := range valueclass.All() {
		t.Run(c.Name, func(t *testing.T) {
			applied := false
			for _, seed := range seeds[c.Family] {
				v, ok := c.Apply(seed.value)
				if !ok {
					continue
				}
				applied = true
				assert.Contains(t, valueclass.Of(seed.key, v), c.Name, "%v from %v", v, seed.value)
			}
			assert.True(t, applied, "applies to no seed of its family")
		})
	}
	for f, family := range seeds {
		for _, st := range valueclass.Steps(f) {
			applied := false
			for _, seed := range family {
				v, names, ok := st.Apply(seed.value)
				if !ok {
					continue
				}
				applied = true
				for _, n := range names {
					assert.Contains(t, valueclass.Of(seed.key, v), n, "step %v", names)
				}
			}
			assert.True(t, applied, "a %s step applies to no seed", f)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}
