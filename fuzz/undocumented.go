package fuzz

import (
	"strings"

	"github.com/wahook/wahook/internal/jsoninput"
	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/internal/spelling"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// undocumentedKey is the trigger of every finding about a key the provider's schema does not define
// where the payload has it: a key the fuzzer added, a bit-flipped or misspelt name, a change of
// letter case. Whatever made it, a receiver that refuses one such key refuses them all, so they are
// one finding rather than one per spelling.
const undocumentedKey = "undocumented-key"

// schemaKeys is what a provider's schema defines: the normalised pointers of the fields of every
// message type, as schemas.Fields lists them for generated payloads of each. A minimised payload
// often lacks the discriminator that picks its type's fields ({"message":{"text":{"body":"x"}}}):
// its keys are known all the same.
type schemaKeys struct {
	p     schemas.Provider
	known map[string]bool
}

// payloadsPerType is how many generated payloads of each type schemaKeysOf reads, enough for the
// optional parts (a context, a referred product) to appear.
const payloadsPerType = 40

func schemaKeysOf(p *mockprovider.Provider, g *mockprovider.Generator) (*schemaKeys, error) {
	k := &schemaKeys{p: p.Name, known: map[string]bool{}}
	for _, typ := range p.Types() {
		for i := range uint64(payloadsPerType) {
			pl, err := g.Generate(p.Name, typ, i)
			if err != nil {
				return nil, err
			}
			doc, err := jsoninput.Decode(pl.Body)
			if err != nil {
				return nil, err
			}
			for ptr := range documented(p.Name, doc) {
				k.known[ptr] = true
			}
		}
	}
	return k, nil
}

// documented lists the normalised pointers of the fields p's schema defines for doc.
func documented(p schemas.Provider, doc any) map[string]schemas.Field {
	fields, err := schemas.Fields(p, doc)
	if err != nil {
		return nil
	}
	out := make(map[string]schemas.Field, len(fields))
	for _, f := range fields {
		out[normalise(f.Pointer)] = f
	}
	return out
}

// fold names a trigger the way the schema sees it. A key doc has where the schema defines none is
// undocumentedKey, unless it is a misspelling of a required field that doc then lacks (a bit flip in
// "businessPhone"): the finding is then about that field's absence, as a drop of it would be.
// Other triggers are kept.
func (k *schemaKeys) fold(doc any, trigger string) string {
	if !strings.HasPrefix(trigger, "/") || !hasPath(doc, trigger) {
		return trigger
	}
	parent, key, err := jsonpointer.Parent(trigger)
	if err != nil || key == "0" || !isObjectAt(doc, parent) {
		return trigger
	}
	if k.known[trigger] {
		return trigger // most triggers: no need to list the fields of this payload
	}
	fields := documented(k.p, doc)
	if fields == nil {
		return trigger
	}
	if _, ok := fields[trigger]; ok {
		return trigger
	}
	for ptr, f := range fields {
		if !f.Required || f.Present {
			continue
		}
		if fp, name, err := jsonpointer.Parent(ptr); err == nil && fp == parent && misspelt(key, name) {
			return ptr
		}
	}
	return undocumentedKey
}

// hasUndocumented reports whether doc has a key the schema does not define where doc has it.
func (k *schemaKeys) hasUndocumented(doc any) bool {
	var fields map[string]schemas.Field // listed only for a key the known set lacks
	listed := false
	var walk func(v any, ptr string) bool
	walk = func(v any, ptr string) bool {
		switch d := v.(type) {
		case map[string]any:
			for key, child := range d {
				at := normalise(ptr + "/" + jsonpointer.Escape(key))
				if !k.known[at] {
					if !listed {
						fields, listed = documented(k.p, doc), true
					}
					if _, ok := fields[at]; !ok {
						return fields != nil // no fields at all: the schema cannot say
					}
				}
				if walk(child, at) {
					return true
				}
			}
		case []any:
			for _, child := range d {
				if walk(child, ptr+"/0") {
					return true
				}
			}
		}
		return false
	}
	return walk(doc, "")
}

// isObjectAt reports whether doc has an object at the normalised pointer ptr ("" is doc itself).
func isObjectAt(doc any, ptr string) bool {
	return valueAt(doc, ptr, func(v any) bool { _, ok := v.(map[string]any); return ok })
}

// misspelt reports whether key is name written wrong: another letter case, or one or two characters
// changed, added or removed.
func misspelt(key, name string) bool {
	if key == name {
		return false
	}
	if strings.EqualFold(key, name) {
		return true
	}
	return spelling.Distance(key, name, 2) <= 2
}
