package schemas_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/fixtures"
	"github.com/wahook/wahook/internal/jsoninput"
	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/schemas"
)

// edit changes a decoded payload: set a value, or remove the property at a pointer (value nil).
type edit struct {
	ptr    string
	value  any
	remove bool
}

func applyEdits(t *testing.T, doc any, edits []edit) {
	t.Helper()
	for _, e := range edits {
		if e.remove {
			require.NoError(t, jsonpointer.Remove(doc, e.ptr))
			continue
		}
		require.NoError(t, jsonpointer.Set(doc, e.ptr, e.value))
	}
}

// bothPaths are a validator that checks payloads whole and one that splits every payload (see
// bounded.go): every message must come out the same from both.
func bothPaths(t *testing.T, strict bool) map[string]*schemas.Validator {
	t.Helper()
	out := map[string]*schemas.Validator{}
	for name, w := range map[string][2]int{"whole": {1 << 30, 1 << 30}, "bounded": {1, 0}} {
		v, err := schemas.NewWindowed(schemas.Options{Strict: strict}, w[0], w[1])
		require.NoError(t, err)
		out[name] = v
	}
	return out
}

// TestViolationMessages pins the wording of each kind of violation, one line each: once per problem,
// numbers as the payload writes them, the payload's own values cut short.
func TestViolationMessages(t *testing.T) {
	long := strings.Repeat("2", 100_000)
	tests := []struct {
		name     string
		provider schemas.Provider
		typ      string
		edits    []edit
		want     []string
	}{
		{"wrong type", schemas.InnoPaaS, "location", []edit{{ptr: "/body/location/latitude", value: true}},
			[]string{"/body/location/latitude: expected string or number, got boolean"}},
		{"wrong type reached through two schemas, once", schemas.InnoPaaS, "text", []edit{{ptr: "/body", value: []any{}}},
			[]string{"/body: expected object, got array"}},
		{"one of two alternative keys", schemas.InnoPaaS, "contacts", []edit{{ptr: "/body/contact", remove: true}},
			[]string{"/body: one of contacts or contact is required"}},
		{"milliseconds for seconds", schemas.ITNIOTech, "text", []edit{{ptr: "/timestamp", value: json.Number("1693396796000")}},
			[]string{"/timestamp: expected unix time in seconds (1000000000 to 9999999999), got 1693396796000 (milliseconds?)"}},
		{"too small for seconds", schemas.ITNIOTech, "text", []edit{{ptr: "/timestamp", value: json.Number("16933967")}},
			[]string{"/timestamp: expected unix time in seconds (1000000000 to 9999999999), got 16933967"}},
		{"a number no float can hold", schemas.ITNIOTech, "text", []edit{{ptr: "/timestamp", value: json.Number("1e400")}},
			[]string{"/timestamp: expected unix time in seconds (1000000000 to 9999999999), got 1e400"}},
		{"integer range", schemas.ITNIOTech, "text", []edit{{ptr: "/channelType", value: json.Number("-1")}},
			[]string{"/channelType: expected 0 to 2147483647, got -1"}},
		{"bad format, value cut short", schemas.InnoPaaS, "text", []edit{{ptr: "/eventTime", value: long}},
			[]string{`/eventTime: "` + strings.Repeat("2", 64) + `…" is not a valid date-time`}},
		{"pattern", schemas.ITNIOTech, "location", []edit{{ptr: "/message/location/latitude", value: "95.1"}},
			[]string{`/message/location/latitude: "95.1" does not match the pattern ^-?(90(\.0+)?|[0-8]?[0-9](\.[0-9]+)?)$`}},
		{"empty string", schemas.InnoPaaS, "text", []edit{{ptr: "/body/from", value: ""}},
			[]string{"/body/from: must not be empty"}},
		{"too long", schemas.ITNIOTech, "interactive", []edit{{ptr: "/message/interactive/action/buttons",
			value: []any{map[string]any{"type": "reply", "reply": map[string]any{"id": "b", "title": strings.Repeat("é", 21)}}}}},
			[]string{"/message/interactive/action/buttons/0/reply/title: expected at most 20 characters, got 21"}},
		{"empty array", schemas.InnoPaaS, "contacts", []edit{{ptr: "/body/contact", value: []any{}}},
			[]string{"/body/contact: expected at least 1 item, got 0"}},
		{"missing", schemas.ITNIOTech, "image", []edit{{ptr: "/message/image/sha256", remove: true}},
			[]string{"/message/image/sha256: required property is missing"}},
		{"enum", schemas.ITNIOTech, "text", []edit{{ptr: "/message/type", value: "txt"}},
			[]string{`/message/type: value must be one of "text", "image", "video", "audio", "document", "location", "sticker", "unknown", "unsupported", "interactive", "contacts"`}},
		{"const", schemas.ITNIOTech, "text", []edit{{ptr: "/eventType", value: "down-message-event"}},
			[]string{`/eventType: value must be "up-message-event"`}},
	}
	validators := bothPaths(t, false)
	for _, tt := range tests {
		for path, v := range validators {
			t.Run(path+"/"+tt.name, func(t *testing.T) {
				doc := validDoc(t, tt.provider, tt.typ)
				applyEdits(t, doc, tt.edits)
				r := validate(t, v, tt.provider, doc)
				var got []string
				for _, viol := range r.Violations {
					got = append(got, viol.String())
				}
				assert.Equal(t, tt.want, got)
			})
		}
	}
}

