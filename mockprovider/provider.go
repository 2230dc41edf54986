package mockprovider

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/message"
	"github.com/wahook/wahook/schemas"
)

// Provider is what wahook knows about one provider beyond its schema: how it writes each message type,
// its quirk forms, and how it delivers. Each provider is described in one file (innopaas.go,
// itniotech.go); nothing else in wahook switches on the provider's name. A provider described outside
// this package sets Write and is added with Register.
type Provider struct {
	// Name is the provider's format name.
	Name schemas.Provider
	// Event is the event type of an inbound message webhook, as the envelope names it.
	Event string
	// MessagePointer is the JSON pointer of the message object inside the envelope.
	MessagePointer string
	// IDPointer is the JSON pointer of the id a receiver deduplicates on.
	IDPointer string
	// EnvelopeIDPointer is the JSON pointer of the webhook's own id.
	EnvelopeIDPointer string
	// SentAtPointer is the JSON pointer of the message's send time; SentAt reads it.
	SentAtPointer string
	// SenderPointer is the JSON pointer of the customer's phone number: whose conversation the
	// message belongs to, for a receiver that orders or groups messages per customer.
	SenderPointer string
	// IdentityPointers are the JSON pointers of every field a receiver may key on or order by: the ids
	// and times above and any other the provider sends (InnoPaaS's wamid and eventTime). A replayed
	// example takes them from a fresh payload, so that a deduplicating receiver does not drop it.
	IdentityPointers []string
	// Personal are the JSON pointers of the personal data a webhook carries (phone numbers, names, text
	// bodies, captions, media links and file names, emails, addresses, birthdays, organisations), where a
	// "*" segment matches any one key or array index: what wahook proxy --redact replaces.
	Personal []string
	// RetrySchedule is the wait before each new attempt after a failed delivery.
	RetrySchedule []time.Duration
	// TypeObjectKeys names, for a message type whose object may arrive under more than one key, those
	// keys; every other type's object is under its own name.
	TypeObjectKeys map[string][]string
	// Auth is how the provider authenticates its webhooks to the receiver (StaticHeaders,
	// HMACSignature, or an Auth of its own); nil means it carries no credentials.
	Auth Auth
	// Verification is the handshake by which the provider confirms a webhook URL before it delivers
	// to it (Meta's hub.challenge); nil means it has none.
	Verification *Verification
	// Batch, for a provider that may deliver several updates in one webhook, packs the given
	// webhooks of its own into one, in order; nil means the provider sends one message per webhook.
	Batch func(bodies [][]byte) ([]byte, error)
	// Split undoes Batch for a decoded, valid webhook: one webhook per update it holds, in order, or
	// the webhook itself when it holds one. nil means every webhook holds one message.
	Split func(doc any) []any
	// Write, for a provider described outside this package, returns the body of a message of type typ,
	// drawing every value from rng, which is seeded from the payload's seed: the same seed must give
	// the same body. The payload's ID and SentAt are read back from the body at IDPointer and
	// SentAtPointer (an RFC 3339 string or whole unix seconds). The built-in providers leave it nil and
	// write through the package's own JSON writer, which also fills every optional part for mutations.
	Write func(rng *rand.Rand, typ string) ([]byte, error)

	// The built-in providers' own: the event types they also POST to the same URL, as minimal bodies,
	// and the documented quirk forms the generator varies (see QuirkMode).
	otherEvents []otherEvent
	quirks      []quirk

	types     []string
	sentAt    func(v any) (time.Time, error) // reads the value at SentAtPointer in the provider's format
	write     func(b *builder, typ string) error
	mutations []Mutation // provider-specific additions to the named catalogue
	// parse reads a schema-valid webhook, decoded, into the model (see Parse).
	parse func(doc map[string]any) (message.Message, error)
	// For SameMessage: carry clears what of m the provider's format has no place for; render writes
	// m, which carry has made fit, with ids of the provider's own drawn into b.msg, or returns
	// ErrNotApplicable for a kind it does not render.
	carry  func(m *message.Message)
	render func(b *builder, m *message.Message) error
}

// otherEvent is a webhook of another event type that shares the inbound message's URL.
type otherEvent struct {
	Type string
	// write fills the envelope's body.
	write func(b *builder)
}

// quirk is one place where a provider's examples and tables disagree, as the generator varies it.
type quirk struct {
	ID      string `json:"id"`
	Example string `json:"example"` // the form the document's example shows
	Table   string `json:"table"`   // the form its table documents
	// Types are the message types whose payloads can carry the quirk; nil means every type.
	Types []string `json:"types,omitempty"`

	form func(doc any) QuirkMode
}

// AppliesTo reports whether payloads of message type typ can carry the quirk.
func (q quirk) AppliesTo(typ string) bool { return q.Types == nil || slices.Contains(q.Types, typ) }

