package mockprovider

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/wahook/wahook/delivery"
	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/schemas"
)

// Media failure modes a sender can ask the media host to act out for the attachments it announces.
const (
	MediaOK      = ""        // serve the announced bytes
	MediaMissing = "404"     // answer 404 Not Found
	MediaSlow    = "slow"    // drip-feed the bytes
	MediaCorrupt = "corrupt" // serve other bytes than the announced sha256
)

// MediaFaults lists the media failure modes, MediaOK first.
func MediaFaults() []string { return []string{MediaOK, MediaMissing, MediaSlow, MediaCorrupt} }

// SendOptions describe one send: what to deliver, where, and how the provider would deliver it.
type SendOptions struct {
	// Target is the receiver's URL.
	Target string `json:"target"`
	// Provider names the provider to act as.
	Provider schemas.Provider `json:"provider"`
	// Types are the message types to generate; empty means one of every type.
	Types []string `json:"types,omitempty"`
	// Count is the number of payloads, given round-robin to Types; 0 means one per type.
	Count int `json:"count,omitempty"`
	// Seed is the generator's run seed.
	Seed uint64 `json:"seed"`
	// Mutation, when set, sends that mutation of each payload instead of the valid payload.
	Mutation string `json:"mutation,omitempty"`
	// Bodies, when set, are sent instead of generated payloads (wahook send --file).
	Bodies [][]byte `json:"-"`
	// Quirks chooses the documented quirk forms; "" means mix.
	Quirks QuirkMode `json:"quirks,omitempty"`
	// MediaBaseURL prefixes media links; "" means DefaultMediaBaseURL.
	MediaBaseURL string `json:"mediaBaseURL,omitempty"`
	// MediaFault asks the media host to fail the announced downloads this way (see MediaFaults).
	MediaFault string `json:"mediaFault,omitempty"`
	// AuthUser and AuthToken are the customer-configured credentials the provider sends verbatim.
	AuthUser  string `json:"authUser,omitempty"`
	AuthToken string `json:"authToken,omitempty"`
	// Header holds extra headers for every request.
	Header http.Header `json:"header,omitempty"`
	// Version names wahook's version in the User-Agent.
	Version string `json:"-"`
	// Timeout bounds each attempt; 0 means delivery.DefaultTimeout.
	Timeout time.Duration `json:"timeout,omitempty"`
	// Retries is "provider" (the provider's schedule), "none", or a comma-separated list of durations.
	Retries string `json:"retries,omitempty"`
	// TimeScale multiplies retry delays; 0 means 1.
	TimeScale float64 `json:"timeScale,omitempty"`
	// Duplicates is the fraction of payloads delivered twice.
	Duplicates float64 `json:"duplicates,omitempty"`
	// Shuffle delivers in a seeded random order.
	Shuffle bool `json:"shuffle,omitempty"`
	// Workers is the number of concurrent senders; 0 means 1.
	Workers int `json:"workers,omitempty"`
	// Rate caps requests per second; 0 means unlimited.
	Rate float64 `json:"rate,omitempty"`
	// CAFile and Insecure configure https to self-signed receivers.
	CAFile   string `json:"caFile,omitempty"`
	Insecure bool   `json:"insecure,omitempty"`
	// OnAttempt and OnResult, when set, see each attempt and each finished delivery as they happen.
	OnAttempt func(delivery.Attempt) `json:"-"`
	OnResult  func(delivery.Result)  `json:"-"`
}

// ErrBadSend is wrapped by the errors Send returns for unusable options, before anything is sent.
var ErrBadSend = errors.New("bad send options")

// Send generates (or takes) the payloads opts describe and delivers them as the provider would. The
// report is complete even when ctx is cancelled part-way.
func Send(ctx context.Context, opts SendOptions) (delivery.Report, error) {
	payloads, dopts, err := PrepareSend(opts)
	if err != nil {
		return delivery.Report{}, err
	}
	return delivery.Run(ctx, dopts, payloads)
}

