package conformance

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/wahook/wahook/fixtures"
	"github.com/wahook/wahook/internal/corpus"
	"github.com/wahook/wahook/message"
	"github.com/wahook/wahook/mockprovider"
)

// The sizes of the suite.
const (
	// validVariants is how many generated payloads of each message type the valid group sends.
	validVariants = 3
	// burstSize is how many deliveries the burst case sends at once.
	burstSize = 50
	// canaryType is the message type of the canary: the plainest there is.
	canaryType = "text"
)

// Cases returns the suite for cfg's provider and profile, in the order it runs, filtered by cfg.Run.
// It sends nothing and needs no Target. The bytes of every case derive from cfg.Seed and the case's
// id alone, so adding a case to the suite changes no other case's payloads.
func Cases(cfg Config) ([]Case, error) {
	s, err := cfg.settings(false)
	if err != nil {
		return nil, err
	}
	return buildCases(s)
}

func buildCases(s *settings) ([]Case, error) {
	gen, err := newGenerator(s)
	if err != nil {
		return nil, err
	}
	b := &builder{s: s, gen: gen}
	for _, add := range []func() error{b.valid, b.classes, b.documented, b.recorded, b.tolerate, b.equivalent, b.reject, b.delivery, b.auth, b.handshake} {
		if err := add(); err != nil {
			return nil, err
		}
	}
	out := b.cases[:0]
	for _, c := range b.cases {
		if s.filter == nil || s.filter.MatchString(c.ID) {
			out = append(out, c)
		}
	}
	return out, nil
}

func newGenerator(s *settings) (*mockprovider.Generator, error) {
	return mockprovider.New(mockprovider.Options{Seed: s.Seed})
}

// builder accumulates the cases of one suite.
type builder struct {
	s     *settings
	gen   *mockprovider.Generator
	cases []Case
}

// index derives the generator index of a case's n-th payload from the case id, so that a payload's
// bytes depend on the run seed and the case alone.
func index(id string, n int) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s#%d", id, n)
	return h.Sum64()
}

// canaryIndex is the index of a case's canary; the probe's is canaryIndex("probe").
func canaryIndex(id string) uint64 { return index(id, -1) }

// request wraps a generated payload with the suite's headers.
func (b *builder) request(p mockprovider.Payload) Request {
	return Request{MessageID: p.ID, ContentType: p.ContentType, Header: b.s.headerFor(p.Body), Body: p.Body, Message: p.Message}
}

func (b *builder) generate(typ string, idx uint64) (Request, error) {
	p, err := b.gen.Generate(b.s.Provider, typ, idx)
	if err != nil {
		return Request{}, err
	}
	return b.request(p), nil
}

// add appends a case, giving it its canary.
func (b *builder) add(c Case) error {
	c.Provider = b.s.Provider
	var err error
	if c.Canary, err = b.generate(canaryType, canaryIndex(c.ID)); err != nil {
		return err
	}
	b.cases = append(b.cases, c)
	return nil
}

