package mockprovider

// QuirkForm is which of a documented quirk's two forms one payload carries.
type QuirkForm struct {
	// ID names the quirk, as schemas/QUIRKS.md does: "itniotech/context-flags-as-strings".
	ID string
	// Form is QuirksExample (the form the document's example shows) or QuirksTable (its table's).
	Form QuirkMode
	// Shape says what the form looks like: `forwarded "true"`.
	Shape string
}

// QuirkForms lists the documented quirks doc, a decoded payload of p, carries, and in which form: what
// wahook proxy counts in real traffic, to settle which form the provider really sends. A quirk whose
// field the payload does not have is left out.
func (p *Provider) QuirkForms(doc any) []QuirkForm {
	var out []QuirkForm
	for _, q := range p.quirks {
		switch q.Form(doc) {
		case QuirksExample:
			out = append(out, QuirkForm{ID: q.ID, Form: QuirksExample, Shape: q.Example})
		case QuirksTable:
			out = append(out, QuirkForm{ID: q.ID, Form: QuirksTable, Shape: q.Table})
		}
	}
	return out
}
