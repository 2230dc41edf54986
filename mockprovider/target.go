package mockprovider

import (
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/wahook/wahook/internal/engine"
	"github.com/wahook/wahook/schemas"
)

// Target is where a provider's webhooks go, and how: the receiver's URL, the provider acted as, the
// customer's credentials, extra headers, the bound on each attempt and the trust in an https
// receiver. Every options struct that delivers embeds it (send.Options, conformance.Config,
// fuzz.Options, wahook serve's timer), so these settings are named, checked and turned into the
// engine's options in one place. Each of its errors starts with the name of the field it refuses, as
// spelled here ("URL", "Credentials.User", "TLS.CAFile").
type Target struct {
	// URL is the receiver's URL, http or https.
	URL string
	// Provider is the provider acted as.
	Provider schemas.Provider
	// Credentials are the customer-configured credentials, sent as the provider's Auth says.
	Credentials Credentials
	// Header holds extra headers for every request. A name here replaces the provider's header of the
	// same name, compared case-insensitively, under this spelling; it must not hold two names that
	// differ only in letter case (the CLI merges such lines in order).
	Header http.Header
	// Timeout bounds each attempt; 0 means 10 seconds.
	Timeout time.Duration
	// TLS says which certificates of an https receiver to trust.
	TLS TLS
}

// TLS is the trust in an https receiver's certificate.
type TLS struct {
	// CAFile names a PEM file of certificates to trust instead of the system's; it is read once,
	// before anything is sent.
	CAFile string
	// RootCAs are certificates to trust, with CAFile's.
	RootCAs *x509.CertPool
	// Insecure skips verifying the certificate; it excludes CAFile and RootCAs.
	Insecure bool
}

// Check refuses a Target that cannot deliver, before anything is sent, and returns its provider.
// A zero URL is refused only when needURL is set: listing a suite's cases needs no receiver.
func (t Target) Check(needURL bool) (*Provider, error) {
	prov, err := Lookup(t.Provider)
	if err != nil {
		return nil, &engine.FieldError{Field: "Provider", Err: err}
	}
	if needURL || t.URL != "" {
		if _, err := engine.CheckURL(t.URL); err != nil {
			return nil, &engine.FieldError{Field: "URL", Err: err}
		}
	}
	if t.Timeout < 0 {
		return nil, &engine.FieldError{Field: "Timeout", Err: fmt.Errorf("negative (%v)", t.Timeout)}
	}
	for _, f := range credentialFields(t.Credentials) {
		// An unset credential is ""; one of blanks is a mistake, and cannot be got wrong on purpose.
		if f.value != "" && strings.TrimSpace(f.value) == "" {
			return nil, &engine.FieldError{Field: "Credentials." + f.name, Err: errors.New("the value is blank")}
		}
	}
	if err := prov.Auth.Check(t.Credentials); err != nil {
		var fe *engine.FieldError
		if errors.As(err, &fe) {
			if !errors.Is(fe.Err, engine.ErrBadHeader) {
				fe = &engine.FieldError{Field: fe.Field, Err: fmt.Errorf("%s: %w", prov.Name, fe.Err)}
			}
			return nil, &engine.FieldError{Field: "Credentials." + fe.Field, Err: fe.Err}
		}
		return nil, &engine.FieldError{Field: "Credentials", Err: err}
	}
	if err := checkExtraHeader(t.Header); err != nil {
		return nil, &engine.FieldError{Field: "Header", Err: err}
	}
	if t.TLS.Insecure && (t.TLS.CAFile != "" || t.TLS.RootCAs != nil) {
		return nil, &engine.FieldError{Field: "TLS.Insecure", Err: errors.New("cannot be combined with a CA file or root CAs")}
	}
	return prov, nil
}

// checkExtraHeader refuses extra headers that cannot be sent, and names that differ only in letter
// case: a map cannot say which came first.
func checkExtraHeader(extra http.Header) error {
	seen := make(map[string]string, len(extra))
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		if first, dup := seen[strings.ToLower(k)]; dup {
			return badHeader(fmt.Sprintf("%q and %q differ only in letter case: give their values under one name", first, k))
		}
		seen[strings.ToLower(k)] = k
	}
	return engine.CheckHeader(extra)
}

// badHeader is a refusal of extra headers that the engine has no word for; it matches
// engine.ErrBadHeader, as the engine's own refusals do.
type badHeader string

func (e badHeader) Error() string      { return string(e) }
func (badHeader) Is(target error) bool { return target == engine.ErrBadHeader }

// Headers returns the headers the provider sends with every webhook to t, whatever its body: a
// User-Agent naming wahook at version, the credentials its Auth sends verbatim, and the extras,
// each replacing the provider's header of the same name. It checks t as Check does.
func (t Target) Headers(version string) (http.Header, error) {
	prov, err := t.Check(false)
	if err != nil {
		return nil, err
	}
	return t.headers(prov, version), nil
}

func (t Target) headers(prov *Provider, version string) http.Header {
	if version == "" {
		version = "dev"
	}
	h := prov.Auth.Header(t.Credentials)
	if h == nil {
		h = http.Header{}
	}
	h["User-Agent"] = []string{userAgent(version)}
	for _, k := range slices.Sorted(maps.Keys(t.Header)) {
		name := k
		if strings.EqualFold(k, "User-Agent") {
			name = "User-Agent" // the spelling the engine writes, whatever the extra's
		}
		deleteFold(h, name)
		h[name] = slices.Clone(t.Header[k])
	}
	return h
}

func deleteFold(h http.Header, key string) {
	for k := range h {
		if strings.EqualFold(k, key) {
			delete(h, k)
		}
	}
}

// Sign returns the headers that authenticate body for t, as its provider's Auth computes them; an
// extra header of the same name replaces the computed one. nil when the provider signs nothing.
func (t Target) Sign(prov *Provider, body []byte) http.Header {
	h := prov.Auth.Sign(t.Credentials, body)
	for k := range t.Header {
		deleteFold(h, k)
	}
	return h
}