// TestInstancesAreJSONPointers: a violation's instance is an RFC 6901 pointer that finds the value in
// the payload, whatever the keys hold (the library URL-escapes them: "a b" came out as a%20b, and an
// empty key as its object).
func TestInstancesAreJSONPointers(t *testing.T) {
	keys := []string{"", "frequently_forwarded ", "名字", "x\ny", "a/b~c", "100%", "%41", "tab\there", "ünï cødé"}
	for path, v := range bothPaths(t, true) {
		t.Run(path, func(t *testing.T) {
			doc := validDoc(t, schemas.ITNIOTech, "text")
			for i, k := range keys {
				require.NoError(t, jsonpointer.Set(doc, "/message/text/"+jsonpointer.Escape(k), fmt.Sprint(i)))
			}
			r := validate(t, v, schemas.ITNIOTech, doc)
			require.Len(t, r.Violations, len(keys), "%v", r.Violations)
			found := map[string]bool{}
			for _, viol := range r.Violations {
				got, err := jsonpointer.Get(doc, viol.Instance)
				require.NoError(t, err, "instance %q", viol.Instance)
				found[got.(string)] = true
				assert.NotContains(t, viol.String(), "\n", "one line")
				assert.NotContains(t, viol.Keyword, "%")
			}
			assert.Len(t, found, len(keys), "each instance finds its own key")
		})
	}

	t.Run("a documented key with a trailing space", func(t *testing.T) {
		for path, v := range bothPaths(t, false) {
			raw, err := fixtures.Read("documented/itniotech/text-forwarded-context.json")
			require.NoError(t, err)
			doc, err := jsoninput.Decode(raw)
			require.NoError(t, err)
			require.NoError(t, jsonpointer.Set(doc, "/message/context/frequently_forwarded ", "maybe"))
			r := validate(t, v, schemas.ITNIOTech, doc)
			assert.Equal(t, []string{"/message/context/frequently_forwarded "}, instances(r), path)
			assert.Equal(t, "/properties/message/$ref/properties/context/$ref/properties/frequently_forwarded /$ref/enum", r.Violations[0].Keyword, path)
		}
	})
}

// TestViolationDisplay: String keeps a violation on one short line whatever the key.
func TestViolationDisplay(t *testing.T) {
	tests := []struct {
		instance, want string
	}{
		{"/a/b", "/a/b: m"},
		{"/x\ny/0", `/x\ny/0: m`},
		{"/名字", "/名字: m"},
		{"/" + strings.Repeat("k", 300) + "/z", "/" + strings.Repeat("k", 64) + "…/z: m"},
		{"", "m"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, schemas.Violation{Instance: tt.instance, Message: "m"}.String())
	}
}
