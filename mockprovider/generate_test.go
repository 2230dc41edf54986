package mockprovider_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/jsoninput"
	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/internal/media"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

func newGenerator(t testing.TB, opts mockprovider.Options) *mockprovider.Generator {
	t.Helper()
	g, err := mockprovider.New(opts)
	require.NoError(t, err)
	return g
}

func newValidator(t testing.TB, strict bool) *schemas.Validator {
	t.Helper()
	v, err := schemas.New(schemas.Options{Strict: strict})
	require.NoError(t, err)
	return v
}

// seedsPerType is the number of seeds per message type and quirk mode of the property test: the
// mix mode, which draws every quirk's form per payload, gets the thousands, the two fixed modes a
// quarter each. -short keeps a tenth.
func seedsPerType(mode mockprovider.QuirkMode) uint64 {
	n := uint64(1000)
	if mode != mockprovider.QuirksMix {
		n = 250
	}
	if testing.Short() {
		n /= 10
	}
	return n
}

// TestEveryGeneratedPayloadValidates is the property test: over thousands of seeds per type, every
// payload of every type of both providers passes its schema, in strict mode too, in every quirk mode.
func TestEveryGeneratedPayloadValidates(t *testing.T) {
	strict := newValidator(t, true)
	for _, mode := range []mockprovider.QuirkMode{mockprovider.QuirksMix, mockprovider.QuirksExample, mockprovider.QuirksTable} {
		g := newGenerator(t, mockprovider.Options{Seed: 42, Quirks: mode})
		for _, p := range mockprovider.Providers() {
			for _, typ := range p.Types() {
				t.Run(fmt.Sprintf("%s/%s/%s", mode, p.Name, typ), func(t *testing.T) {
					t.Parallel()
					for i := range seedsPerType(mode) {
						pl, err := g.Generate(p.Name, typ, i)
						require.NoError(t, err)
						r, err := strict.Validate(p.Name, pl.Body)
						require.NoError(t, err)
						require.True(t, r.Valid(), "payload %d: %v\n%s", i, r.Violations, pl.Body)
						assert.Equal(t, p.Name, pl.Provider)
						assert.Equal(t, typ, pl.Type)
						doc, err := jsoninput.Decode(pl.Body)
						require.NoError(t, err)
						id, err := jsonpointer.Get(doc, p.IDPointer)
						require.NoError(t, err)
						assert.Equal(t, pl.ID, id)
						gotType, err := jsonpointer.Get(doc, p.MessagePointer+"/type")
						require.NoError(t, err)
						assert.Equal(t, typ, gotType)
					}
				})
			}
		}
	}
}

func TestDeterminism(t *testing.T) {
	a := newGenerator(t, mockprovider.Options{Seed: 7})
	b := newGenerator(t, mockprovider.Options{Seed: 7})
	other := newGenerator(t, mockprovider.Options{Seed: 8})
	for _, p := range mockprovider.Providers() {
		for _, typ := range p.Types() {
			seen := map[string]bool{}
			for i := range uint64(50) {
				x, err := a.Generate(p.Name, typ, i)
				require.NoError(t, err)
				y, err := b.Generate(p.Name, typ, i)
				require.NoError(t, err)
				assert.Equal(t, string(x.Body), string(y.Body), "same seed, same bytes")
				z, err := other.Generate(p.Name, typ, i)
				require.NoError(t, err)
				assert.NotEqual(t, string(x.Body), string(z.Body), "another run seed differs")
				seen[string(x.Body)] = true
			}
			assert.Len(t, seen, 50, "%s/%s: different indices differ", p.Name, typ)
		}
	}
}