// valid: several generated payloads of every message type.
func (b *builder) valid() error {
	for _, typ := range b.s.prov.Types() {
		for n := 1; n <= validVariants; n++ {
			id := caseID(GroupValid, b.s.Provider, fmt.Sprintf("%s/%d", typ, n))
			req, err := b.generate(typ, index(id, 0))
			if err != nil {
				return err
			}
			err = b.add(Case{
				ID: id, Group: GroupValid, Type: typ, Expect: ExpectAck, Requests: []Request{req},
				Description: fmt.Sprintf("%s, generated, variant %d of %d", aMessage(typ), n, validVariants),
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// documented: every example of the provider's document, with fresh identity fields.
func (b *builder) documented() error {
	for _, f := range fixtures.Documented(b.s.Provider) {
		name := strings.TrimSuffix(path.Base(f.File), ".json")
		id := caseID(GroupDocumented, b.s.Provider, name)
		fresh, err := b.gen.Generate(b.s.Provider, f.Type, index(id, 0))
		if err != nil {
			return err
		}
		body, err := refreshIdentity(b.s.prov, f.Bytes(), fresh.Body)
		if err != nil {
			return fmt.Errorf("fixture %s: %w", f.File, err)
		}
		if fresh.Message, err = replayed(f, fresh.Message); err != nil {
			return err
		}
		fresh.Body = body
		req := b.request(fresh)
		desc := fmt.Sprintf("the %s example of fixtures/%s, with fresh ids and times", f.Type, f.File)
		if f.Why != "" {
			desc += " (" + strings.TrimSuffix(f.Why, ".") + ")"
		}
		err = b.add(Case{
			ID: id, Group: GroupDocumented, Type: f.Type, Fixture: f.File, Expect: ExpectAck,
			Requests: []Request{req}, Description: desc,
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// recorded: every payload of Config.Corpus that the receiver should take (a recorded delivery, or a
// generated valid payload), of the suite's provider, with fresh identity fields as documented has.
// A recording holds what the real provider sent, which its document may not describe: the case
// expects the 2xx the provider got, and judges no model, which only the document would give.
func (b *builder) recorded() error {
	if b.s.Corpus == "" {
		return nil
	}
	for pl, err := range corpus.ReadPayloads(b.s.Corpus) {
		if err != nil {
			return fmt.Errorf("corpus %s: %w", b.s.Corpus, err)
		}
		if pl.Provider != b.s.Provider || pl.Expect != mockprovider.Accept {
			continue
		}
		name := strings.TrimPrefix(strings.TrimSuffix(pl.File, path.Ext(pl.File)), string(b.s.Provider)+"/")
		id := caseID(GroupRecorded, b.s.Provider, name)
		if pl.Line > 0 {
			id = fmt.Sprintf("%s:%d", id, pl.Line)
		}
		typ := pl.Type
		if !slices.Contains(b.s.prov.Types(), typ) {
			typ = b.s.prov.Types()[0] // any generated payload gives fresh ids and times
		}
		fresh, err := b.gen.Generate(b.s.Provider, typ, index(id, 0))
		if err != nil {
			return err
		}
		body, err := refreshIdentity(b.s.prov, pl.Body, fresh.Body)
		if err != nil {
			body = pl.Body // not JSON, or not the provider's envelope: replayed as it came
		}
		fresh.Body, fresh.Type, fresh.Message = body, pl.Type, nil
		if pl.ContentType != "" {
			fresh.ContentType = pl.ContentType
		}
		desc := fmt.Sprintf("the %s delivery of %s, with fresh ids and times", cmp.Or(pl.Type, "unknown"), path.Join(b.s.Corpus, pl.File))
		if pl.Recorded != nil {
			desc = fmt.Sprintf("the %s delivery recorded at %s (the receiver answered %d), with fresh ids and times",
				cmp.Or(pl.Type, "unknown"), pl.Recorded.Time.Format(time.RFC3339), pl.Recorded.Status)
		}
		err = b.add(Case{
			ID: id, Group: GroupRecorded, Type: pl.Type, Fixture: pl.File, Expect: ExpectAck,
			Requests: []Request{b.request(fresh)}, Description: desc,
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// replayed is the message a replay of fixture f encodes: the one written by hand from the document,
// with the ids and send time of fresh, the generated message whose identity the replay took.
func replayed(f fixtures.Fixture, fresh *message.Message) (*message.Message, error) {
	m, err := f.Message()
	if err != nil {
		return nil, err
	}
	for _, id := range []struct{ to, from *string }{
		{&m.EventID, &fresh.EventID}, {&m.MessageID, &fresh.MessageID}, {&m.WAMID, &fresh.WAMID},
	} {
		if *id.to != "" {
			*id.to = *id.from
		}
	}
	m.SentAt = fresh.SentAt
	return &m, nil
}

// mutated builds mutation m on type typ for case id; ok is false when m cannot be applied to typ.
func (b *builder) mutated(id, typ string, m mockprovider.Mutation) (req Request, ok bool, err error) {
	p, _, err := b.gen.GenerateMutated(b.s.Provider, typ, index(id, 0), m.ID)
	if errors.Is(err, mockprovider.ErrNotApplicable) {
		return Request{}, false, nil
	}
	if err != nil {
		return Request{}, false, err
	}
	return b.request(p), true, nil
}

// tolerate: every tolerate mutation on every message type it applies to; another event type once.
func (b *builder) tolerate() error {
	muts, err := mockprovider.Mutations(b.s.Provider)
	if err != nil {
		return err
	}
	for _, m := range muts {
		if m.Expect != mockprovider.Tolerate {
			continue
		}
		types := b.s.prov.Types()
		wholeBody := strings.HasPrefix(m.ID, "other-event.") // the body is replaced: the type does not matter
		if wholeBody {
			types = types[:1]
		}
		first := true
		for _, typ := range types {
			if !m.AppliesTo(typ) {
				continue
			}
			name, desc := m.ID+"/"+typ, fmt.Sprintf("%s (%s)", m.Description, aMessage(typ))
			if wholeBody {
				name, desc = m.ID, m.Description
			}
			id := caseID(GroupTolerate, b.s.Provider, name)
			req, ok, err := b.mutated(id, typ, m)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			// A receiver that a mutation kills dies of its first case: that one is hostile, and
			// blamed; the others run beside the rest.
			err = b.add(Case{
				ID: id, Group: GroupTolerate, Type: typ, Mutation: m.ID, Expect: ExpectAck, Hostile: first && !m.Systematic,
				Requests: []Request{req}, Description: desc,
			})
			if err != nil {
				return err
			}
			first = false
		}
	}
	return nil
}

// equivalent: with Config.Equivalent, one message of every type the providers share, sent in each
// provider's format, the suite's own first.
func (b *builder) equivalent() error {
	if !b.s.Equivalent {
		return nil
	}
	for _, typ := range mockprovider.SameMessageTypes() {
		id := caseID(GroupEquivalent, b.s.Provider, typ)
		payloads, err := b.gen.SameMessage(typ, index(id, 0))
		if err != nil {
			return err
		}
		own := slices.IndexFunc(payloads, func(p mockprovider.Payload) bool { return p.Provider == b.s.Provider })
		if own < 0 {
			continue // the suite's provider has no such type
		}
		payloads[0], payloads[own] = payloads[own], payloads[0]
		reqs := make([]Request, len(payloads))
		names := make([]string, len(payloads))
		for i, p := range payloads {
			h, err := b.s.headerAs(p.Provider, p.Body)
			if err != nil {
				return fmt.Errorf("%s: %w", id, err)
			}
			reqs[i] = Request{MessageID: p.ID, ContentType: p.ContentType, Header: h, Body: p.Body, Message: p.Message}
			if i > 0 {
				reqs[i].Provider = p.Provider
			}
			names[i] = string(p.Provider)
		}
		err = b.add(Case{
			ID: id, Group: GroupEquivalent, Type: typ, Expect: ExpectAck, Requests: reqs,
			Description: fmt.Sprintf("%s in the formats of %s, which the receiver must understand alike", aMessage(typ), strings.Join(names, " and ")),
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// reject: every reject mutation once, named and systematic (one case per field path), each on one
// message type. The types rotate through the provider's, so that the reject cases between them break
// every type.
func (b *builder) reject() error {
	muts, err := mockprovider.Mutations(b.s.Provider)
	if err != nil {
		return err
	}
	expect := ExpectNoServerError
	if b.s.Profile == Strict {
		expect = ExpectRefusal
	}
	types := b.s.prov.Types()
	n := 0
	for _, m := range muts {
		if m.Expect != mockprovider.Reject {
			continue
		}
		id := caseID(GroupReject, b.s.Provider, m.ID)
		var (
			req Request
			typ string
			ok  bool
		)
		for k := range types {
			if typ = types[(n+k)%len(types)]; !m.AppliesTo(typ) {
				continue
			}
			if req, ok, err = b.mutated(id, typ, m); err != nil {
				return err
			}
			if ok {
				break
			}
		}
		if !ok {
			continue // no payload of any type carries the field: nothing to break
		}
		n++
		err = b.add(Case{
			ID: id, Group: GroupReject, Type: typ, Mutation: m.ID, Expect: expect, Hostile: !m.Systematic,
			Requests: []Request{req}, Description: fmt.Sprintf("%s (%s)", m.Description, aMessage(typ)),
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// delivery: how a provider delivers, rather than what.
func (b *builder) delivery() error {
	p := b.s.Provider
	types := b.s.prov.Types()

	id := caseID(GroupDelivery, p, "retry-identical-bytes")
	req, err := b.generate(canaryType, index(id, 0))
	if err != nil {
		return err
	}
	err = b.add(Case{
		ID: id, Group: GroupDelivery, Type: canaryType, Expect: ExpectAck, Requests: []Request{req, req},
		Description: "the same message delivered twice with identical bytes, as a provider retries when it missed the ack",
	})
	if err != nil {
		return err
	}

	id = caseID(GroupDelivery, p, fmt.Sprintf("burst-%d", burstSize))
	burst := make([]Request, burstSize)
	for i := range burst {
		if burst[i], err = b.generate(types[i%len(types)], index(id, i)); err != nil {
			return err
		}
	}
	err = b.add(Case{
		ID: id, Group: GroupDelivery, Expect: ExpectAck, Requests: burst, Concurrent: true, Hostile: true,
		Description: fmt.Sprintf("%d messages of every type delivered at once, each within the timeout", burstSize),
	})
	if err != nil {
		return err
	}

	// Out of order within one conversation: a receiver that keeps the latest message per customer and
	// drops anything older than it would lose a message the provider delivered late. The older message
	// is the newer one's body with another message's ids and earlier times, so that sender, recipient
	// and account are the same; whole seconds apart, since ITNIO Tech's timestamp counts seconds.
	id = caseID(GroupDelivery, p, "out-of-order")
	newer, err := b.gen.Generate(p, canaryType, index(id, 0))
	if err != nil {
		return err
	}
	var older mockprovider.Payload
	for n := 1; ; n++ {
		if older, err = b.gen.Generate(p, canaryType, index(id, n)); err != nil {
			return err
		}
		if older.SentAt.Truncate(time.Second).Before(newer.SentAt.Truncate(time.Second)) {
			break
		}
	}
	// The newer one's body with the older one's ids: neither's message. Its headers are made for
	// those bytes, so that a signing provider's signature covers them.
	if older.Body, err = refreshIdentity(b.s.prov, newer.Body, older.Body); err != nil {
		return fmt.Errorf("%s: %w", id, err)
	}
	older.Message = nil
	olderReq := b.request(older)
	return b.add(Case{
		ID: id, Group: GroupDelivery, Type: canaryType, Expect: ExpectAck,
		Requests: []Request{b.request(newer), olderReq},
		Description: fmt.Sprintf("a message sent at %s delivered after one the same customer sent at %s",
			older.SentAt.UTC().Format("2006-01-02T15:04:05Z"), newer.SentAt.UTC().Format("2006-01-02T15:04:05Z")),
	})
}

// noCredentials is the reason the auth cases are skipped without credentials. It names the Config
// fields; wahook conform names its flags instead.
const noCredentials = "no credentials given (Config.Credentials or Config.Header)"

// auth: without credentials, with wrong ones, with the right ones, and for a provider that signs its
// bodies, with a signature over other bytes of the same JSON. Skipped when none are configured.
func (b *builder) auth() error {
	p := b.s.Provider
	creds := b.s.credentials
	skip := ""
	if len(creds) == 0 {
		skip = noCredentials
	}
	type variant struct {
		name, desc string
		edit       func(h http.Header, body []byte)
		expect     Expect
	}
	rnd := rand.New(rand.NewPCG(b.s.Seed, 0x61757468)) // "auth"
	wrong := func(h http.Header, name string) {
		for i, v := range h[name] {
			h[name][i] = wrongValue(rnd, v)
		}
	}
	variants := []variant{
		{"missing-credentials", "a valid message without any credential header", func(h http.Header, _ []byte) {
			for _, name := range creds {
				delete(h, name)
			}
		}, ExpectAuthRefusal},
		{"wrong-credentials", "a valid message with every credential wrong (same length)", func(h http.Header, _ []byte) {
			for _, name := range creds {
				wrong(h, name)
			}
		}, ExpectAuthRefusal},
	}
	if len(creds) > 1 {
		for _, name := range creds {
			variants = append(variants,
				variant{"missing-" + strings.ToLower(name), fmt.Sprintf("a valid message without the %s header, the other credentials right", name),
					func(h http.Header, _ []byte) { delete(h, name) }, ExpectAuthRefusal},
				variant{"wrong-" + strings.ToLower(name), fmt.Sprintf("a valid message with a wrong %s (same length), the other credentials right", name),
					func(h http.Header, _ []byte) { wrong(h, name) }, ExpectAuthRefusal})
		}
	}
	signs := len(b.s.Target.Sign(b.s.prov, nil)) > 0
	if signs {
		// The classic receiver bug in reverse: a receiver that verifies a re-serialisation of the JSON
		// it parsed, instead of the bytes received, accepts this.
		variants = append(variants, variant{"signature-over-other-bytes",
			"a valid message signed over a re-indented copy of its body (the same JSON, other bytes)",
			func(h http.Header, body []byte) {
				var other bytes.Buffer
				if json.Indent(&other, body, "", " ") != nil {
					other.Write(body)
					other.WriteByte(' ')
				}
				for k, v := range b.s.Target.Sign(b.s.prov, other.Bytes()) {
					h[k] = v
				}
			}, ExpectAuthRefusal})
	}
	variants = append(variants, variant{"valid-credentials", "a valid message with the right credentials", func(http.Header, []byte) {}, ExpectAck})
	if signs {
		// The bug the other-bytes case catches, from the other side: a receiver that re-serialises
		// before verifying refuses this, rightly signed over the bytes as sent.
		id := caseID(GroupAuth, p, "signature-over-raw-bytes")
		pl, _, err := b.gen.GenerateMutated(p, canaryType, index(id, 0), "escaped-unicode")
		if err != nil {
			return err
		}
		var spaced bytes.Buffer
		if err := json.Indent(&spaced, pl.Body, " ", " \t "); err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
		pl.Body = spaced.Bytes()
		err = b.add(Case{ID: id, Group: GroupAuth, Type: canaryType, Expect: ExpectAck, Requests: []Request{b.request(pl)}, Skip: skip,
			Description: "a valid message with escaped Unicode and unusual spacing, signed over exactly those bytes"})
		if err != nil {
			return err
		}
	}
	for _, v := range variants {
		id := caseID(GroupAuth, p, v.name)
		req, err := b.generate(canaryType, index(id, 0))
		if err != nil {
			return err
		}
		v.edit(req.Header, req.Body)
		err = b.add(Case{ID: id, Group: GroupAuth, Type: canaryType, Expect: v.expect, Requests: []Request{req}, Description: v.desc, Skip: skip})
		if err != nil {
			return err
		}
	}
	return nil
}

// aMessage is "a text message", "an image message".
func aMessage(typ string) string {
	if strings.ContainsAny(typ[:1], "aeiou") {
		return "an " + typ + " message"
	}
	return "a " + typ + " message"
}

// wrongValue returns a value of the same length as v that differs from it in every byte, so that a
// receiver comparing only lengths or prefixes is caught too. It never returns v: for an empty v,
// which has no bytes to change, it returns a short random value.
func wrongValue(rnd *rand.Rand, v string) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	if v == "" {
		out := make([]byte, 8)
		for i := range out {
			out[i] = alphabet[rnd.IntN(len(alphabet))]
		}
		return string(out)
	}
	out := []byte(v)
	for i := range out {
		c := alphabet[rnd.IntN(len(alphabet))]
		for c == v[i] {
			c = alphabet[rnd.IntN(len(alphabet))]
		}
		out[i] = c
	}
	return string(out)
}
