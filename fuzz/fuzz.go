// Package fuzz explores around the conformance catalogue until a receiver breaks, then hands back the
// smallest payload that breaks it.
//
// Inputs come from one seed: schema-aware variations of valid payloads (edge values, wrong types, extra
// fields, every documented quirk form), the mutation catalogue, and byte-level mutations. An input whose
// answer is a 5xx, a timeout, a dropped connection, or a 4xx to a payload the provider could send is a
// finding. Each finding is confirmed, minimised, and written out as a reproducer with a ready curl
// command; findings are deduplicated by signature (outcome, status, and the JSON path or input class
// that triggers them), so a receiver broken one way yields one reproducer.
package fuzz

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wahook/wahook/delivery"
	"github.com/wahook/wahook/internal/dispatch"
	"github.com/wahook/wahook/internal/engine"
	"github.com/wahook/wahook/internal/inspect"
	"github.com/wahook/wahook/message"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// Outcome is the class of a finding.
type Outcome string

// The crash-class outcomes.
const (
	Outcome5xx           Outcome = "5xx"            // the receiver answered 500-599
	OutcomeTimeout       Outcome = "timeout"        // no answer within the timeout
	OutcomeDropped       Outcome = "dropped"        // the connection was reset or closed without an answer (a crash in the handler), but the receiver still answers
	OutcomeDied          Outcome = "died"           // after answering earlier, the receiver stopped answering at all
	OutcomeRejectedValid Outcome = "rejected-valid" // a payload the schema accepts was answered 4xx
	OutcomeMisread       Outcome = "misread"        // a 2xx, but the receiver's understanding (Options.InspectURL) differs from what was sent
)

// ErrNotAcked is returned when the target answers a plain valid text message, sent before fuzzing
// with the run's credentials, with anything but a 2xx: every input would then be refused for the
// same reason (a wrong path, missing credentials), which says nothing about the receiver's defects.
var ErrNotAcked = errors.New("target does not ack a valid message")

// ErrBadOptions is returned for Options that cannot run: a negative bound, more Workers than the
// delivery engine takes, credentials or headers that cannot be sent, or an Out that is not a
// directory wahook can write to. A refusal of one field names
// it: "bad fuzz options: Workers: ...".
var ErrBadOptions = errors.New("bad fuzz options")

// optionError is the refusal of one field of Options.
func optionError(field string, err error) error {
	return fmt.Errorf("%w: %w", ErrBadOptions, &engine.FieldError{Field: field, Err: err})
}

// Options configure a fuzzing run. Negative numbers are refused with ErrBadOptions; zero means the
// default given for the field.
type Options struct {
	// Target is the receiver, the provider whose webhooks it is sent, credentials and extra headers
	// (sent with every request, as with wahook send), the bound on each request (0 means 10 s;
	// reproducers' curl commands wait as long) and the trust in an https receiver.
	mockprovider.Target
	// Duration and Count bound the run; whichever comes first ends it. Both zero means 30 s.
	// Minimising a finding counts against Duration: at its end the smallest payload so far is kept.
	Duration time.Duration
	Count    uint64
	Seed     uint64
	// Workers is the number of concurrent requests, at most 256; 0 means 4.
	Workers int
	// Out is where reproducers are written; "" means "wahook-crashes". It must be a directory, or a
	// path where one can be made; it is made when the first finding is written.
	Out string
	// Version names wahook in the User-Agent.
	Version string
	// MediaBaseURL prefixes media links in generated payloads.
	MediaBaseURL string
	// OnProgress, when set, is called after every batch.
	OnProgress func(Stats)
	// MinimiseBudget caps the requests spent minimising one finding; 0 means 400.
	MinimiseBudget int
	// MaxFindings is how many findings the report keeps and writes, those most inputs hit first; 0
	// means DefaultMaxFindings. The others are counted in Report.Dropped.
	MaxFindings int
	// InspectURL, an http(s) URL with an {id} placeholder, is where the receiver says what it
	// understood of a message, in wahook's message model (see conformance.Config.InspectURL). With
	// it, every acknowledged input the provider could send is checked field by field, and a
	// difference is a finding of its own, OutcomeMisread, one per field.
	InspectURL string
	// InspectTimeout bounds the wait for one message's understanding; 0 means 5 s.
	InspectTimeout time.Duration
	// Ignore lists the JSON pointers of model fields not judged: "/media/caption".
	Ignore []string
}

// Stats are the running totals of a run.
type Stats struct {
	Sent     uint64        `json:"sent"`
	Findings int           `json:"findings"`
	Hits     uint64        `json:"hits"` // inputs whose outcome was crash-class, duplicates included
	Elapsed  time.Duration `json:"elapsed"`
	Rate     float64       `json:"rate"` // inputs per second
}

