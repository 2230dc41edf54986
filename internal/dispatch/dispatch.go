// Package dispatch turns what mockprovider knows of a delivery (a Target, a Payload) into what the
// delivery engine takes, so that neither knows the other: the engine knows no provider, and
// mockprovider's public API names no part of wahook's machinery.
package dispatch

import (
	"net/http"

	"github.com/wahook/wahook/internal/engine"
	"github.com/wahook/wahook/mockprovider"
)

// Options checks t and returns the engine's options for it: URL, headers (t.Headers), the body
// signature of its provider's Auth, timeout and trust, with the CA file read once. The caller adds
// the rest (workers, retries, rate).
func Options(t mockprovider.Target, version string) (*mockprovider.Provider, engine.Options, error) {
	prov, err := t.Check(true)
	if err != nil {
		return nil, engine.Options{}, err
	}
	header, err := t.Headers(version)
	if err != nil {
		return nil, engine.Options{}, err
	}
	roots, caFile := t.TLS.RootCAs, t.TLS.CAFile
	if caFile != "" && roots == nil {
		// Read once here, so that every engine made from these options trusts the same certificates
		// and a bad file is refused before anything is sent.
		if roots, err = engine.LoadCAFile(caFile); err != nil {
			return nil, engine.Options{}, &engine.FieldError{Field: "TLS.CAFile", Err: err}
		}
		caFile = ""
	}
	opts := engine.Options{
		Target: t.URL, Header: header, Timeout: t.Timeout,
		CAFile: caFile, RootCAs: roots, Insecure: t.TLS.Insecure,
	}
	if probe := t.Sign(prov, nil); probe != nil {
		opts.Sign = func(body []byte) http.Header { return t.Sign(prov, body) }
	}
	return prov, opts, nil
}

// Payload returns p as the engine takes it.
func Payload(p mockprovider.Payload) engine.Payload {
	return engine.Payload{ID: p.ID, Provider: string(p.Provider), Type: p.Type, Body: p.Body, ContentType: p.ContentType}
}
