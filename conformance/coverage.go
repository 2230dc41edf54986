package conformance

import (
	"cmp"
	"slices"

	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/internal/valueclass"
)

// CoverageRow says which cases carry one value class in one field of one message type.
type CoverageRow struct {
	Type string `json:"type"`
	// Field is the JSON pointer of the field, array indices as 0.
	Field string `json:"field"`
	Class string `json:"class"`
	// Cases counts the cases whose payloads carry it; First is the first of them, in catalogue order.
	Cases int    `json:"cases"`
	First string `json:"first"`
}

// coverageGroups are the groups whose payloads the provider could send as they are, where a value
// class is what a receiver must read right.
var coverageGroups = []Group{GroupValid, GroupDocumented, GroupTolerate}

// Coverage tabulates, from the payloads of the valid, documented and tolerate cases of cfg's suite,
// which value classes (wahook list values) each field of each message type carries, and in which
// cases: what a misreading of that class would be caught by. Rows are sorted by type, field and
// class.
func Coverage(cfg Config) ([]CoverageRow, error) {
	cases, err := Cases(cfg)
	if err != nil {
		return nil, err
	}
	rows := map[[3]string]*CoverageRow{}
	for _, c := range cases {
		if !slices.Contains(coverageGroups, c.Group) || c.Type == "" {
			continue
		}
		seen := map[[3]string]bool{}
		for _, req := range c.Requests {
			doc, err := decodeNumbers(req.Body)
			if err != nil {
				continue
			}
			for _, l := range leaves(doc) {
				field := jsonpointer.Generalise(l.ptr, jsonpointer.IndexAsZero)
				for _, class := range valueclass.Of(l.key, l.value) {
					key := [3]string{c.Type, field, class}
					if seen[key] {
						continue
					}
					seen[key] = true
					row := rows[key]
					if row == nil {
						row = &CoverageRow{Type: c.Type, Field: field, Class: class, First: c.ID}
						rows[key] = row
					}
					row.Cases++
				}
			}
		}
	}
	out := make([]CoverageRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b CoverageRow) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(a.Field, b.Field), cmp.Compare(a.Class, b.Class))
	})
	return out, nil
}