// TestAppendGenerate holds the buffer-reusing form to Generate: the same payload, its body appended
// after what the buffer held, which stays as it was, in every type of both providers, without the
// message.
func TestAppendGenerate(t *testing.T) {
	g := newGenerator(t, mockprovider.Options{Seed: 9})
	buf := []byte("earlier line\n")
	for _, p := range mockprovider.Providers() {
		for _, typ := range p.Types() {
			for i := range uint64(20) {
				want, err := g.Generate(p.Name, typ, i)
				require.NoError(t, err)
				before := string(buf)
				var got mockprovider.Payload
				buf, got, err = g.AppendGenerate(buf, p.Name, typ, i)
				require.NoError(t, err)
				assert.Equal(t, before, string(buf[:len(before)]), "%s/%s %d: what the buffer held", p.Name, typ, i)
				assert.Equal(t, string(want.Body), string(buf[len(before):]), "%s/%s %d: appended body", p.Name, typ, i)
				assert.NotNil(t, want.Message)
				assert.Nil(t, got.Message, "%s/%s %d: no message", p.Name, typ, i)
				want.Message = nil
				assert.Equal(t, want, got, "%s/%s %d: payload", p.Name, typ, i)
				buf = append(buf, '\n')
			}
		}
	}
	_, _, err := g.AppendGenerate(nil, schemas.ITNIOTech, "reaction", 0)
	assert.ErrorIs(t, err, mockprovider.ErrUnknownType)
}