// DefaultMaxFindings is Options.MaxFindings's default.
const DefaultMaxFindings = 20

// Finding is one distinct way the receiver broke.
type Finding struct {
	// Signature is the outcome, the status and the trigger, with the trigger value's class when it
	// is notable: "5xx/500//message/text/body (string, 512-4095 bytes)". No two findings share one.
	Signature string  `json:"signature"`
	Outcome   Outcome `json:"outcome"`
	Status    int     `json:"status,omitempty"`
	// Trigger names what the minimised payload is about: the JSON pointer (array indices as 0) of
	// the field it turns on, a mutation, or why it does not decode ("input:not-json").
	Trigger string `json:"trigger"`
	// Class describes the trigger's value when the defect depends on it: its length, its unusual
	// characters, its magnitude.
	Class string `json:"class,omitempty"`
	// Origin says how the first input with this signature was made.
	Origin string `json:"origin"`
	Index  uint64 `json:"index"`
	Seed   uint64 `json:"seed"`
	// Hits counts the inputs with this signature.
	Hits uint64 `json:"hits"`
	// Confirmed reports that sending the input again gave the same outcome.
	Confirmed   bool        `json:"confirmed"`
	ContentType string      `json:"contentType"`
	Header      http.Header `json:"header"`
	Original    []byte      `json:"-"`
	Minimised   []byte      `json:"-"`
	// Response is the start of the receiver's answer to the original input.
	Response string `json:"response,omitempty"`
	// Candidates, for a receiver that died, are the inputs that may have killed it, in the order they
	// were sent: those it left without an answer when it died. Original and Minimised are the first.
	Candidates []Candidate `json:"candidates,omitempty"`
	// Misread, for OutcomeMisread, lists the model fields the receiver got wrong, one line each:
	// "/media/caption: sent "x", receiver has nothing".
	Misread []string `json:"misread,omitempty"`
	// Note says what the reproducer can and cannot tell, when that needs saying.
	Note string `json:"note,omitempty"`
	// Dir is the reproducer's directory.
	Dir string `json:"dir,omitempty"`
	// Found is when in the run the first input with this signature was answered.
	Found time.Duration `json:"found"`

	essence essence
	// examples are up to maxExamples other inputs that hit the finding, written as examples/NN.json.
	examples [][]byte
}

// Candidate is one input that may have killed the receiver.
type Candidate struct {
	// File is the body's path in the reproducer's directory.
	File        string `json:"file"`
	Index       uint64 `json:"index"`
	Origin      string `json:"origin"`
	ContentType string `json:"contentType"`
	// Sent is when its request started; Ended is how it ended (reset, timeout, or answered).
	Sent  time.Time `json:"sent"`
	Ended string    `json:"ended"`

	body []byte
}

// Report is the result of a run.
type Report struct {
	Stats
	Target   string           `json:"target"`
	Provider schemas.Provider `json:"provider"`
	Seed     uint64           `json:"seed"`
	Findings []*Finding       `json:"findings"`
	// Died reports that the receiver stopped answering and the run stopped sending.
	Died bool `json:"died"`
	// Dropped counts the findings past Options.MaxFindings, which the report leaves out.
	Dropped int `json:"dropped,omitempty"`
	// Interrupted reports that the run was cancelled before its bound.
	Interrupted bool `json:"interrupted"`
	// Timeline holds the totals at the end of each second the run sent in, for a picture of its pace.
	Timeline []Tick `json:"timeline,omitempty"`
}

// Tick is a run's totals at the end of one second of it.
type Tick struct {
	// Second counts from the first input, 0 for the first second.
	Second int `json:"second"`
	// Sent and Findings are the running totals of inputs and findings.
	Sent     uint64 `json:"sent"`
	Findings int    `json:"findings"`
}

