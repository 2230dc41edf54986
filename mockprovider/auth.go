package mockprovider

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/wahook/wahook/internal/engine"
)

// Credentials are what a customer configures at the provider so that its receiver can tell the
// provider's webhooks from anyone else's. Which of them a provider sends, and how, is its Auth's
// business: InnoPaaS sends User and Token verbatim in two headers, a signing provider keys a
// signature over each body with Secret, ITNIO Tech sends none.
type Credentials struct {
	// User and Token are sent verbatim in the headers the provider names.
	User  string
	Token string
	// Secret keys a signature over each body, for a provider that signs its webhooks. It is never
	// sent.
	Secret string
}

// Auth is how a provider lets a receiver tell its webhooks from anyone else's. Each provider declares
// one (Provider.Auth), and everything that sends or checks credentials goes through it: the delivery
// engine (through Target.Headers and Target.Sign), the conformance suite's auth cases and reproduce commands, the fuzzer,
// and the reference receiver. A provider that signs its bodies is one more Auth, not a change to any
// of them.
type Auth interface {
	// Check refuses credentials the scheme cannot carry or send. Target.Check reports its error as
	// one of the field "Credentials" (the built-in schemes name the very field: "Credentials.Token").
	Check(c Credentials) error
	// Header returns the headers sent verbatim with every delivery for c, whatever its body, with
	// names spelled as the provider sends them; none for zero credentials.
	Header(c Credentials) http.Header
	// Sign returns the headers that authenticate one body for c, such as a signature over its exact
	// bytes; nil when the scheme signs nothing or c has no secret.
	Sign(c Credentials, body []byte) http.Header
	// Verify is the receiver's side: it reports whether a request's headers and raw body carry c's
	// authentication, comparing in constant time. Zero credentials accept any request.
	Verify(c Credentials, h http.Header, body []byte) error
	// Describe says where the credentials go, for hints: "the UserName and Authorization headers";
	// "" for a scheme that carries none.
	Describe() string
}

// ErrNoCredentialHeaders is returned when credentials are given for a provider that documents no way
// to send them.
var ErrNoCredentialHeaders = errors.New("the provider documents no credential headers")

// ErrUnauthenticated is wrapped by Verify's refusals.
var ErrUnauthenticated = errors.New("unauthenticated")

// credentialFields are the Credentials fields, for checks that go over all of them.
func credentialFields(c Credentials) []struct{ name, value string } {
	return []struct{ name, value string }{{"User", c.User}, {"Token", c.Token}, {"Secret", c.Secret}}
}

// refuseCredentials refuses every set credential that the scheme has no use for: the first set one
// not in allowed.
func refuseCredentials(c Credentials, why error, allowed ...string) error {
	for _, f := range credentialFields(c) {
		if f.value != "" && !slices.Contains(allowed, f.name) {
			return &engine.FieldError{Field: f.name, Err: why}
		}
	}
	return nil
}

// CarriedCredentials returns those of c that p's Auth can send, the others zeroed: what a receiver
// that takes several providers' webhooks, configured with each one's credentials, checks a webhook
// of p against. A provider that carries none of them gets zero Credentials.
func (p *Provider) CarriedCredentials(c Credentials) Credentials {
	carries := func(only Credentials) bool { return only != (Credentials{}) && p.Auth.Check(only) == nil }
	var out Credentials
	if carries(Credentials{User: c.User}) {
		out.User = c.User
	}
	if carries(Credentials{Token: c.Token}) {
		out.Token = c.Token
	}
	if carries(Credentials{Secret: c.Secret}) {
		out.Secret = c.Secret
	}
	return out
}

// noAuth is the scheme of a provider that documents no credentials: a receiver can only tell its
// webhooks apart with a header of its own (an extra header, Target.Header).
type noAuth struct{}

// Check refuses any credential.
func (noAuth) Check(c Credentials) error {
	return refuseCredentials(c, fmt.Errorf("%w; send them with a custom header instead", ErrNoCredentialHeaders))
}

// Header returns no headers.
func (noAuth) Header(Credentials) http.Header { return nil }

// Sign signs nothing.
func (noAuth) Sign(Credentials, []byte) http.Header { return nil }

// Verify accepts any request for zero credentials and none otherwise: the provider cannot send them.
func (noAuth) Verify(c Credentials, _ http.Header, _ []byte) error {
	if c == (Credentials{}) {
		return nil
	}
	return fmt.Errorf("%w: the provider sends no credentials", ErrUnauthenticated)
}

// Describe returns "": there is nowhere the provider puts credentials.
func (noAuth) Describe() string { return "" }

