// Package proxy stands between a provider and a receiver: every request it takes is forwarded to the
// receiver byte for byte, and the receiver's answer goes back unchanged, so the provider sees the
// receiver as before. On the way, each body is checked against the provider's schema, and what the
// real provider sends that the documents do not say (violations, undocumented keys, message types)
// adds up in a drift summary: what a maintainer needs to update the schemas and schemas/QUIRKS.md.
//
//	p, err := proxy.New(proxy.Options{Forward: "http://127.0.0.1:8080/webhook"})
//	http.ListenAndServe("127.0.0.1:9090", p) // GET /v1/drift answers the summary so far
package proxy

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wahook/wahook/internal/corpus"
	"github.com/wahook/wahook/internal/engine"
	"github.com/wahook/wahook/internal/jsoninput"
	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/internal/redact"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// Defaults of Options.
const (
	// DefaultMaxBody is the body cap, Meta's for a webhook: 3 MiB.
	DefaultMaxBody = schemas.DefaultMaxBytes
	// DefaultTimeout bounds the wait for the receiver's answer.
	DefaultTimeout = 30 * time.Second
)

// DriftPath is the proxy's own endpoint: GET answers the drift summary so far, as JSON.
const DriftPath = "/v1/drift"

// Options configure a Proxy.
type Options struct {
	// Forward is the receiver's URL; each request's path and query are appended to it.
	Forward string
	// Provider is the format the bodies are checked against; "" or schemas.Auto recognises it.
	Provider schemas.Provider
	// Strict counts the properties no document shows as violations of the delivery; they are in the
	// drift summary's undocumented keys either way.
	Strict bool
	// MaxBody caps a request body; a longer one is answered 413 and not forwarded. 0 means
	// DefaultMaxBody.
	MaxBody int64
	// Timeout bounds the wait for the receiver's answer head; 0 means DefaultTimeout.
	Timeout time.Duration
	// OnDelivery, when set, sees each forwarded request once its answer has gone back.
	OnDelivery func(Delivery)
	// Record, when set, is a directory to record every delivery in as it arrives, in wahook gen's
	// layout and manifest format, with the receiver's status and the request's headers less
	// credentials: a corpus that wahook send --corpus and wahook conform --corpus replay. It must be
	// empty, or Force set.
	Record string
	// Force lets Record name a directory that holds files; a manifest there is replaced.
	Force bool
	// Redact replaces the personal data of each recorded body (phone numbers, names, text, captions,
	// media links, emails, addresses) with generated values of the same shape and script, the same
	// fake for the same value throughout the recording; ids, types, structure, key order and number
	// formats stay. The fakes are keyed with a secret made for the recording and not kept, so they
	// cannot be traced back. A body of no known provider has every string replaced; one that is not
	// JSON, every letter and digit. What is forwarded is never changed.
	Redact bool
}

// Delivery is one forwarded request, as the proxy saw it.
type Delivery struct {
	Time      time.Time        `json:"time"`
	Provider  schemas.Provider `json:"provider,omitempty"`
	Type      string           `json:"type,omitempty"`
	MessageID string           `json:"messageId,omitempty"`
	// Status is the receiver's answer, 0 when none came (the proxy answered 502).
	Status  int           `json:"status"`
	Latency time.Duration `json:"latency"`
	// Valid reports the body valid by the provider's schema; Violations say why not.
	Valid      bool     `json:"valid"`
	Violations []string `json:"violations,omitempty"`
	// Error says why the receiver gave no answer.
	Error string `json:"error,omitempty"`
	// File is where the delivery was recorded, relative to Options.Record; RecordError says why it
	// could not be.
	File        string `json:"file,omitempty"`
	RecordError string `json:"recordError,omitempty"`
}

// Drift sums up what the deliveries showed of the provider that its document does not say.
type Drift struct {
	Deliveries int `json:"deliveries"`
	Valid      int `json:"valid"`
	// Violations counts the schema's violations by JSON pointer (array indices as 0).
	Violations []Count `json:"violations"`
	// UndocumentedKeys counts the keys no document shows, by pointer, with a value seen.
	UndocumentedKeys []Count `json:"undocumentedKeys"`
	// UnknownTypes counts the message types the provider's schema does not define.
	UnknownTypes []Count `json:"unknownTypes"`
	// Unrecognised counts the bodies that are neither provider's webhook.
	Unrecognised int `json:"unrecognised"`
	// QuirkForms counts, for each documented quirk the deliveries carried, which of its two forms
	// they came in (schemas/QUIRKS.md): the answer the documents do not give.
	QuirkForms []QuirkCount `json:"quirkForms"`
}

