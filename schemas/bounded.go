package schemas

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/wahook/wahook/internal/jsonpointer"
)

// Bounded validation. The library builds an error value, about a kilobyte and a half of strings, for
// every value that fails, and keeps the whole tree until Validate returns: a 3 MiB payload of a million
// empty contact cards took 1.4 GB. So a payload with an array or an object wider than a window is never
// handed to the library whole:
//
//   - every array the schema checks keeps its first itemsWindow items; the rest are checked a window at
//     a time against the array's own subschema, compiled from the same source, and their violations
//     are moved back to their place in the payload;
//   - every object loses the properties no applicable schema names (they are never validated, so
//     lenient mode ignores them); in strict mode each is reported as undocumented, which is all the
//     library would have said about it;
//   - what remains is validated as a whole, then the windows, until MaxViolations are found.
//
// Each library call thus sees at most a window of items at each of the schema's levels, however large
// the payload. The result is the same as validating the whole payload (TestBoundedAgreesWithWhole
// checks it on every fixture and every one-field breakage of it) for the keywords lint allows; New
// refuses a schema with another, so that a schema edit cannot silently break the equivalence.

// Default windows: a payload with no array longer than itemsWindow and no object with more keys than
// keysWindow (no documented payload comes near either) is validated whole.
const (
	defaultItemsWindow = 16
	defaultKeysWindow  = 32
)

// source is one provider's schema as the Validator compiled it, for the parts of validation that read
// the schema themselves.
type source struct {
	conv   converter
	defs   map[string]any
	arrays map[string]*jsonschema.Schema // the array subschemas, by JSON pointer in the source
}

// sref is a schema node that applies to a value, with the paths the library would report for it.
type sref struct {
	node map[string]any
	kw   string // keyword path from the root, through $refs, as the library reports it (RFC 6901)
	loc  string // JSON pointer of node in the source: where the library's subschema is compiled from
}

// wide reports whether v has an array or object too wide to hand to the library whole.
func wide(v any, items, keys int) bool {
	switch t := v.(type) {
	case map[string]any:
		if len(t) > keys {
			return true
		}
		for _, c := range t {
			if wide(c, items, keys) {
				return true
			}
		}
	case []any:
		if len(t) > items {
			return true
		}
		for _, c := range t {
			if wide(c, items, keys) {
				return true
			}
		}
	}
	return false
}

// job is work left after the first library call: the undocumented keys of one object, or the items
// of one array past its first window.
type job struct {
	path string // pointer of the object or array in the payload

	keyword  string   // for keys: the keyword path of the unevaluatedProperties that refuses them
	stripped []string // for keys: sorted

	items   []any  // for an array: all of it
	arrays  []sref // for an array: the schemas with "items" that apply to it
	entries []sref // for an array: their items subschemas
}

// bounded is one bounded validation in progress.
type bounded struct {
	src   *source
	items int // itemsWindow
	col   sink
}

// reduce returns v as the first library call sees it, and appends to jobs the work left for later.
// entries are the schemas that apply to v; path is v's pointer in the payload.
func (b *bounded) reduce(entries []sref, v any, path string, jobs *[]job) (any, bool) {
	var applicable []sref
	for _, e := range entries {
		applicable = b.src.expand(e, v, applicable)
	}
	switch t := v.(type) {
	case map[string]any:
		return b.object(applicable, t, path, jobs)
	case []any:
		return b.array(applicable, t, path, jobs)
	}
	return v, false
}

// expand appends s and the schemas it applies in place to v: its $ref, its allOf, its then when its if
// holds. These are the schemas the library applies to v through s, with the same keyword paths.
func (src *source) expand(s sref, v any, out []sref) []sref {
	out = append(out, s)
	if ref, ok := s.node["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/$defs/")
		if target, ok := src.defs[name].(map[string]any); ok {
			out = src.expand(sref{target, s.kw + "/$ref", "/$defs/" + jsonpointer.Escape(name)}, v, out)
		}
	}
	for i, sub := range asSlice(s.node["allOf"]) {
		if m, ok := sub.(map[string]any); ok {
			n := "/allOf/" + strconv.Itoa(i)
			out = src.expand(sref{m, s.kw + n, s.loc + n}, v, out)
		}
	}
	if cond, ok := s.node["if"].(map[string]any); ok && holds(cond, v) {
		if then, ok := s.node["then"].(map[string]any); ok {
			out = src.expand(sref{then, s.kw + "/then", s.loc + "/then"}, v, out)
		}
	}
	return out
}

