package schemas

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"
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
	v := &Validator{opts: opts, schemas: make(map[Provider]*jsonschema.Schema, len(providers))}
	for _, p := range providers {
		raw, err := files.ReadFile(p.File())
		if err != nil {
			return nil, fmt.Errorf("read schema %s: %w", p.File(), err)
		}
		if opts.Strict {
			if raw, err = strictSchema(raw); err != nil {
				return nil, fmt.Errorf("strict schema %s: %w", p.File(), err)
			}
		}
		if err := c.AddResource(p.URL(), bytes.NewReader(raw)); err != nil {
			return nil, fmt.Errorf("add schema %s: %w", p.File(), err)
		}
		s, err := c.Compile(p.URL())
		if err != nil {
			return nil, fmt.Errorf("compile schema %s: %w", p.File(), err)
		}
		v.schemas[p] = s
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
	err := s.Validate(doc)
	var ve *jsonschema.ValidationError
	switch {
	case err == nil:
	case errors.As(err, &ve):
		report.Violations = leaves(ve, report.Violations)
	default:
		return nil, fmt.Errorf("validate %s: %w", p, err)
	}
	return report, nil
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
				Instance: ve.InstanceLocation + "/" + escapePointer(name),
				Keyword:  ve.KeywordLocation,
				Message:  "required property is missing",
			})
		}
		return out
	}
	return append(out, Violation{
		Instance: ve.InstanceLocation,
		Keyword:  ve.KeywordLocation,
		Message:  strings.Replace(ve.Message, ", but got ", ", got ", 1),
	})
}

var quotedName = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// missingProperties parses the library's `missing properties: "a", "b"` message.
func missingProperties(msg string) ([]string, bool) {
	rest, ok := strings.CutPrefix(msg, "missing properties: ")
	if !ok {
		return nil, false
	}
	var names []string
	for _, q := range quotedName.FindAllString(rest, -1) {
		name, err := strconv.Unquote(q)
		if err != nil {
			return nil, false
		}
		names = append(names, name)
	}
	return names, len(names) > 0
}

func escapePointer(name string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(name)
}