// PrepareSend turns opts into the payloads and engine options of a send, without sending.
func PrepareSend(opts SendOptions) ([]delivery.Payload, delivery.Options, error) {
	// The cause stays in the chain, so that callers can tell ErrUnknownType from ErrNotApplicable.
	bad := func(err error) error { return fmt.Errorf("%w: %w", ErrBadSend, err) }
	prov, err := Lookup(opts.Provider)
	if err != nil {
		return nil, delivery.Options{}, bad(err)
	}
	retries, err := prov.ParseRetries(opts.Retries)
	if err != nil {
		return nil, delivery.Options{}, bad(err)
	}
	header, err := prov.DeliveryHeader(opts.Version, opts.AuthUser, opts.AuthToken, opts.Header)
	if err != nil {
		return nil, delivery.Options{}, bad(err)
	}
	var payloads []delivery.Payload
	if len(opts.Bodies) > 0 {
		if opts.Mutation != "" || len(opts.Types) > 0 {
			return nil, delivery.Options{}, bad(errors.New("a given payload file cannot be combined with --type or --mutation"))
		}
		payloads = prov.givenPayloads(opts.Bodies)
	} else if payloads, err = generatePayloads(prov, opts); err != nil {
		return nil, delivery.Options{}, bad(err)
	}
	// An extra Content-Type replaces the payloads' own, as every extra header replaces the provider's:
	// the engine sends a payload's ContentType over the headers', so clear it.
	for k := range opts.Header {
		if strings.EqualFold(k, "Content-Type") {
			for i := range payloads {
				payloads[i].ContentType = ""
			}
		}
	}
	dopts := delivery.Options{
		Target: opts.Target, Header: header, Timeout: opts.Timeout, Retries: retries, TimeScale: opts.TimeScale,
		Workers: opts.Workers, Rate: opts.Rate, Duplicates: opts.Duplicates, Shuffle: opts.Shuffle, Seed: opts.Seed,
		CAFile: opts.CAFile, Insecure: opts.Insecure, OnAttempt: opts.OnAttempt, OnResult: opts.OnResult,
	}
	return payloads, dopts, nil
}

func generatePayloads(prov *Provider, opts SendOptions) ([]delivery.Payload, error) {
	types := opts.Types
	if len(types) == 0 || slices.Equal(types, []string{"all"}) {
		types = prov.Types()
	}
	for _, typ := range types {
		if !slices.Contains(prov.types, typ) {
			return nil, fmt.Errorf("%w %q for %s (want one of %s)", ErrUnknownType, typ, prov.Name, strings.Join(prov.types, ", "))
		}
	}
	count := opts.Count
	if count <= 0 {
		count = len(types)
	}
	g, err := New(Options{Seed: opts.Seed, Quirks: opts.Quirks, MediaBaseURL: opts.MediaBaseURL, MediaFault: opts.MediaFault})
	if err != nil {
		return nil, err
	}
	if opts.Mutation != "" {
		m, err := LookupMutation(prov.Name, opts.Mutation)
		if err != nil {
			return nil, err
		}
		if types = slices.DeleteFunc(slices.Clone(types), func(t string) bool { return !m.AppliesTo(t) }); len(types) == 0 {
			return nil, fmt.Errorf("mutation %s: %w to any of the chosen types", m.ID, ErrNotApplicable)
		}
	}
	out := make([]delivery.Payload, 0, count)
	for i := range count {
		typ := types[i%len(types)]
		var pl Payload
		if opts.Mutation != "" {
			pl, _, err = g.GenerateMutated(prov.Name, typ, uint64(i), opts.Mutation)
		} else {
			pl, err = g.Generate(prov.Name, typ, uint64(i))
		}
		if err != nil {
			return nil, err
		}
		out = append(out, pl.Delivery())
	}
	return out, nil
}

// Delivery returns the payload as the delivery engine takes it.
func (p Payload) Delivery() delivery.Payload {
	return delivery.Payload{ID: p.ID, Provider: string(p.Provider), Type: p.Type, Body: p.Body, ContentType: p.ContentType}
}

// givenPayloads wraps bodies read from files; their id and type are read from them when they parse.
func (p *Provider) givenPayloads(bodies [][]byte) []delivery.Payload {
	out := make([]delivery.Payload, len(bodies))
	for i, body := range bodies {
		out[i] = delivery.Payload{ID: fmt.Sprintf("file-%d", i+1), Provider: string(p.Name), Body: body}
		doc, err := schemas.Decode(body)
		if err != nil {
			continue
		}
		if id, err := jsonpointer.Get(doc, p.IDPointer); err == nil {
			if s, ok := id.(string); ok {
				out[i].ID = s
			}
		}
		if typ, err := jsonpointer.Get(doc, p.MessagePointer+"/type"); err == nil {
			if s, ok := typ.(string); ok {
				out[i].Type = s
			}
		}
	}
	return out
}

// ParseRetries reads a retry schedule: "provider" (or "") for the provider's own, "none", or a
// comma-separated list of durations such as "1m,3m,5m".
func (p *Provider) ParseRetries(spec string) ([]time.Duration, error) {
	switch spec {
	case "", "provider":
		return slices.Clone(p.RetrySchedule), nil
	case "none":
		return nil, nil
	}
	var out []time.Duration
	for _, part := range strings.Split(spec, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil || d < 0 {
			return nil, fmt.Errorf("retries %q: %q is not a duration such as 1m or 30s", spec, part)
		}
		out = append(out, d)
	}
	return out, nil
}

