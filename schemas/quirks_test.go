package schemas_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/fixtures"
	"github.com/wahook/wahook/internal/jsoninput"
	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/schemas"
)

var update = flag.Bool("update", false, "rewrite QUIRKS.md from quirks.json")

// quirk is one entry of the quirk register, quirks.json.
type quirk struct {
	ID       string           `json:"id"`
	Provider schemas.Provider `json:"provider"`
	Table    string           `json:"table"`
	Example  string           `json:"example"`
	Accepts  string           `json:"accepts"`
	Why      string           `json:"why"`
	Fixture  string           `json:"fixture"`
	Checks   []quirkCheck     `json:"checks"`
}

// quirkCheck edits the quirk's fixture and states the verdict the schema must give the result.
type quirkCheck struct {
	Set         string          `json:"set,omitempty"`
	Remove      string          `json:"remove,omitempty"`
	Rename      string          `json:"rename,omitempty"`
	To          json.RawMessage `json:"to,omitempty"`
	Valid       bool            `json:"valid"`
	StrictValid *bool           `json:"strictValid,omitempty"` // when strict mode disagrees with Valid
}

func (c quirkCheck) String() string {
	switch {
	case c.Set != "":
		return fmt.Sprintf("set %s to %s", c.Set, c.To)
	case c.Remove != "":
		return "remove " + c.Remove
	default:
		return fmt.Sprintf("rename %s to %s", c.Rename, c.To)
	}
}

func (c quirkCheck) apply(doc any) error {
	var to any
	if len(c.To) > 0 {
		dec := json.NewDecoder(bytes.NewReader(c.To))
		dec.UseNumber()
		if err := dec.Decode(&to); err != nil {
			return err
		}
	}
	switch {
	case c.Set != "":
		return jsonpointer.Set(doc, c.Set, to)
	case c.Remove != "":
		return jsonpointer.Remove(doc, c.Remove)
	case c.Rename != "":
		name, ok := to.(string)
		if !ok {
			return fmt.Errorf("rename needs a string \"to\"")
		}
		return jsonpointer.Rename(doc, c.Rename, name)
	}
	return fmt.Errorf("check has no set, remove or rename")
}

func loadQuirks(t *testing.T) []quirk {
	t.Helper()
	raw, err := os.ReadFile("quirks.json")
	require.NoError(t, err)
	var register struct {
		Quirks []quirk `json:"quirks"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&register))
	require.NotEmpty(t, register.Quirks)
	return register.Quirks
}

// TestQuirks pins every decision of the quirk register: the fixture that shows the quirk gets its
// manifest verdict, and each check's edit of it gets the stated verdict, in lenient and strict mode.
func TestQuirks(t *testing.T) {
	lenient, strict := newValidator(t, false), newValidator(t, true)
	manifest := map[string]fixtures.Fixture{}
	for _, f := range fixtures.All() {
		manifest[f.File] = f
	}
	seen := map[string]bool{}
	for _, q := range loadQuirks(t) {
		t.Run(q.ID, func(t *testing.T) {
			require.False(t, seen[q.ID], "duplicate quirk id")
			seen[q.ID] = true
			require.True(t, strings.HasPrefix(q.ID, string(q.Provider)+"/"), "id starts with the provider")
			for _, field := range []string{q.Table, q.Example, q.Accepts, q.Why} {
				require.NotEmpty(t, field)
			}
			f, ok := manifest[q.Fixture]
			require.True(t, ok, "fixture %s is in the manifest", q.Fixture)
			require.Equal(t, q.Provider, f.Provider)

			for name, v := range map[string]*schemas.Validator{"lenient": lenient, "strict": strict} {
				r, err := v.Validate(q.Provider, f.Bytes())
				require.NoError(t, err)
				assert.Equal(t, f.Verdict == fixtures.Valid, r.Valid(), "%s: fixture verdict; violations %v", name, r.Violations)
			}
			if f.Verdict == fixtures.Invalid {
				assert.Empty(t, q.Checks, "checks need a valid fixture to edit")
				return
			}
			require.NotEmpty(t, q.Checks, "a quirk the schema decides needs checks that pin the decision")
			base, err := jsoninput.Decode(f.Bytes())
			require.NoError(t, err)
			for _, c := range q.Checks {
				doc := jsonpointer.Clone(base)
				require.NoError(t, c.apply(doc), c.String())
				raw, err := json.Marshal(doc)
				require.NoError(t, err)
				r, err := lenient.Validate(q.Provider, raw)
				require.NoError(t, err)
				assert.Equal(t, c.Valid, r.Valid(), "%s: violations %v", c, r.Violations)
				wantStrict := c.Valid
				if c.StrictValid != nil {
					wantStrict = *c.StrictValid
				}
				r, err = strict.Validate(q.Provider, raw)
				require.NoError(t, err)
				assert.Equal(t, wantStrict, r.Valid(), "strict: %s: violations %v", c, r.Violations)
			}
		})
	}
}

// TestQuirksDocument keeps QUIRKS.md, the register for people, generated from quirks.json.
func TestQuirksDocument(t *testing.T) {
	var b strings.Builder
	b.WriteString("# Quirk register\n\n")
	b.WriteString("Generated from `quirks.json` by `go test ./schemas -run TestQuirksDocument -update`; edit the JSON, not this file.\n\n")
	b.WriteString("Both provider documents contradict themselves. The rule: a provider sends what its examples show, so the schema\n")
	b.WriteString("accepts the example's form; where the table documents another form, it accepts both. Each entry names the fixture\n")
	b.WriteString("that shows the quirk; `TestQuirks/<id>` in `schemas/quirks_test.go` pins the decision with the checks listed.\n")
	for _, q := range loadQuirks(t) {
		fmt.Fprintf(&b, "\n## %s\n\n", q.ID)
		fmt.Fprintf(&b, "- **Table:** %s\n- **Example:** %s\n- **Schema accepts:** %s\n- **Why:** %s\n", q.Table, q.Example, q.Accepts, q.Why)
		fmt.Fprintf(&b, "- **Fixture:** `fixtures/%s`\n- **Test:** `TestQuirks/%s`", q.Fixture, q.ID)
		for i, c := range q.Checks {
			if i == 0 {
				b.WriteString(", checking that:\n")
			}
			verdict := map[bool]string{true: "valid", false: "invalid"}[c.Valid]
			if c.StrictValid != nil && *c.StrictValid != c.Valid {
				verdict += fmt.Sprintf(" (strict: %s)", map[bool]string{true: "valid", false: "invalid"}[*c.StrictValid])
			}
			fmt.Fprintf(&b, "  - %s → %s\n", c, verdict)
		}
		if len(q.Checks) == 0 {
			b.WriteString("\n")
		}
	}
	got := b.String()
	if *update {
		require.NoError(t, os.WriteFile("QUIRKS.md", []byte(got), 0o644))
	}
	want, err := os.ReadFile("QUIRKS.md")
	require.NoError(t, err, "run with -update to create QUIRKS.md")
	assert.Equal(t, string(want), got, "QUIRKS.md is stale: run go test ./schemas -run TestQuirksDocument -update")
}
