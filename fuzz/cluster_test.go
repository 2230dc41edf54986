package fuzz_test

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/fuzz"
	"github.com/wahook/wahook/internal/jsoninput"
	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// allowList is a receiver with a strict allow-list of field names, those of the provider's own
// payloads: any other key, wherever it is, gets a 500.
func allowList(t *testing.T, p schemas.Provider, next http.HandlerFunc) http.HandlerFunc {
	g, err := mockprovider.New(mockprovider.Options{Seed: 1})
	require.NoError(t, err)
	prov, err := mockprovider.Lookup(p)
	require.NoError(t, err)
	allowed := map[string]bool{}
	var collect func(v any)
	collect = func(v any) {
		switch d := v.(type) {
		case map[string]any:
			for k, child := range d {
				allowed[k] = true
				collect(child)
			}
		case []any:
			for _, child := range d {
				collect(child)
			}
		}
	}
	cat, err := mockprovider.Mutations(p)
	require.NoError(t, err)
	for _, typ := range prov.Types() {
		for i := range uint64(50) {
			pl, err := g.Generate(p, typ, i)
			require.NoError(t, err)
			doc, err := jsoninput.Decode(pl.Body)
			require.NoError(t, err)
			collect(doc)
		}
		// And what the provider legitimately sends besides: every optional part, the documented
		// forms, batches (Meta's statuses beside the messages).
		for _, m := range cat {
			if m.Expect != mockprovider.Tolerate || m.Schema != mockprovider.SchemaValid || m.Systematic || m.ID == "unknown-fields" || !m.AppliesTo(typ) {
				continue
			}
			pl, _, err := g.GenerateMutated(p, typ, 0, m.ID)
			require.NoError(t, err)
			if doc, err := jsoninput.Decode(pl.Body); err == nil {
				collect(doc)
			}
		}
	}
	var unknown func(v any) bool
	unknown = func(v any) bool {
		switch d := v.(type) {
		case map[string]any:
			for k, child := range d {
				if !allowed[k] || unknown(child) {
					return true
				}
			}
		case []any:
			for _, child := range d {
				if unknown(child) {
					return true
				}
			}
		}
		return false
	}
	return func(w http.ResponseWriter, r *http.Request) {
		doc, body := decoded(r)
		if doc != nil && unknown(doc) {
			http.Error(w, "unknown property", http.StatusInternalServerError)
			return
		}
		next(w, withBody(body, r))
	}
}

// TestOneFindingPerDefect: a receiver that 500s on any property it does not know, reached through
// fuzz-added keys, bit flips and case changes of every name, is one finding, with a payload of a few
// bytes that still reproduces and examples of the other ways in.
func TestOneFindingPerDefect(t *testing.T) {
	for _, p := range schemas.Providers() {
		t.Run(string(p), func(t *testing.T) {
			rep := run(t, allowList(t, p, careful(t, p)), p, fuzz.Options{Seed: 11, Count: 4000})
			t.Log(signatures(rep), rep.Hits)
			require.Len(t, rep.Findings, 1, "%v", signatures(rep))
			fd := rep.Findings[0]
			assert.Equal(t, "undocumented-key", fd.Trigger)
			assert.True(t, fd.Confirmed)
			assert.Less(t, len(fd.Minimised), 100, "%s", fd.Minimised)
			assert.Greater(t, fd.Hits, uint64(50))
			examples, err := filepath.Glob(filepath.Join(fd.Dir, "examples", "*.json"))
			require.NoError(t, err)
			assert.Len(t, examples, 3)
			payload, err := os.ReadFile(filepath.Join(fd.Dir, "payload.json"))
			require.NoError(t, err)
			assert.Equal(t, fd.Minimised, payload)
			resp, err := http.Post(rep.Target, "application/json", bytes.NewReader(payload))
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusInternalServerError, resp.StatusCode, "the payload reproduces")
		})
	}
}

// TestDistinctDefects: a receiver with three defects yields three findings, and MaxFindings keeps
// the ones most inputs hit, counting the rest.
func TestDistinctDefects(t *testing.T) {
	p := schemas.ITNIOTech
	next := careful(t, p)
	receiver := allowList(t, p, func(w http.ResponseWriter, r *http.Request) {
		doc, body := decoded(r)
		if lat, err := jsonpointer.Get(doc, "/message/location/latitude"); err == nil {
			if s, ok := lat.(string); !ok || strings.Trim(s, "-.0123456789") != "" || s == "" {
				http.Error(w, "strconv.ParseFloat: invalid syntax", http.StatusInternalServerError)
				return
			}
		}
		if doc != nil && containsRune(doc, '\u202e') {
			http.Error(w, "bidi", http.StatusBadGateway)
			return
		}
		next(w, withBody(body, r))
	})
	rep := run(t, receiver, p, fuzz.Options{Seed: 5, Count: 6000})
	require.Len(t, rep.Findings, 3, "%v", signatures(rep))
	var triggers []string
	for i, fd := range rep.Findings {
		triggers = append(triggers, fd.Trigger)
		if i > 0 {
			assert.GreaterOrEqual(t, rep.Findings[i-1].Hits, fd.Hits, "ranked, most inputs first")
		}
	}
	assert.Contains(t, triggers, "undocumented-key")
	assert.Contains(t, triggers, "/message/location/latitude")

	rep = run(t, receiver, p, fuzz.Options{Seed: 5, Count: 6000, MaxFindings: 1})
	require.Len(t, rep.Findings, 1)
	assert.Equal(t, 2, rep.Dropped)
}

func signatures(rep *fuzz.Report) []string {
	var out []string
	for _, fd := range rep.Findings {
		out = append(out, fd.Signature+" min="+string(fd.Minimised[:min(len(fd.Minimised), 120)]))
	}
	return out
}