// check refuses what cannot run, before any traffic, then fills in the defaults.
func (o *Options) check() error {
	for _, bound := range []struct {
		field    string
		value    any
		negative bool
	}{
		{"Duration", o.Duration, o.Duration < 0}, {"Workers", o.Workers, o.Workers < 0},
		{"Timeout", o.Timeout, o.Timeout < 0}, {"MinimiseBudget", o.MinimiseBudget, o.MinimiseBudget < 0},
		{"MaxFindings", o.MaxFindings, o.MaxFindings < 0},
	} {
		if bound.negative {
			return optionError(bound.field, fmt.Errorf("must not be negative, got %v", bound.value))
		}
	}
	if o.InspectTimeout < 0 {
		return optionError("InspectTimeout", fmt.Errorf("must not be negative, got %v", o.InspectTimeout))
	}
	if o.InspectURL != "" {
		if err := inspect.CheckURL(o.InspectURL); err != nil {
			return optionError("InspectURL", err)
		}
	}
	if o.Workers > engine.MaxWorkers {
		return optionError("Workers", fmt.Errorf("at most %d, got %d", engine.MaxWorkers, o.Workers))
	}
	if o.Duration == 0 && o.Count == 0 {
		o.Duration = 30 * time.Second
	}
	if o.Workers == 0 {
		o.Workers = 4
	}
	if o.Out == "" {
		o.Out = "wahook-crashes"
	}
	if o.Timeout == 0 {
		o.Timeout = engine.DefaultTimeout
	}
	if o.MinimiseBudget == 0 {
		o.MinimiseBudget = 400
	}
	if o.MaxFindings == 0 {
		o.MaxFindings = DefaultMaxFindings
	}
	if err := checkOut(o.Out); err != nil {
		return optionError("Out", err)
	}
	return nil
}

// checkOut reports, before any traffic, whether reproducers can be written under dir: it must be a
// writable directory, or not exist below a writable one (it is then made when the first finding is
// written, so a run that finds nothing leaves nothing behind). A run that only learnt this when it
// had something to write would lose its findings.
func checkOut(dir string) error {
	probe := dir
	for {
		info, err := os.Stat(probe)
		if err == nil {
			if !info.IsDir() {
				if probe == dir {
					return fmt.Errorf("%s is not a directory", dir)
				}
				return fmt.Errorf("cannot make directory %s: %s is not a directory", dir, probe)
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return err
		}
		parent := filepath.Dir(probe)
		if parent == probe {
			return err
		}
		probe = parent
	}
	// Write permission is what matters, and only trying tells it (access(2) is wrong for root, ACLs and
	// read-only mounts).
	tmp, err := os.MkdirTemp(probe, ".wahook-check-")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("cannot write reproducers under %s: %w", dir, err)
	}
	return os.Remove(tmp)
}

// Run fuzzes the receiver at opts.Target until the duration or count runs out, the receiver dies, or
// ctx is cancelled. A run that cannot start returns no report and an error wrapping ErrBadOptions,
// delivery.ErrUnreachable (nothing at the target's address takes a connection), delivery.ErrNoAnswer
// (no HTTP answer to a plain valid text message sent first) or ErrNotAcked. Once it has started, the report holds every finding
// made, even alongside an error (a reproducer that could not be written, which stops the run).
func Run(ctx context.Context, opts Options) (*Report, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	prov, dopts, err := dispatch.Options(opts.Target, opts.Version)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadOptions, err)
	}
	header := dopts.Header
	src, err := newSource(opts.Provider, opts.Seed, opts.MediaBaseURL)
	if err != nil {
		return nil, err
	}
	validator, err := schemas.New(schemas.Options{})
	if err != nil {
		return nil, err
	}
	dopts.Workers = opts.Workers
	eng, err := engine.New(dopts)
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	canaries, err := mockprovider.New(mockprovider.Options{Seed: opts.Seed ^ 0xCA7A7, MediaBaseURL: opts.MediaBaseURL})
	if err != nil {
		return nil, err
	}
	keys, err := schemaKeysOf(prov, src.gens[0])
	if err != nil {
		return nil, err
	}
	var inspector *inspect.Client
	if opts.InspectURL != "" {
		inspector = inspect.New(opts.InspectURL, opts.InspectTimeout, opts.TLS.RootCAs, opts.TLS.Insecure)
		defer inspector.Close()
	}
	f := &fuzzer{
		opts: opts, prov: prov, src: src, validator: validator, engine: eng, canaries: canaries, inspector: inspector, keys: keys,
		header: header, seen: map[string]*Finding{}, bySignature: map[string]*Finding{},
		report: &Report{Target: opts.URL, Provider: opts.Provider, Seed: opts.Seed, Findings: []*Finding{}},
	}
	if err := f.probe(ctx); err != nil {
		return nil, err
	}
	err = f.loop(ctx)
	if err == nil {
		err = f.finish()
	}
	return f.report, err
}