// TestPayloadAlone checks that payload N regenerates alone, in any order, from concurrent callers.
func TestPayloadAlone(t *testing.T) {
	g := newGenerator(t, mockprovider.Options{Seed: 99})
	want := map[uint64][]byte{}
	for i := range uint64(40) {
		pl, err := g.Generate(schemas.ITNIOTech, "contacts", i)
		require.NoError(t, err)
		want[i] = pl.Body
	}
	done := make(chan struct{})
	for w := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := uint64(39); i < 40; i-- {
				pl, err := g.Generate(schemas.ITNIOTech, "contacts", (i+uint64(w)*7)%40)
				if assert.NoError(t, err) {
					assert.Equal(t, string(want[(i+uint64(w)*7)%40]), string(pl.Body))
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
	fresh := newGenerator(t, mockprovider.Options{Seed: 99})
	pl, err := fresh.Generate(schemas.ITNIOTech, "contacts", 17)
	require.NoError(t, err)
	assert.Equal(t, string(want[17]), string(pl.Body))
}

// TestMediaMatchesAnnouncement checks that the announced sha256 and MIME type are those of the bytes
// media.Generate rebuilds from the payload's media seed, and that the link points at them.
func TestMediaMatchesAnnouncement(t *testing.T) {
	g := newGenerator(t, mockprovider.Options{Seed: 3, MediaBaseURL: "http://127.0.0.1:9999/"})
	for _, p := range mockprovider.Providers() {
		for _, kind := range media.Kinds() {
			for i := range uint64(30) {
				pl, err := g.Generate(p.Name, string(kind), i)
				require.NoError(t, err)
				require.NotNil(t, pl.Media)
				file, err := media.Generate(pl.Media.Kind, pl.Media.Seed)
				require.NoError(t, err)
				sum := sha256.Sum256(file.Bytes)
				assert.Equal(t, base64.StdEncoding.EncodeToString(sum[:]), pl.Media.SHA256)
				assert.Equal(t, file.MIMEType, pl.Media.MIMEType)
				assert.Equal(t, "http://127.0.0.1:9999/media/"+media.Key(kind, pl.Media.Seed), pl.Media.URL)
				body := string(pl.Body)
				assert.Contains(t, body, `"sha256":"`+pl.Media.SHA256+`"`)
				assert.Contains(t, body, pl.Media.URL)
				assert.Regexp(t, `"mime_?[tT]ype":"`+regexp.QuoteMeta(file.MIMEType)+`"`, body)
			}
		}
	}
}

func TestRealisticValues(t *testing.T) {
	g := newGenerator(t, mockprovider.Options{Seed: 5})
	scripts := map[string]func(r rune) bool{
		"cjk":        func(r rune) bool { return r >= 0x4E00 && r <= 0x9FFF },
		"arabic":     func(r rune) bool { return r >= 0x0600 && r <= 0x06FF },
		"devanagari": func(r rune) bool { return r >= 0x0900 && r <= 0x097F },
		"latin":      func(r rune) bool { return r >= 'A' && r <= 'z' },
	}
	seenScript := map[string]bool{}
	var maxText int
	var zwj, flag bool
	for i := range uint64(2000) {
		pl, err := g.Generate(schemas.InnoPaaS, "text", i)
		require.NoError(t, err)
		var doc struct {
			ID   string `json:"id"`
			Body struct {
				From    string `json:"from"`
				Wamid   string `json:"wamid"`
				Profile struct {
					Name string `json:"name"`
				} `json:"customerProfile"`
				Text struct {
					Body string `json:"body"`
				} `json:"text"`
			} `json:"body"`
		}
		require.NoError(t, json.Unmarshal(pl.Body, &doc))
		assert.Regexp(t, `^[1-9][0-9]{9,14}$`, doc.Body.From, "digits only, country code first, no +")
		assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, doc.ID)
		assert.True(t, strings.HasPrefix(doc.Body.Wamid, "wamid."))
		for name, in := range scripts {
			if strings.IndexFunc(doc.Body.Profile.Name, in) >= 0 {
				seenScript[name] = true
			}
		}
		n := utf8.RuneCountInString(doc.Body.Text.Body)
		assert.LessOrEqual(t, n, mockprovider.MaxTextLength)
		maxText = max(maxText, n)

		r, err := g.Generate(schemas.InnoPaaS, "reaction", i)
		require.NoError(t, err)
		zwj = zwj || bytes.Contains(r.Body, []byte("\u200d"))
		flag = flag || bytes.Contains(r.Body, []byte("🇧🇷"))
	}
	assert.Len(t, seenScript, len(scripts), "names in every script")
	assert.Equal(t, mockprovider.MaxTextLength, maxText, "some texts reach the maximum")
	assert.True(t, zwj && flag, "multi-codepoint reactions")
}

// quirkForms pins the bytes of each documented quirk's two forms: what a payload in the example's form
// and one in the table's form carry. Every quirk of every provider must be here.
var quirkForms = map[string]struct{ example, table *regexp.Regexp }{
	"innopaas/location-coordinates-as-numbers": {
		regexp.MustCompile(`"latitude":-?[0-9][0-9.]*,"longitude":-?[0-9][0-9.]*,`),
		regexp.MustCompile(`"latitude":"-?[0-9.]+","longitude":"-?[0-9.]+"`)},
	"innopaas/contacts-key-contact": {regexp.MustCompile(`"contact":\[\{`), regexp.MustCompile(`"contacts":\[\{`)},
	"innopaas/errors-code-number":   {regexp.MustCompile(`"code":131051,`), regexp.MustCompile(`"code":"131051",`)},
	"itniotech/context-flags-as-strings": {
		regexp.MustCompile(`"forwarded":"true","frequently_forwarded ?":"(true|false)"`),
		regexp.MustCompile(`"forwarded":true,"frequently_forwarded ?":(true|false)`)},
	"itniotech/frequently-forwarded-trailing-space": {
		regexp.MustCompile(`"frequently_forwarded ":`), regexp.MustCompile(`"frequently_forwarded":`)},
	"itniotech/error-details-object-or-string": {
		regexp.MustCompile(`"details":"Message type is not currently supported"`),
		regexp.MustCompile(`"details":\{"reason":"Message type is not currently supported"\}`)},
	"meta/reaction-removed-emoji": {
		regexp.MustCompile(`"reaction":\{"message_id":"[^"]+","emoji":""\}`), regexp.MustCompile(`"reaction":\{"message_id":"[^"]+"\}`)},
	"meta/system-type-names": {regexp.MustCompile(`"type":"user_changed_number"`), regexp.MustCompile(`"type":"customer_changed_number"`)},
}

// TestQuirkModes pins what each quirk mode writes, quirk by quirk, for both providers: the example
// mode only ever the example's form, the table mode only the table's, the mix mode both; and
// Quirk.Form, which the catalogue's tests rely on, agrees with the bytes.
func TestQuirkModes(t *testing.T) {
	const payloads = 200
	for _, p := range mockprovider.Providers() {
		for _, q := range mockprovider.QuirksOf(p) {
			forms, ok := quirkForms[q.ID]
			require.True(t, ok, "quirk %s has no pinned forms in quirkForms", q.ID)
			for _, mode := range []mockprovider.QuirkMode{mockprovider.QuirksExample, mockprovider.QuirksTable, mockprovider.QuirksMix} {
				t.Run(fmt.Sprintf("%s/%s", q.ID, mode), func(t *testing.T) {
					g := newGenerator(t, mockprovider.Options{Seed: 11, Quirks: mode})
					seen := map[mockprovider.QuirkMode]int{}
					for _, typ := range p.Types() {
						for i := range uint64(payloads / len(p.Types())) {
							pl, err := g.Generate(p.Name, typ, i)
							require.NoError(t, err)
							doc, err := jsoninput.Decode(pl.Body)
							require.NoError(t, err)
							form := q.Form(doc)
							if !q.AppliesTo(typ) {
								assert.Empty(t, form, "%s cannot carry %s", typ, q.ID)
								continue
							}
							seen[form]++
							example, table := forms.example.Match(pl.Body), forms.table.Match(pl.Body)
							switch form {
							case mockprovider.QuirksExample:
								assert.True(t, example && !table, "%s #%d: Form says example\n%s", typ, i, pl.Body)
							case mockprovider.QuirksTable:
								assert.True(t, table && !example, "%s #%d: Form says table\n%s", typ, i, pl.Body)
							default:
								assert.False(t, example || table, "%s #%d: Form says neither\n%s", typ, i, pl.Body)
							}
						}
					}
					switch mode {
					case mockprovider.QuirksExample:
						assert.Zero(t, seen[mockprovider.QuirksTable], "the example mode writes no table form")
						assert.Positive(t, seen[mockprovider.QuirksExample])
					case mockprovider.QuirksTable:
						assert.Zero(t, seen[mockprovider.QuirksExample], "the table mode writes no example form")
						assert.Positive(t, seen[mockprovider.QuirksTable])
					default:
						assert.Positive(t, seen[mockprovider.QuirksExample], "mix writes both forms")
						assert.Positive(t, seen[mockprovider.QuirksTable], "mix writes both forms")
					}
				})
			}
		}
	}
	for id := range quirkForms {
		found := false
		for _, p := range mockprovider.Providers() {
			for _, q := range mockprovider.QuirksOf(p) {
				found = found || q.ID == id
			}
		}
		assert.True(t, found, "quirkForms pins %s, which no provider has", id)
	}
}

func TestGenerateErrors(t *testing.T) {
	g := newGenerator(t, mockprovider.Options{})
	_, err := g.Generate("twilio", "text", 0)
	assert.ErrorIs(t, err, schemas.ErrUnknownProvider)
	_, err = g.Generate(schemas.ITNIOTech, "reaction", 0)
	assert.ErrorIs(t, err, mockprovider.ErrUnknownType)
	_, err = mockprovider.New(mockprovider.Options{Quirks: "sometimes"})
	assert.ErrorIs(t, err, mockprovider.ErrUnknownQuirkMode)
}

func TestParseQuirkMode(t *testing.T) {
	for _, m := range mockprovider.QuirkModes() {
		got, err := mockprovider.ParseQuirkMode(string(m))
		require.NoError(t, err)
		assert.Equal(t, m, got)
	}
	for _, bad := range []string{"", "Mix", "sometimes", "mix "} {
		_, err := mockprovider.ParseQuirkMode(bad)
		assert.ErrorIs(t, err, mockprovider.ErrUnknownQuirkMode, bad)
		assert.EqualError(t, err, fmt.Sprintf("unknown quirk mode %q (want mix, example, table)", bad))
	}
}

func TestEveryTypeHasAGenerator(t *testing.T) {
	for _, p := range mockprovider.Providers() {
		assert.Equal(t, schemas.Types(p.Name), p.Types())
		assert.NotEmpty(t, mockprovider.QuirksOf(p))
	}
}

// TestProviderDescriptions checks the provider knowledge other packages read instead of knowing it
// themselves: the event name is the one payloads carry, and every identity pointer (the ids and times
// included) leads to a scalar in every type's payloads.
func TestProviderDescriptions(t *testing.T) {
	g := newGenerator(t, mockprovider.Options{Seed: 6})
	for _, p := range mockprovider.Providers() {
		for _, ptr := range []string{p.IDPointer, p.EnvelopeIDPointer, p.SentAtPointer} {
			if ptr == "" {
				continue // a provider whose webhooks have no id of their own
			}
			assert.Contains(t, p.IdentityPointers, ptr, "%s: identity pointers include %s", p.Name, ptr)
		}
		assert.Len(t, p.IdentityPointers, len(slices.Compact(slices.Sorted(slices.Values(p.IdentityPointers)))),
			"%s: identity pointers name each field once", p.Name)
		for _, typ := range p.Types() {
			pl, err := g.Generate(p.Name, typ, 0)
			require.NoError(t, err)
			assert.Contains(t, string(pl.Body), `"`+p.Event+`"`, "%s %s", p.Name, typ)
			doc, err := jsoninput.Decode(pl.Body)
			require.NoError(t, err)
			for _, ptr := range p.IdentityPointers {
				v, err := jsonpointer.Get(doc, ptr)
				if assert.NoError(t, err, "%s %s %s", p.Name, typ, ptr) {
					assert.Contains(t, []string{"string", "integer"}, schemas.JSONType(v), "%s %s %s", p.Name, typ, ptr)
				}
			}
			sent, err := p.SentAt(doc)
			if assert.NoError(t, err, "%s %s", p.Name, typ) {
				assert.Equal(t, pl.SentAt.UTC(), sent.UTC(), "%s %s: SentAt reads the time the generator wrote", p.Name, typ)
			}
			from, err := jsonpointer.Get(doc, p.SenderPointer)
			if assert.NoError(t, err, "%s %s", p.Name, typ) {
				assert.Regexp(t, `^\d{8,15}$`, from, "%s %s: the sender is a phone number", p.Name, typ)
			}
		}
	}
	inno, err := mockprovider.Lookup(schemas.InnoPaaS)
	require.NoError(t, err)
	assert.Subset(t, inno.IdentityPointers, []string{"/body/wamid", "/eventTime"})
}

// TestSentAtRefusesOtherForms checks that SentAt reads only the provider's own form of the time, so
// that a receiver ordering by it never orders by a misread one.
func TestSentAtRefusesOtherForms(t *testing.T) {
	tests := []struct {
		provider schemas.Provider
		body     string
		want     time.Time
		wantErr  string
	}{
		{schemas.InnoPaaS, `{"body":{"sendTime":"2023-02-22T12:00:00.250Z"}}`, time.Date(2023, 2, 22, 12, 0, 0, 250e6, time.UTC), ""},
		{schemas.InnoPaaS, `{"body":{"sendTime":"22/02/2023 12:00"}}`, time.Time{}, "innopaas send time at /body/sendTime: parsing time"},
		{schemas.InnoPaaS, `{"body":{"sendTime":1677067200}}`, time.Time{}, "1677067200 is not a string"},
		{schemas.InnoPaaS, `{"body":{}}`, time.Time{}, "innopaas send time"},
		{schemas.ITNIOTech, `{"timestamp":1677067200}`, time.Date(2023, 2, 22, 12, 0, 0, 0, time.UTC), ""},
		{schemas.ITNIOTech, `{"timestamp":1677067200.5}`, time.Time{}, "1677067200.5 is not a whole number of seconds"},
		{schemas.ITNIOTech, `{"timestamp":"1677067200"}`, time.Time{}, "\"1677067200\" is not a whole number of seconds"},
		{schemas.ITNIOTech, `{}`, time.Time{}, "itniotech send time"},
	}
	for _, tt := range tests {
		t.Run(string(tt.provider)+" "+tt.body, func(t *testing.T) {
			p, err := mockprovider.Lookup(tt.provider)
			require.NoError(t, err)
			doc, err := jsoninput.Decode([]byte(tt.body))
			require.NoError(t, err)
			got, err := p.SentAt(doc)
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.True(t, tt.want.Equal(got), "got %v, want %v", got, tt.want)
		})
	}
}
