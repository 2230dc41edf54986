package conformance_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/conformance"
	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/internal/valueclass"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// TestCoverageComplete: every (message type, field, value class) the schema allows is carried by a
// case of the valid, documented or tolerate group. It tries each class alone in each field of every
// type's classes payload, asks the schema, and checks the allowed ones against conformance.Coverage;
// the pairs the schema refuses are written to testdata with why, one line per field and class.
func TestCoverageComplete(t *testing.T) {
	v, err := schemas.New(schemas.Options{})
	require.NoError(t, err)
	for _, p := range schemas.Providers() {
		t.Run(string(p), func(t *testing.T) {
			cfg := conformance.Config{Target: mockprovider.Target{Provider: p}}
			rows, err := conformance.Coverage(cfg)
			require.NoError(t, err)
			carried := map[string]bool{}
			for _, r := range rows {
				carried[r.Type+" "+r.Field+" "+r.Class] = true
			}
			cases, err := conformance.Cases(cfg)
			require.NoError(t, err)
			prov, err := mockprovider.Lookup(p)
			require.NoError(t, err)
			refused := map[string]string{}
			allowedPairs := 0
			for _, c := range cases {
				// The fields of the first generated payload of each type, and of the classes cases' one.
				if c.Group != conformance.GroupValid || !strings.HasSuffix(c.ID, "/1") && !strings.HasSuffix(c.ID, "/classes-1") {
					continue
				}
				body := c.Requests[0].Body
				doc := decode(t, body)
				for _, l := range scalars(doc) {
					if l.ptr == prov.MessagePointer+"/type" {
						continue
					}
					field := jsonpointer.Generalise(l.ptr, jsonpointer.IndexAsZero)
					for _, class := range valueclass.For(valueclass.FamilyOf(l.key, l.value)) {
						value, ok := class.Apply(l.value)
						if !ok {
							continue
						}
						variant := decode(t, body)
						require.NoError(t, jsonpointer.Set(variant, l.ptr, value))
						raw, err := json.Marshal(variant)
						require.NoError(t, err)
						rep, err := v.Validate(p, raw)
						require.NoError(t, err)
						if !rep.Valid() {
							// The keyword, not the message: the message quotes the value, which the seed draws.
							kw := rep.Violations[0].Keyword
							refused[field+" "+class.Name] = "refused by " + kw[strings.LastIndex(kw, "/")+1:]
							continue
						}
						allowedPairs++
						assert.True(t, carried[c.Type+" "+field+" "+class.Name], "%s %s %s: allowed, carried by no case", c.Type, field, class.Name)
					}
				}
			}
			assert.Greater(t, allowedPairs, 500)
			var lines []string
			for k, why := range refused {
				lines = append(lines, k+": "+why)
			}
			slices.Sort(lines)
			golden(t, fmt.Sprintf("classes-refused-%s.txt", p), strings.Join(lines, "\n")+"\n")
		})
	}
}

type scalar struct {
	ptr, key string
	value    any
}

func scalars(doc any) []scalar {
	var out []scalar
	var walk func(ptr, key string, v any)
	walk = func(ptr, key string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				walk(ptr+"/"+jsonpointer.Escape(k), k, e)
			}
		case []any:
			for i, e := range v {
				walk(ptr+"/"+strconv.Itoa(i), key, e)
			}
		default:
			out = append(out, scalar{ptr, key, v})
		}
	}
	walk("", "", doc)
	return out
}

func decode(t *testing.T, body []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	require.NoError(t, dec.Decode(&doc))
	return doc
}
