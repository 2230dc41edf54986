package mockprovider

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/schemas"
)

// Expectation is what a receiver should do with a payload.
type Expectation string

// The expectation classes.
const (
	// Accept: a valid payload; the receiver answers 2xx.
	Accept Expectation = "accept"
	// Reject: a careful receiver refuses it (4xx), a lenient one may ack and drop it (2xx); no receiver
	// may answer 5xx, hang or die.
	Reject Expectation = "reject"
	// Tolerate: the provider can send it, so a correct receiver answers 2xx.
	Tolerate Expectation = "tolerate"
)

// SchemaVerdict is what the schemas say about a mutated body, so that tests can hold the catalogue
// to the schemas.
type SchemaVerdict string

// The schema verdicts. NotChecked marks mutations whose defect the schema cannot see, such as a wrong
// Content-Type header.
const (
	SchemaValid   SchemaVerdict = "valid"
	SchemaInvalid SchemaVerdict = "invalid"
	NotChecked    SchemaVerdict = "not-checked"
)

// ErrUnknownMutation is returned for a mutation id that is not in the catalogue.
var ErrUnknownMutation = errors.New("unknown mutation")

// ErrNotApplicable is returned when a mutation does not make sense for a payload's type.
var ErrNotApplicable = errors.New("mutation does not apply")

// Mutation is one named way of breaking, or legitimately stretching, a valid payload.
type Mutation struct {
	// ID is stable across releases; systematic ids embed the field's path.
	ID          string        `json:"id"`
	Description string        `json:"description"`
	Expect      Expectation   `json:"expect"`
	Schema      SchemaVerdict `json:"schema"`
	// Systematic marks mutations derived from the schema rather than listed by hand.
	Systematic bool `json:"systematic,omitempty"`
	// Pointer is the field a systematic mutation edits.
	Pointer string `json:"pointer,omitempty"`

	types  []string // message types it applies to; nil means all
	needs  string   // JSON pointer the base payload must have
	quirks QuirkMode
	apply  func(m *mutating) error
}

// AppliesTo reports whether the mutation makes sense for message type typ.
func (m Mutation) AppliesTo(typ string) bool { return m.types == nil || slices.Contains(m.types, typ) }

// mutating is a payload being mutated: the decoded document, or raw bytes once a mutation has left JSON.
type mutating struct {
	p           *Provider
	typ         string
	f           *faker
	doc         any
	raw         []byte // when set, the body; doc is ignored
	contentType string
}

// body returns the payload's current bytes.
func (m *mutating) body() ([]byte, error) {
	if m.raw != nil {
		return m.raw, nil
	}
	return encodeJSON(m.doc)
}

// setRaw switches the mutation to byte level.
func (m *mutating) setRaw(b []byte) { m.raw = b }

