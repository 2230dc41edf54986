package mockprovider_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/mockprovider/media"
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

// seedsPerType keeps the property test to thousands of payloads in all, fast enough for -race.
const seedsPerType = 120

// TestEveryGeneratedPayloadValidates is the property test: over thousands of seeds, every payload of
// every type of both providers passes its schema, in strict mode too, in every quirk mode.
func TestEveryGeneratedPayloadValidates(t *testing.T) {
	strict := newValidator(t, true)
	for _, mode := range []mockprovider.QuirkMode{mockprovider.QuirksMix, mockprovider.QuirksExample, mockprovider.QuirksTable} {
		g := newGenerator(t, mockprovider.Options{Seed: 42, Quirks: mode})
		for _, p := range mockprovider.Providers() {
			for _, typ := range p.Types() {
				t.Run(fmt.Sprintf("%s/%s/%s", mode, p.Name, typ), func(t *testing.T) {
					for i := range uint64(seedsPerType) {
						pl, err := g.Generate(p.Name, typ, i)
						require.NoError(t, err)
						r, err := strict.Validate(p.Name, pl.Body)
						require.NoError(t, err)
						require.True(t, r.Valid(), "payload %d: %v\n%s", i, r.Violations, pl.Body)
						assert.Equal(t, p.Name, pl.Provider)
						assert.Equal(t, typ, pl.Type)
						doc, err := schemas.Decode(pl.Body)
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
				assert.Contains(t, body, `"mimeType":"`+file.MIMEType+`"`)
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

func TestQuirkModes(t *testing.T) {
	tests := []struct {
		mode    mockprovider.QuirkMode
		p       schemas.Provider
		typ     string
		example string
		table   string
	}{
		{mockprovider.QuirksExample, schemas.InnoPaaS, "contacts", `"contact":[`, `"contacts":[`},
		{mockprovider.QuirksTable, schemas.InnoPaaS, "contacts", `"contacts":[`, `"contact":[`},
		{mockprovider.QuirksExample, schemas.InnoPaaS, "unknown", `"code":131051`, `"code":"131051"`},
		{mockprovider.QuirksTable, schemas.InnoPaaS, "unknown", `"code":"131051"`, `"code":131051`},
		{mockprovider.QuirksExample, schemas.InnoPaaS, "location", `"latitude":-`, `"latitude":"`},
		{mockprovider.QuirksTable, schemas.ITNIOTech, "unknown", `"details":{`, `"details":"`},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s/%s", tt.mode, tt.p, tt.typ), func(t *testing.T) {
			g := newGenerator(t, mockprovider.Options{Seed: 11, Quirks: tt.mode})
			var hits int
			for i := range uint64(40) {
				pl, err := g.Generate(tt.p, tt.typ, i)
				require.NoError(t, err)
				assert.NotContains(t, string(pl.Body), tt.table)
				if strings.Contains(string(pl.Body), tt.example) {
					hits++
				}
			}
			assert.Positive(t, hits)
		})
	}
	mixed := newGenerator(t, mockprovider.Options{Seed: 11})
	forms := map[bool]int{}
	for i := range uint64(60) {
		pl, err := mixed.Generate(schemas.InnoPaaS, "contacts", i)
		require.NoError(t, err)
		forms[strings.Contains(string(pl.Body), `"contact":[`)]++
	}
	assert.Len(t, forms, 2, "mix sends both forms")
}

func TestGenerateErrors(t *testing.T) {
	g := newGenerator(t, mockprovider.Options{})
	_, err := g.Generate("twilio", "text", 0)
	assert.ErrorIs(t, err, schemas.ErrUnknownProvider)
	_, err = g.Generate(schemas.ITNIOTech, "reaction", 0)
	assert.ErrorIs(t, err, mockprovider.ErrUnknownType)
	_, err = mockprovider.New(mockprovider.Options{Quirks: "sometimes"})
	assert.Error(t, err)
}

func TestEveryTypeHasAGenerator(t *testing.T) {
	for _, p := range mockprovider.Providers() {
		assert.Equal(t, schemas.Types(p.Name), p.Types())
		assert.NotEmpty(t, p.Quirks)
	}
}
