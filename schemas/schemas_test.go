package schemas_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/fixtures"
	"github.com/wahook/wahook/internal/jsoninput"
	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

func newValidator(t testing.TB, strict bool) *schemas.Validator {
	t.Helper()
	v, err := schemas.New(schemas.Options{Strict: strict})
	require.NoError(t, err)
	return v
}

// validDoc returns a decoded valid payload of type typ, from the fixtures.
func validDoc(t *testing.T, p schemas.Provider, typ string) any {
	t.Helper()
	for _, f := range fixtures.ForType(p, typ) {
		if f.Verdict == fixtures.Valid {
			doc, err := jsoninput.Decode(f.Bytes())
			require.NoError(t, err)
			return doc
		}
	}
	t.Fatalf("no valid fixture of %s %s", p, typ)
	return nil
}

// messagePointer is where p's envelope carries the message, as its provider description says.
func messagePointer(p schemas.Provider) string {
	prov, err := mockprovider.Lookup(p)
	if err != nil {
		panic(err) // every schema of the repository has its provider
	}
	return prov.MessagePointer
}

func validate(t *testing.T, v *schemas.Validator, p schemas.Provider, doc any) *schemas.Report {
	t.Helper()
	raw, err := json.Marshal(doc)
	require.NoError(t, err)
	r, err := v.Validate(p, raw)
	require.NoError(t, err)
	return r
}

func instances(r *schemas.Report) []string {
	var out []string
	for _, v := range r.Violations {
		out = append(out, v.Instance)
	}
	return out
}

// wrongValue returns a value of a JSON type that types does not allow, or nil.
func wrongValue(types []string) any {
	v, _ := schemas.OtherTypeValue(types)
	return v
}

func TestTypesComeFromTheSchema(t *testing.T) {
	assert.Equal(t, []string{"text", "reaction", "image", "audio", "video", "sticker", "document", "unknown",
		"location", "contacts", "button", "interactive", "order", "system"}, schemas.Types(schemas.InnoPaaS))
	assert.Equal(t, []string{"text", "image", "video", "audio", "document", "location", "sticker", "unknown",
		"unsupported", "interactive", "contacts"}, schemas.Types(schemas.ITNIOTech))
	assert.Nil(t, schemas.Types("nope"))
}

// TestEveryType drives every message type of both providers: the valid payload passes, a wrong-typed
// field fails at its pointer, and a message whose type names another type's object fails. Which fields
// are required is not read from the schema here: TestRequiredFields holds the schema to the documents.
func TestEveryType(t *testing.T) {
	lenient, strict := newValidator(t, false), newValidator(t, true)
	for _, p := range schemas.Providers() {
		for _, typ := range schemas.Types(p) {
			t.Run(fmt.Sprintf("%s/%s", p, typ), func(t *testing.T) {
				doc := validDoc(t, p, typ)
				require.True(t, validate(t, lenient, p, doc).Valid())
				require.True(t, validate(t, strict, p, doc).Valid())
				fields, err := schemas.Fields(p, doc)
				require.NoError(t, err)
				require.NotEmpty(t, fields)

				for _, f := range fields {
					if !f.Present {
						continue
					}
					if wrong := wrongValue(f.Types); len(f.Types) > 0 && wrong != nil {
						t.Run("wrong-type"+f.Pointer, func(t *testing.T) {
							broken := jsonpointer.Clone(doc)
							require.NoError(t, jsonpointer.Set(broken, f.Pointer, wrong))
							r := validate(t, lenient, p, broken)
							assert.Contains(t, instances(r), f.Pointer, "violations: %v", r.Violations)
						})
					}
				}

				t.Run("type-object-mismatch", func(t *testing.T) {
					types := schemas.Types(p)
					other := types[(slices.Index(types, typ)+1)%len(types)]
					broken := jsonpointer.Clone(doc)
					require.NoError(t, jsonpointer.Set(broken, messagePointer(p)+"/type", other))
					r := validate(t, lenient, p, broken)
					assert.False(t, r.Valid(), "type %s carrying a %s object", other, typ)
				})
			})
		}
	}
}