// Form says which of the quirk's two forms doc, a decoded payload, carries: QuirksExample,
// QuirksTable, or "" when it carries neither (its type has no such field, or the optional part that
// holds it is absent).
func (q quirk) Form(doc any) QuirkMode {
	if q.form == nil {
		return ""
	}
	return q.form(doc)
}

// formByType detects a quirk whose forms differ in a field's JSON type: exampleKind ("number",
// "string", "boolean", "object") at the first of ptrs the payload has is the example's form, any other
// kind the table's.
func formByType(exampleKind string, ptrs ...string) func(doc any) QuirkMode {
	return func(doc any) QuirkMode {
		for _, ptr := range ptrs {
			if v, err := jsonpointer.Get(doc, ptr); err == nil {
				if kind := schemas.JSONType(v); kind == exampleKind || kind == "integer" && exampleKind == "number" {
					return QuirksExample
				}
				return QuirksTable
			}
		}
		return ""
	}
}

// formByKey detects a quirk whose forms differ in a key's spelling: a value at examplePtr is the
// example's form, one at tablePtr the table's.
func formByKey(examplePtr, tablePtr string) func(doc any) QuirkMode {
	return func(doc any) QuirkMode {
		if _, err := jsonpointer.Get(doc, examplePtr); err == nil {
			return QuirksExample
		}
		if _, err := jsonpointer.Get(doc, tablePtr); err == nil {
			return QuirksTable
		}
		return ""
	}
}

// typeObjectKeys returns the keys under which a message of type typ carries its object.
func (p *Provider) typeObjectKeys(typ string) []string {
	if keys, ok := p.TypeObjectKeys[typ]; ok {
		return keys
	}
	return []string{typ}
}

// quirkTypes returns the message types whose payloads can carry some quirk, in the provider's type
// order; nil when some quirk can appear in every type.
func (p *Provider) quirkTypes() []string {
	var out []string
	for _, typ := range p.types {
		for _, q := range p.quirks {
			if q.Types == nil {
				return nil
			}
			if q.AppliesTo(typ) {
				out = append(out, typ)
				break
			}
		}
	}
	return out
}

// SentAt returns the send time of the message in doc, a decoded payload (numbers as float64 or
// json.Number).
func (p *Provider) SentAt(doc any) (time.Time, error) {
	v, err := jsonpointer.Get(doc, p.SentAtPointer)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s send time: %w", p.Name, err)
	}
	read := p.sentAt
	if read == nil {
		read = anyTime
	}
	t, err := read(v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s send time at %s: %w", p.Name, p.SentAtPointer, err)
	}
	return t, nil
}

// isoTime reads a time written as an ISO-8601 string with its offset.
func isoTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("%s is not a string", jsonText(v))
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err == nil || len(s) < 20 {
		return t, err
	}
	// What the schema's date-time check accepts and time.Parse does not: the lower-case "t" and "z"
	// RFC 3339 allows, and a leap second (23:59:60), read as the instant after 23:59:59, as Unix time
	// counts it. The schema has already checked the rest.
	b := []byte(s)
	if b[10] == 't' {
		b[10] = 'T'
	}
	if b[len(b)-1] == 'z' {
		b[len(b)-1] = 'Z'
	}
	leap := string(b[16:19]) == ":60"
	if leap {
		b[17] = '5'
		b[18] = '9'
	}
	t, lerr := time.Parse(time.RFC3339Nano, string(b))
	if lerr != nil {
		return time.Time{}, err
	}
	if leap {
		t = t.Add(time.Second)
	}
	return t, nil
}

// anyTime reads a time written either way, for a provider described outside this package.
func anyTime(v any) (time.Time, error) {
	if _, ok := v.(string); ok {
		return isoTime(v)
	}
	return unixSeconds(v)
}

// unixSeconds reads a time written as a whole number of seconds since 1970, decoded as a float64 or
// a json.Number.
func unixSeconds(v any) (time.Time, error) {
	var (
		secs int64
		err  error
	)
	switch n := v.(type) {
	case json.Number:
		secs, err = strconv.ParseInt(string(n), 10, 64)
	case float64:
		secs = int64(n)
		if float64(secs) != n {
			err = strconv.ErrSyntax
		}
	default:
		err = strconv.ErrSyntax
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("%s is not a whole number of seconds", jsonText(v))
	}
	return time.Unix(secs, 0), nil
}

// jsonText writes a decoded value as it would appear in JSON, for messages.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// Types returns the message types of the provider, from its schema.
func (p *Provider) Types() []string { return slices.Clone(p.types) }

