package schemas

import "github.com/wahook/wahook/internal/jsoninput"

// FullVerdict and Accepts expose the two paths of ValidateValue to the tests, which check that the
// acceptance path never accepts what the library rejects.
func (v *Validator) FullVerdict(p Provider, doc any) bool { return v.schemas[p].Validate(doc) == nil }

func (v *Validator) Accepts(p Provider, doc any) bool { return v.accept[p].accepts(doc) }

// NewWindowed builds a Validator whose bounded validation starts at other widths: items 1 and keys 0
// put every payload through it, 1<<30 none.
func NewWindowed(opts Options, items, keys int) (*Validator, error) {
	return newValidator(opts, items, keys)
}

// measuring is a collector that also records the most violations one add (one library call) brought.
type measuring struct {
	*collector
	largest int
}

func (m *measuring) add(vs ...Violation) {
	m.largest = max(m.largest, len(vs))
	m.collector.add(vs...)
}

// LargestCall validates payload and also returns the most violations one library call produced: what
// bounded validation bounds.
func (v *Validator) LargestCall(p Provider, payload []byte) (*Report, int, error) {
	doc, err := jsoninput.Decode(payload)
	if err != nil {
		return nil, 0, err
	}
	col := &measuring{collector: &collector{max: v.opts.MaxViolations}}
	r, err := v.validateValue(p, doc, col)
	return r, col.largest, err
}

// Lint exposes the check New runs on every schema source.
func Lint(node map[string]any, items int) error { return lint(node, "", dig(node, "$defs"), items) }
