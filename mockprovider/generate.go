package mockprovider

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wahook/wahook/internal/engine"
	"github.com/wahook/wahook/internal/jsoninput"
	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/internal/media"
	"github.com/wahook/wahook/message"
	"github.com/wahook/wahook/schemas"
)

// QuirkMode chooses between the two forms a provider's document gives for the same field.
type QuirkMode string

// The quirk modes. Example sends what the document's examples show (numeric InnoPaaS coordinates, the
// "contact" key, ITNIO's "true" strings); Table sends what its field tables say; Mix picks per payload
// and per quirk from the payload's seed, so a corpus holds both.
const (
	QuirksMix     QuirkMode = "mix"
	QuirksExample QuirkMode = "example"
	QuirksTable   QuirkMode = "table"
)

// QuirkModes returns the quirk modes, the default first, for flag help and completion.
func QuirkModes() []QuirkMode { return []QuirkMode{QuirksMix, QuirksExample, QuirksTable} }

// ErrUnknownQuirkMode is returned for a quirk mode that is not one of QuirkModes.
var ErrUnknownQuirkMode = errors.New("unknown quirk mode")

// ParseQuirkMode returns the quirk mode named s, one of QuirkModes. It is the one place that says
// which modes exist, for every option, flag and manifest that names one.
func ParseQuirkMode(s string) (QuirkMode, error) {
	modes := QuirkModes()
	if slices.Contains(modes, QuirkMode(s)) {
		return QuirkMode(s), nil
	}
	names := make([]string, len(modes))
	for i, m := range modes {
		names[i] = string(m)
	}
	return "", fmt.Errorf("%w %q (want %s)", ErrUnknownQuirkMode, s, strings.Join(names, ", "))
}

// DefaultMediaBaseURL is where `wahook serve` hosts media by default.
const DefaultMediaBaseURL = "http://127.0.0.1:8787"

// ErrUnknownType is returned for a message type the provider's schema does not define.
var ErrUnknownType = errors.New("unknown message type")

// Options configure a Generator.
type Options struct {
	// Seed is the run seed; payload N's own seed is PayloadSeed(Seed, N). Every value is a real seed,
	// 0 included: nothing here reads the clock or crypto/rand.
	Seed uint64
	// Quirks chooses the documented quirk forms; "" means QuirksMix.
	Quirks QuirkMode
	// MediaBaseURL prefixes the download links of media payloads; "" means DefaultMediaBaseURL.
	MediaBaseURL string
	// MediaFault asks the media host to fail the announced downloads: "" (serve them), "404", "slow"
	// (drip-feed the bytes) or "corrupt" (other bytes than the announced sha256). It is added to media
	// links as ?fault=, for the media host (wahook serve).
	MediaFault string
}

// Payload is one generated webhook body and what is known about it.
type Payload struct {
	Provider schemas.Provider `json:"provider"`
	Type     string           `json:"type"`
	Index    uint64           `json:"index"`
	// Seed is this payload's own seed, PayloadSeed(run seed, Index) for a valid payload: the stream its
	// values are drawn from. It alone does not regenerate the payload: Generate(Provider, Type, Index)
	// on a Generator made with the run's Options (seed, quirk mode, media base URL) does.
	Seed uint64 `json:"seed"`
	// ID is the message id a receiver deduplicates on (InnoPaaS body.id, ITNIO messageId).
	ID string `json:"id"`
	// SentAt is the message's send time (InnoPaaS sendTime, ITNIO timestamp).
	SentAt time.Time `json:"sentAt"`
	// Body is the JSON the provider POSTs.
	Body []byte `json:"-"`
	// ContentType is the Content-Type header to send it with.
	ContentType string `json:"contentType"`
	// Media describes the attachment a media message announces, nil for other types. Payloads
	// announcing the same file share it: treat it as read-only.
	Media *MediaRef `json:"media,omitempty"`
	// Message is the message Body encodes, in the provider-neutral model, as the generator drew it
	// (not read back from Body): what a receiver should understand. It is nil where the generator
	// does not know: a mutation that changes the content in ways it does not model, an event that is
	// not an inbound message, a provider described outside this package.
	Message *message.Message `json:"-"`
}

// MediaRef is an attachment announced by a payload; media.Generate(Kind, Seed) rebuilds its bytes.
type MediaRef struct {
	Kind     media.Kind `json:"kind"`
	Seed     uint64     `json:"seed"`
	Key      string     `json:"key"`
	URL      string     `json:"url"`
	MIMEType string     `json:"mimeType"`
	SHA256   string     `json:"sha256"`
	Filename string     `json:"filename"`
}

// Generator produces realistic payloads of every message type. It is safe for concurrent use.
type Generator struct {
	opts     Options
	builders sync.Pool // *builder, with its faker and JSON writer, reused from payload to payload
	fakers   sync.Pool // *faker, for the edits of mutations
	// media holds each attachment announced so far, by kind and seed, shared by the payloads that
	// announce it. Slots rather than a sync.Map: its lookups of a struct key were a tenth of the cost
	// of a media payload.
	media map[media.Kind]*[mediaVariants]atomic.Pointer[MediaRef]
	// quirkModes holds the Generators for other quirk modes, used by quirk mutations.
	quirkModes sync.Map // QuirkMode -> *Generator
}