// registry holds the provider descriptions, replaced whole by each Register and Unregister so that
// Lookup, on every payload's path, takes no lock.
var (
	// registry is set in its initialiser, which runs before any file's init registers a provider.
	registry = func() *atomic.Pointer[map[schemas.Provider]*Provider] {
		var r atomic.Pointer[map[schemas.Provider]*Provider]
		r.Store(&map[schemas.Provider]*Provider{})
		return &r
	}()
	registerMu sync.Mutex
	// builtinErr is what registering the built-in providers went wrong with; Check returns it.
	builtinErr error
)

// register adds a built-in provider description; each provider file calls it from init.
func register(p *Provider) {
	builtinErr = errors.Join(builtinErr, Register(p))
}

// Check reports whether every built-in provider, and its schema, loaded: nil, or one line naming each
// that did not and why. cmd/wahook calls it before anything else.
func Check() error {
	var msgs []string
	for _, err := range []error{schemas.Check(), builtinErr} {
		if err != nil {
			msgs = append(msgs, strings.ReplaceAll(err.Error(), "\n", "; "))
		}
	}
	if msgs == nil {
		return nil
	}
	return errors.New(strings.Join(msgs, "; "))
}

// Register adds p, whose schema is already registered with schemas.Register (or embedded), to the
// providers: after it, Lookup, Providers, the generator, send and conformance know it. A provider
// described outside this package must set Write. It is schemas.ErrUnknownProvider for a provider
// without a schema and schemas.ErrProviderExists for one already registered. Register takes p: do not
// change it afterwards. Unregister undoes it.
func Register(p *Provider) error {
	types := schemas.Types(p.Name)
	if types == nil {
		return fmt.Errorf("register provider %q: no schema: %w", p.Name, schemas.ErrUnknownProvider)
	}
	if p.write == nil && p.Write == nil {
		return fmt.Errorf("register provider %q: no Write", p.Name)
	}
	for field, ptr := range map[string]string{"MessagePointer": p.MessagePointer, "IDPointer": p.IDPointer, "SentAtPointer": p.SentAtPointer} {
		if _, err := jsonpointer.Split(ptr); err != nil || ptr == "" {
			return fmt.Errorf("register provider %q: %s %q is not a JSON pointer into the payload", p.Name, field, ptr)
		}
	}
	for _, ptr := range p.Personal {
		if !strings.HasPrefix(ptr, "/") {
			return fmt.Errorf("register provider %q: Personal %q is not a JSON pointer into the payload", p.Name, ptr)
		}
	}
	p.types = types
	if p.Auth == nil {
		p.Auth = noAuth{}
	}
	registerMu.Lock()
	defer registerMu.Unlock()
	old := *registry.Load()
	if _, ok := old[p.Name]; ok {
		return fmt.Errorf("register provider %q: %w", p.Name, schemas.ErrProviderExists)
	}
	next := maps.Clone(old)
	next[p.Name] = p
	registry.Store(&next)
	return nil
}

// Unregister removes the provider named name, so that a test can undo its Register (t.Cleanup); its
// schema stays until schemas.Unregister. It is schemas.ErrUnknownProvider for a name not registered.
func Unregister(name schemas.Provider) error {
	registerMu.Lock()
	defer registerMu.Unlock()
	old := *registry.Load()
	if _, ok := old[name]; !ok {
		return fmt.Errorf("unregister provider %q: %w", name, schemas.ErrUnknownProvider)
	}
	next := maps.Clone(old)
	delete(next, name)
	registry.Store(&next)
	return nil
}

// CheckTypes returns the message types named, each checked against the provider's: none, or "all"
// alone, means every type. It is the one check of a --type list, a /v1/send "types" field or a
// Types option, so that all say the same.
func (p *Provider) CheckTypes(types []string) ([]string, error) {
	if len(types) == 0 || slices.Equal(types, []string{"all"}) {
		return p.Types(), nil
	}
	for _, t := range types {
		switch {
		case t == "all":
			return nil, errors.New(`"all" cannot be combined with other types`)
		case !slices.Contains(p.types, t):
			if len(t) > 40 {
				t = t[:40] + "..."
			}
			return nil, fmt.Errorf("%w %q for %s (want one of %s)", ErrUnknownType, t, p.Name, strings.Join(p.types, ", "))
		}
	}
	return slices.Clone(types), nil
}

// Lookup returns the description of the provider named name.
func Lookup(name schemas.Provider) (*Provider, error) {
	p, ok := (*registry.Load())[name]
	if !ok {
		return nil, fmt.Errorf("%w %q", schemas.ErrUnknownProvider, name)
	}
	return p, nil
}

// Providers returns every provider description, in schemas.Providers order.
func Providers() []*Provider {
	var out []*Provider
	reg := *registry.Load()
	for _, name := range schemas.Providers() {
		if p, ok := reg[name]; ok {
			out = append(out, p)
		}
	}
	return out
}

// userAgent is the User-Agent wahook sends, naming itself and its version.
func userAgent(version string) string {
	return "wahook/" + version + " (+https://github.com/wahook/wahook)"
}