// HeaderError is DeliveryHeader's refusal of one of its inputs. Field names the input as SendOptions
// does, "AuthUser", "AuthToken" or "Header", so that a caller can name its own setting for it
// instead, such as a flag or a JSON field. Err says what is wrong: it matches delivery.ErrBadHeader
// for a header that cannot be sent, ErrNoCredentialHeaders for credentials the provider has no header
// for. It quotes header names and a bad Host, never another value, which may be a credential.
type HeaderError struct {
	// Field is the input's name in SendOptions: "AuthUser", "AuthToken" or "Header".
	Field string
	// Err says what is wrong with it: "X-Sig: control character 0x0d at byte 1 of the value".
	Err error
}

// Error says which input is wrong, and how: "Header: X-Sig: control character 0x0d at byte 1 of the
// value".
func (e *HeaderError) Error() string { return fmt.Sprintf("%s: %v", e.Field, e.Err) }

// Unwrap returns what is wrong with the input.
func (e *HeaderError) Unwrap() error { return e.Err }

// badHeader is a refusal of extra headers that delivery has no word for; it matches
// delivery.ErrBadHeader, as delivery's own refusals do.
type badHeader string

func (e badHeader) Error() string      { return string(e) }
func (badHeader) Is(target error) bool { return target == delivery.ErrBadHeader }

// DeliveryHeader returns the headers the provider sends with every webhook: a User-Agent naming
// wahook, the customer-configured credentials verbatim, and the extras. Names are compared
// case-insensitively: an extra replaces the provider's header of the same name, under the extra's
// spelling. extra must not hold two keys that differ only in letter case, since a map cannot say
// which came first: ParseHeaders merges such lines in order.
//
// This is where the credentials and extra headers of a send are checked, with
// delivery.CheckHeaderField, for every caller: an error is a *HeaderError naming the input that is
// wrong, so that wahook send can name its flag and wahook serve the field of its JSON. The engine
// would refuse the same headers, but only as a whole.
func (p *Provider) DeliveryHeader(version, user, token string, extra http.Header) (http.Header, error) {
	if version == "" {
		version = "dev"
	}
	for _, cred := range [...]struct{ field, value string }{{"AuthUser", user}, {"AuthToken", token}} {
		if err := delivery.CheckHeaderValue(cred.value); err != nil {
			return nil, &HeaderError{Field: cred.field, Err: err}
		}
	}
	h, err := p.Credentials(user, token)
	if err != nil {
		field := "AuthUser"
		if user == "" {
			field = "AuthToken"
		}
		return nil, &HeaderError{Field: field, Err: err}
	}
	h["User-Agent"] = []string{UserAgent(version)}
	names := slices.Sorted(maps.Keys(extra))
	seen := make(map[string]string, len(names))
	for _, k := range names {
		if first, dup := seen[strings.ToLower(k)]; dup {
			return nil, &HeaderError{Field: "Header", Err: badHeader(fmt.Sprintf(
				"%q and %q differ only in letter case: give their values under one name", first, k))}
		}
		seen[strings.ToLower(k)] = k
	}
	if err := delivery.CheckHeader(extra); err != nil {
		return nil, &HeaderError{Field: "Header", Err: err}
	}
	for _, k := range names {
		v := extra[k]
		if strings.EqualFold(k, "User-Agent") {
			k = "User-Agent" // the spelling the engine writes, whatever the extra's
		}
		for existing := range h {
			if strings.EqualFold(existing, k) {
				delete(h, existing)
			}
		}
		h[k] = slices.Clone(v)
	}
	return h, nil
}

// ParseHeader splits a "Name: value" header line, as curl's -H takes it, dropping the blanks around
// the name and the value. It checks the line's shape only: whether the header can be sent is checked
// once, with the other inputs of a send, by DeliveryHeader. Its errors quote nothing of the line,
// which may hold a credential.
func ParseHeader(line string) (name, value string, err error) {
	name, value, ok := strings.Cut(line, ":")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	switch {
	case !ok:
		return "", "", errors.New("a line without ':': want 'Name: value'")
	case name == "":
		return "", "", errors.New("no name before ':': want 'Name: value'")
	}
	return name, value, nil
}

// ParseHeaders reads "Name: value" lines as ParseHeader does into one header, deterministically:
// names are compared case-insensitively, so a name given twice in any letter case is one header, kept
// under its first spelling, with every value in the order given. Spellings are otherwise kept as
// typed, because a receiver may compare a name byte for byte (InnoPaaS sends "UserName").
func ParseHeaders(lines []string) (http.Header, error) {
	h := http.Header{}
	for _, line := range lines {
		name, value, err := ParseHeader(line)
		if err != nil {
			return nil, err
		}
		key := name
		for k := range h {
			if strings.EqualFold(k, name) {
				key = k
				break
			}
		}
		h[key] = append(h[key], value)
	}
	return h, nil
}
