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
// their fields, packed: payload k gives each field the k-th class of its family, so that every field
// meets every class of its family in as few cases as the family has classes. A class the schema
// refuses in a field is left out of it (the provider cannot send it there); the case's description
// names what each field carries. Their truth is what mockprovider.Parse reads of them.
func (b *builder) classes() error {
	v, err := validatorFor(b.s.Provider)
	if err != nil {
		return err
	}
	skip := map[string]bool{b.s.prov.MessagePointer + "/type": true}
	for _, typ := range b.s.prov.Types() {
		bases, err := b.bases(typ)
		if err != nil {
			return err
		}
		n := 0
		for _, base := range bases {
			for k := 0; ; k++ {
				id := caseID(GroupValid, b.s.Provider, fmt.Sprintf("%s/classes-%d", typ, n+1))
				fresh, err := b.gen.Generate(b.s.Provider, typ, index(id, 0))
				if err != nil {
					return err
				}
				// Every payload made from a base is the same message but for its identity, so that
				// each of its fields meets each class of its family in turn.
				if fresh.Body, err = refreshIdentity(b.s.prov, base.body, fresh.Body); err != nil {
					return err
				}
				doc, err := decodeNumbers(fresh.Body)
				if err != nil {
					return err
				}
				assigned := map[string]assignment{}
				more := false
				for _, l := range leaves(doc) {
					if skip[l.ptr] || !base.fields[jsonpointer.Generalise(l.ptr, jsonpointer.IndexAsZero)] {
						continue
					}
					// The k-th class that applies to the value, and whether there are more.
					var (
						class valueclass.Class
						value any
						seen  int
					)
					for _, c := range valueclass.For(valueclass.FamilyOf(l.key, l.value)) {
						v, ok := c.Apply(l.value)
						if !ok {
							continue
						}
						if seen == k {
							class, value = c, v
						}
						if seen++; seen > k+1 {
							more = true
							break
						}
					}
					if seen <= k {
						continue
					}
					raw, err := marshal(value)
					if err != nil {
						return err
					}
					assigned[l.ptr] = assignment{class: class.Name, raw: raw}
				}
				if len(assigned) == 0 {
					break
				}
				body, err := allowed(v, b.s.Provider, fresh.Body, assigned)
				if err != nil {
					return fmt.Errorf("%s: %w", id, err)
				}
				if len(assigned) > 0 {
					n++
					// The truth is what the parser reads of these bytes: the generator drew other values.
					m, err := mockprovider.Parse(b.s.Provider, body)
					if err != nil {
						return fmt.Errorf("%s: %w", id, err)
					}
					fresh.Body, fresh.Message = body, &m
					err = b.add(Case{
						ID: id, Group: GroupValid, Type: typ, Expect: ExpectAck, Requests: []Request{b.request(fresh)},
						Description: fmt.Sprintf("%s carrying value classes: %s", aMessage(typ), describe(assigned)),
					})
					if err != nil {
						return err
					}
				}
				if !more {
					break
				}
			}
		}
	}
	return nil
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
func (b *builder) bases(typ string) ([]base, error) {
	// Drawn with a seed of their own, not the run's: which fields a base has decides which cases
	// there are, and case ids do not change with the seed. The run's seed still makes every id and
	// time (refreshIdentity), so that no two runs send the same message.
	gen, err := basesGenerator()
	if err != nil {
		return nil, err
	}
	var all []base
	for i := range basesTries {
		p, err := gen.Generate(b.s.Provider, typ, uint64(i))
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

// assignment is the value of one class given to one field.
type assignment struct {
	class string
	raw   []byte
}

// allowed applies the assignments to body and drops those the schema refuses, until it accepts what
// is left: a refusal names the field it is about, or a parent of it.
func allowed(v *schemas.Validator, p schemas.Provider, body []byte, assigned map[string]assignment) ([]byte, error) {
	for range len(assigned) + 1 {
		values := make(map[string][]byte, len(assigned))
		for ptr, a := range assigned {
			values[ptr] = a.raw
		}
		out, err := replaceValues(body, values)
		if err != nil {
			return nil, err
		}
		rep, err := v.Validate(p, out)
		if err != nil {
			return nil, err
		}
		if rep.Valid() {
			return out, nil
		}
		dropped := false
		for _, viol := range rep.Violations {
			for ptr := range assigned {
				if ptr == viol.Instance || strings.HasPrefix(ptr, viol.Instance+"/") || strings.HasPrefix(viol.Instance, ptr+"/") {
					delete(assigned, ptr)
					dropped = true
				}
			}
		}
		if !dropped { // a refusal of no one field: give up the lot rather than guess
			clear(assigned)
			return body, nil
		}
	}
	return body, nil
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
		parts[i] = ptr + " " + assigned[ptr].class
	}
	return strings.Join(parts, ", ")
}
