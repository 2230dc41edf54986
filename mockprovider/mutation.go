package mockprovider

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/internal/spelling"
	"github.com/wahook/wahook/message"
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

	types  []string  // message types it applies to; nil means all
	needs  string    // JSON pointer the base payload must have
	quirks QuirkMode // the base payload's quirk mode; "" for the Generator's own
	full   bool      // the base payload has every optional part (see Generator.generateSeed)
	apply  func(m *mutating) error
	// meaning makes the base payload's message what the mutated payload encodes, and reports
	// whether it could; nil for an edit whose meaning the generator does not model (Payload.Message
	// is then nil).
	meaning func(*message.Message) bool
}

// sameMessage is the meaning of an edit of the bytes alone: the message stays what it was.
func sameMessage(*message.Message) bool { return true }

// AppliesTo reports whether the mutation makes sense for message type typ.
func (m Mutation) AppliesTo(typ string) bool { return m.types == nil || slices.Contains(m.types, typ) }

// mutating is a payload being mutated: the decoded document, or raw bytes once a mutation has left JSON.
type mutating struct {
	p           *Provider
	typ         string
	f           *faker
	doc         any
	order       keyOrders // the key order of doc's objects, kept when it is encoded again
	raw         []byte    // when set, the body; doc is ignored
	contentType string
}

// body returns the payload's current bytes: doc encoded with the generator's key order and escaping,
// so that the bytes differ from the base payload's only where the mutation edited doc.
func (m *mutating) body() ([]byte, error) {
	if m.raw != nil {
		return m.raw, nil
	}
	return m.order.encode(m.doc)
}

// setRaw switches the mutation to byte level.
func (m *mutating) setRaw(b []byte) { m.raw = b }

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
	ids := make([]string, len(c.(*indexedCatalogue).list))
	for i, m := range c.(*indexedCatalogue).list {
		ids[i] = m.ID
	}
	if near := spelling.Closest(id, ids); near != "" {
		return Mutation{}, fmt.Errorf("%w %q for %s (did you mean %q?)", ErrUnknownMutation, id, p, near)
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
// deterministic for the Generator's options, like Generate, and the base payload is Generate's payload
// index whenever the mutation can edit it: a named mutation's result differs from Generate(p, typ,
// index) by the mutation's edit alone. A mutation of an optional part (a systematic one, or a quirk
// form) is applied to a payload that has every optional part; when the part is one of two
// alternatives (a list or a button reply, one quirk form of a key), the next candidate payload derived
// from the same seed that has it is used, in the mix quirk mode if the Generator's own lacks it.
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
	base, doc, order, err := g.mutationBase(prov, typ, index, m)
	if err != nil {
		return Payload{}, m, err
	}
	f := g.fakers.Get().(*faker)
	f.reseed(mix64(base.Seed ^ 0x6D75746174696F6E)) // "mutation": the edit's own stream
	mu := &mutating{p: prov, typ: typ, f: f, doc: doc, order: order, contentType: base.ContentType}
	err = m.apply(mu)
	g.fakers.Put(f)
	if err != nil {
		return Payload{}, m, fmt.Errorf("mutation %s on %s %s: %w", id, p, typ, err)
	}
	if base.Body, err = mu.body(); err != nil {
		return Payload{}, m, fmt.Errorf("mutation %s on %s %s: encode: %w", id, p, typ, err)
	}
	base.ContentType = mu.contentType
	if base.Message != nil && (m.meaning == nil || !m.meaning(base.Message)) {
		base.Message = nil
	}
	return base, m, nil
}

// maxBaseAttempts bounds the candidate payloads mutationBase tries per quirk mode. A full payload
// lacks a field only when it is one of two alternatives, each taken half the time.
const maxBaseAttempts = 64