// mediaVariants bounds the distinct attachments per kind, so that their hashes can be cached: a media
// file costs tens of microseconds to build, a payload must cost a few.
const mediaVariants = 1024

// New returns a Generator for opts.
func New(opts Options) (*Generator, error) {
	if opts.Quirks == "" {
		opts.Quirks = QuirksMix
	}
	if _, err := ParseQuirkMode(string(opts.Quirks)); err != nil {
		return nil, err
	}
	if opts.MediaBaseURL == "" {
		opts.MediaBaseURL = DefaultMediaBaseURL
	}
	if err := CheckMediaBaseURL(opts.MediaBaseURL); err != nil {
		return nil, fmt.Errorf("media base URL %w", err)
	}
	opts.MediaBaseURL = strings.TrimSuffix(opts.MediaBaseURL, "/")
	if !slices.Contains(media.Faults(), opts.MediaFault) {
		return nil, fmt.Errorf("media fault %q: want one of 404, slow, corrupt", opts.MediaFault)
	}
	g := &Generator{opts: opts, media: map[media.Kind]*[mediaVariants]atomic.Pointer[MediaRef]{}}
	for _, kind := range media.Kinds() {
		g.media[kind] = new([mediaVariants]atomic.Pointer[MediaRef])
	}
	g.fakers.New = func() any { return newFaker() }
	g.builders.New = func() any {
		b := &builder{f: newFaker(), gen: g}
		b.quirkFn = g.quirkChooser(b.f)
		return b
	}
	return g, nil
}

// CheckMediaBaseURL reports whether raw can prefix media links: an absolute http or https URL with a
// host and no query or fragment, which the media path is appended to.
func CheckMediaBaseURL(raw string) error {
	u, err := engine.CheckURL(raw)
	switch {
	case err != nil:
		return err
	case u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(raw, "?") || strings.HasSuffix(raw, "#"):
		return fmt.Errorf("%q: a query or fragment cannot prefix a path", raw)
	}
	return nil
}

// Options returns the options the Generator runs with, defaults filled in.
func (g *Generator) Options() Options { return g.opts }

// Generate builds payload index of message type typ for provider p.
func (g *Generator) Generate(p schemas.Provider, typ string, index uint64) (Payload, error) {
	prov, err := g.lookupType(p, typ)
	if err != nil {
		return Payload{}, err
	}
	return g.generateSeed(prov, typ, index, PayloadSeed(g.opts.Seed, index), false)
}

// AppendGenerate is Generate for a caller that writes many payloads into one buffer, such as a
// corpus's JSONL stream: it appends the body to dst and returns the extended buffer and the payload,
// whose Body is the appended part of it. Reusing one buffer spares the body's own allocation, nearly
// half of the bytes that generating a payload allocates. Its payloads' Message is nil: a corpus keeps
// the bytes, and a message is as much again.
func (g *Generator) AppendGenerate(dst []byte, p schemas.Provider, typ string, index uint64) ([]byte, Payload, error) {
	prov, err := g.lookupType(p, typ)
	if err != nil {
		return dst, Payload{}, err
	}
	return g.appendSeed(dst, prov, typ, index, PayloadSeed(g.opts.Seed, index), false, false)
}

// lookupType returns provider p, if typ is one of its message types.
func (g *Generator) lookupType(p schemas.Provider, typ string) (*Provider, error) {
	prov, err := Lookup(p)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(prov.types, typ) {
		return nil, fmt.Errorf("generate %s: %w %q (want one of %v)", p, ErrUnknownType, typ, prov.types)
	}
	return prov, nil
}

// generateSeed writes a payload from seed. With full, every optional part the schema defines for the
// type is written (a context, a list reply's description, ITNIO's forwarded flags and sendNum, ...),
// so that the mutations of those parts have something to edit; the draws are the same either way, so
// a full payload is the plain one of the same seed with its optional parts filled in, up to the values
// drawn after the first part it adds.
func (g *Generator) generateSeed(prov *Provider, typ string, index, seed uint64, full bool) (Payload, error) {
	_, p, err := g.appendSeed(make([]byte, 0, 1024), prov, typ, index, seed, full, true)
	return p, err
}

