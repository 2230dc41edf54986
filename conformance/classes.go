package conformance

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/internal/valueclass"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// classValidator decides which value classes the schema allows where. One per process: compiling
// the schemas costs more than building the whole catalogue. A provider registered after it was made
// gets one of its own (validatorFor).
var classValidator = sync.OnceValues(func() (*schemas.Validator, error) { return schemas.New(schemas.Options{}) })

func validatorFor(p schemas.Provider) (*schemas.Validator, error) {
	v, err := classValidator()
	if err != nil {
		return nil, err
	}
	if _, err := v.Validate(p, []byte("{}")); errors.Is(err, schemas.ErrUnknownProvider) {
		return schemas.New(schemas.Options{})
	}
	return v, nil
}

// leaf is one scalar field of a payload.
type leaf struct {
	ptr, key string
	value    any
}

// leaves lists doc's scalar fields in document order (keys sorted, as jsonpointer walks them).
func leaves(doc any) []leaf {
	var out []leaf
	var walk func(ptr, key string, v any)
	walk = func(ptr, key string, v any) {
		switch v := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				walk(ptr+"/"+jsonpointer.Escape(k), k, v[k])
			}
		case []any:
			for i, e := range v {
				walk(ptr+"/"+strconv.Itoa(i), key, e)
			}
		default:
			out = append(out, leaf{ptr: ptr, key: key, value: v})
		}
	}
	walk("", "", doc)
	return out
}

