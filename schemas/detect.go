package schemas

import (
	"slices"

	"github.com/wahook/wahook/internal/jsoninput"
)

// Detect recognises the provider of a payload by its envelope: the top-level keys its schema documents.
// It works on payloads that are broken further down, so that their violations can be reported against
// the right format. It returns false when the payload is not a JSON object or matches neither provider.
func Detect(payload []byte) (Provider, bool) {
	doc, err := jsoninput.Decode(payload)
	if err != nil {
		return "", false
	}
	return known().detect(doc)
}

// detect picks the provider whose envelope shares the most keys with doc, at least two of them. A tie is
// no match: guessing would report the wrong format's violations.
func (r *registry) detect(doc any) (Provider, bool) {
	obj, ok := doc.(map[string]any)
	if !ok {
		return "", false
	}
	var best Provider
	bestScore, tie := 0, false
	for _, p := range r.order {
		score := 0
		for k := range obj {
			if _, found := slices.BinarySearch(r.formats[p].envelope, k); found {
				score++
			}
		}
		switch {
		case score > bestScore:
			best, bestScore, tie = p, score, false
		case score == bestScore:
			tie = true
		}
	}
	if bestScore < 2 || tie {
		return "", false
	}
	return best, true
}