// appendSeed is generateSeed appending the body to dst; see AppendGenerate. With keep, the payload
// carries its Message.
func (g *Generator) appendSeed(dst []byte, prov *Provider, typ string, index, seed uint64, full, keep bool) ([]byte, Payload, error) {
	p := prov.Name
	if prov.Write != nil {
		return appendWritten(dst, prov, typ, index, seed)
	}
	b := g.builders.Get().(*builder)
	defer g.builders.Put(b)
	b.f.reseed(seed)
	b.full = full
	b.payload = Payload{Provider: p, Type: typ, Index: index, Seed: seed, ContentType: "application/json"}
	if keep {
		b.msg = &message.Message{}
	} else {
		b.scratch, b.msg = message.Message{}, &b.scratch
	}
	b.msg.Provider, b.msg.Type, b.msg.Kind = string(p), typ, typ
	b.w.buf, b.w.comma = dst, b.w.comma[:0]
	start := len(dst)
	err := prov.write(b, typ)
	dst = b.w.buf
	b.w.buf = nil // the caller's now: a pooled builder must not keep it alive
	if err != nil {
		return dst[:start], Payload{}, fmt.Errorf("generate %s %s: %w", p, typ, err)
	}
	b.payload.Body = dst[start:len(dst):len(dst)]
	if keep {
		b.payload.Message = b.msg
	}
	b.msg = nil
	return dst, b.payload, nil
}

// appendWritten is appendSeed for a provider described outside this package, through its Write.
func appendWritten(dst []byte, prov *Provider, typ string, index, seed uint64) ([]byte, Payload, error) {
	fail := func(err error) ([]byte, Payload, error) {
		return dst, Payload{}, fmt.Errorf("generate %s %s: %w", prov.Name, typ, err)
	}
	body, err := prov.Write(rand.New(&splitmix{state: seed}), typ)
	if err != nil {
		return fail(err)
	}
	doc, err := jsoninput.Decode(body)
	if err != nil {
		return fail(fmt.Errorf("Write gave no JSON document: %w", err))
	}
	id, err := jsonpointer.Get(doc, prov.IDPointer)
	if err != nil {
		return fail(fmt.Errorf("message id: %w", err))
	}
	sent, err := prov.SentAt(doc)
	if err != nil {
		return fail(err)
	}
	idText, ok := id.(string)
	if !ok {
		idText = jsonText(id)
	}
	start := len(dst)
	dst = append(dst, body...)
	return dst, Payload{
		Provider: prov.Name, Type: typ, Index: index, Seed: seed, ContentType: "application/json",
		ID: idText, SentAt: sent, Body: dst[start:len(dst):len(dst)],
	}, nil
}

// quirkChooser decides, per quirk, whether a payload uses the example's form.
func (g *Generator) quirkChooser(f *faker) func() bool {
	switch g.opts.Quirks {
	case QuirksExample:
		return func() bool { return true }
	case QuirksTable:
		return func() bool { return false }
	}
	return func() bool { return f.chance(0.5) }
}

// builder is the state of one payload being written.
type builder struct {
	w       jsonWriter
	f       *faker
	gen     *Generator
	full    bool // write every optional part
	quirkFn func() bool
	payload Payload
	// msg is the message being written, in the model: each writer sets the fields it writes. nil
	// when the builder writes something else (another event for a mutation). It is scratch when the
	// payload does not keep its message.
	msg     *message.Message
	scratch message.Message
}

// exampleForm reports whether this payload writes the next quirk in the document example's form.
func (b *builder) exampleForm() bool { return b.quirkFn() }

// optional reports whether this payload has an optional part that providers send with probability p
// (0 for a part the schema allows but real payloads rarely carry). It draws from the stream whether
// or not the payload is full, so that full and plain payloads of a seed stay alike.
func (b *builder) optional(p float64) bool {
	drawn := b.f.chance(p)
	return drawn || b.full
}

// atLeastOne is n, or 1 when n is 0 in a full payload: a list the schema lets be empty, whose
// element's fields the full payload must show.
func (b *builder) atLeastOne(n int) int {
	if n == 0 && b.full {
		return 1
	}
	return n
}

// attach announces a media file of kind and returns it.
func (b *builder) attach(kind media.Kind) (*MediaRef, error) {
	seed := b.f.src.Uint64() % mediaVariants
	slots, ok := b.gen.media[kind]
	if !ok {
		return nil, fmt.Errorf("attach: %w %q", media.ErrUnknownKind, kind)
	}
	slot := &slots[seed]
	if ref := slot.Load(); ref != nil {
		b.payload.Media = ref
		return ref, nil
	}
	file, err := media.Generate(kind, seed)
	if err != nil {
		return nil, err
	}
	key := media.Key(kind, seed)
	url := b.gen.opts.MediaBaseURL + "/media/" + key
	if b.gen.opts.MediaFault != media.FaultNone {
		url += "?fault=" + b.gen.opts.MediaFault
	}
	// Two payloads may build the same file at once; both announce the one stored first.
	slot.CompareAndSwap(nil, &MediaRef{
		Kind: kind, Seed: seed, Key: key, URL: url,
		MIMEType: file.MIMEType, SHA256: file.SHA256(), Filename: file.Filename,
	})
	b.payload.Media = slot.Load()
	return b.payload.Media, nil
}

// parsedFloat is v as a reader of its text written with prec decimals gets it back.
func parsedFloat(v float64, prec int) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', prec, 64), 64)
	return f
}