// classes: for every message type, payloads that carry the value classes (internal/valueclass) in
// their fields, packed twice over: payload k gives each field the k-th step of its family (classes
// that can share one value, in one value), so that every field meets every class of its family in
// as few cases as the family has steps. A step the schema refuses in a field is tried again one
// class at a time; a class it refuses alone is left out (the provider cannot send it there). The
// case's description names what each field carries. Their truth is what mockprovider.Parse reads of them.
func (b *builder) classes() error {
	tmpl, err := classTemplates(b.s.prov)
	if err != nil {
		return err
	}
	for _, t := range tmpl {
		id := caseID(GroupValid, b.s.Provider, t.name)
		if b.s.filter != nil && !b.s.filter.MatchString(id) {
			continue // not run: spare the work, which is most of building the suite
		}
		fresh, err := b.gen.Generate(b.s.Provider, t.typ, index(id, 0))
		if err != nil {
			return err
		}
		// The template's message with this run's identity, its id classes made again from the
		// fresh values, so that no two runs or cases send the same ids. One pass over the bytes:
		// the template is the large one, with its 4096-character values.
		freshDoc, err := decodeNumbers(fresh.Body)
		if err != nil {
			return err
		}
		values := map[string][]byte{}
		for _, ptr := range b.s.prov.IdentityPointers {
			v, err := jsonpointer.Get(freshDoc, ptr)
			if err != nil || kind(v) == "" {
				continue
			}
			if a, ok := t.assigned[ptr]; ok {
				if out, _, ok := a.step.Apply(v); ok {
					v = out
				}
			}
			if values[ptr], err = marshal(v); err != nil {
				return err
			}
			if s, ok := v.(string); ok && ptr == b.s.prov.IDPointer {
				fresh.ID = s // the id a receiver files the message under, id classes and all
			}
		}
		body, err := replaceValues(t.body, values)
		if err != nil {
			return err
		}
		// The truth is what the parser reads of these bytes: the generator drew other values. A
		// provider described with no parser (only a format) is judged on its status.
		fresh.Body, fresh.Message = body, nil
		if m, err := mockprovider.Parse(b.s.Provider, body); err == nil {
			fresh.Message = &m
		} else if !errors.Is(err, mockprovider.ErrNoParser) {
			return fmt.Errorf("%s: %w", id, err)
		}
		err = b.add(Case{
			ID: id, Group: GroupValid, Type: t.typ, Expect: ExpectAck, Requests: []Request{b.request(fresh)},
			Description: fmt.Sprintf("%s carrying value classes: %s", aMessage(t.typ), describe(t.assigned)),
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// classTemplate is one classes case as the schema allows it, before a run gives it its identity.
type classTemplate struct {
	name, typ string
	body      []byte
	assigned  map[string]assignment
}

// templates holds each provider's classes cases: they depend on the provider alone (their bases
// are drawn with a fixed seed), and working out which steps the schema allows where costs more than
// the rest of the catalogue. Keyed by the *mockprovider.Provider, so that a provider registered again
// under the same name is worked out again.
var templates sync.Map

func classTemplates(prov *mockprovider.Provider) ([]classTemplate, error) {
	if t, ok := templates.Load(prov); ok {
		return t.([]classTemplate), nil
	}
	v, err := validatorFor(prov.Name)
	if err != nil {
		return nil, err
	}
	var out []classTemplate
	skip := map[string]bool{prov.MessagePointer + "/type": true}
	for _, typ := range prov.Types() {
		bases, err := bases(prov, typ)
		if err != nil {
			return nil, err
		}
		n := 0
		for _, base := range bases {
			doc, err := decodeNumbers(base.body)
			if err != nil {
				return nil, err
			}
			// Each field's queue of steps still to give it: its family's, then, for a step of
			// several classes the schema refused together, each of them alone.
			queues := map[string][]valueclass.Step{}
			for {
				assigned := map[string]assignment{}
				for _, l := range leaves(doc) {
					if skip[l.ptr] || !base.fields[jsonpointer.Generalise(l.ptr, jsonpointer.IndexAsZero)] {
						continue
					}
					q, started := queues[l.ptr]
					if !started {
						q = valueclass.Steps(valueclass.FamilyOf(l.key, l.value))
					}
					for len(q) > 0 {
						st := q[0]
						q = q[1:]
						value, names, ok := st.Apply(l.value)
						if !ok {
							continue
						}
						raw, err := marshal(value)
						if err != nil {
							return nil, err
						}
						assigned[l.ptr] = assignment{step: st, classes: names, raw: raw}
						break
					}
					queues[l.ptr] = q
				}
				if len(assigned) == 0 {
					break
				}
				body, refused, err := allowed(v, prov.Name, base.body, assigned)
				if err != nil {
					return nil, fmt.Errorf("classes of %s %s: %w", prov.Name, typ, err)
				}
				for ptr, a := range refused {
					if len(a.step) > 1 { // together refused: perhaps one at a time is not
						queues[ptr] = append(queues[ptr], a.step.Singles()...)
					}
				}
				if len(assigned) > 0 {
					n++
					out = append(out, classTemplate{name: fmt.Sprintf("%s/classes-%d", typ, n), typ: typ, body: body, assigned: assigned})
				}
			}
		}
	}
	t, _ := templates.LoadOrStore(prov, out)
	return t.([]classTemplate), nil
}

// basesGenerator draws the bases of every suite.
var basesGenerator = sync.OnceValues(func() (*mockprovider.Generator, error) { return mockprovider.New(mockprovider.Options{Seed: 1}) })

// basesTries is how many generated payloads of a type classes looks through for its bases: optional
// and alternative parts (a context, a caption, a button reply or a list reply) come with some
// payloads only.
const basesTries = 32

// base is a payload the classes cases of a type are made from, and the fields (array elements
// counted once) they give classes to: those no earlier base of the type has.
type base struct {
	body   []byte
	fields map[string]bool
}

// bases picks, among the first basesTries payloads of typ, a few that between them have every field
// any of them has: the one with the most, then each time the one adding most fields not yet had.
func bases(prov *mockprovider.Provider, typ string) ([]base, error) {
	// Drawn with a seed of their own, not the run's: which fields a base has decides which cases
	// there are, and case ids do not change with the seed. The run's seed still makes every id and
	// time (refreshIdentity), so that no two runs send the same message.
	gen, err := basesGenerator()
	if err != nil {
		return nil, err
	}
	var all []base
	for i := range basesTries {
		p, err := gen.Generate(prov.Name, typ, uint64(i))
		if err != nil {
			return nil, err
		}
		doc, err := decodeNumbers(p.Body)
		if err != nil {
			return nil, err
		}
		fields := map[string]bool{}
		for _, l := range leaves(doc) {
			fields[jsonpointer.Generalise(l.ptr, jsonpointer.IndexAsZero)] = true
		}
		all = append(all, base{body: p.Body, fields: fields})
	}
	had := map[string]bool{}
	var out []base
	for {
		best, gain := -1, 0
		for i, c := range all {
			n := 0
			for f := range c.fields {
				if !had[f] {
					n++
				}
			}
			if n > gain {
				best, gain = i, n
			}
		}
		if best < 0 {
			return out, nil
		}
		picked := base{body: all[best].body, fields: map[string]bool{}}
		for f := range all[best].fields {
			if !had[f] {
				picked.fields[f], had[f] = true, true
			}
		}
		out = append(out, picked)
	}
}

// assignment is the value of one step of classes given to one field.
type assignment struct {
	step    valueclass.Step
	classes []string // those of the step the value carries
	raw     []byte
}

// allowed applies the assignments to body and drops those the schema refuses, until it accepts what
// is left: a refusal names the field it is about, or a parent of it. It returns the body and the
// assignments it dropped.
func allowed(v *schemas.Validator, p schemas.Provider, body []byte, assigned map[string]assignment) ([]byte, map[string]assignment, error) {
	refused := map[string]assignment{}
	for range len(assigned) + 1 {
		values := make(map[string][]byte, len(assigned))
		for ptr, a := range assigned {
			values[ptr] = a.raw
		}
		out, err := replaceValues(body, values)
		if err != nil {
			return nil, nil, err
		}
		rep, err := v.Validate(p, out)
		if err != nil {
			return nil, nil, err
		}
		if rep.Valid() {
			return out, refused, nil
		}
		dropped := false
		for _, viol := range rep.Violations {
			for ptr, a := range assigned {
				if ptr == viol.Instance || strings.HasPrefix(ptr, viol.Instance+"/") || strings.HasPrefix(viol.Instance, ptr+"/") {
					refused[ptr] = a
					delete(assigned, ptr)
					dropped = true
				}
			}
		}
		if !dropped { // a refusal of no one field: give up the lot rather than guess
			break
		}
	}
	for ptr, a := range assigned {
		refused[ptr] = a
	}
	clear(assigned)
	return body, refused, nil
}

// describe lists the assignments for a case's description, by pointer.
func describe(assigned map[string]assignment) string {
	ptrs := make([]string, 0, len(assigned))
	for ptr := range assigned {
		ptrs = append(ptrs, ptr)
	}
	slices.Sort(ptrs)
	parts := make([]string, len(ptrs))
	for i, ptr := range ptrs {
		parts[i] = ptr + " " + strings.Join(assigned[ptr].classes, "+")
	}
	return strings.Join(parts, ", ")
}