// probe sends the first canary: the receiver must ack a plain valid text message, sent with the run's
// credentials, or fuzzing it would only find that it refuses everything.
func (f *fuzzer) probe(ctx context.Context) error {
	_, a := f.canary(ctx)
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("interrupted: %w", ctx.Err())
	case a.Status == 0:
		return a.NoAnswer(f.opts.URL)
	case a.OK():
		return nil
	}
	gave := f.opts.Credentials != (mockprovider.Credentials{}) || len(f.opts.Header) > 0
	hint := f.prov.RefusalHint(a.Status, gave)
	if hint == "" {
		hint = "wrong path or credentials? fuzzing needs a receiver that acks what the provider sends"
	}
	status := strings.TrimSpace(fmt.Sprintf("HTTP %d %s", a.Status, http.StatusText(a.Status)))
	return fmt.Errorf("%w: %s answered a valid text message with %s; %s", ErrNotAcked, f.opts.URL, status, hint)
}

// finish ranks the findings, most inputs first (the receiver's death, which ended the run, first of
// all), keeps the first MaxFindings and writes their reproducers.
func (f *fuzzer) finish() error {
	fds := f.report.Findings
	sort.SliceStable(fds, func(i, j int) bool {
		if (fds[i].Outcome == OutcomeDied) != (fds[j].Outcome == OutcomeDied) {
			return fds[i].Outcome == OutcomeDied
		}
		return fds[i].Hits > fds[j].Hits
	})
	if len(fds) > f.opts.MaxFindings {
		f.report.Dropped = len(fds) - f.opts.MaxFindings
		fds = fds[:f.opts.MaxFindings]
	}
	f.report.Findings = fds
	f.report.Stats.Findings = len(fds)
	for i, fd := range fds {
		if err := f.write(i+1, fd); err != nil {
			return err
		}
	}
	return nil
}

// fuzzer is the state of one run.
type fuzzer struct {
	opts      Options
	start     time.Time // when the loop began sending
	prov      *mockprovider.Provider
	src       *source
	validator *schemas.Validator
	engine    *engine.Engine
	inspector *inspect.Client // nil without Options.InspectURL
	freshIDs  uint64          // numbers the ids misread reproductions are sent with
	canaries  *mockprovider.Generator
	canaryN   uint64
	keys      *schemaKeys
	header    http.Header
	// dead is set once a canary has gone unanswered: nothing can be confirmed any more.
	dead bool
	// seen maps what an input's outcome and trigger say before minimising to the finding it joined,
	// so that most hits cost no request; bySignature maps findings' signatures.
	seen        map[string]*Finding
	bySignature map[string]*Finding
	report      *Report
}

// batch is a run of consecutive inputs, made ahead of sending.
type batch struct {
	inputs   []fuzzInput
	payloads []engine.Payload
	err      error
}