func TestStrictRejectsUndocumentedProperties(t *testing.T) {
	lenient, strict := newValidator(t, false), newValidator(t, true)
	for _, p := range schemas.Providers() {
		for _, typ := range schemas.Types(p) {
			doc := validDoc(t, p, typ)
			fields, err := schemas.Fields(p, doc)
			require.NoError(t, err)
			objects := []string{""}
			for _, f := range fields {
				if f.Present && slices.Equal(f.Types, []string{"object"}) && !slices.Contains([]string{"/body/order", "/body/system"}, f.Pointer) {
					objects = append(objects, f.Pointer)
				}
			}
			for _, ptr := range objects {
				t.Run(fmt.Sprintf("%s/%s%s", p, typ, ptr), func(t *testing.T) {
					extended := jsonpointer.Clone(doc)
					require.NoError(t, jsonpointer.Set(extended, ptr+"/xUndocumented", "surprise"))
					assert.True(t, validate(t, lenient, p, extended).Valid(), "lenient accepts extra fields")
					r := validate(t, strict, p, extended)
					assert.Equal(t, []string{ptr + "/xUndocumented"}, instances(r), "strict names the extra field, once")
				})
			}
		}
	}
}

func TestInputLimits(t *testing.T) {
	v, err := schemas.New(schemas.Options{MaxBytes: 1024, MaxDepth: 16})
	require.NoError(t, err)
	text := fixtures.ForType(schemas.InnoPaaS, "text")[0].Bytes()
	tests := []struct {
		name    string
		payload []byte
		want    string
	}{
		{"empty", nil, "empty payload"},
		{"whitespace", []byte(" \n\t"), "empty payload"},
		{"too large", bytes.Repeat([]byte(" "), 1025), "payload too large: 1025 bytes, limit 1024"},
		{"too deep", []byte(strings.Repeat("[", 500) + strings.Repeat("]", 500)), "payload nested too deeply: deeper than 16 at byte 16"},
		{"bom", append([]byte{0xEF, 0xBB, 0xBF}, text...), "not JSON: starts with a UTF-8 byte order mark"},
		{"invalid utf-8", []byte(`{"id":"` + "\xff\xfe" + `"}`), "payload is not valid UTF-8"},
		{"truncated", text[:len(text)/2], "not JSON: unexpected end of input"},
		{"trailing data", append(append([]byte{}, text...), []byte("{}")...), "not JSON: trailing data after the JSON value"},
		{"garbage", []byte("\x00\x01binary"), "not JSON: invalid character"},
		{"duplicate key", []byte(`{"id":"a","type":"whatsapp_x","id":"b"}`), `duplicate key: key "id" appears twice in one object (byte 30)`},
		{"duplicate empty key", []byte(`{"":"","":{}}`), `duplicate key: key "" appears twice`},
		{"duplicate key spelled with an escape", []byte(`{"id":"a","type":"t","\u0069d":"b"}`), `duplicate key: key "id" appears twice`},
		{"brackets in strings do not count", []byte(`{"id":"` + strings.Repeat("[", 100) + `"}`), "matches neither provider"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := v.Validate(schemas.Auto, tt.payload)
			require.NoError(t, err)
			require.Len(t, r.Violations, 1)
			assert.Contains(t, r.Violations[0].Message, tt.want)
			assert.Empty(t, r.Violations[0].Instance)
		})
	}
}

// TestHugeDepthLimit: the depth limit bounds the scan, it is not allocated up front (1<<40 frames was
// a fatal out-of-memory).
func TestHugeDepthLimit(t *testing.T) {
	v, err := schemas.New(schemas.Options{MaxDepth: 1 << 40})
	require.NoError(t, err)
	r, err := v.Validate(schemas.Auto, fixtures.ForType(schemas.ITNIOTech, "contacts")[0].Bytes())
	require.NoError(t, err)
	assert.True(t, r.Valid(), "%v", r.Violations)
	deep := []byte(strings.Repeat("[", 5000) + strings.Repeat("]", 5000))
	r, err = v.Validate(schemas.Auto, deep)
	require.NoError(t, err)
	assert.Equal(t, []string{""}, instances(r), "nesting within the limit reaches the envelope check: %v", r.Violations)
}

