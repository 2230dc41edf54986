// Package send delivers webhooks to a receiver as a provider would: it generates (or takes) the
// payloads, adds the provider's headers and credentials, and hands them to the delivery engine with
// the provider's retry schedule. It is wahook send as a function, for a receiver's own tests:
//
//	report, err := send.Run(ctx, send.Options{
//		Target: mockprovider.Target{URL: "http://127.0.0.1:8080/webhook", Provider: schemas.ITNIOTech},
//		Count:  100, Workers: 4, Retries: "none",
//	})
//
// The report is complete even when ctx is cancelled part-way: every payload ends acked, failed or
// cancelled.
package send

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wahook/wahook/delivery"
	"github.com/wahook/wahook/internal/corpus"
	"github.com/wahook/wahook/internal/dispatch"
	"github.com/wahook/wahook/internal/engine"
	"github.com/wahook/wahook/internal/jsoninput"
	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// Options describe one send: where to (Target), what, and how the provider would deliver it.
type Options struct {
	// Target is the receiver, the provider acted as, credentials, extra headers, timeout and TLS.
	mockprovider.Target
	// Types are the message types to generate; empty (or "all") means one of every type.
	Types []string
	// Count is the number of payloads, dealt in turn to Types; 0 means one per type.
	Count int
	// Events is the fraction of generated deliveries that are the provider's other events of the
	// same URL instead of messages (Meta's status updates; InnoPaaS's status and template events),
	// chosen per payload from the seed; with Batch, they share POSTs with the messages. 0 means none.
	Events float64
	// Batch, when above 1, packs that many generated messages into each POST, as a provider that
	// batches its updates does (Meta; mockprovider.Provider.Batch): Count still counts messages, and
	// the deliveries are Count/Batch, rounded up. Not with a mutation, given payloads or a corpus.
	Batch int
	// Duration, instead of Count, sends generated payloads for that long, as a load tool does: the
	// payloads are made on the fly from the seed until it has passed since the first. Stream only.
	Duration time.Duration
	// Seed is the generator's run seed.
	Seed uint64
	// Mutation, when set, sends that mutation of each payload instead of the valid payload.
	Mutation string
	// Bodies, when set, are sent instead of generated payloads (wahook send --file).
	Bodies [][]byte
	// Corpus, when set, is a corpus directory (wahook gen, wahook proxy --record) whose payloads of
	// Target.Provider are sent instead, in manifest order, each with its manifest's content type.
	// They are read, and checked against the manifest's checksums, before anything is sent.
	Corpus string
	// Quirks chooses the documented quirk forms; "" means mix.
	Quirks mockprovider.QuirkMode
	// MediaBaseURL prefixes media links; "" means mockprovider.DefaultMediaBaseURL.
	MediaBaseURL string
	// MediaFault asks the media host to fail the announced downloads this way (see
	// mockprovider.Options.MediaFault).
	MediaFault string
	// Version names wahook's version in the User-Agent.
	Version string
	// Retries is "provider" (the provider's schedule), "none", or a comma-separated list of durations.
	Retries string
	// TimeScale multiplies retry delays; 0 means 1.
	TimeScale float64
	// Duplicates is the fraction of payloads delivered twice.
	Duplicates float64
	// Shuffle delivers in a seeded random order.
	Shuffle bool
	// Workers is the number of concurrent senders; 0 means 1.
	Workers int
	// Rate caps requests per second; 0 means unlimited.
	Rate float64
	// OnAttempt and OnResult, when set, see each attempt and each finished delivery as they happen.
	OnAttempt func(delivery.Attempt)
	OnResult  func(delivery.Result)
}

// ErrBadOptions is wrapped by the errors Run, Stream and Prepare return for unusable options, before
// anything is sent; a refusal of one field names it: "bad send options: Retries: ...".
var ErrBadOptions = errors.New("bad send options")

// Run generates (or takes) the payloads opts describe and delivers them as the provider would. The
// report is complete even when ctx is cancelled part-way. It holds every result: for a large Count,
// use Stream.
func Run(ctx context.Context, opts Options) (delivery.Report, error) {
	plan, err := Prepare(opts)
	if err != nil {
		return delivery.Report{}, err
	}
	payloads, err := plan.All()
	if err != nil {
		return delivery.Report{}, err
	}
	return engine.Run(ctx, plan.Options, payloads)
}

