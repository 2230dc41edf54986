package fuzz

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/wahook/wahook/message"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// fuzzInput is one payload the fuzzer sends.
type fuzzInput struct {
	// Index is the input's position in the run; the same seed gives the same input at each index.
	Index uint64 `json:"index"`
	// Body and ContentType are what is sent.
	Body        []byte `json:"-"`
	ContentType string `json:"contentType"`
	// Type is the message type of the valid payload the input was derived from.
	Type string `json:"type"`
	// Base is that valid payload; the JSON path where Body departs from it names the trigger.
	Base []byte `json:"-"`
	// Origin says how the input was made, for people.
	Origin string `json:"origin"`
	// Trigger is what the input varied: a normalised JSON pointer, a mutation id, or a byte operation.
	Trigger string `json:"trigger"`
	// Message is what Body encodes, as the generator knows it: for a catalogue mutation whose effect
	// it models, and for an input left as generated. nil otherwise: the provider's parser says then.
	Message *message.Message `json:"-"`
}

// source derives the run's inputs: some edit one field of a valid payload in the schema's terms, some
// apply the mutation catalogue, some mutate bytes.
type source struct {
	provider  *mockprovider.Provider
	gens      []*mockprovider.Generator // one per quirk mode, so inputs carry every documented form
	mutations []mockprovider.Mutation
	seed      uint64
}

func newSource(p schemas.Provider, seed uint64, mediaBaseURL string) (*source, error) {
	prov, err := mockprovider.Lookup(p)
	if err != nil {
		return nil, err
	}
	s := &source{provider: prov, seed: seed}
	for _, mode := range mockprovider.QuirkModes() {
		g, err := mockprovider.New(mockprovider.Options{Seed: seed, Quirks: mode, MediaBaseURL: mediaBaseURL})
		if err != nil {
			return nil, err
		}
		s.gens = append(s.gens, g)
	}
	cat, err := mockprovider.Mutations(p)
	if err != nil {
		return nil, err
	}
	// The oversized body is one fixed case the conformance suite covers; sent at random it would make
	// the fuzzer spend most of its time writing megabytes.
	s.mutations = slices.DeleteFunc(cat, func(m mockprovider.Mutation) bool { return m.ID == "oversized-body" })
	return s, nil
}

// input builds input i. It is a pure function of (seed, i).
func (s *source) input(i uint64) (fuzzInput, error) {
	seed := mockprovider.PayloadSeed(s.seed, i)
	rng := rand.New(rand.NewPCG(seed, i))
	types := s.provider.Types()
	in := fuzzInput{Index: i, Type: types[rng.IntN(len(types))]}
	// Nine in twenty inputs vary a field, one in eight applies the catalogue (the dearest to make:
	// decoded and re-encoded, and fixed cases that wahook conform already sends), the rest mutate bytes.
	kind := rng.IntN(40)
	if kind >= 18 && kind < 23 {
		return in, s.mutate(rng, i, &in)
	}
	base, err := s.gens[rng.IntN(len(s.gens))].Generate(s.provider.Name, in.Type, i)
	if err != nil {
		return fuzzInput{}, err
	}
	in.Base, in.ContentType = base.Body, base.ContentType
	if kind < 18 {
		in.Body, in.Origin, in.Trigger = vary(rng, base.Body)
		if in.Trigger == "none" {
			in.Message = base.Message
		}
		return in, nil
	}
	partner := func() ([]byte, error) {
		other, err := s.gens[0].Generate(s.provider.Name, types[rng.IntN(len(types))], i+1<<40)
		return other.Body, err
	}
	in.Body, in.Origin, in.Trigger, err = mutateBytes(rng, base.Body, partner)
	if in.Trigger == "none" {
		in.Message = base.Message
	}
	return in, err
}

// mutate applies a random catalogue mutation that fits a random type.
func (s *source) mutate(rng *rand.Rand, i uint64, in *fuzzInput) error {
	for {
		m := s.mutations[rng.IntN(len(s.mutations))]
		if !m.AppliesTo(in.Type) {
			continue
		}
		pl, _, err := s.gens[0].GenerateMutated(s.provider.Name, in.Type, i, m.ID)
		if errors.Is(err, mockprovider.ErrNotApplicable) {
			continue // a rare optional field this payload's seeds never carry: pick another mutation
		}
		if err != nil {
			return fmt.Errorf("fuzz input %d: %w", i, err)
		}
		in.Body, in.ContentType, in.Message = pl.Body, pl.ContentType, pl.Message
		in.Origin, in.Trigger, in.Base = "mutation "+m.ID, "mutation:"+m.ID, nil
		if m.Pointer != "" {
			in.Trigger = normalise(m.Pointer)
		}
		return nil
	}
}

