package mockprovider

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/wahook/wahook/schemas"
)

// Provider is what wahook knows about one provider beyond its schema: how it writes each message type,
// its quirk forms, and how it delivers. Each provider is described in one file (innopaas.go,
// itniotech.go); nothing else in wahook switches on the provider's name.
type Provider struct {
	// Name is the provider's format name.
	Name schemas.Provider
	// MessagePointer is the JSON pointer of the message object inside the envelope.
	MessagePointer string
	// IDPointer is the JSON pointer of the id a receiver deduplicates on.
	IDPointer string
	// EnvelopeIDPointer is the JSON pointer of the webhook's own id.
	EnvelopeIDPointer string
	// SentAtPointer is the JSON pointer of the message's send time.
	SentAtPointer string
	// OtherEvents are event types the provider also POSTs to the same URL, as minimal bodies.
	OtherEvents []OtherEvent
	// RetrySchedule is the wait before each new attempt after a failed delivery.
	RetrySchedule []time.Duration
	// TypeObjectKeys names, for a message type whose object may arrive under more than one key, those
	// keys; every other type's object is under its own name.
	TypeObjectKeys map[string][]string
	// CredentialHeaders names the headers that carry the customer-configured user and token, verbatim;
	// empty when the provider documents none.
	CredentialHeaders struct{ User, Token string }
	// Quirks lists the documented quirk forms the generator varies (see QuirkMode).
	Quirks []Quirk

	types     []string
	write     func(b *builder, typ string) error
	mutations []Mutation // provider-specific additions to the named catalogue
}

// OtherEvent is a webhook of another event type that shares the inbound message's URL.
type OtherEvent struct {
	Type string
	// write fills the envelope's body.
	write func(b *builder)
}

// Quirk is one place where a provider's examples and tables disagree, as the generator varies it.
type Quirk struct {
	ID      string `json:"id"`
	Example string `json:"example"` // the form the document's example shows
	Table   string `json:"table"`   // the form its table documents
}

// typeObjectKeys returns the keys under which a message of type typ carries its object.
func (p *Provider) typeObjectKeys(typ string) []string {
	if keys, ok := p.TypeObjectKeys[typ]; ok {
		return keys
	}
	return []string{typ}
}

// Types returns the message types of the provider, from its schema.
func (p *Provider) Types() []string { return slices.Clone(p.types) }

var registry = map[schemas.Provider]*Provider{}

// register adds a provider description; each provider file calls it from init.
func register(p *Provider) {
	p.types = schemas.Types(p.Name)
	registry[p.Name] = p
}

// Lookup returns the description of the provider named name.
func Lookup(name schemas.Provider) (*Provider, error) {
	p, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("%w %q", schemas.ErrUnknownProvider, name)
	}
	return p, nil
}

// Providers returns every provider description, in schemas.Providers order.
func Providers() []*Provider {
	var out []*Provider
	for _, name := range schemas.Providers() {
		out = append(out, registry[name])
	}
	return out
}

// ErrNoCredentialHeaders is returned when credentials are given for a provider that documents no
// headers to carry them.
var ErrNoCredentialHeaders = fmt.Errorf("the provider documents no credential headers")

// Credentials returns the headers the provider adds to every webhook for a customer who configured
// user and token. Empty user and token give no headers.
func (p *Provider) Credentials(user, token string) (http.Header, error) {
	h := http.Header{}
	if user == "" && token == "" {
		return h, nil
	}
	if p.CredentialHeaders.User == "" {
		return nil, fmt.Errorf("%s: %w; send them with a custom header instead", p.Name, ErrNoCredentialHeaders)
	}
	// Set directly, not with Header.Set: the provider sends the names as configured, verbatim.
	if user != "" {
		h[p.CredentialHeaders.User] = []string{user}
	}
	if token != "" {
		h[p.CredentialHeaders.Token] = []string{token}
	}
	return h, nil
}

// UserAgent is the User-Agent wahook sends, naming itself and its version.
func UserAgent(version string) string {
	return "wahook/" + version + " (+https://github.com/wahook/wahook)"
}
