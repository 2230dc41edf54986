package server

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/wahook/wahook/internal/media"
	"github.com/wahook/wahook/mockprovider"
)

// Catalogue is the answer to GET /v1/catalogue: what a /v1/send may ask for, from the registries
// (every provider registered, its types and its mutation catalogue), so that the page's form offers
// a new provider without an edit of its own.
type Catalogue struct {
	Providers   []CatalogueProvider `json:"providers"`
	MediaFaults []string            `json:"mediaFaults"`
	QuirkModes  []string            `json:"quirkModes"`
	// History is how many deliveries the server keeps (Options.RingSize).
	History  int `json:"history"`
	MaxCount int `json:"maxCount"`
}

// CatalogueProvider is one provider in the catalogue.
type CatalogueProvider struct {
	Name  string   `json:"name"`
	Types []string `json:"types"`
	// Retries is the provider's own retry schedule, such as ["1m0s", "3m0s", "5m0s"].
	Retries []string `json:"retries"`
	// Credentials says where the provider sends credentials, "" for a provider that sends none.
	Credentials string              `json:"credentials"`
	Mutations   []CatalogueMutation `json:"mutations"`
}

// CatalogueMutation is one mutation: mockprovider.Mutation with the types it applies to.
type CatalogueMutation struct {
	mockprovider.Mutation
	// Types are the message types it applies to; all of them when it applies to every type.
	Types []string `json:"types"`
}

// buildCatalogue works the catalogue out from the registries as they are now: a provider
// registered after the server started is in it too. The mutation catalogues are derived once per
// provider, by mockprovider.
func buildCatalogue() (Catalogue, error) {
	c := Catalogue{MediaFaults: slices.DeleteFunc(media.Faults(), func(f string) bool { return f == media.FaultNone }), MaxCount: MaxCount}
	for _, q := range mockprovider.QuirkModes() {
		c.QuirkModes = append(c.QuirkModes, string(q))
	}
	for _, p := range mockprovider.Providers() {
		cp := CatalogueProvider{Name: string(p.Name), Types: p.Types(), Credentials: p.Auth.Describe(), Mutations: []CatalogueMutation{}}
		for _, d := range p.RetrySchedule {
			cp.Retries = append(cp.Retries, d.String())
		}
		ms, err := mockprovider.Mutations(p.Name)
		if err != nil {
			return Catalogue{}, fmt.Errorf("%s: %w", p.Name, err)
		}
		for _, m := range ms {
			cm := CatalogueMutation{Mutation: m, Types: []string{}}
			for _, t := range cp.Types {
				if m.AppliesTo(t) {
					cm.Types = append(cm.Types, t)
				}
			}
			cp.Mutations = append(cp.Mutations, cm)
		}
		c.Providers = append(c.Providers, cp)
	}
	return c, nil
}

// handleCatalogue serves GET /v1/catalogue.
func (s *Server) handleCatalogue(w http.ResponseWriter) {
	c, err := buildCatalogue()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "the mutation catalogue: %v", err)
		return
	}
	c.History = s.hist.capacity()
	writeJSON(w, http.StatusOK, c)
}
