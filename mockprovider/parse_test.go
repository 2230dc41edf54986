package mockprovider_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/fixtures"
	"github.com/wahook/wahook/internal/jsoninput"
	"github.com/wahook/wahook/message"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// TestParseDocumented: every documented example parses into the message written by hand from the
// provider's document in fixtures/messages (not derived from the parser); every example the schema
// refuses is refused with the schema's violation.
func TestParseDocumented(t *testing.T) {
	model := messageSchema(t)
	for _, p := range schemas.Providers() {
		for _, f := range fixtures.Documented(p) {
			t.Run(f.File, func(t *testing.T) {
				m, err := mockprovider.Parse(p, f.Bytes())
				if f.Verdict != fixtures.Valid {
					require.Error(t, err)
					assert.True(t, errors.Is(err, mockprovider.ErrInvalidPayload), err)
					return
				}
				require.NoError(t, err)
				expected, err := f.Message()
				require.NoError(t, err, "write the expected message by hand, in fixtures/messages")
				want, err := fixtures.Read(path.Join("messages", string(p), path.Base(f.File)))
				require.NoError(t, err)
				got, err := json.Marshal(m)
				require.NoError(t, err)
				assert.JSONEq(t, string(want), string(got))
				var doc any
				require.NoError(t, json.Unmarshal(got, &doc))
				assert.NoError(t, model.Validate(doc), "the message fits schemas/message.schema.json")
				assert.Empty(t, message.Diff(expected, m, nil))
				decoded, err := jsoninput.Decode(f.Bytes())
				require.NoError(t, err)
				valid, err := mockprovider.ParseValid(p, decoded)
				require.NoError(t, err)
				assert.Equal(t, m, valid, "ParseValid maps a validated payload as Parse does")
			})
		}
	}
}

// TestParseQuirkForms: the forms the documents disagree on parse to the same message.
func TestParseQuirkForms(t *testing.T) {
	tests := []struct {
		name     string
		provider schemas.Provider
		file     string
		edit     func(string) string
	}{
		{"innopaas contacts under contacts", schemas.InnoPaaS, "documented/innopaas/contacts.json",
			func(s string) string { return strings.Replace(s, `"contact":`, `"contacts":`, 1) }},
		{"innopaas latitude as a string", schemas.InnoPaaS, "documented/innopaas/location.json",
			func(s string) string { return strings.Replace(s, `39.90539`, `"39.90539"`, 1) }},
		{"itniotech flags as booleans, key without the space", schemas.ITNIOTech, "documented/itniotech/text-forwarded-context.json",
			func(s string) string {
				return strings.NewReplacer(`"forwarded": "true"`, `"forwarded": true`, `"frequently_forwarded ":"true"`, `"frequently_forwarded":true`).Replace(s)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := fixtures.Read(tt.file)
			require.NoError(t, err)
			edited := tt.edit(string(body))
			require.NotEqual(t, string(body), edited, "the edit applies")
			a, err := mockprovider.Parse(tt.provider, body)
			require.NoError(t, err)
			b, err := mockprovider.Parse(tt.provider, []byte(edited))
			require.NoError(t, err)
			assert.Empty(t, message.Diff(a, b, nil))
			assert.Empty(t, message.Diff(b, a, nil))
		})
	}
}