func encodeJSON(doc any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // providers send <, > and & as they are
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Mutations returns the whole catalogue for provider p: the named mutations, then the systematic ones
// derived from p's schema, in a stable order.
func Mutations(p schemas.Provider) ([]Mutation, error) {
	prov, err := Lookup(p)
	if err != nil {
		return nil, err
	}
	cat, err := catalogue(prov)
	if err != nil {
		return nil, err
	}
	return slices.Clone(cat), nil
}

// LookupMutation finds a mutation of p's catalogue by id.
func LookupMutation(p schemas.Provider, id string) (Mutation, error) {
	prov, err := Lookup(p)
	if err != nil {
		return Mutation{}, err
	}
	if _, err := catalogue(prov); err != nil {
		return Mutation{}, err
	}
	c, _ := catalogues.Load(prov)
	if m, ok := c.(*indexedCatalogue).byID[id]; ok {
		return m, nil
	}
	return Mutation{}, fmt.Errorf("%w %q for %s", ErrUnknownMutation, id, p)
}

// indexedCatalogue is a provider's catalogue, built once, with its ids indexed.
type indexedCatalogue struct {
	list []Mutation
	byID map[string]Mutation
}

var catalogues sync.Map // *Provider -> *indexedCatalogue

func catalogue(p *Provider) ([]Mutation, error) {
	if c, ok := catalogues.Load(p); ok {
		return c.(*indexedCatalogue).list, nil
	}
	out := namedMutations(p)
	sys, err := systematicMutations(p)
	if err != nil {
		return nil, err
	}
	out = append(out, sys...)
	idx := &indexedCatalogue{list: out, byID: make(map[string]Mutation, len(out))}
	for _, m := range out {
		idx.byID[m.ID] = m
	}
	c, _ := catalogues.LoadOrStore(p, idx)
	return c.(*indexedCatalogue).list, nil
}

// GenerateMutated builds payload index of type typ and applies the mutation named id. The result is
// deterministic for the Generator's seed, like Generate. When the mutation needs a field the payload
// happens not to carry (an optional context, one quirk form of a key), the next candidate payload
// derived from the same seed is used.
func (g *Generator) GenerateMutated(p schemas.Provider, typ string, index uint64, id string) (Payload, Mutation, error) {
	prov, err := Lookup(p)
	if err != nil {
		return Payload{}, Mutation{}, err
	}
	m, err := LookupMutation(p, id)
	if err != nil {
		return Payload{}, Mutation{}, err
	}
	if !m.AppliesTo(typ) {
		return Payload{}, m, fmt.Errorf("mutation %s on %s %s: %w", id, p, typ, ErrNotApplicable)
	}
	gen, err := g.withQuirks(m.quirks)
	if err != nil {
		return Payload{}, m, err
	}
	var needKey []byte // a cheap test before decoding: the field's name must be in the bytes
	if last := lastToken(m.needs); m.needs != "" && !isDigits(last) {
		needKey = appendQuoted(nil, last)
	}
	seed := PayloadSeed(g.opts.Seed, index)
	for attempt := uint64(0); attempt < 256; attempt++ {
		base, err := gen.generateSeed(prov, typ, index, mix64(seed+attempt))
		if err != nil {
			return Payload{}, m, err
		}
		if needKey != nil && !bytes.Contains(base.Body, needKey) {
			continue
		}
		doc, err := schemas.Decode(base.Body)
		if err != nil {
			return Payload{}, m, fmt.Errorf("mutation %s: decode base payload: %w", id, err)
		}
		if m.needs != "" {
			if _, err := jsonpointer.Get(doc, m.needs); err != nil {
				continue
			}
		}
		f := g.fakers.Get().(*faker)
		f.reseed(mix64(base.Seed ^ 0x6D75746174696F6E)) // "mutation": the edit's own stream
		mu := &mutating{p: prov, typ: typ, f: f, doc: doc, contentType: base.ContentType}
		err = m.apply(mu)
		g.fakers.Put(f)
		if err != nil {
			return Payload{}, m, fmt.Errorf("mutation %s on %s %s: %w", id, p, typ, err)
		}
		if base.Body, err = mu.body(); err != nil {
			return Payload{}, m, fmt.Errorf("mutation %s: encode: %w", id, err)
		}
		base.ContentType = mu.contentType
		return base, m, nil
	}
	return Payload{}, m, fmt.Errorf("mutation %s on %s %s: no payload carries %s: %w", id, p, typ, m.needs, ErrNotApplicable)
}

// withQuirks returns a Generator like g in quirk mode q ("" for g itself), made once per mode so that
// its media cache is shared across calls.
func (g *Generator) withQuirks(q QuirkMode) (*Generator, error) {
	if q == "" || q == g.opts.Quirks {
		return g, nil
	}
	if other, ok := g.quirkModes.Load(q); ok {
		return other.(*Generator), nil
	}
	opts := g.opts
	opts.Quirks = q
	other, err := New(opts)
	if err != nil {
		return nil, err
	}
	actual, _ := g.quirkModes.LoadOrStore(q, other)
	return actual.(*Generator), nil
}

// systematicMutations derives from the schema, for every field a generated payload of each type can
// carry, one mutation that drops it (when required) and one that gives it the wrong JSON type.
func systematicMutations(p *Provider) ([]Mutation, error) {
	g, err := New(Options{Seed: 1})
	if err != nil {
		return nil, err
	}
	type fieldInfo struct {
		field         schemas.Field
		types         []string // types whose payloads carry the field
		requiredTypes []string // types whose schema requires it
	}
	fields := map[string]*fieldInfo{}
	var order []string
	for _, typ := range p.types {
		for i := range uint64(24) { // enough seeds for every optional field and quirk form to appear
			pl, err := g.Generate(p.Name, typ, i)
			if err != nil {
				return nil, err
			}
			doc, err := schemas.Decode(pl.Body)
			if err != nil {
				return nil, err
			}
			fs, err := schemas.Fields(p.Name, doc)
			if err != nil {
				return nil, err
			}
			for _, f := range fs {
				if !f.Present || hasIndexOtherThanZero(f.Pointer) {
					continue
				}
				info, ok := fields[f.Pointer]
				if !ok {
					info = &fieldInfo{field: f}
					fields[f.Pointer] = info
					order = append(order, f.Pointer)
				}
				if !slices.Contains(info.types, typ) {
					info.types = append(info.types, typ)
				}
				if f.Required && !slices.Contains(info.requiredTypes, typ) {
					info.requiredTypes = append(info.requiredTypes, typ)
				}
			}
		}
	}
	allTypes := func(types []string) []string {
		if len(types) == len(p.types) {
			return nil
		}
		return types
	}
	var out []Mutation
	for _, ptr := range order {
		info := fields[ptr]
		path := dottedPath(ptr)
		if len(info.requiredTypes) > 0 && !strings.HasSuffix(ptr, "/0") {
			out = append(out, Mutation{
				ID:          "drop-required." + path,
				Description: fmt.Sprintf("remove the required field %s", ptr),
				Expect:      Reject, Schema: SchemaInvalid, Systematic: true, Pointer: ptr,
				types: allTypes(info.requiredTypes), needs: ptr,
				apply: func(m *mutating) error { return jsonpointer.Remove(m.doc, ptr) },
			})
		}
		if wrong, ok := schemas.OtherTypeValue(info.field.Types); ok {
			out = append(out, Mutation{
				ID:          "wrong-type." + path,
				Description: fmt.Sprintf("give %s a JSON %s instead of %s", ptr, schemas.JSONType(wrong), strings.Join(info.field.Types, " or ")),
				Expect:      Reject, Schema: SchemaInvalid, Systematic: true, Pointer: ptr,
				types: allTypes(info.types), needs: ptr,
				apply: func(m *mutating) error { return jsonpointer.Set(m.doc, ptr, wrong) },
			})
		}
	}
	return out, nil
}

func hasIndexOtherThanZero(ptr string) bool {
	tokens, _ := jsonpointer.Split(ptr)
	for _, t := range tokens {
		if t != "0" && strings.Trim(t, "0123456789") == "" {
			return true
		}
	}
	return false
}

// dottedPath turns /body/image/sha256 into body.image.sha256, for ids that are also directory names.
func dottedPath(ptr string) string {
	tokens, _ := jsonpointer.Split(ptr)
	for i, t := range tokens {
		tokens[i] = strings.Map(func(r rune) rune {
			if r == '/' || r == ' ' || r == '.' {
				return '_'
			}
			return r
		}, t)
	}
	return strings.Join(tokens, ".")
}