// documented reports whether a schema that applies where ptr points (in doc, to which entries apply)
// names the property ptr ends with. The library calls such a property unevaluated when the branch
// that names it fails, so a strict-mode complaint about it only echoes that failure.
func (src *source) documented(entries []sref, doc any, ptr string) bool {
	tokens, err := jsonpointer.Split(ptr)
	if err != nil || len(tokens) == 0 {
		return false
	}
	cur := doc
	for i, tok := range tokens {
		var applicable []sref
		for _, e := range entries {
			applicable = src.expand(e, cur, applicable)
		}
		entries = entries[:0:0]
		switch c := cur.(type) {
		case map[string]any:
			for _, s := range applicable {
				if ps, ok := dig(s.node, "properties")[tok].(map[string]any); ok {
					if i == len(tokens)-1 {
						return true
					}
					entries = append(entries, sref{node: ps})
				}
			}
			cur = c[tok]
		case []any:
			n, err := strconv.Atoi(tok)
			if err != nil || n < 0 || n >= len(c) {
				return false
			}
			for _, s := range applicable {
				if items, ok := s.node["items"].(map[string]any); ok {
					entries = append(entries, sref{node: items})
				}
			}
			cur = c[n]
		default:
			return false
		}
		if len(entries) == 0 {
			return false
		}
	}
	return false
}

// holds evaluates an `if` of the form lint allows (required names, and consts on properties) as the
// library does: on anything but an object it holds vacuously.
func holds(cond map[string]any, v any) bool {
	obj, ok := v.(map[string]any)
	if !ok {
		return true
	}
	for _, k := range toStrings(cond["required"]) {
		if _, ok := obj[k]; !ok {
			return false
		}
	}
	for k, ps := range dig(cond, "properties") {
		want, hasConst := ps.(map[string]any)["const"]
		if got, present := obj[k]; present && hasConst && got != want {
			return false
		}
	}
	return true
}

func (b *bounded) object(applicable []sref, obj map[string]any, path string, jobs *[]job) (any, bool) {
	// Every name an applicable keyword mentions stays: the library's verdict on the object depends only
	// on those (lint keeps out the keywords that count or match keys).
	keep := map[string]bool{}
	mention := func(names []string) {
		for _, n := range names {
			keep[n] = true
		}
	}
	for _, s := range applicable {
		for k := range dig(s.node, "properties") {
			keep[k] = true
		}
		mention(toStrings(s.node["required"]))
		for _, kw := range []string{"anyOf", "oneOf"} {
			for _, br := range asSlice(s.node[kw]) {
				mention(toStrings(br.(map[string]any)["required"]))
			}
		}
		if cond := dig(s.node, "if"); cond != nil {
			mention(toStrings(cond["required"]))
			for k := range dig(cond, "properties") {
				keep[k] = true
			}
		}
	}
	var stripped []string
	for k := range obj {
		if !keep[k] {
			stripped = append(stripped, k)
		}
	}
	if len(stripped) > 0 {
		// Every schema that closes the object refuses them; the report names each key once, with the
		// first such keyword, as tidy does for the library's duplicates.
		closedBy := ""
		for _, s := range applicable {
			if kw := s.kw + "/unevaluatedProperties"; s.node["unevaluatedProperties"] == false && (closedBy == "" || kw < closedBy) {
				closedBy = kw
			}
		}
		if closedBy != "" {
			slices.Sort(stripped)
			*jobs = append(*jobs, job{path: path, keyword: closedBy, stripped: stripped})
		}
	}

	var out map[string]any
	if len(stripped) > 0 {
		out = make(map[string]any, len(obj)-len(stripped))
	}
	names := make([]string, 0, len(obj)-len(stripped))
	for k := range obj {
		if keep[k] {
			names = append(names, k)
		}
	}
	slices.Sort(names) // jobs in document order, whatever the map's
	for _, k := range names {
		child := obj[k]
		var entries []sref
		for _, s := range applicable {
			if ps, ok := dig(s.node, "properties")[k].(map[string]any); ok {
				tok := "/properties/" + jsonpointer.Escape(k)
				entries = append(entries, sref{ps, s.kw + tok, s.loc + tok})
			}
		}
		if len(entries) > 0 {
			reduced, changed := b.reduce(entries, child, path+"/"+jsonpointer.Escape(k), jobs)
			if changed && out == nil {
				out = make(map[string]any, len(obj))
				for _, n := range names {
					out[n] = obj[n]
				}
			}
			child = reduced
		}
		if out != nil {
			out[k] = child
		}
	}
	if out == nil {
		return obj, false
	}
	return out, true
}

