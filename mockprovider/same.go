package mockprovider

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"sync"

	"github.com/wahook/wahook/message"
)

// SameMessage returns one message of type typ in the format of every provider that can express it,
// for a receiver that takes more than one provider's webhooks and must store the same thing for each.
// The payloads say the same (message.Message.Content: sender, business number, send time to the
// second, text, attachment, location, cards, errors, the quoted message), each with its provider's
// own ids; what only some providers have a place for (a caption on a video, a card phone's WhatsApp
// id) is left out of all. index picks the message, as Generate's does: the same index gives the same
// payloads. Its error wraps ErrNotApplicable when fewer than two providers can express typ.
func (g *Generator) SameMessage(typ string, index uint64) ([]Payload, error) {
	var provs []*Provider
	for _, p := range Providers() {
		if p.render != nil && slices.Contains(p.types, typ) {
			provs = append(provs, p)
		}
	}
	if len(provs) < 2 {
		return nil, fmt.Errorf("same message %s: %w: fewer than two providers have the type", typ, ErrNotApplicable)
	}
	seed := mix64(PayloadSeed(g.opts.Seed, index) ^ 0x73616D65) // "same": apart from Generate's payloads
	drawn, err := g.generateSeed(provs[0], typ, index, seed, false)
	if err != nil {
		return nil, err
	}
	content, err := clone(drawn.Message)
	if err != nil {
		return nil, err
	}
	for _, p := range provs {
		p.carry(content)
	}
	out := make([]Payload, 0, len(provs))
	for _, p := range provs {
		m, err := clone(content)
		if err != nil {
			return nil, err
		}
		b := g.builders.Get().(*builder)
		b.f.reseed(mix64(seed ^ nameHash(string(p.Name))))
		b.w.buf, b.w.comma = make([]byte, 0, 1024), b.w.comma[:0]
		err = p.render(b, m)
		body := b.w.buf
		b.w.buf = nil
		g.builders.Put(b)
		if err != nil {
			return nil, fmt.Errorf("same message %s for %s: %w", typ, p.Name, err)
		}
		m.Provider = string(p.Name)
		out = append(out, Payload{
			Provider: p.Name, Type: m.Type, Index: index, Seed: seed, ID: m.MessageID, SentAt: m.SentAt,
			Body: body, ContentType: "application/json", Media: drawn.Media, Message: m,
		})
	}
	return out, nil
}

// SameMessageTypes returns the message types SameMessage gives, in the providers' order.
func SameMessageTypes() []string { return sameMessageTypes() }

var sameMessageTypes = sync.OnceValue(func() []string {
	g, err := New(Options{})
	if err != nil {
		return nil // the default options are valid
	}
	var types []string
	for _, p := range Providers() {
		for _, typ := range p.types {
			if _, err := g.SameMessage(typ, 0); err == nil && !slices.Contains(types, typ) {
				types = append(types, typ)
			}
		}
	}
	return types
})

// clone is a deep copy of m, for the providers' fitting and rendering to edit apart.
func clone(m *message.Message) (*message.Message, error) {
	var c message.Message
	b, err := json.Marshal(m)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil {
		return nil, fmt.Errorf("copy the message: %w", err)
	}
	return &c, nil
}

// nameHash tells providers' streams apart.
func nameHash(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}