// Stream is Run in constant memory, whatever the Count: each payload is generated when a worker is
// ready for it, and each result reaches opts.OnResult as it settles and is then dropped. The summary
// counts every payload, those an ended ctx kept from being sent as cancelled.
func Stream(ctx context.Context, opts Options) (delivery.Summary, error) {
	plan, err := Prepare(opts)
	if err != nil {
		return delivery.Summary{}, err
	}
	e, err := engine.New(plan.Options)
	if err != nil {
		return delivery.Summary{}, fmt.Errorf("%w: %w", ErrBadOptions, err)
	}
	defer e.Close()
	return e.Stream(ctx, plan.Count, plan.Payload)
}

// Plan is a send ready to go: the engine's options, and Count payloads that Payload makes one at a
// time, the same payload for the same index.
type Plan struct {
	Options engine.Options
	Count   int
	Payload func(i int) (engine.Payload, error)
	// endless: a plan of Options.Duration, whose Count only says it has no end.
	endless bool
}

// All makes every payload of the plan, for engine.Run. A plan of a fixed duration has no end, so
// it has no list of payloads either: All refuses it.
func (p Plan) All() ([]engine.Payload, error) {
	if p.endless {
		return nil, fmt.Errorf("%w: %w", ErrBadOptions, &engine.FieldError{Field: "Duration", Err: errors.New("a run of a fixed duration has no list of payloads: use Stream")})
	}
	out := make([]engine.Payload, p.Count)
	for i := range out {
		var err error
		if out[i], err = p.Payload(i); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Prepare checks opts and turns them into a Plan, without sending or generating anything.
func Prepare(opts Options) (Plan, error) {
	// The cause stays in the chain, so that callers can tell ErrUnknownType from ErrNotApplicable.
	bad := func(err error) error { return fmt.Errorf("%w: %w", ErrBadOptions, err) }
	prov, dopts, err := dispatch.Options(opts.Target, opts.Version)
	if err != nil {
		return Plan{}, bad(err)
	}
	retries, err := prov.ParseRetries(opts.Retries)
	if err != nil {
		return Plan{}, bad(&engine.FieldError{Field: "Retries", Err: err})
	}
	var plan Plan
	if opts.Corpus != "" {
		if opts.Mutation != "" || len(opts.Types) > 0 || len(opts.Bodies) > 0 || opts.Count > 0 || opts.Events != 0 {
			return Plan{}, bad(&engine.FieldError{Field: "Corpus", Err: errors.New("cannot be combined with types, a count, a mutation, other events or given payloads")})
		}
		given, err := corpusPayloads(opts.Corpus, prov.Name)
		if err != nil {
			return Plan{}, bad(&engine.FieldError{Field: "Corpus", Err: err})
		}
		plan.Count = len(given)
		plan.Payload = func(i int) (engine.Payload, error) { return given[i], nil }
	} else if len(opts.Bodies) > 0 {
		if opts.Mutation != "" || len(opts.Types) > 0 || opts.Events != 0 {
			return Plan{}, bad(errors.New("a given payload file cannot be combined with --type, --mutation or --events"))
		}
		given := givenPayloads(prov, opts.Bodies)
		plan.Count = len(given)
		plan.Payload = func(i int) (engine.Payload, error) { return given[i], nil }
	} else if plan, err = generator(prov, opts); err != nil {
		return Plan{}, bad(err)
	}
	if plan, err = batched(prov, opts, plan); err != nil {
		return Plan{}, bad(err)
	}
	switch {
	case opts.Duration < 0:
		return Plan{}, bad(&engine.FieldError{Field: "Duration", Err: fmt.Errorf("negative (%v)", opts.Duration)})
	case opts.Duration > 0 && (opts.Count > 0 || len(opts.Bodies) > 0 || opts.Corpus != ""):
		return Plan{}, bad(&engine.FieldError{Field: "Duration", Err: errors.New("cannot be combined with a count or given payloads")})
	case opts.Duration > 0 && opts.Shuffle:
		return Plan{}, bad(&engine.FieldError{Field: "Duration", Err: errors.New("cannot be combined with shuffle, which draws the whole order up front")})
	case opts.Duration > 0:
		plan.Count, plan.Payload, plan.endless = math.MaxInt, forDuration(opts.Duration, plan.Payload), true
	}
	// An extra Content-Type replaces the payloads' own, as every extra header replaces the provider's:
	// the engine sends a payload's ContentType over the headers', so clear it.
	for k := range opts.Header {
		if strings.EqualFold(k, "Content-Type") {
			payload := plan.Payload
			plan.Payload = func(i int) (engine.Payload, error) {
				p, err := payload(i)
				p.ContentType = ""
				return p, err
			}
			break
		}
	}
	dopts.Retries, dopts.TimeScale, dopts.Workers, dopts.Rate = retries, opts.TimeScale, opts.Workers, opts.Rate
	dopts.Duplicates, dopts.Shuffle, dopts.Seed = opts.Duplicates, opts.Shuffle, opts.Seed
	dopts.OnAttempt, dopts.OnResult = opts.OnAttempt, opts.OnResult
	plan.Options = dopts
	return plan, nil
}

// batched packs plan's payloads opts.Batch at a time, in order, into one webhook of prov each.
func batched(prov *mockprovider.Provider, opts Options, plan Plan) (Plan, error) {
	size := opts.Batch
	switch {
	case size < 0:
		return Plan{}, &engine.FieldError{Field: "Batch", Err: fmt.Errorf("negative (%d)", size)}
	case size <= 1:
		return plan, nil
	case prov.Batch == nil:
		return Plan{}, &engine.FieldError{Field: "Batch", Err: fmt.Errorf("%s delivers one message per webhook", prov.Name)}
	case opts.Mutation != "" || len(opts.Bodies) > 0 || opts.Corpus != "" || opts.Duration > 0:
		return Plan{}, &engine.FieldError{Field: "Batch", Err: errors.New("packs generated messages: not with a mutation, given payloads, a corpus or a duration")}
	}
	messages, payload := plan.Count, plan.Payload
	plan.Count = (messages + size - 1) / size
	plan.Payload = func(i int) (engine.Payload, error) {
		var first engine.Payload
		bodies := make([][]byte, 0, size)
		for j := i * size; j < min(messages, (i+1)*size); j++ {
			p, err := payload(j)
			if err != nil {
				return engine.Payload{}, err
			}
			if len(bodies) == 0 {
				first = p
			}
			bodies = append(bodies, p.Body)
		}
		body, err := prov.Batch(bodies)
		if err != nil {
			return engine.Payload{}, fmt.Errorf("batch %d: %w", i, err)
		}
		// Filed under the first message's id and type, the others counted.
		first.Body = body
		if len(bodies) > 1 {
			first.Type = fmt.Sprintf("%s+%d", first.Type, len(bodies)-1)
		}
		return first, nil
	}
	return plan, nil
}

// forDuration ends payload's schedule once d has passed since its first payload was asked for.
func forDuration(d time.Duration, payload func(int) (engine.Payload, error)) func(int) (engine.Payload, error) {
	var end time.Time
	return func(i int) (engine.Payload, error) {
		now := time.Now()
		if end.IsZero() {
			end = now.Add(d)
		}
		if !now.Before(end) {
			return engine.Payload{}, engine.ErrNoMore
		}
		return payload(i)
	}
}

// scratches are the buffers generated payloads are written into before being copied out.
var scratches = sync.Pool{New: func() any { return new([]byte) }}

// generator checks what opts ask to generate and returns the plan's Count and Payload for it.
func generator(prov *mockprovider.Provider, opts Options) (Plan, error) {
	types, err := prov.CheckTypes(opts.Types)
	if err != nil {
		return Plan{}, err
	}
	count := opts.Count
	if count <= 0 {
		count = len(types)
	}
	g, err := mockprovider.New(mockprovider.Options{Seed: opts.Seed, Quirks: opts.Quirks, MediaBaseURL: opts.MediaBaseURL, MediaFault: opts.MediaFault})
	if err != nil {
		return Plan{}, err
	}
	events, err := otherEvents(prov, opts)
	if err != nil {
		return Plan{}, err
	}
	if opts.Mutation != "" {
		m, err := mockprovider.LookupMutation(prov.Name, opts.Mutation)
		if err != nil {
			return Plan{}, err
		}
		if types = slices.DeleteFunc(slices.Clone(types), func(t string) bool { return !m.AppliesTo(t) }); len(types) == 0 {
			return Plan{}, fmt.Errorf("mutation %s: %w to any of the chosen types", m.ID, mockprovider.ErrNotApplicable)
		}
	}
	payload := func(i int) (engine.Payload, error) {
		typ := types[i%len(types)]
		var (
			pl  mockprovider.Payload
			err error
		)
		if event := events(i); event != "" {
			pl, _, err = g.GenerateMutated(prov.Name, typ, uint64(i), event)
		} else if opts.Mutation != "" {
			pl, _, err = g.GenerateMutated(prov.Name, typ, uint64(i), opts.Mutation)
		} else {
			// The bytes alone: a send has no use for the message, which costs a third again. Written
			// into a scratch buffer and copied out at their exact size: a buffer guessed big enough
			// is too big for most bodies and too small for some, which then grow twice.
			scratch := scratches.Get().(*[]byte)
			*scratch, pl, err = g.AppendGenerate((*scratch)[:0], prov.Name, typ, uint64(i))
			if err == nil {
				pl.Body = slices.Clone(pl.Body)
			}
			scratches.Put(scratch)
		}
		if err != nil {
			return engine.Payload{}, fmt.Errorf("generate %s payload %d: %w", typ, i, err)
		}
		return dispatch.Payload(pl), nil
	}
	return Plan{Count: count, Payload: payload}, nil
}

// otherEvents checks opts.Events and returns which payloads are another event: the id of the mutation
// that writes it, "" for a message.
func otherEvents(prov *mockprovider.Provider, opts Options) (func(i int) string, error) {
	none := func(int) string { return "" }
	switch {
	case opts.Events == 0:
		return none, nil
	case opts.Events < 0 || opts.Events > 1 || math.IsNaN(opts.Events):
		return nil, &engine.FieldError{Field: "Events", Err: fmt.Errorf("%v: want a fraction from 0 to 1", opts.Events)}
	case opts.Mutation != "":
		return nil, &engine.FieldError{Field: "Events", Err: errors.New("cannot be combined with a mutation")}
	}
	cat, err := mockprovider.Mutations(prov.Name)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, m := range cat {
		if strings.HasPrefix(m.ID, "other-event.") {
			ids = append(ids, m.ID)
		}
	}
	if len(ids) == 0 {
		return nil, &engine.FieldError{Field: "Events", Err: fmt.Errorf("%s posts no other events to the webhook URL", prov.Name)}
	}
	cut := uint64(opts.Events * (1 << 63)) // 1 is 1<<63, above every draw
	return func(i int) string {
		// A draw of its own per payload, apart from the payload's values: the same seed, the same mix.
		r := mockprovider.PayloadSeed(opts.Seed^0x6576656e7473, uint64(i)) // "events"
		if r>>1 >= cut {
			return ""
		}
		return ids[r%uint64(len(ids))]
	}, nil
}

// givenPayloads wraps bodies read from files; their id and type are read from them when they parse.
// corpusPayloads reads the payloads of provider in the corpus in dir, in manifest order.
func corpusPayloads(dir string, provider schemas.Provider) ([]engine.Payload, error) {
	var out []engine.Payload
	others := map[schemas.Provider]int{}
	for pl, err := range corpus.ReadPayloads(dir) {
		if err != nil {
			return nil, err
		}
		if pl.Provider != provider {
			others[pl.Provider]++
			continue
		}
		id := cmp.Or(pl.ID, pl.File)
		out = append(out, engine.Payload{ID: id, Provider: string(provider), Type: pl.Type, Body: pl.Body, ContentType: pl.ContentType})
	}
	if len(out) == 0 {
		var held []string
		for p, n := range others {
			held = append(held, fmt.Sprintf("%d of %s", n, cmp.Or(string(p), "no known provider")))
		}
		slices.Sort(held)
		if len(held) == 0 {
			return nil, fmt.Errorf("%s: the corpus holds no payloads", dir)
		}
		return nil, fmt.Errorf("%s: no payloads of %s (it holds %s)", dir, provider, strings.Join(held, ", "))
	}
	return out, nil
}

func givenPayloads(prov *mockprovider.Provider, bodies [][]byte) []engine.Payload {
	out := make([]engine.Payload, len(bodies))
	for i, body := range bodies {
		out[i] = engine.Payload{ID: fmt.Sprintf("file-%d", i+1), Provider: string(prov.Name), Body: body}
		doc, err := jsoninput.Decode(body)
		if err != nil {
			continue
		}
		if id, err := jsonpointer.Get(doc, prov.IDPointer); err == nil {
			if s, ok := id.(string); ok {
				out[i].ID = s
			}
		}
		if typ, err := jsonpointer.Get(doc, prov.MessagePointer+"/type"); err == nil {
			if s, ok := typ.(string); ok {
				out[i].Type = s
			}
		}
	}
	return out
}