func (b *bounded) array(applicable []sref, arr []any, path string, jobs *[]job) (any, bool) {
	var arrays, entries []sref
	for _, s := range applicable {
		if items, ok := s.node["items"].(map[string]any); ok {
			arrays = append(arrays, s)
			entries = append(entries, sref{items, s.kw + "/items", s.loc + "/items"})
		}
	}
	if len(arrays) == 0 {
		return arr, false // the schema never looks inside
	}
	n := min(len(arr), b.items)
	var out []any
	if n < len(arr) {
		out = make([]any, n)
		copy(out, arr)
		*jobs = append(*jobs, job{path: path, items: arr, arrays: arrays, entries: entries})
	}
	for i := range n {
		reduced, changed := b.reduce(entries, arr[i], path+"/"+strconv.Itoa(i), jobs)
		if changed && out == nil {
			out = slices.Clone(arr)
		}
		if out != nil {
			out[i] = reduced
		}
	}
	if out == nil {
		return arr, false
	}
	return out, true
}

// drain runs jobs in order until the collector overflows. It reports whether it stopped with work
// left, so that the report can say its list may be incomplete.
func (b *bounded) drain(jobs []job) (stopped bool) {
	for _, j := range jobs {
		if b.col.overflowing() {
			return true
		}
		if j.items != nil {
			stopped = b.windows(j)
		} else {
			stopped = b.undocumented(j)
		}
		if stopped {
			return true
		}
	}
	return false
}

func (b *bounded) undocumented(j job) (stopped bool) {
	for _, k := range j.stripped {
		if b.col.overflowing() {
			return true // this key and any after it are left out
		}
		b.col.add(Violation{Instance: j.path + "/" + jsonpointer.Escape(k), Keyword: j.keyword, Message: notDocumented})
	}
	return false
}

// windows checks the items of j's array past its first window, a window at a time.
func (b *bounded) windows(j job) (stopped bool) {
	for from := b.items; from < len(j.items); from += b.items {
		if b.col.overflowing() {
			return true
		}
		to := min(from+b.items, len(j.items))
		window := make([]any, to-from)
		var nested []job
		for i := from; i < to; i++ {
			window[i-from], _ = b.reduce(j.entries, j.items[i], j.path+"/"+strconv.Itoa(i), &nested)
		}
		for _, s := range j.arrays {
			schema := b.src.arrays[s.loc]
			err := schema.Validate(window)
			var ve *jsonschema.ValidationError
			if err == nil || !errors.As(err, &ve) {
				continue // a non-validation error cannot happen for a decoded document and a compiled schema
			}
			vs := b.src.conv.leaves(ve, window, nil)
			kept := vs[:0]
			for _, v := range vs {
				if v.Instance == "" {
					continue // the window's own minItems: the array's are checked with its first window
				}
				idx, rest := nextToken(v.Instance)
				n, _ := strconv.Atoi(idx)
				v.Instance = j.path + "/" + strconv.Itoa(from+n) + rest
				v.Keyword = s.kw + v.Keyword
				kept = append(kept, v)
			}
			b.col.add(tidy(kept, func(ptr string) bool {
				return b.src.documented([]sref{s}, window, windowPointer(ptr, j.path, from))
			})...)
		}
		if b.drain(nested) {
			return true
		}
	}
	return false
}

// windowPointer maps a pointer into the payload back into the window that starts at item from of the
// array at path.
func windowPointer(ptr, path string, from int) string {
	idx, rest := nextToken(ptr[len(path):])
	n, _ := strconv.Atoi(idx)
	return "/" + strconv.Itoa(n-from) + rest
}