// produce makes batches of inputs on its own goroutine, so that making inputs overlaps sending them.
// It stops when ctx is done or the count is reached; the channel is closed then.
func (f *fuzzer) produce(ctx context.Context, size uint64) <-chan batch {
	out := make(chan batch, 2)
	go func() {
		defer close(out)
		for next := uint64(0); f.opts.Count == 0 || next < f.opts.Count; {
			n := size
			if f.opts.Count > 0 {
				n = min(n, f.opts.Count-next)
			}
			b := batch{inputs: make([]fuzzInput, 0, n), payloads: make([]engine.Payload, 0, n)}
			for i := next; i < next+n && b.err == nil; i++ {
				in, err := f.src.input(i)
				b.err = err
				b.inputs = append(b.inputs, in)
				b.payloads = append(b.payloads, engine.Payload{ID: strconv.FormatUint(i, 10), Body: in.Body, ContentType: in.ContentType})
			}
			next += n
			select {
			case out <- b:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// loop sends batches until a bound, the receiver's death or parent's end. Minimising runs under the
// run's deadline (ctx), confirming under parent: a finding made in the last moments is still checked
// once, but is not allowed to stretch the run by a minimisation.
func (f *fuzzer) loop(parent context.Context) error {
	start := time.Now()
	f.start = start
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	if f.opts.Duration > 0 {
		var stop context.CancelFunc
		ctx, stop = context.WithTimeout(ctx, f.opts.Duration)
		defer stop()
	}
	batches := f.produce(ctx, uint64(f.opts.Workers*64))
	for {
		var b batch
		var ok bool
		select {
		case <-ctx.Done():
		case b, ok = <-batches:
		}
		if ctx.Err() != nil || !ok {
			f.report.Interrupted = parent.Err() != nil
			return nil
		}
		if b.err != nil {
			return b.err
		}
		rep, _ := f.engine.Run(ctx, b.payloads) // cancellation shows as cancelled results
		answerless := false
		for _, res := range rep.Results {
			if a, ok := res.Last(); ok && a.Class != delivery.ClassCancelled {
				f.report.Sent++
				answerless = answerless || a.Status == 0
			}
		}
		// An attempt without an answer is a crash in the handler if the receiver still answers, and
		// its death if not: one canary after the batch tells which.
		if answerless {
			alive, _ := f.canary(parent)
			f.dead = !alive && parent.Err() == nil
		}
		dead := f.dead
		for _, res := range rep.Results {
			a, ok := res.Last()
			if !ok || a.Class == delivery.ClassCancelled || dead && a.Status == 0 {
				continue // the death's finding tells of the attempts it left without an answer
			}
			in := b.inputs[res.Index]
			outcome, crash := f.classify(ctx, in, a)
			if !crash {
				continue
			}
			f.report.Hits++
			if err := f.record(parent, ctx, in, outcome, a); err != nil {
				return err
			}
		}
		if dead {
			f.report.Died = true
			f.report.Hits++
			err := f.recordDeath(b, rep.Results)
			f.progress(start)
			return err
		}
		f.progress(start)
	}
}

func (f *fuzzer) progress(start time.Time) {
	f.report.Elapsed = time.Since(start)
	f.report.Stats.Findings = len(f.report.Findings)
	if s := f.report.Elapsed.Seconds(); s > 0 {
		f.report.Rate = float64(f.report.Sent) / s
	}
	tick := Tick{Second: int(f.report.Elapsed / time.Second), Sent: f.report.Sent, Findings: len(f.report.Findings)}
	if n := len(f.report.Timeline); n > 0 && f.report.Timeline[n-1].Second == tick.Second {
		f.report.Timeline[n-1] = tick
	} else {
		f.report.Timeline = append(f.report.Timeline, tick)
	}
	if f.opts.OnProgress != nil {
		f.opts.OnProgress(f.report.Stats)
	}
}

// classify decides whether an answer is a finding.
func (f *fuzzer) classify(ctx context.Context, in fuzzInput, a delivery.Attempt) (Outcome, bool) {
	switch {
	case a.OK():
		return OutcomeMisread, len(f.misread(ctx, in)) > 0
	case a.Status >= 500:
		return Outcome5xx, true
	case a.Class == delivery.ClassTimeout:
		return OutcomeTimeout, true
	case a.Status == 0:
		return OutcomeDropped, true
	case a.Status >= 400 && a.Status < 500:
		return OutcomeRejectedValid, f.sendable(in.Body, in.ContentType)
	}
	return "", false
}

// misread asks the receiver what it understood of in, which it acknowledged, and returns where that
// differs from what in says, one line per field; nil without Options.InspectURL, for an input the
// provider could not send, or for a receiver that agrees.
func (f *fuzzer) misread(ctx context.Context, in fuzzInput) []string {
	if f.inspector == nil || !strings.HasPrefix(in.ContentType, "application/json") {
		return nil
	}
	var sent message.Message
	if in.Message != nil {
		sent = *in.Message
	} else if m, err := mockprovider.Parse(f.prov.Name, in.Body); err == nil {
		sent = m
	}
	if sent.MessageID == "" {
		return nil // not a message the provider could send, or one without an id to ask for
	}
	got, err := f.inspector.Get(ctx, sent.MessageID)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return []string{"/: " + err.Error()}
	}
	diffs, err := message.DiffJSON(sent, got, f.opts.Ignore)
	if err != nil {
		return []string{"/: " + err.Error()}
	}
	lines := make([]string, len(diffs))
	for i, d := range diffs {
		lines[i] = d.String()
	}
	return lines
}

// sendable reports whether the provider could send body: JSON content, and valid by its schema.
func (f *fuzzer) sendable(body []byte, contentType string) bool {
	if !strings.HasPrefix(contentType, "application/json") {
		return false
	}
	r, err := f.validator.Validate(f.prov.Name, body)
	return err == nil && r.Valid()
}

// canary sends a plain valid text message. A receiver that answers it below 500 is alive: it may
// refuse the canary for reasons of its own, but something is serving; a 5xx may be a proxy whose
// backend has gone.
func (f *fuzzer) canary(ctx context.Context) (bool, delivery.Attempt) {
	f.canaryN++
	pl, err := f.canaries.Generate(f.prov.Name, "text", f.canaryN)
	if err != nil {
		return false, delivery.Attempt{}
	}
	rep, _ := f.engine.Run(ctx, []engine.Payload{dispatch.Payload(pl)})
	if len(rep.Results) == 0 {
		return false, delivery.Attempt{}
	}
	a, ok := rep.Results[0].Last()
	return ok && a.Status > 0 && a.Status < 500, a
}
