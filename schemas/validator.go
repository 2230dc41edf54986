package schemas

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/wahook/wahook/internal/jsonpointer"
)

// Options tune a Validator. The zero value validates against the documented formats with the default limits.
type Options struct {
	// Strict rejects properties that neither a field table nor an example of the provider's document shows.
	Strict bool
	// MaxBytes caps the payload size; 0 means DefaultMaxBytes.
	MaxBytes int
	// MaxDepth caps the nesting of arrays and objects; 0 means DefaultMaxDepth.
	MaxDepth int
}

// Keywords of violations found before schema validation, in place of a schema keyword path.
const (
	KeywordInput    = "wahook:input"    // the bytes are not a JSON document within the limits
	KeywordProvider = "wahook:provider" // the payload matches no known provider's envelope
)

// Violation is one reason a payload does not match its schema.
type Violation struct {
	// Instance is the JSON pointer of the offending value in the payload ("" for the whole payload).
	// For a missing required property it points at where the property should be.
	Instance string `json:"instance"`
	// Keyword is the schema keyword path that failed, or one of the wahook: keywords above.
	Keyword string `json:"keyword"`
	// Message says what is wrong, in one line.
	Message string `json:"message"`
}

func (v Violation) String() string {
	if v.Instance == "" {
		return v.Message
	}
	return v.Instance + ": " + v.Message
}

// Report is the verdict on one payload.
type Report struct {
	// Provider is the format the payload was checked against; empty when none was recognised.
	Provider Provider `json:"provider,omitempty"`
	// Violations lists every failure, or none for a valid payload.
	Violations []Violation `json:"violations"`
}

// Valid reports whether the payload had no violations.
func (r *Report) Valid() bool { return len(r.Violations) == 0 }

// Validator checks payloads against the compiled schemas. It is safe for concurrent use.
type Validator struct {
	opts    Options
	schemas map[Provider]*jsonschema.Schema
	// byType holds each provider's schema specialised to one message type: see specialise.go.
	byType map[Provider]map[string]*jsonschema.Schema
}

// New compiles the schemas of every provider once.
func New(opts Options) (*Validator, error) {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = DefaultMaxDepth
	}
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	c.LoadURL = func(url string) (io.ReadCloser, error) {
		return nil, fmt.Errorf("load %s: schemas are embedded, nothing is fetched", url)
	}
	compile := func(url string, raw []byte) (*jsonschema.Schema, error) {
		if opts.Strict {
			var err error
			if raw, err = strictSchema(raw); err != nil {
				return nil, fmt.Errorf("strict schema %s: %w", url, err)
			}
		}
		if err := c.AddResource(url, bytes.NewReader(raw)); err != nil {
			return nil, fmt.Errorf("add schema %s: %w", url, err)
		}
		s, err := c.Compile(url)
		if err != nil {
			return nil, fmt.Errorf("compile schema %s: %w", url, err)
		}
		return s, nil
	}
	v := &Validator{
		opts:    opts,
		schemas: make(map[Provider]*jsonschema.Schema, len(providers)),
		byType:  make(map[Provider]map[string]*jsonschema.Schema, len(providers)),
	}
	for _, p := range providers {
		raw, err := files.ReadFile(p.File())
		if err != nil {
			return nil, fmt.Errorf("read schema %s: %w", p.File(), err)
		}
		if v.schemas[p], err = compile(p.URL(), raw); err != nil {
			return nil, err
		}
		specialised, err := specialisedSources(p)
		if err != nil {
			return nil, err
		}
		v.byType[p] = make(map[string]*jsonschema.Schema, len(specialised))
		for typ, raw := range specialised {
			if v.byType[p][typ], err = compile(specialisedURL(p, typ), raw); err != nil {
				return nil, err
			}
		}
	}
	return v, nil
}

// Validate checks payload against p's schema, or against the recognised provider's when p is Auto.
// Unusable bytes (not JSON, too large, too deep, not UTF-8) and unrecognised payloads are violations,
// not errors: the error is only for a provider that does not exist.
func (v *Validator) Validate(p Provider, payload []byte) (*Report, error) {
	if _, ok := v.schemas[p]; !ok && p != Auto {
		return nil, fmt.Errorf("validate: %w %q", ErrUnknownProvider, p)
	}
	doc, err := decodeLimited(payload, v.opts.MaxBytes, v.opts.MaxDepth)
	if err != nil {
		return &Report{Provider: p.unlessAuto(), Violations: []Violation{{Keyword: KeywordInput, Message: err.Error()}}}, nil
	}
	return v.ValidateValue(p, doc)
}