// Edge values for a field, by what they stress.
var (
	stringEdges = []string{
		`""`, `" "`, `"\u0000"`, `"\u202eevil"`, `"\ud800"`, `"\uffff"`, `"e\u0301\u0301\u0301"`, `"😀"`,
		`"👨‍👩‍👧‍👦🏳️‍🌈🇧🇷"`, `"%s%n%x"`, `"' OR 1=1--"`, `"<script>alert(1)</script>"`, `"line\nbreak\r\n"`,
		`"` + strings.Repeat("a", 5000) + `"`, `"` + strings.Repeat("😀", 4097) + `"`, `"null"`, `"0"`, `"-1"`,
		`"9999999999999999999999"`, `"2023-02-30T25:61:61.000Z"`, `"true"`,
	}
	numberEdges = []string{`0`, `-1`, `-0`, `1.5`, `1e308`, `-1e308`, `1e400`, `2147483648`, `9007199254740993`, `1e-400`}
	otherEdges  = []string{`true`, `false`, `null`, `{}`, `[]`, `[null]`, `{"":""}`, `[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]`}
)

// vary replaces one value of body with an edge value, or adds an unknown field to one object.
func vary(rng *rand.Rand, body []byte) ([]byte, string, string) {
	sp, ok := pickValue(body, rng.Uint64())
	if !ok {
		return body, "unchanged", "none"
	}
	var replacement string
	switch r := rng.IntN(10); {
	case r < 5 && sp.kind == kindString, r < 2:
		replacement = stringEdges[rng.IntN(len(stringEdges))]
	case r < 5 && sp.kind == kindNumber, r < 4:
		replacement = numberEdges[rng.IntN(len(numberEdges))]
	case r < 8:
		replacement = otherEdges[rng.IntN(len(otherEdges))]
	default:
		if sp.kind == kindObject {
			field := fmt.Sprintf(`{"x_fuzz_%x":%s,`, rng.Uint32(), otherEdges[rng.IntN(len(otherEdges))])
			out := slices.Concat(body[:sp.start], []byte(field), body[sp.start+1:])
			if bytes.Equal(body[sp.start:sp.end], []byte("{}")) {
				out = slices.Concat(body[:sp.start], []byte(field[:len(field)-1]+"}"), body[sp.end:])
			}
			return out, "extra field in " + sp.pointer, normalise(sp.pointer)
		}
		replacement = `{"x_fuzz":[]}`
	}
	out := slices.Concat(body[:sp.start], []byte(replacement), body[sp.end:])
	return out, fmt.Sprintf("%s set to %.40s", sp.pointer, replacement), normalise(sp.pointer)
}

// mutateBytes applies one byte-level operation: flip, truncate, insert, splice with the payload
// partner makes, duplicate a key.
func mutateBytes(rng *rand.Rand, body []byte, partner func() ([]byte, error)) ([]byte, string, string, error) {
	if len(body) < 2 {
		return body, "unchanged", "none", nil
	}
	at := rng.IntN(len(body))
	switch rng.IntN(5) {
	case 0:
		out := slices.Clone(body)
		out[at] ^= byte(1 << rng.IntN(8))
		return out, fmt.Sprintf("bit flipped at byte %d", at), "bytes:flip", nil
	case 1:
		return slices.Clone(body[:at]), fmt.Sprintf("truncated to %d bytes", at), "bytes:truncate", nil
	case 2:
		junk := make([]byte, 1+rng.IntN(8))
		for i := range junk {
			junk[i] = byte(rng.Uint32())
		}
		return slices.Concat(body[:at], junk, body[at:]), fmt.Sprintf("%d random bytes inserted at byte %d", len(junk), at), "bytes:insert", nil
	case 3:
		other, err := partner()
		if err != nil || len(other) == 0 {
			return body, "unchanged", "none", err
		}
		cut := rng.IntN(len(other))
		return slices.Concat(body[:at], other[cut:]), fmt.Sprintf("spliced at byte %d with another payload from byte %d", at, cut), "bytes:splice", nil
	default:
		out, origin, trigger := duplicateKey(rng, body)
		return out, origin, trigger, nil
	}
}

// duplicateKey repeats one member of an object with a conflicting value.
func duplicateKey(rng *rand.Rand, body []byte) ([]byte, string, string) {
	sp, ok := pickValue(body, rng.Uint64())
	if !ok || sp.pointer == "" {
		return body, "unchanged", "none"
	}
	// Find the key before the value: `"key":` ends right before sp.start (allowing whitespace).
	i := sp.start - 1
	for i >= 0 && (body[i] == ' ' || body[i] == ':') {
		i--
	}
	if i < 0 || body[i] != '"' {
		return body, "unchanged", "none" // an array element: no key to repeat
	}
	j := bytes.LastIndexByte(body[:i], '"')
	if j < 0 {
		return body, "unchanged", "none"
	}
	member := slices.Concat(body[j:i+1], []byte(`:`), []byte(otherEdges[rng.IntN(len(otherEdges))]), []byte(","))
	return slices.Concat(body[:j], member, body[j:]), "key before " + sp.pointer + " repeated", "bytes:duplicate-key"
}