// compileArrays compiles every array subschema of src (a node with "items") from the resource at
// base, which c already holds.
func compileArrays(c *jsonschema.Compiler, base string, src map[string]any) (map[string]*jsonschema.Schema, error) {
	out := map[string]*jsonschema.Schema{}
	var walk func(node any, loc string) error
	walk = func(node any, loc string) error {
		switch n := node.(type) {
		case map[string]any:
			if _, ok := n["items"].(map[string]any); ok {
				s, err := c.Compile(base + "#" + fragment(loc))
				if err != nil {
					return fmt.Errorf("compile %s#%s: %w", base, loc, err)
				}
				out[loc] = s
			}
			for k, child := range n {
				if err := walk(child, loc+"/"+jsonpointer.Escape(k)); err != nil {
					return err
				}
			}
		case []any:
			for i, child := range n {
				if err := walk(child, loc+"/"+strconv.Itoa(i)); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return out, walk(src, "")
}

// fragment writes a JSON pointer as a URL fragment, each token URL-escaped as the library expects.
func fragment(ptr string) string {
	tokens := strings.Split(ptr, "/")
	for i, t := range tokens {
		tokens[i] = url.PathEscape(t)
	}
	return strings.Join(tokens, "/")
}

// Keywords lint allows, beyond the structural ones it checks one by one.
var (
	annotationKeywords = setOf("$schema", "$id", "$comment", "title", "description", "examples", "default", "deprecated", "readOnly", "writeOnly")
	// valueKeywords constrain a value by itself: the bounded validation may leave them to the library.
	valueKeywords = setOf("type", "enum", "const", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum",
		"exclusiveMaximum", "multipleOf", "pattern", "format", "required")
	arrayKeywords = setOf("type", "minItems", "items")
)

// localDef resolves ref in defs, the schema's $defs. The schemas use one form of $ref, a local
// "#/$defs/name" naming a schema object; lint and the acceptor both resolve it here, so that they
// agree on what a $ref means.
func localDef(ref string, defs map[string]any) (name string, def map[string]any, err error) {
	name, local := strings.CutPrefix(ref, "#/$defs/")
	def, found := defs[name].(map[string]any)
	if !local || !found {
		return "", nil, fmt.Errorf("$ref %q is not a local #/$defs/ reference", ref)
	}
	return name, def, nil
}

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// lint checks that every keyword of the schema node at loc is one the bounded validation treats as the
// library does. items is the Validator's array window: an array's own minItems is checked on its first
// window, which must therefore be able to satisfy it.
func lint(node map[string]any, loc string, defs map[string]any, items int) error {
	fail := func(format string, a ...any) error {
		return fmt.Errorf("schema keyword at %s: %s (see bounded.go)", loc, fmt.Sprintf(format, a...))
	}
	sub := func(v any, at string) error {
		m, ok := v.(map[string]any)
		if !ok {
			return fail("%s is not a schema object", at)
		}
		return lint(m, loc+at, defs, items)
	}
	onlyFrom := func(m map[string]any, at string, allowed ...map[string]bool) error {
	next:
		for k := range m {
			for _, set := range allowed {
				if set[k] {
					continue next
				}
			}
			return fail("%q in %s is not supported", k, at)
		}
		return nil
	}
	for k, v := range node {
		switch {
		case annotationKeywords[k] || valueKeywords[k]:
		case k == "$defs" || k == "properties":
			m, ok := v.(map[string]any)
			if !ok {
				return fail("%s is not an object", k)
			}
			for name, s := range m {
				if err := sub(s, "/"+k+"/"+jsonpointer.Escape(name)); err != nil {
					return err
				}
			}
		case k == "items":
			if err := onlyFrom(node, "an array schema", arrayKeywords, annotationKeywords); err != nil {
				return err
			}
			if n, _ := node["minItems"].(float64); n > float64(items) {
				return fail("minItems %v is more than the window of %d items", n, items)
			}
			if err := sub(v, "/items"); err != nil {
				return err
			}
		case k == "minItems":
			if node["items"] == nil {
				return fail("minItems without items")
			}
		case k == "$ref":
			ref, _ := v.(string)
			if _, _, err := localDef(ref, defs); err != nil {
				return fail("%v", err)
			}
		case k == "allOf":
			for i, s := range asSlice(v) {
				if err := sub(s, "/allOf/"+strconv.Itoa(i)); err != nil {
					return err
				}
			}
		case k == "anyOf" || k == "oneOf":
			for i, s := range asSlice(v) {
				m, ok := s.(map[string]any)
				if !ok {
					return fail("%s/%d is not a schema object", k, i)
				}
				if err := onlyFrom(m, fmt.Sprintf("%s/%d (its branches may only constrain the value itself)", k, i), valueKeywords, annotationKeywords); err != nil {
					return err
				}
			}
		case k == "if":
			cond, ok := v.(map[string]any)
			if !ok {
				return fail("if is not a schema object")
			}
			if err := onlyFrom(cond, "if (only required and properties with a const)", setOf("required", "properties")); err != nil {
				return err
			}
			for name, ps := range dig(cond, "properties") {
				m, _ := ps.(map[string]any)
				if _, ok := m["const"].(string); !ok || len(m) != 1 {
					return fail("if/properties/%s is not a string const", name)
				}
			}
		case k == "then":
			if node["if"] == nil {
				return fail("then without if")
			}
			if err := sub(v, "/then"); err != nil {
				return err
			}
		case k == "unevaluatedProperties":
			if v != false {
				return fail("unevaluatedProperties other than false")
			}
		default:
			return fail("%q is not supported", k)
		}
	}
	return nil
}