// QuirkCount is how often the deliveries carried each form of one documented quirk.
type QuirkCount struct {
	ID string `json:"id"`
	// Example counts the form the document's example shows, described by ExampleForm; Table the form
	// its table documents.
	Example     int    `json:"example"`
	ExampleForm string `json:"exampleForm"`
	Table       int    `json:"table"`
	TableForm   string `json:"tableForm"`
}

// Count is how often something was seen, with an example where one helps.
type Count struct {
	Key     string `json:"key"`
	Count   int    `json:"count"`
	Example string `json:"example,omitempty"`
}

// Proxy forwards webhooks to a receiver and keeps the drift summary. It is an http.Handler, safe
// for concurrent use.
type Proxy struct {
	opts      Options
	forward   *url.URL
	validator *schemas.Validator
	rp        *httputil.ReverseProxy

	recorder *corpus.Recorder // nil without Options.Record
	redactor *redact.Redactor // nil without Options.Redact
	// providers and credentials are looked up once: each delivery needs them.
	providers   map[schemas.Provider]*mockprovider.Provider
	credentials map[*mockprovider.Provider][]string

	mu         sync.Mutex
	drift      Drift
	violations map[string]int
	keys       map[string]*Count
	types      map[string]int
	quirks     map[string]*QuirkCount
}

// ErrBadOptions is wrapped by New's refusal of unusable options, which names the field it refuses:
// "bad proxy options: Forward: ...".
var ErrBadOptions = errors.New("bad proxy options")

// New checks opts and returns the proxy.
func New(opts Options) (*Proxy, error) {
	bad := func(field string, err error) error {
		return fmt.Errorf("%w: %w", ErrBadOptions, &engine.FieldError{Field: field, Err: err})
	}
	forward, err := engine.CheckURL(opts.Forward)
	if err != nil {
		return nil, bad("Forward", err)
	}
	if opts.Provider == "" {
		opts.Provider = schemas.Auto
	}
	if opts.Provider != schemas.Auto {
		if _, err := mockprovider.Lookup(opts.Provider); err != nil {
			return nil, bad("Provider", err)
		}
	}
	switch {
	case opts.MaxBody < 0:
		return nil, bad("MaxBody", fmt.Errorf("negative (%d)", opts.MaxBody))
	case opts.Timeout < 0:
		return nil, bad("Timeout", fmt.Errorf("negative (%v)", opts.Timeout))
	}
	opts.MaxBody = cmp.Or(opts.MaxBody, DefaultMaxBody)
	opts.Timeout = cmp.Or(opts.Timeout, DefaultTimeout)
	// Strict always: the undocumented keys go to the summary whatever Options.Strict says.
	validator, err := schemas.New(schemas.Options{Strict: true})
	if err != nil {
		return nil, err
	}
	p := &Proxy{opts: opts, forward: forward, validator: validator,
		violations: map[string]int{}, keys: map[string]*Count{}, types: map[string]int{}, quirks: map[string]*QuirkCount{},
		providers: map[schemas.Provider]*mockprovider.Provider{}, credentials: credentialHeaders()}
	for _, prov := range mockprovider.Providers() {
		p.providers[prov.Name] = prov
	}
	switch {
	case opts.Redact && opts.Record == "":
		return nil, bad("Redact", errors.New("redacts recordings: give Record too"))
	case opts.Force && opts.Record == "":
		return nil, bad("Force", errors.New("applies to Record: give Record too"))
	}
	if opts.Redact {
		key := make([]byte, 32)
		_, _ = rand.Read(key) // crypto/rand.Read does not fail
		p.redactor = redact.New(key)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.ResponseHeaderTimeout = opts.Timeout
	transport.DisableCompression = true // no Accept-Encoding of the proxy's own
	// As many idle connections as a provider keeps open to it: with net/http's 2 per host, a
	// provider delivering over 16 connections has the proxy dial the receiver anew for most requests.
	transport.MaxIdleConnsPerHost = engine.MaxWorkers
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			// No X-Forwarded-* and no other header of the proxy's: the receiver sees the provider's.
			pr.Out.URL = forwardURL(forward, pr.In.URL)
			pr.Out.Host = ""
		},
		Transport:     transport,
		FlushInterval: -1, // an answer goes back as it comes, never held whole
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if d, ok := r.Context().Value(deliveryKey{}).(*Delivery); ok {
				d.Error = err.Error()
			}
			http.Error(w, "wahook proxy: the receiver gave no answer", http.StatusBadGateway)
		},
		ModifyResponse: func(resp *http.Response) error {
			if d, ok := resp.Request.Context().Value(deliveryKey{}).(*Delivery); ok {
				d.Status = resp.StatusCode
			}
			return nil
		},
	}
	if opts.Record != "" {
		// Last, so that no check above can fail after the directory was made.
		if p.recorder, err = corpus.NewRecorder(opts.Record, opts.Force); err != nil {
			return nil, bad("Record", err)
		}
	}
	return p, nil
}

