package schemas

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// The acceptance path. The library builds an instance-location string for every value it visits, a
// big.Rat for every number and a map of every object's keys, so on its own it costs three times as
// much as decoding the payload. Nearly every payload a receiver sees is valid, and a valid payload
// needs no explanation: so the Validator also compiles each schema, from the same source the library
// compiles, into an acceptor that only answers "certainly valid". Whatever it cannot vouch for (a
// failure, a number it cannot compare exactly, a keyword it does not evaluate, a value of a Go type
// Decode does not produce) it leaves to the library, which then decides and explains as before.
//
// It is therefore sound for acceptance only: when it accepts, the library accepts too.
// TestAcceptorNeverAcceptsWhatTheLibraryRejects and FuzzAcceptor check that on every fixture, every
// one-field breakage and the generated corpus, in lenient and strict mode. It covers the keywords lint
// allows, evaluating each as the library does:
//
//   - type, enum and const on strings, booleans and null by Go equality, as the library's equals does;
//     an enum or const met by a number, object or array is left to the library;
//   - minLength/maxLength in runes, pattern with Go's regexp (the library's engine), format with the
//     library's own checkers (jsonschema.Formats), so that their verdicts cannot drift;
//   - minimum/maximum and their exclusive forms on float64 values against a bound float64 holds
//     exactly: the library compares the shortest decimal that reads back as the value, which lies on
//     the value's side of every other float64, so only equality can differ; there the answer is exact
//     for integers below 2^53, and anything else is left to the library, as are multipleOf and oneOf;
//   - required, properties, items, minItems, $ref, allOf, anyOf, and if/then where the if (as lint
//     requires) tests only required names and string consts, which is decided exactly;
//   - unevaluatedProperties: false, counting as evaluated what the library counts (never more): the
//     properties of the node, of the if that holds and of every subschema applied in place, and all
//     of them under an in-place subschema that is itself closed.

// kind is a set of JSON types, as "type" lists them.
type kind uint8

const (
	kindNull kind = 1 << iota
	kindBoolean
	kindObject
	kindArray
	kindNumber
	kindInteger
	kindString
)

var kindNames = map[string]kind{
	"null": kindNull, "boolean": kindBoolean, "object": kindObject, "array": kindArray,
	"number": kindNumber, "integer": kindInteger, "string": kindString,
}

// maxExactInteger bounds the float64 values whose integrality and equality with an integer bound this
// code decides: below it every integer is a float64, and the shortest decimal the library parses a
// float64 from is the integer itself.
const maxExactInteger = 1 << 53

// kindOf returns the JSON types v belongs to, or false for a value Decode never produces.
func kindOf(v any) (kind, bool) {
	switch t := v.(type) {
	case nil:
		return kindNull, true
	case bool:
		return kindBoolean, true
	case string:
		return kindString, true
	case map[string]any:
		return kindObject, true
	case []any:
		return kindArray, true
	case float64:
		// Past 2^53 the library still calls every float64 an integer; it is left out here, so that
		// a value typed "integer" only is left to the library.
		if math.Abs(t) < maxExactInteger && t == math.Trunc(t) {
			return kindNumber | kindInteger, true
		}
		return kindNumber, true
	}
	return 0, false
}

// bound is one of minimum, maximum, exclusiveMinimum and exclusiveMaximum.
type bound struct {
	value     float64 // the schema's number, which float64 holds exactly
	upper     bool    // a maximum
	exclusive bool
}

// admits reports whether f certainly satisfies the bound.
func (b bound) admits(f float64) bool {
	switch {
	case f > b.value:
		return !b.upper
	case f < b.value:
		return b.upper
	case math.Abs(f) < maxExactInteger && f == math.Trunc(f):
		return !b.exclusive
	}
	return false // equal, but the library's decimal reading of f may differ from the bound
}

// condition is an if of the form lint allows: required names and string consts on properties.
type condition struct {
	required []string
	consts   map[string]string
}

// holds decides the condition as the library does: on anything but an object it holds. known is
// false when a tested property has a value of a Go type Decode never produces, which the library
// refuses to compare.
func (c *condition) holds(v any) (holds, known bool) {
	obj, ok := v.(map[string]any)
	if !ok {
		return true, true
	}
	holds = true
	for _, name := range c.required {
		if _, ok := obj[name]; !ok {
			holds = false
		}
	}
	for name, want := range c.consts {
		got, ok := obj[name]
		if !ok {
			continue
		}
		if _, ok := kindOf(got); !ok {
			return false, false
		}
		if s, isString := got.(string); !isString || s != want {
			holds = false
		}
	}
	return holds, true
}

// property is one entry of "properties".
type property struct {
	name   string
	schema *acceptor
}

