// Package schemas holds the JSON Schemas (draft 2020-12) of the inbound WhatsApp webhook formats that
// wahook knows, and validates payloads against them.
//
// The schema files are the one place where a provider's payload format is written down: field names,
// required fields, the list of message types. Everything else in wahook asks this package for them.
package schemas

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// Provider names a webhook format.
type Provider string

// The providers wahook knows. Auto asks Validate to recognise the provider from the payload's envelope.
const (
	Auto      Provider = "auto"
	InnoPaaS  Provider = "innopaas"
	ITNIOTech Provider = "itniotech"
)

// ErrUnknownProvider is returned for a provider name that is not one of Providers.
var ErrUnknownProvider = errors.New("unknown provider")

//go:embed *.schema.json
var files embed.FS

// providers lists the known formats in a stable order.
var providers = []Provider{InnoPaaS, ITNIOTech}

// Providers returns the known providers, in a stable order.
func Providers() []Provider { return slices.Clone(providers) }

// ParseProvider turns a name such as "innopaas" into a Provider. It accepts "auto" only when allowAuto is set.
func ParseProvider(name string, allowAuto bool) (Provider, error) {
	p := Provider(name)
	if p == Auto && allowAuto || slices.Contains(providers, p) {
		return p, nil
	}
	want := slices.Clone(providers)
	if allowAuto {
		want = append([]Provider{Auto}, want...)
	}
	return "", fmt.Errorf("%w %q (want one of %v)", ErrUnknownProvider, name, want)
}

// File returns the file name of p's schema inside Files, such as "innopaas.schema.json".
func (p Provider) File() string { return string(p) + ".schema.json" }

// URL returns the $id of p's schema.
func (p Provider) URL() string { return baseURL + p.File() }

const baseURL = "https://github.com/wahook/wahook/schemas/"

// Files returns the embedded schema files, for tools that want to publish or load them elsewhere.
func Files() embed.FS { return files }

// Source returns the raw bytes of p's schema.
func Source(p Provider) ([]byte, error) {
	if !slices.Contains(providers, p) {
		return nil, fmt.Errorf("schema of %q: %w", p, ErrUnknownProvider)
	}
	return files.ReadFile(p.File())
}

// Types returns the message types p's schema defines, in the order the schema lists them.
func Types(p Provider) []string {
	f, ok := formatsOf()[p]
	if !ok {
		return nil
	}
	return slices.Clone(f.types)
}

// EnvelopeKeys returns the top-level property names p's schema documents, in sorted order.
func EnvelopeKeys(p Provider) []string {
	f, ok := formatsOf()[p]
	if !ok {
		return nil
	}
	return slices.Clone(f.envelope)
}

// format is what the Go code reads out of one schema file, so that nothing is written down twice.
type format struct {
	source   map[string]any
	types    []string // $defs.message.properties.type.enum
	envelope []string // top-level properties, sorted
}

var formatsOf = sync.OnceValue(func() map[Provider]format {
	out := make(map[Provider]format, len(providers))
	for _, p := range providers {
		raw, err := files.ReadFile(p.File())
		if err != nil {
			panic(fmt.Sprintf("embedded schema %s: %v", p.File(), err)) // embedded at build time; a test covers it
		}
		var src map[string]any
		if err := json.Unmarshal(raw, &src); err != nil {
			panic(fmt.Sprintf("embedded schema %s: %v", p.File(), err))
		}
		f := format{source: src}
		for k := range dig(src, "properties") {
			f.envelope = append(f.envelope, k)
		}
		slices.Sort(f.envelope)
		for _, t := range dig(src, "$defs", "message", "properties", "type")["enum"].([]any) {
			f.types = append(f.types, t.(string))
		}
		out[p] = f
	}
	return out
})

// dig walks nested JSON objects by key, returning nil when a step is missing.
func dig(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		next, _ := m[k].(map[string]any)
		m = next
	}
	return m
}
