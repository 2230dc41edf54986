package schemas

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"github.com/wahook/wahook/internal/jsoninput"
)

// Options tune a Validator. The zero value validates against the documented formats with the default limits.
type Options struct {
	// Strict rejects properties that neither a field table nor an example of the provider's document shows.
	Strict bool
	// MaxBytes caps the payload size; 0 means DefaultMaxBytes.
	MaxBytes int
	// MaxDepth caps the nesting of arrays and objects; 0 means 64.
	MaxDepth int
	// MaxViolations caps the violations a Report lists; 0 means DefaultMaxViolations. A payload with more
	// is checked only until the cap is passed, so that a hostile one costs bounded time and memory.
	MaxViolations int
}

// DefaultMaxBytes is the size cap Meta documents for WhatsApp webhooks, 3 MiB.
const DefaultMaxBytes = jsoninput.DefaultMaxBytes

// DefaultMaxViolations is enough to see what is wrong with a payload, and few enough to read.
const DefaultMaxViolations = 100

// Keywords of violations found before schema validation, in place of a schema keyword path.
const (
	KeywordInput    = "wahook:input"    // the bytes are not a JSON document within the limits
	KeywordProvider = "wahook:provider" // the payload matches no known provider's envelope
)

// Violation is one reason a payload does not match its schema.
type Violation struct {
	// Instance is the RFC 6901 JSON pointer of the offending value in the payload ("" for the whole
	// payload). For a missing required property it points at where the property should be; when one of
	// several properties is required (InnoPaaS's contacts or contact), at the object that lacks them.
	Instance string `json:"instance"`
	// Keyword is the schema keyword path that failed, or one of the wahook: keywords above.
	Keyword string `json:"keyword"`
	// Message says what is wrong, in one line.
	Message string `json:"message"`
}

// Undocumented reports whether v is strict mode's refusal of a property no document shows, rather
// than a breach of what the documents say.
func (v Violation) Undocumented() bool { return v.Message == notDocumented }

// String writes the violation on one line: the pointer (control characters escaped, long keys cut)
// and the message.
func (v Violation) String() string {
	if v.Instance == "" {
		return v.Message
	}
	return displayPointer(v.Instance) + ": " + v.Message
}

// Report is the verdict on one payload.
type Report struct {
	// Provider is the format the payload was checked against; empty when none was recognised.
	Provider Provider `json:"provider,omitempty"`
	// Violations lists the failures, the first in payload order up to Options.MaxViolations, or none
	// for a valid payload.
	Violations []Violation `json:"violations"`
	// Omitted counts the violations found but not listed.
	Omitted int `json:"omitted,omitempty"`
	// Truncated reports that checking stopped once more than MaxViolations were found: the payload
	// may have more violations than Violations and Omitted account for.
	Truncated bool `json:"truncated,omitempty"`
}

// Valid reports whether the payload had no violations.
func (r *Report) Valid() bool { return len(r.Violations) == 0 }

// Validator checks payloads against the compiled schemas. It is safe for concurrent use.
type Validator struct {
	opts Options
	// known is the registry as it was when the Validator was made: the providers it compiled.
	known   *registry
	schemas map[Provider]*jsonschema.Schema
	// accept holds each provider's acceptance path: see accept.go.
	accept map[Provider]*acceptor
	// sources are what bounded validation reads of each schema: see bounded.go.
	sources map[Provider]*source
	// The widths past which a payload is validated in bounded pieces.
	itemsWindow, keysWindow int
}

// New compiles the schemas of every provider once.
func New(opts Options) (*Validator, error) {
	return newValidator(opts, defaultItemsWindow, defaultKeysWindow)
}