// Close ends the recording: nothing is recorded after it. It does not stop the deliveries in flight;
// shut the server that serves the proxy down first.
func (p *Proxy) Close() error {
	if p.recorder == nil {
		return nil
	}
	return p.recorder.Close()
}

// forwardURL is the receiver's URL with the request's path appended and its query.
func forwardURL(forward, in *url.URL) *url.URL {
	out := *forward
	if in.Path != "" && in.Path != "/" {
		out.Path = strings.TrimSuffix(forward.Path, "/") + in.Path
		out.RawPath = ""
	}
	out.RawQuery = strings.Trim(strings.Join([]string{forward.RawQuery, in.RawQuery}, "&"), "&")
	return &out
}

type deliveryKey struct{}

// ServeHTTP forwards the request, or answers GET DriftPath itself.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == DriftPath {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(p.Drift())
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, p.opts.MaxBody+1))
	if err != nil {
		http.Error(w, "wahook proxy: the request body could not be read", http.StatusBadRequest)
		return
	}
	if int64(len(body)) > p.opts.MaxBody {
		http.Error(w, fmt.Sprintf("wahook proxy: body over %d bytes: not forwarded", p.opts.MaxBody), http.StatusRequestEntityTooLarge)
		return
	}
	d := &Delivery{Time: time.Now()}
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	r = r.WithContext(contextWith(r, d))
	// Checked before it goes on, so that the summary counts a delivery by the time its answer is back.
	rec := p.check(d, body)
	start := time.Now()
	p.rp.ServeHTTP(w, r)
	d.Latency = time.Since(start)
	if p.recorder != nil {
		p.record(d, r, rec)
	}
	if p.opts.OnDelivery != nil {
		p.opts.OnDelivery(*d)
	}
}

// received is what check learnt of a body, for the recording.
type received struct {
	body []byte
	doc  any // nil when the body is not JSON
	prov *mockprovider.Provider
	// verdict is the schema's on the body as it came.
	verdict mockprovider.SchemaVerdict
}