// mutationBase returns the payload mutation m edits for payload index of type typ, decoded, with the
// key order of its objects.
func (g *Generator) mutationBase(prov *Provider, typ string, index uint64, m Mutation) (Payload, any, keyOrders, error) {
	gen, err := g.withQuirks(m.quirks)
	if err != nil {
		return Payload{}, nil, nil, err
	}
	gens := []*Generator{gen}
	if m.needs != "" && m.quirks == "" && gen.opts.Quirks != QuirksMix {
		mix, err := g.withQuirks(QuirksMix)
		if err != nil {
			return Payload{}, nil, nil, err
		}
		gens = append(gens, mix)
	}
	var needKey []byte // a cheap test before decoding: the field's name must be in the bytes
	if last := lastToken(m.needs); m.needs != "" && !isDigits(last) {
		needKey = appendQuoted(nil, last)
	}
	seed := PayloadSeed(g.opts.Seed, index)
	for _, gen := range gens {
		for attempt := range uint64(maxBaseAttempts) {
			s := seed
			if attempt > 0 {
				s = mix64(seed + attempt)
			}
			base, err := gen.generateSeed(prov, typ, index, s, m.full)
			if err != nil {
				return Payload{}, nil, nil, err
			}
			if needKey != nil && !bytes.Contains(base.Body, needKey) {
				continue
			}
			doc, order, err := decodeOrdered(base.Body)
			if err != nil {
				return Payload{}, nil, nil, fmt.Errorf("mutation %s: %w", m.ID, err)
			}
			if m.needs != "" {
				if _, err := jsonpointer.Get(doc, m.needs); err != nil {
					continue
				}
			}
			return base, doc, order, nil
		}
	}
	return Payload{}, nil, nil, fmt.Errorf("mutation %s on %s %s: no payload carries %s: %w", m.ID, prov.Name, typ, m.needs, ErrNotApplicable)
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

// minFullVariants and maxFullVariants bound the full payloads per type and quirk mode that
// systematicMutations reads: at least a few, then more until every field the schema defines for the
// type has appeared (the alternatives a payload chooses between come within a few seeds).
const (
	minFullVariants = 4
	maxFullVariants = 64
)

// fieldInfo is what the schema says of one field across the message types.
type fieldInfo struct {
	field         schemas.Field
	types         []string // types whose schema defines the field
	requiredTypes []string // types whose schema requires it
}

// systematicMutations derives from the schema, for every field it defines for each message type, one
// mutation that drops it (where required) and one that gives it the wrong JSON type. The fields are
// those schemas.Fields lists for payloads with every optional part (a payload must be there for the
// schema's if/then branches to resolve), in both quirk forms, over enough seeds that every field it
// lists is present in one of them: a field the schema defines that no such payload carries is an
// error, not a silently missing case. A mutation applies to every type whose schema defines the field.
func systematicMutations(p *Provider) ([]Mutation, error) {
	g, err := New(Options{Seed: 1})
	if err != nil {
		return nil, err
	}
	fields := map[string]*fieldInfo{}
	var order []string
	for _, typ := range p.types {
		listed := map[string]bool{} // every field Fields lists, present or not
		present := map[string]bool{}
		complete := func() bool {
			for ptr := range listed {
				if !present[ptr] {
					return false
				}
			}
			return true
		}
		for _, mode := range []QuirkMode{QuirksExample, QuirksTable} {
			gen, err := g.withQuirks(mode)
			if err != nil {
				return nil, err
			}
			for i := range uint64(maxFullVariants) {
				if i >= minFullVariants && complete() {
					break
				}
				pl, err := gen.generateSeed(p, typ, i, PayloadSeed(1, i), true)
				if err != nil {
					return nil, err
				}
				doc, _, err := decodeOrdered(pl.Body)
				if err != nil {
					return nil, err
				}
				fs, err := schemas.Fields(p.Name, doc)
				if err != nil {
					return nil, err
				}
				for _, f := range fs {
					if hasIndexOtherThanZero(f.Pointer) {
						continue
					}
					listed[f.Pointer] = true
					if !f.Present {
						continue
					}
					present[f.Pointer] = true
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
		for _, ptr := range slices.Sorted(maps.Keys(listed)) {
			if !present[ptr] {
				return nil, fmt.Errorf("%s %s: the schema defines %s, but no payload with every optional part carries it", p.Name, typ, ptr)
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
				types: allTypes(info.requiredTypes), needs: ptr, full: true,
				apply: func(m *mutating) error { return jsonpointer.Remove(m.doc, ptr) },
			})
		}
		if wrong, ok := schemas.OtherTypeValue(info.field.Types); ok {
			out = append(out, Mutation{
				ID:          "wrong-type." + path,
				Description: fmt.Sprintf("give %s a JSON %s instead of %s", ptr, schemas.JSONType(wrong), strings.Join(info.field.Types, " or ")),
				Expect:      Reject, Schema: SchemaInvalid, Systematic: true, Pointer: ptr,
				types: allTypes(info.types), needs: ptr, full: true,
				apply: func(m *mutating) error { return jsonpointer.Set(m.doc, ptr, wrong) },
			})
		}
	}
	return append(out, alternativeKeyDrops(p, fields)...), nil
}

// alternativeKeyDrops adds, for each type whose object may arrive under one of several keys (InnoPaaS's
// contacts or contact), the drop of that required object, under every key at once: the schema requires
// one of them (anyOf), which schemas.Fields does not read, so neither key looks required on its own.
func alternativeKeyDrops(p *Provider, fields map[string]*fieldInfo) []Mutation {
	var out []Mutation
	for _, typ := range p.types {
		keys := p.typeObjectKeys(typ)
		if len(keys) < 2 {
			continue
		}
		var ptrs []string
		for _, k := range keys {
			ptrs = append(ptrs, p.MessagePointer+"/"+jsonpointer.Escape(k))
		}
		if slices.ContainsFunc(ptrs, func(ptr string) bool {
			info := fields[ptr]
			return info != nil && slices.Contains(info.requiredTypes, typ)
		}) {
			continue // one key is required on its own: Fields saw it, and it has its drop already
		}
		ptr := ptrs[0]
		out = append(out, Mutation{
			ID:          "drop-required." + dottedPath(ptr),
			Description: fmt.Sprintf("remove the required %s object, under whichever of its keys it has (%s)", typ, strings.Join(keys, ", ")),
			Expect:      Reject, Schema: SchemaInvalid, Systematic: true, Pointer: ptr,
			types: []string{typ}, full: true,
			apply: func(m *mutating) error {
				removed := 0
				for _, ptr := range ptrs {
					if jsonpointer.Remove(m.doc, ptr) == nil {
						removed++
					}
				}
				if removed == 0 {
					return fmt.Errorf("no %s object under %s", typ, strings.Join(ptrs, " or "))
				}
				return nil
			},
		})
	}
	return out
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