func newValidator(opts Options, itemsWindow, keysWindow int) (*Validator, error) {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = jsoninput.DefaultMaxDepth
	}
	if opts.MaxViolations <= 0 {
		opts.MaxViolations = DefaultMaxViolations
	}
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	c.LoadURL = func(url string) (io.ReadCloser, error) {
		return nil, fmt.Errorf("load %s: schemas are embedded, nothing is fetched", url)
	}
	// variant returns the source as compiled: in strict mode, with every documented object closed.
	variant := func(url string, raw []byte) (map[string]any, []byte, error) {
		var src map[string]any
		if err := json.Unmarshal(raw, &src); err != nil {
			return nil, nil, fmt.Errorf("schema %s: %w", url, err)
		}
		if !opts.Strict {
			return src, raw, nil
		}
		closeObjects(src)
		raw, err := json.Marshal(src)
		if err != nil {
			return nil, nil, fmt.Errorf("strict schema %s: %w", url, err)
		}
		return src, raw, nil
	}
	compile := func(url string, raw []byte) (*jsonschema.Schema, error) {
		if err := c.AddResource(url, bytes.NewReader(raw)); err != nil {
			return nil, fmt.Errorf("add schema %s: %w", url, err)
		}
		s, err := c.Compile(url)
		if err != nil {
			return nil, fmt.Errorf("compile schema %s: %w", url, err)
		}
		return s, nil
	}
	if err := Check(); err != nil {
		return nil, err
	}
	reg := known()
	v := &Validator{
		opts:        opts,
		known:       reg,
		schemas:     make(map[Provider]*jsonschema.Schema, len(reg.order)),
		accept:      make(map[Provider]*acceptor, len(reg.order)),
		sources:     make(map[Provider]*source, len(reg.order)),
		itemsWindow: itemsWindow,
		keysWindow:  keysWindow,
	}
	for _, p := range reg.order {
		src, raw, err := variant(p.URL(), reg.formats[p].raw)
		if err != nil {
			return nil, err
		}
		defs := dig(src, "$defs")
		if err := lint(src, "", defs, itemsWindow); err != nil {
			return nil, fmt.Errorf("schema %s: %w", p.fileName(), err)
		}
		if v.schemas[p], err = compile(p.URL(), raw); err != nil {
			return nil, err
		}
		arrays, err := compileArrays(c, p.URL(), src)
		if err != nil {
			return nil, err
		}
		v.sources[p] = &source{conv: converter{url: p.URL(), src: src}, defs: defs, arrays: arrays}
		if v.accept[p], err = compileAcceptor(raw); err != nil {
			return nil, fmt.Errorf("schema %s: %w", p.fileName(), err)
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
	doc, err := jsoninput.DecodeLimited(payload, v.opts.MaxBytes, v.opts.MaxDepth)
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
		found, ok := v.known.detect(doc)
		if !ok {
			return &Report{Violations: []Violation{{
				Keyword: KeywordProvider,
				Message: fmt.Sprintf("matches neither provider's envelope (%s)", v.known.envelopeHint()),
			}}}, nil
		}
		p = found
	}
	return v.validateValue(p, doc, &collector{max: v.opts.MaxViolations})
}

// validateValue checks doc against p's schema, collecting violations in col. The acceptance path (see
// accept.go) vouches for most valid payloads; the library judges the rest, whole when narrow, in
// bounded pieces when wide (see bounded.go).
func (v *Validator) validateValue(p Provider, doc any, col sink) (*Report, error) {
	src, ok := v.sources[p]
	if !ok {
		return nil, fmt.Errorf("validate: %w %q", ErrUnknownProvider, p)
	}
	report := &Report{Provider: p}
	switch {
	case v.accept[p].accepts(doc):
		// certainly valid: nothing to explain, so the library need not run
	case !wide(doc, v.itemsWindow, v.keysWindow):
		if err := v.check(p, src, doc, col); err != nil {
			return nil, err
		}
	default:
		b := &bounded{src: src, items: v.itemsWindow, col: col}
		var jobs []job
		reduced, _ := b.reduce([]sref{{node: src.conv.src}}, doc, "", &jobs)
		if err := v.check(p, src, reduced, col); err != nil {
			return nil, err
		}
		report.Truncated = b.drain(jobs)
	}
	report.Violations, report.Omitted = col.result()
	if report.Violations == nil {
		report.Violations = []Violation{}
	}
	return report, nil
}

// check validates doc whole, adding its violations to col.
func (v *Validator) check(p Provider, src *source, doc any, col sink) error {
	err := v.schemas[p].Validate(doc)
	var ve *jsonschema.ValidationError
	switch {
	case err == nil:
	case errors.As(err, &ve):
		col.add(tidy(src.conv.leaves(ve, doc, nil), func(ptr string) bool {
			return src.documented([]sref{{node: src.conv.src}}, doc, ptr)
		})...)
	default:
		return fmt.Errorf("validate %s: %w", p, err)
	}
	return nil
}

func (r *registry) envelopeHint() string {
	var parts []string
	for _, p := range r.order {
		parts = append(parts, fmt.Sprintf("%s: %s", p, strings.Join(r.formats[p].envelope, ", ")))
	}
	return strings.Join(parts, "; ")
}