// acceptor is one schema node compiled for the acceptance path.
type acceptor struct {
	never bool // a keyword this code does not evaluate (oneOf): leave every value to the library

	types     kind // 0: any type
	enum      []any
	hasEnum   bool
	constant  any
	hasConst  bool
	format    func(any) bool
	minLength int // -1: none
	maxLength int
	pattern   *regexp.Regexp
	bounds    []bound
	inexact   bool // a bound float64 cannot hold, or a multipleOf: leave numbers to the library

	required   []string
	properties []property
	names      map[string]bool // the property names, for unevaluatedProperties
	closed     bool            // unevaluatedProperties: false

	items    *acceptor
	minItems int // -1: none

	inPlace []*acceptor // $ref and allOf
	anyOf   []*acceptor
	cond    *condition
	then    *acceptor
}

// accepts reports whether the library certainly accepts v against the node; false means "not known".
func (a *acceptor) accepts(v any) bool {
	k, ok := kindOf(v)
	if !ok || a.never || a.types != 0 && a.types&k == 0 {
		return false
	}
	if a.hasConst && !primitiveIn(v, a.constant) {
		return false
	}
	if a.hasEnum && !primitiveIn(v, a.enum...) {
		return false
	}
	if a.format != nil && !a.format(v) {
		return false
	}
	switch t := v.(type) {
	case string:
		if !a.acceptsString(t) {
			return false
		}
	case float64:
		if a.inexact {
			return false
		}
		for _, b := range a.bounds {
			if !b.admits(t) {
				return false
			}
		}
	case []any:
		if a.minItems > len(t) {
			return false
		}
		if a.items != nil {
			for _, item := range t {
				if !a.items.accepts(item) {
					return false
				}
			}
		}
	case map[string]any:
		for _, name := range a.required {
			if _, ok := t[name]; !ok {
				return false
			}
		}
		for _, p := range a.properties {
			if pv, ok := t[p.name]; ok && !p.schema.accepts(pv) {
				return false
			}
		}
	}
	for _, s := range a.inPlace {
		if !s.accepts(v) {
			return false
		}
	}
	if len(a.anyOf) > 0 && !slices.ContainsFunc(a.anyOf, func(s *acceptor) bool { return s.accepts(v) }) {
		return false
	}
	if a.cond != nil {
		holds, known := a.cond.holds(v)
		if !known || holds && a.then != nil && !a.then.accepts(v) {
			return false
		}
	}
	if obj, ok := v.(map[string]any); ok && a.closed {
		for name := range obj {
			if !a.evaluates(obj, name) {
				return false
			}
		}
	}
	return true
}

func (a *acceptor) acceptsString(s string) bool {
	if a.minLength >= 0 || a.maxLength >= 0 {
		n := utf8.RuneCountInString(s)
		if a.minLength >= 0 && n < a.minLength || a.maxLength >= 0 && n > a.maxLength {
			return false
		}
	}
	return a.pattern == nil || a.pattern.MatchString(s)
}

// primitiveIn reports whether v, a string, boolean or null, is one of values. A number, object or
// array is never reported in: the library compares those in ways left to it.
func primitiveIn(v any, values ...any) bool {
	switch v.(type) {
	case string, bool, nil:
		for _, w := range values {
			if v == w {
				return true
			}
		}
	}
	return false
}

// evaluates reports whether the node, which accepted obj, evaluates its property name: names it, or
// applies in place a subschema that does, or one that is closed and so evaluates every property.
// anyOf branches constrain only the value itself (lint), so they are not asked.
func (a *acceptor) evaluates(obj map[string]any, name string) bool {
	if a.names[name] {
		return true
	}
	for _, s := range a.inPlace {
		if s.closed || s.evaluates(obj, name) {
			return true
		}
	}
	if a.cond == nil {
		return false
	}
	holds, _ := a.cond.holds(obj)
	if !holds {
		return false
	}
	if _, ok := a.cond.consts[name]; ok {
		return true
	}
	return a.then != nil && (a.then.closed || a.then.evaluates(obj, name))
}

// compileAcceptor compiles the schema source raw, as the library compiles it, into an acceptor.
func compileAcceptor(raw []byte) (*acceptor, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // bounds as written, as the library reads them
	var src map[string]any
	if err := dec.Decode(&src); err != nil {
		return nil, fmt.Errorf("acceptor: %w", err)
	}
	c := acceptCompiler{defs: dig(src, "$defs"), compiled: map[string]*acceptor{}}
	return c.node(src, "")
}

type acceptCompiler struct {
	defs     map[string]any
	compiled map[string]*acceptor // by $defs name: each compiled once, and a recursive $ref terminates
}

func (c *acceptCompiler) node(m map[string]any, loc string) (*acceptor, error) {
	a := &acceptor{minLength: -1, maxLength: -1, minItems: -1}
	return a, c.fill(a, m, loc)
}