func (p Provider) unlessAuto() Provider {
	if p == Auto {
		return ""
	}
	return p
}

// ValidateValue checks an already decoded payload (as produced by Decode) against p's schema, or against
// the recognised provider's when p is Auto.
func (v *Validator) ValidateValue(p Provider, doc any) (*Report, error) {
	if p == Auto {
		found, ok := detect(doc)
		if !ok {
			return &Report{Violations: []Violation{{
				Keyword: KeywordProvider,
				Message: fmt.Sprintf("matches neither provider's envelope (%s)", envelopeHint()),
			}}}, nil
		}
		p = found
	}
	s, ok := v.schemas[p]
	if !ok {
		return nil, fmt.Errorf("validate: %w %q", ErrUnknownProvider, p)
	}
	report := &Report{Provider: p, Violations: []Violation{}}
	if v.acceptedBySpecialised(p, doc) {
		return report, nil
	}
	err := s.Validate(doc)
	var ve *jsonschema.ValidationError
	switch {
	case err == nil:
	case errors.As(err, &ve):
		report.Violations = dropCascades(leaves(ve, report.Violations))
	default:
		return nil, fmt.Errorf("validate %s: %w", p, err)
	}
	return report, nil
}

// acceptedBySpecialised runs the fast check; false means "not known valid", and the full schema decides.
func (v *Validator) acceptedBySpecialised(p Provider, doc any) bool {
	typ, ok := providerDiscriminators[p].messageType(doc)
	if !ok {
		return false
	}
	s, ok := v.byType[p][typ]
	return ok && s.Validate(doc) == nil
}

func envelopeHint() string {
	var parts []string
	for _, p := range providers {
		keys := EnvelopeKeys(p)
		parts = append(parts, fmt.Sprintf("%s: %s", p, strings.Join(keys, ", ")))
	}
	return strings.Join(parts, "; ")
}

// leaves collects the failures that caused ve, skipping the allOf/$ref/then wrappers around them, and
// splits a "missing properties" failure into one violation per missing property.
func leaves(ve *jsonschema.ValidationError, out []Violation) []Violation {
	if len(ve.Causes) > 0 {
		for _, c := range ve.Causes {
			out = leaves(c, out)
		}
		return out
	}
	if names, ok := missingProperties(ve.Message); ok {
		for _, name := range names {
			out = append(out, Violation{
				Instance: ve.InstanceLocation + "/" + jsonpointer.Escape(name),
				Keyword:  ve.KeywordLocation,
				Message:  "required property is missing",
			})
		}
		return out
	}
	msg := strings.Replace(ve.Message, ", but got ", ", got ", 1)
	if msg == "not allowed" && strings.HasSuffix(ve.KeywordLocation, "/unevaluatedProperties") {
		msg = notDocumented
	}
	return append(out, Violation{Instance: ve.InstanceLocation, Keyword: ve.KeywordLocation, Message: msg})
}

const notDocumented = "property is not documented (strict mode)"

// dropCascades removes the strict-mode complaints that only echo a failure further down: when the
// branch validating a property fails, the library also calls that property unevaluated.
func dropCascades(vs []Violation) []Violation {
	return slices.DeleteFunc(vs, func(v Violation) bool {
		if v.Message != notDocumented {
			return false
		}
		return slices.ContainsFunc(vs, func(other Violation) bool {
			return strings.HasPrefix(other.Instance, v.Instance+"/")
		})
	})
}

var quotedName = regexp.MustCompile(`'(?:[^'\\]|\\.)*'`)

// missingProperties parses the library's `missing properties: 'a', 'b'` message, whose names are
// Go-quoted with single quotes.
func missingProperties(msg string) ([]string, bool) {
	rest, ok := strings.CutPrefix(msg, "missing properties: ")
	if !ok {
		return nil, false
	}
	var names []string
	for _, q := range quotedName.FindAllString(rest, -1) {
		inner := strings.ReplaceAll(q[1:len(q)-1], `\'`, `'`)
		name, err := strconv.Unquote(`"` + strings.ReplaceAll(inner, `"`, `\"`) + `"`)
		if err != nil {
			return nil, false
		}
		names = append(names, name)
	}
	return names, len(names) > 0
}