// StaticHeaders is the scheme of a provider that sends customer-configured values verbatim in
// headers of its own naming with every webhook, as InnoPaaS sends Credentials.User in userHeader and
// Token in tokenHeader. Spell the names as the provider does: a receiver may compare them byte for
// byte.
func StaticHeaders(userHeader, tokenHeader string) Auth {
	return headerAuth{UserHeader: userHeader, TokenHeader: tokenHeader}
}

// headerAuth is StaticHeaders' scheme.
type headerAuth struct {
	// UserHeader and TokenHeader name the headers that carry Credentials.User and Token, spelled as
	// the provider sends them (a receiver may compare names byte for byte).
	UserHeader, TokenHeader string
}

// Check refuses a secret, which the scheme does not use, and values no header can carry.
func (a headerAuth) Check(c Credentials) error {
	if err := refuseCredentials(c, errors.New("the provider signs no bodies: give User and Token"), "User", "Token"); err != nil {
		return err
	}
	for _, f := range credentialFields(c)[:2] {
		if err := engine.CheckHeaderValue(f.value); err != nil {
			return &engine.FieldError{Field: f.name, Err: err}
		}
	}
	return nil
}

// Header returns the set credentials under the provider's names.
func (a headerAuth) Header(c Credentials) http.Header {
	h := http.Header{}
	// Set directly, not with Header.Set: the provider sends the names as configured, verbatim.
	if c.User != "" {
		h[a.UserHeader] = []string{c.User}
	}
	if c.Token != "" {
		h[a.TokenHeader] = []string{c.Token}
	}
	return h
}

// Sign signs nothing: the headers do not depend on the body.
func (headerAuth) Sign(Credentials, []byte) http.Header { return nil }

// Verify checks that each set credential arrives in its header.
func (a headerAuth) Verify(c Credentials, h http.Header, _ []byte) error {
	for _, want := range [...]struct{ name, value string }{{a.UserHeader, c.User}, {a.TokenHeader, c.Token}} {
		if got := h.Values(want.name); want.value != "" && (len(got) != 1 || !equal(got[0], want.value)) {
			return fmt.Errorf("%w: %s missing or wrong", ErrUnauthenticated, want.name)
		}
	}
	return nil
}

// Describe names the two headers.
func (a headerAuth) Describe() string {
	return fmt.Sprintf("the %s and %s headers", a.UserHeader, a.TokenHeader)
}

// HMACSignature is the scheme of a provider that signs each body: header carries prefix and the hex
// HMAC-SHA256 of the raw body keyed with Credentials.Secret ("X-Hub-Signature-256: sha256=...").
// The receiver must verify over the bytes received, not over a re-serialisation of them.
func HMACSignature(header, prefix string) Auth {
	return signatureAuth{SignatureHeader: header, Prefix: prefix}
}

// signatureAuth is HMACSignature's scheme.
type signatureAuth struct {
	// SignatureHeader names the signature's header; Prefix comes before the hex digest ("sha256=").
	SignatureHeader, Prefix string
}

// Check refuses User and Token, which the scheme does not send.
func (a signatureAuth) Check(c Credentials) error {
	return refuseCredentials(c, fmt.Errorf("the provider sends no user or token: it signs each body with a secret (%s)", a.SignatureHeader), "Secret")
}

// Header returns no headers: every header of the scheme depends on the body.
func (signatureAuth) Header(Credentials) http.Header { return nil }

// Sign returns the signature header of body, or nil without a secret.
func (a signatureAuth) Sign(c Credentials, body []byte) http.Header {
	if c.Secret == "" {
		return nil
	}
	return http.Header{a.SignatureHeader: {a.Prefix + hex.EncodeToString(a.mac(c.Secret, body))}}
}

func (signatureAuth) mac(secret string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks the signature header against the raw body.
func (a signatureAuth) Verify(c Credentials, h http.Header, body []byte) error {
	if c.Secret == "" {
		return nil
	}
	got, ok := strings.CutPrefix(h.Get(a.SignatureHeader), a.Prefix)
	sum, err := hex.DecodeString(got)
	if !ok || err != nil || !hmac.Equal(sum, a.mac(c.Secret, body)) {
		return fmt.Errorf("%w: %s missing or wrong", ErrUnauthenticated, a.SignatureHeader)
	}
	return nil
}

// Describe names the signature's header.
func (a signatureAuth) Describe() string {
	return fmt.Sprintf("a signature of each body in the %s header", a.SignatureHeader)
}

// equal compares in time that does not depend on where got and want differ.
func equal(got, want string) bool { return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1 }