func TestSameKeyInOtherObjectsIsNoDuplicate(t *testing.T) {
	doc := `{"id":"x","type":"whatsapp_status","body":{"id":"y","list":[{"id":1},{"id":2}],"type":"t"}}`
	r, err := newValidator(t, false).Validate(schemas.InnoPaaS, []byte(doc))
	require.NoError(t, err)
	assert.True(t, r.Valid(), "%v", r.Violations)
	many := `{"id":"x","type":"whatsapp_status","body":{` + strings.Repeat(`"k":1,`, 0)
	for i := range 100 {
		many += fmt.Sprintf(`"k%d":%d,`, i, i)
	}
	r, err = newValidator(t, false).Validate(schemas.InnoPaaS, []byte(many+`"k7":0}}`))
	require.NoError(t, err)
	require.Len(t, r.Violations, 1, "a duplicate past the linear scan is found too")
	assert.Contains(t, r.Violations[0].Message, `key "k7" appears twice`)
}

func TestOutOfRangeNumberIsAViolation(t *testing.T) {
	v := newValidator(t, false)
	raw := bytes.Replace(fixtures.ForType(schemas.ITNIOTech, "text")[0].Bytes(), []byte("1693396796"), []byte("1e400"), 1)
	r, err := v.Validate(schemas.ITNIOTech, raw)
	require.NoError(t, err)
	assert.Equal(t, []string{"/timestamp"}, instances(r))
}

func TestValidateUnknownProvider(t *testing.T) {
	_, err := newValidator(t, false).Validate("whatsapp", []byte(`{}`))
	assert.ErrorIs(t, err, schemas.ErrUnknownProvider)
	_, err = schemas.ParseProvider("auto", false)
	assert.ErrorIs(t, err, schemas.ErrUnknownProvider)
	p, err := schemas.ParseProvider("auto", true)
	require.NoError(t, err)
	assert.Equal(t, schemas.Auto, p)
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		want    schemas.Provider
		ok      bool
	}{
		{"innopaas envelope, broken body", `{"id":"x","type":"whatsapp_mo_message_received","body":[]}`, schemas.InnoPaaS, true},
		{"itniotech envelope, broken message", `{"appId":"a","eventType":"up-message-event","message":{"type":7}}`, schemas.ITNIOTech, true},
		{"one key is not an envelope", `{"id":"x"}`, "", false},
		{"both envelopes tie", `{"id":"x","type":"t","appId":"a","messageId":"m"}`, "", false},
		{"array", `[{"id":"x","type":"t"}]`, "", false},
		{"not JSON", `{"id":`, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := schemas.Detect([]byte(tt.payload))
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
	for _, f := range fixtures.All() {
		if f.Verdict == fixtures.Valid {
			got, ok := schemas.Detect(f.Bytes())
			assert.True(t, ok, f.File)
			assert.Equal(t, f.Provider, got, f.File)
		}
	}
}

func TestAutoReportsTheDetectedProvidersViolations(t *testing.T) {
	r, err := newValidator(t, false).Validate(schemas.Auto, []byte(`{"appId":"a","eventType":"up-message-event","message":{"type":"image"}}`))
	require.NoError(t, err)
	assert.Equal(t, schemas.ITNIOTech, r.Provider)
	assert.Subset(t, instances(r), []string{"/message/image", "/messageId", "/timestamp"})
	for _, v := range r.Violations {
		assert.NotContains(t, v.Keyword, "allOf/0", "only leaf failures are reported: %v", v)
	}
}

func TestSchemaSourcesAreEmbedded(t *testing.T) {
	for _, p := range schemas.Providers() {
		raw, err := schemas.Source(p)
		require.NoError(t, err)
		var s map[string]any
		require.NoError(t, json.Unmarshal(raw, &s))
		assert.Equal(t, "https://json-schema.org/draft/2020-12/schema", s["$schema"])
		assert.Equal(t, p.URL(), s["$id"], "$id equals the URL the schema is added under")
	}
	_, err := schemas.Source("nope")
	assert.ErrorIs(t, err, schemas.ErrUnknownProvider)
}

func mustGet(t *testing.T, doc any, ptr string) any {
	t.Helper()
	v, err := jsonpointer.Get(doc, ptr)
	require.NoError(t, err)
	return v
}