func (c *acceptCompiler) fill(a *acceptor, m map[string]any, loc string) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("acceptor: keyword at %s: %s", loc, fmt.Sprintf(format, args...))
	}
	sub := func(v any, at string) (*acceptor, error) {
		n, ok := v.(map[string]any)
		if !ok {
			return nil, fail("%s is not a schema object", at)
		}
		return c.node(n, loc+at)
	}
	count := func(v any) (int, bool) {
		n, ok := v.(json.Number)
		if !ok {
			return 0, false
		}
		f, err := n.Float64()
		return int(f), err == nil // the library reads counts the same way
	}
	for k, v := range m {
		if annotationKeywords[k] || k == "$defs" {
			continue // lint's annotations assert nothing; $defs are compiled where a $ref names them
		}
		var err error
		switch k {
		case "type":
			names, ok := v.([]any)
			if !ok {
				names = []any{v}
			}
			for _, n := range names {
				s, _ := n.(string)
				t, known := kindNames[s]
				if !known {
					return fail("type %v", n)
				}
				a.types |= t
			}
		case "enum":
			a.enum, a.hasEnum = asSlice(v), true
		case "const":
			a.constant, a.hasConst = v, true
		case "format":
			name, _ := v.(string)
			a.format = jsonschema.Formats[name] // as the library, which asserts only the formats it knows
		case "minLength", "maxLength", "minItems":
			n, ok := count(v)
			if !ok {
				return fail("%s is not a number", k)
			}
			switch k {
			case "minLength":
				a.minLength = n
			case "maxLength":
				a.maxLength = n
			default:
				a.minItems = n
			}
		case "pattern":
			s, _ := v.(string)
			if a.pattern, err = regexp.Compile(s); err != nil {
				return fail("pattern: %v", err)
			}
		case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum":
			n, ok := v.(json.Number)
			if !ok {
				return fail("%s is not a number", k)
			}
			r, ok := new(big.Rat).SetString(string(n))
			if !ok {
				return fail("%s %s", k, n)
			}
			f, exact := r.Float64()
			a.inexact = a.inexact || !exact
			a.bounds = append(a.bounds, bound{value: f, upper: k == "maximum" || k == "exclusiveMaximum", exclusive: strings.HasPrefix(k, "exclusive")})
		case "multipleOf":
			a.inexact = true
		case "oneOf":
			a.never = true
		case "required":
			a.required = toStrings(v)
		case "properties":
			props, ok := v.(map[string]any)
			if !ok {
				return fail("properties is not an object")
			}
			a.names = make(map[string]bool, len(props))
			for name, ps := range props {
				s, err := sub(ps, "/properties/"+name)
				if err != nil {
					return err
				}
				a.properties = append(a.properties, property{name, s})
				a.names[name] = true
			}
			slices.SortFunc(a.properties, func(x, y property) int { return strings.Compare(x.name, y.name) })
		case "items":
			if a.items, err = sub(v, "/items"); err != nil {
				return err
			}
		case "$ref":
			ref, _ := v.(string)
			s, err := c.ref(ref, loc)
			if err != nil {
				return err
			}
			a.inPlace = append(a.inPlace, s)
		case "allOf", "anyOf":
			for i, br := range asSlice(v) {
				s, err := sub(br, fmt.Sprintf("/%s/%d", k, i))
				if err != nil {
					return err
				}
				if k == "allOf" {
					a.inPlace = append(a.inPlace, s)
				} else {
					a.anyOf = append(a.anyOf, s)
				}
			}
		case "if":
			if a.cond, err = compileCondition(v); err != nil {
				return fail("%v", err)
			}
		case "then":
			if a.then, err = sub(v, "/then"); err != nil {
				return err
			}
		case "unevaluatedProperties":
			if v != false {
				return fail("unevaluatedProperties other than false")
			}
			a.closed = true
		default:
			return fail("%q is not evaluated by the acceptor (see accept.go)", k)
		}
	}
	return nil
}

// ref compiles the local $ref target, once, resolved as lint resolves it.
func (c *acceptCompiler) ref(ref, loc string) (*acceptor, error) {
	name, target, err := localDef(ref, c.defs)
	if err != nil {
		return nil, fmt.Errorf("acceptor: keyword at %s: %w", loc, err)
	}
	if a, ok := c.compiled[name]; ok {
		return a, nil
	}
	a := &acceptor{minLength: -1, maxLength: -1, minItems: -1}
	c.compiled[name] = a
	return a, c.fill(a, target, "/$defs/"+name)
}

func compileCondition(v any) (*condition, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("if is not a schema object")
	}
	c := &condition{required: toStrings(m["required"]), consts: map[string]string{}}
	for k := range m {
		if k != "required" && k != "properties" {
			return nil, fmt.Errorf("if: %q is not evaluated by the acceptor", k)
		}
	}
	for name, ps := range dig(m, "properties") {
		p, _ := ps.(map[string]any)
		s, ok := p["const"].(string)
		if !ok || len(p) != 1 {
			return nil, fmt.Errorf("if/properties/%s is not a string const", name)
		}
		c.consts[name] = s
	}
	return c, nil
}
