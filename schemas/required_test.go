package schemas_test

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/fixtures"
	"github.com/wahook/wahook/internal/jsoninput"
	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/schemas"
)

// requiredSpec is testdata/required.json: what the providers' documents require, read from the
// documents rather than from the schemas.
type requiredSpec struct {
	About     []string                     `json:"about"`
	Providers map[schemas.Provider]provReq `json:"providers"`
}

type provReq struct {
	All   []requiredField    `json:"all"`
	Types map[string]typeReq `json:"types"`
}

type typeReq struct {
	Required []requiredField `json:"required"`
	Variants [][]quirkCheck  `json:"variants"`
}

type requiredField struct {
	Pointer string   `json:"pointer"` // * for any array index
	OneOf   []string `json:"oneOf"`   // the keys of which one is required, this one among them
	Why     string   `json:"why"`
}

func loadRequired(t *testing.T) requiredSpec {
	t.Helper()
	raw, err := os.ReadFile("testdata/required.json")
	require.NoError(t, err)
	var spec requiredSpec
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&spec))
	return spec
}

// properties lists the pointer of every object property in doc, at any depth.
func properties(doc any) []string {
	var out []string
	var walk func(v any, ptr string)
	walk = func(v any, ptr string) {
		switch t := v.(type) {
		case map[string]any:
			for k, c := range t {
				p := ptr + "/" + jsonpointer.Escape(k)
				out = append(out, p)
				walk(c, p)
			}
		case []any:
			for i, c := range t {
				walk(c, ptr+"/"+strconv.Itoa(i))
			}
		}
	}
	walk(doc, "")
	slices.Sort(out)
	return out
}

var arrayIndex = regexp.MustCompile(`/[0-9]+(/|$)`)

// pattern writes ptr as testdata/required.json does, with * for array indexes.
func pattern(ptr string) string {
	for {
		next := arrayIndex.ReplaceAllString(ptr, "/*$1")
		if next == ptr {
			return ptr
		}
		ptr = next
	}
}

// TestRequiredFields holds the schemas to testdata/required.json: in every valid fixture of every type
// (and the documented forms the variants make of them), dropping a listed property makes the payload
// invalid at that property's pointer, and dropping any other property leaves it valid. Each listed
// property must occur in some payload, and a decision the documents leave open must name its quirk.
func TestRequiredFields(t *testing.T) {
	spec := loadRequired(t)
	quirkIDs := map[string]bool{}
	for _, q := range loadQuirks(t) {
		quirkIDs[q.ID] = true
	}
	v := newValidator(t, false)
	require.ElementsMatch(t, schemas.Providers(), keysOf(spec.Providers))
	for _, p := range schemas.Providers() {
		prov := spec.Providers[p]
		require.ElementsMatch(t, schemas.Types(p), keysOf(prov.Types), "%s: a list for every message type", p)
		for _, typ := range schemas.Types(p) {
			t.Run(string(p)+"/"+typ, func(t *testing.T) {
				listed := map[string]requiredField{}
				for _, f := range append(slices.Clone(prov.All), prov.Types[typ].Required...) {
					require.NotEmpty(t, f.Why, f.Pointer)
					for _, id := range regexp.MustCompile(`quirk ([a-z]+/[a-z0-9-]+)`).FindAllStringSubmatch(f.Why, -1) {
						assert.True(t, quirkIDs[id[1]], "%s names quirk %s, which quirks.json lacks", f.Pointer, id[1])
					}
					require.NotContains(t, listed, f.Pointer, "listed twice")
					listed[f.Pointer] = f
				}
				var docs []any
				for _, f := range fixtures.ForType(p, typ) {
					if f.Verdict == fixtures.Valid {
						doc, err := jsoninput.Decode(f.Bytes())
						require.NoError(t, err)
						docs = append(docs, doc)
					}
				}
				require.NotEmpty(t, docs)
				for _, edits := range prov.Types[typ].Variants {
					doc := jsonpointer.Clone(docs[0])
					for _, e := range edits {
						require.NoError(t, e.apply(doc), e.String())
					}
					docs = append(docs, doc)
				}

				seen := map[string]bool{}
				for i, doc := range docs {
					require.True(t, validate(t, v, p, doc).Valid(), "payload %d is valid", i)
					for _, ptr := range properties(doc) {
						removed := jsonpointer.Clone(doc)
						require.NoError(t, jsonpointer.Remove(removed, ptr))
						r := validate(t, v, p, removed)
						f, required := listed[pattern(ptr)]
						if !required {
							assert.True(t, r.Valid(), "payload %d: the documents make %s optional; without it: %v", i, ptr, r.Violations)
							continue
						}
						seen[f.Pointer] = true
						if len(f.OneOf) == 0 {
							assert.Contains(t, instances(r), ptr, "payload %d: the documents require %s (%s)", i, ptr, f.Why)
							continue
						}
						parent, _, err := jsonpointer.Parent(ptr)
						require.NoError(t, err)
						last := len(f.OneOf) - 1
						want := schemas.Violation{Instance: parent, Message: "one of " + strings.Join(f.OneOf[:last], ", ") + " or " + f.OneOf[last] + " is required"}
						assert.True(t, slices.ContainsFunc(r.Violations, func(got schemas.Violation) bool {
							return got.Instance == want.Instance && got.Message == want.Message
						}), "payload %d: want %q, got %v", i, want, r.Violations)
					}
				}
				for ptr := range listed {
					assert.True(t, seen[ptr], "%s is listed, but no payload of type %s carries it", ptr, typ)
				}
			})
		}
	}
}

func keysOf[K comparable, V any](m map[K]V) []K {
	var out []K
	for k := range m {
		out = append(out, k)
	}
	return out
}