// check validates body and adds what it shows to the summary. The validation runs outside the lock,
// so that concurrent deliveries are checked side by side.
func (p *Proxy) check(d *Delivery, body []byte) received {
	rec := received{body: body, verdict: mockprovider.NotChecked}
	provider := p.opts.Provider
	var (
		rep     *schemas.Report
		err     error
		unknown bool
		quirks  []mockprovider.QuirkForm
	)
	// Decoded once: the validator recognises the provider from the same document it checks.
	doc, decodeErr := jsoninput.Decode(body)
	switch {
	case decodeErr == nil:
		rec.doc = doc
		rep, err = p.validator.ValidateValue(provider, doc)
		if err == nil {
			provider = rep.Provider // "" when Auto recognised neither provider
		}
	case provider == schemas.Auto:
		provider = "" // bytes that do not decode have no envelope to recognise
	default:
		rep, err = p.validator.Validate(provider, body) // which words why the bytes do not decode
	}
	if provider != "" {
		d.Provider = provider
		if prov := p.providers[provider]; prov != nil && rec.doc != nil {
			rec.prov = prov
			d.Type = text(rec.doc, prov.MessagePointer+"/type")
			d.MessageID = text(rec.doc, prov.IDPointer)
			unknown = d.Type != "" && !slices.Contains(prov.Types(), d.Type)
			quirks = prov.QuirkForms(rec.doc)
		}
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	p.drift.Deliveries++
	switch {
	case provider == "":
		p.drift.Unrecognised++
		d.Violations = []string{"matches neither provider's webhook format"}
		return rec
	case err != nil:
		d.Violations = []string{err.Error()}
		return rec
	}
	if unknown {
		p.types[d.Type]++
	}
	for _, q := range quirks {
		c := p.quirks[q.ID]
		if c == nil {
			c = &QuirkCount{ID: q.ID}
			p.quirks[q.ID] = c
		}
		if q.Form == mockprovider.QuirksExample {
			c.Example++
			c.ExampleForm = q.Shape
		} else {
			c.Table++
			c.TableForm = q.Shape
		}
	}
	for _, v := range rep.Violations {
		ptr := jsonpointer.Generalise(v.Instance, jsonpointer.IndexAsZero) // one key in every element counts once
		if v.Undocumented() {
			c := p.keys[ptr]
			if c == nil {
				c = &Count{Key: ptr, Example: example(rec.doc, v.Instance)}
				p.keys[ptr] = c
			}
			c.Count++
			if !p.opts.Strict {
				continue
			}
		}
		p.violations[ptr]++
		d.Violations = append(d.Violations, v.String())
	}
	d.Valid = len(d.Violations) == 0
	if d.Valid {
		p.drift.Valid++
	}
	rec.verdict = mockprovider.SchemaInvalid
	if rep.Valid() { // the schema's verdict, whatever Strict counts
		rec.verdict = mockprovider.SchemaValid
	}
	return rec
}

// record writes the delivery to the recording: its body (redacted with Options.Redact), the
// receiver's status, and the request's headers less credentials.
func (p *Proxy) record(d *Delivery, r *http.Request, rec received) {
	body := rec.body
	if p.redactor != nil {
		body = p.redacted(rec)
	}
	header := r.Header.Clone()
	for _, name := range p.credentials[rec.prov] {
		header.Del(name)
	}
	e, err := p.recorder.Record(corpus.Recording{
		Provider: d.Provider, Type: d.Type, ID: d.MessageID, Schema: rec.verdict,
		ContentType: r.Header.Get("Content-Type"), Body: body,
		Recorded: corpus.Recorded{Time: d.Time, Method: r.Method, Path: r.URL.RequestURI(), Header: header, Status: d.Status, Redacted: p.redactor != nil},
	})
	if err != nil {
		d.RecordError = err.Error()
		return
	}
	d.File = e.File
}

// redacted is rec's body with its personal data replaced: at the provider's Personal pointers, every
// string of a JSON body of no known provider, every letter and digit of one that is not JSON.
func (p *Proxy) redacted(rec received) []byte {
	var patterns []string // nil: every string
	if rec.prov != nil {
		patterns = rec.prov.Personal
	}
	if rec.doc != nil {
		if out, err := p.redactor.JSON(rec.body, patterns); err == nil {
			return out
		}
	}
	return p.redactor.Bytes(rec.body)
}

// credentialHeaders names, for each provider, the headers that carry credentials to its receiver,
// as its Auth sends them, with the generic ones; under nil, those of every provider, for a body of
// none. Worked out once, not per delivery: Sign computes a signature.
func credentialHeaders() map[*mockprovider.Provider][]string {
	generic := []string{"Authorization", "Proxy-Authorization", "Cookie"}
	out := map[*mockprovider.Provider][]string{nil: generic}
	probe := mockprovider.Credentials{User: "u", Token: "t", Secret: "s"}
	for _, prov := range mockprovider.Providers() {
		names := slices.Clone(generic)
		for name := range prov.Auth.Header(probe) {
			names = append(names, name)
		}
		for name := range prov.Auth.Sign(probe, []byte("{}")) {
			names = append(names, name)
		}
		out[prov] = names
		out[nil] = append(out[nil], names[len(generic):]...)
	}
	return out
}

// Drift returns the summary of the deliveries so far.
func (p *Proxy) Drift() Drift {
	p.mu.Lock()
	defer p.mu.Unlock()
	d := p.drift
	d.Violations = counts(p.violations)
	d.UnknownTypes = counts(p.types)
	d.UndocumentedKeys = make([]Count, 0, len(p.keys))
	for _, c := range p.keys {
		d.UndocumentedKeys = append(d.UndocumentedKeys, *c)
	}
	sortCounts(d.UndocumentedKeys)
	d.QuirkForms = make([]QuirkCount, 0, len(p.quirks))
	for _, c := range p.quirks {
		d.QuirkForms = append(d.QuirkForms, *c)
	}
	slices.SortFunc(d.QuirkForms, func(a, b QuirkCount) int { return strings.Compare(a.ID, b.ID) })
	return d
}

func counts(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for k, n := range m {
		out = append(out, Count{Key: k, Count: n})
	}
	sortCounts(out)
	return out
}

// sortCounts orders counts most seen first, then by key.
func sortCounts(cs []Count) {
	slices.SortFunc(cs, func(a, b Count) int { return cmp.Or(b.Count-a.Count, strings.Compare(a.Key, b.Key)) })
}

// text is the string at ptr in doc, "" when there is none.
func text(doc any, ptr string) string {
	v, err := jsonpointer.Get(doc, ptr)
	if err != nil {
		return ""
	}
	s, _ := v.(string)
	return s
}

// example is the JSON of the value at ptr, cut to a readable length.
func example(doc any, ptr string) string {
	v, err := jsonpointer.Get(doc, ptr)
	if err != nil {
		return ""
	}
	b, _ := json.Marshal(v)
	if len(b) > 80 {
		b = append(b[:77:77], "..."...)
	}
	return string(b)
}

// contextWith is r's context carrying d, for the reverse proxy's hooks to fill in.
func contextWith(r *http.Request, d *Delivery) context.Context {
	return context.WithValue(r.Context(), deliveryKey{}, d)
}
