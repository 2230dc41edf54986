package schemas

// FullVerdict and SpecialisedVerdict expose the two paths of ValidateValue to the tests, which check
// that they agree.
func (v *Validator) FullVerdict(p Provider, doc any) bool { return v.schemas[p].Validate(doc) == nil }

func (v *Validator) SpecialisedVerdict(p Provider, doc any) (verdict, applies bool) {
	typ, ok := providerDiscriminators[p].messageType(doc)
	if !ok {
		return false, false
	}
	s, ok := v.byType[p][typ]
	if !ok {
		return false, false
	}
	return s.Validate(doc) == nil, true
}