// TestParseSendTimeForms: every RFC 3339 form the schema's date-time check accepts is read as the
// instant it names, those time.Parse refuses included.
func TestParseSendTimeForms(t *testing.T) {
	g, err := mockprovider.New(mockprovider.Options{Seed: 1})
	require.NoError(t, err)
	p, err := g.Generate(schemas.InnoPaaS, "text", 0)
	require.NoError(t, err)
	tests := []struct{ sent, want string }{
		{"2024-10-08T15:49:13.584Z", "2024-10-08T15:49:13.584Z"},
		{"2024-10-08t15:49:13.584z", "2024-10-08T15:49:13.584Z"},
		{"2024-10-08t17:49:13+02:00", "2024-10-08T15:49:13Z"},
		{"2016-12-31T23:59:60Z", "2017-01-01T00:00:00Z"},
		{"2016-12-31T23:59:60.25Z", "2017-01-01T00:00:00.25Z"},
		{"2016-12-31t18:59:60-05:00", "2017-01-01T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.sent, func(t *testing.T) {
			body := strings.Replace(string(p.Body), p.SentAt.UTC().Format("2006-01-02T15:04:05.000Z"), tt.sent, 1)
			require.NotEqual(t, string(p.Body), body, "the edit applies")
			m, err := mockprovider.Parse(schemas.InnoPaaS, []byte(body))
			require.NoError(t, err)
			want, err := time.Parse(time.RFC3339Nano, tt.want)
			require.NoError(t, err)
			assert.True(t, want.Equal(m.SentAt), "sent %s, read %s", tt.sent, m.SentAt)
		})
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name     string
		provider schemas.Provider
		body     string
		want     string
	}{
		{"not JSON", schemas.ITNIOTech, `{"messageId":`, "parse itniotech: not a valid inbound message webhook"},
		{"millisecond timestamp", schemas.ITNIOTech,
			`{"appId":"a","channelType":0,"eventType":"up-message-event","businessPhone":"1","from":{"phone":"2"},"message":{"type":"text","text":{"body":"x"}},"messageId":"m","timestamp":1690869287000}`,
			"parse itniotech: not a valid inbound message webhook: /timestamp"},
		{"unknown provider", "no-such-provider", `{}`, "no-such-provider"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mockprovider.Parse(tt.provider, []byte(tt.body))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// messageSchema compiles schemas/message.schema.json, the model's JSON form.
func messageSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	s, err := c.Compile(filepath.Join("..", "schemas", "message.schema.json"))
	require.NoError(t, err)
	return s
}

// TestParseGenerated: the property that ties the generator and the parsers together. Every payload
// the generator makes, of every type of every provider in every quirk mode, and every tolerate
// mutation whose meaning it models, parses into exactly the message the generator drew (which it
// does not read back from the bytes). A parser that misreads a field, or a writer that writes
// another value than it claims, fails here.
func TestParseGenerated(t *testing.T) {
	seeds := 1000 // 120,000 payloads: 40 provider and type pairs, 3 quirk modes
	switch {
	case testing.Short():
		seeds = 30
	case raceEnabled:
		seeds = 100
	}
	var mutated int
	for _, mode := range mockprovider.QuirkModes() {
		g, err := mockprovider.New(mockprovider.Options{Seed: 11, Quirks: mode})
		require.NoError(t, err)
		for _, p := range schemas.Providers() {
			prov, err := mockprovider.Lookup(p)
			require.NoError(t, err)
			for _, typ := range prov.Types() {
				for i := range seeds {
					pl, err := g.Generate(p, typ, uint64(i))
					require.NoError(t, err)
					require.NotNil(t, pl.Message, "%s %s %d: the generator knows what it wrote", p, typ, i)
					if !assertParsesTo(t, pl, fmt.Sprintf("%s %s %d (%s)", p, typ, i, mode)) {
						return
					}
				}
				mutations, err := mockprovider.Mutations(p)
				require.NoError(t, err)
				for _, mu := range mutations {
					if mu.Expect != mockprovider.Tolerate || !mu.AppliesTo(typ) {
						continue
					}
					for i := range max(seeds/20, 3) {
						pl, _, err := g.GenerateMutated(p, typ, uint64(i), mu.ID)
						if errors.Is(err, mockprovider.ErrNotApplicable) {
							continue
						}
						require.NoError(t, err)
						if pl.Message == nil {
							continue
						}
						mutated++
						if !assertParsesTo(t, pl, fmt.Sprintf("%s %s %d (%s, %s)", p, typ, i, mode, mu.ID)) {
							return
						}
					}
				}
			}
		}
	}
	assert.Greater(t, mutated, 100, "tolerate mutations carry the message they encode")
}

// assertParsesTo checks that pl's body parses into pl.Message, by the suite's comparison and as JSON.
func assertParsesTo(t *testing.T, pl mockprovider.Payload, what string) bool {
	t.Helper()
	got, err := mockprovider.Parse(pl.Provider, pl.Body)
	if !assert.NoError(t, err, "%s: %s", what, pl.Body) {
		return false
	}
	want, err := json.Marshal(pl.Message)
	require.NoError(t, err)
	have, err := json.Marshal(got)
	require.NoError(t, err)
	return assert.Empty(t, message.Diff(*pl.Message, got, nil), "%s: %s", what, pl.Body) &&
		assert.JSONEq(t, string(want), string(have), "%s: %s", what, pl.Body)
}

// BenchmarkParse: parsing one payload into the model (validation included) against decoding it with
// encoding/json into any, the yardstick (at most 2x).
func BenchmarkParse(b *testing.B) {
	g, err := mockprovider.New(mockprovider.Options{Seed: 1})
	require.NoError(b, err)
	for _, p := range schemas.Providers() {
		for _, typ := range []string{"text", "contacts"} {
			pl, err := g.Generate(p, typ, 1)
			require.NoError(b, err)
			b.Run(string(p)+"/"+typ+"/json-decode", func(b *testing.B) {
				b.SetBytes(int64(len(pl.Body)))
				for b.Loop() {
					var v any
					if err := json.Unmarshal(pl.Body, &v); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(string(p)+"/"+typ+"/parse", func(b *testing.B) {
				b.SetBytes(int64(len(pl.Body)))
				for b.Loop() {
					if _, err := mockprovider.Parse(p, pl.Body); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
