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
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/mockprovider/delivery"
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
)

// ErrUnreachable is returned when nothing answers at the target before fuzzing starts.
var ErrUnreachable = errors.New("target unreachable")

// Options configure a fuzzing run.
type Options struct {
	Target   string
	Provider schemas.Provider
	// Duration and Count bound the run; whichever comes first ends it. Both zero means 30 s.
	Duration time.Duration
	Count    uint64
	Seed     uint64
	// Workers is the number of concurrent requests; 0 means 4.
	Workers int
	// Out is where reproducers are written; "" means "wahook-crashes".
	Out string
	// AuthUser, AuthToken and Header are sent with every request, as with wahook send.
	AuthUser, AuthToken string
	Header              http.Header
	// Timeout bounds each request; 0 means 10 s.
	Timeout time.Duration
	// Version names wahook in the User-Agent.
	Version string
	// MediaBaseURL prefixes media links in generated payloads.
	MediaBaseURL string
	// OnProgress, when set, is called after every batch.
	OnProgress func(Stats)
	// MinimiseBudget caps the requests spent minimising one finding; 0 means 400.
	MinimiseBudget int
	// MaxFindings ends the run once that many distinct findings are recorded; 0 means no limit.
	MaxFindings int
	// CAFile and Insecure configure https to a receiver with a self-signed certificate.
	CAFile   string
	Insecure bool
}

// Stats are the running totals of a run.
type Stats struct {
	Sent     uint64        `json:"sent"`
	Findings int           `json:"findings"`
	Hits     uint64        `json:"hits"` // inputs whose outcome was crash-class, duplicates included
	Elapsed  time.Duration `json:"elapsed"`
	Rate     float64       `json:"rate"` // inputs per second
}

// Finding is one distinct way the receiver broke.
type Finding struct {
	Signature string  `json:"signature"`
	Outcome   Outcome `json:"outcome"`
	Status    int     `json:"status,omitempty"`
	Trigger   string  `json:"trigger"`
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
	// Dir is the reproducer's directory.
	Dir string `json:"dir,omitempty"`

	essence essence
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
	// Interrupted reports that the run was cancelled before its bound.
	Interrupted bool `json:"interrupted"`
}

func (o *Options) defaults() {
	if o.Duration == 0 && o.Count == 0 {
		o.Duration = 30 * time.Second
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Out == "" {
		o.Out = "wahook-crashes"
	}
	if o.Timeout <= 0 {
		o.Timeout = delivery.DefaultTimeout
	}
	if o.MinimiseBudget <= 0 {
		o.MinimiseBudget = 400
	}
}

// Run fuzzes the receiver at opts.Target until the duration or count runs out, the receiver dies, or
// ctx is cancelled. Findings written so far are in the report in every case.
func Run(ctx context.Context, opts Options) (*Report, error) {
	opts.defaults()
	prov, err := mockprovider.Lookup(opts.Provider)
	if err != nil {
		return nil, err
	}
	header, err := prov.DeliveryHeader(opts.Version, opts.AuthUser, opts.AuthToken, opts.Header)
	if err != nil {
		return nil, err
	}
	src, err := newSource(opts.Provider, opts.Seed, opts.MediaBaseURL)
	if err != nil {
		return nil, err
	}
	validator, err := schemas.New(schemas.Options{})
	if err != nil {
		return nil, err
	}
	engine, err := delivery.New(delivery.Options{
		Target: opts.Target, Header: header, Timeout: opts.Timeout, Workers: opts.Workers,
		CAFile: opts.CAFile, Insecure: opts.Insecure,
	})
	if err != nil {
		return nil, err
	}
	defer engine.Close()
	canaries, err := mockprovider.New(mockprovider.Options{Seed: opts.Seed ^ 0xCA7A7, MediaBaseURL: opts.MediaBaseURL})
	if err != nil {
		return nil, err
	}
	f := &fuzzer{
		opts: opts, prov: prov, src: src, validator: validator, engine: engine, canaries: canaries,
		header: header, seen: map[string]*Finding{},
		report: &Report{Target: opts.Target, Provider: opts.Provider, Seed: opts.Seed, Findings: []*Finding{}},
	}
	if alive, a := f.canary(ctx); !alive {
		return nil, fmt.Errorf("%w: %s: %s", ErrUnreachable, opts.Target, describe(a))
	}
	err = f.loop(ctx)
	f.finish()
	return f.report, err
}

// finish rewrites each reproducer's finding.json with the final hit counts.
func (f *fuzzer) finish() {
	for _, fd := range f.report.Findings {
		if fd.Dir == "" || strings.HasPrefix(fd.Dir, "not written") {
			continue
		}
		if meta, err := json.MarshalIndent(fd, "", "  "); err == nil {
			_ = os.WriteFile(filepath.Join(fd.Dir, "finding.json"), append(meta, '\n'), 0o644)
		}
	}
}

// fuzzer is the state of one run.
type fuzzer struct {
	opts      Options
	prov      *mockprovider.Provider
	src       *source
	validator *schemas.Validator
	engine    *delivery.Engine
	canaries  *mockprovider.Generator
	canaryN   uint64
	header    http.Header
	seen      map[string]*Finding
	report    *Report
}

// batch is a run of consecutive inputs, made ahead of sending.
type batch struct {
	inputs   []Input
	payloads []delivery.Payload
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
			b := batch{inputs: make([]Input, 0, n), payloads: make([]delivery.Payload, 0, n)}
			for i := next; i < next+n && b.err == nil; i++ {
				in, err := f.src.input(i)
				b.err = err
				b.inputs = append(b.inputs, in)
				b.payloads = append(b.payloads, delivery.Payload{ID: strconv.FormatUint(i, 10), Body: in.Body, ContentType: in.ContentType})
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

func (f *fuzzer) loop(parent context.Context) error {
	start := time.Now()
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
		for _, res := range rep.Results {
			a, ok := res.Last()
			if !ok || a.Class == delivery.ClassCancelled {
				continue
			}
			f.report.Sent++
			in := b.inputs[res.Index]
			outcome, crash := f.classify(in, a)
			if !crash {
				continue
			}
			if outcome == OutcomeDropped || outcome == OutcomeTimeout {
				if alive, _ := f.canary(parent); !alive && parent.Err() == nil {
					outcome = OutcomeDied
				}
			}
			f.report.Hits++
			f.record(parent, in, outcome, a)
			if outcome == OutcomeDied {
				f.report.Died = true
				f.progress(start)
				return nil
			}
			if f.opts.MaxFindings > 0 && len(f.report.Findings) >= f.opts.MaxFindings {
				f.progress(start)
				return nil
			}
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
	if f.opts.OnProgress != nil {
		f.opts.OnProgress(f.report.Stats)
	}
}

// classify decides whether an answer is crash-class.
func (f *fuzzer) classify(in Input, a delivery.Attempt) (Outcome, bool) {
	switch {
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

// sendable reports whether the provider could send body: JSON content, and valid by its schema.
func (f *fuzzer) sendable(body []byte, contentType string) bool {
	if !strings.HasPrefix(contentType, "application/json") {
		return false
	}
	r, err := f.validator.Validate(f.prov.Name, body)
	return err == nil && r.Valid()
}

// canary sends a plain valid text message; a receiver that acks it is alive.
func (f *fuzzer) canary(ctx context.Context) (bool, delivery.Attempt) {
	f.canaryN++
	pl, err := f.canaries.Generate(f.prov.Name, "text", f.canaryN)
	if err != nil {
		return false, delivery.Attempt{}
	}
	rep, _ := f.engine.Run(ctx, []delivery.Payload{pl.Delivery()})
	if len(rep.Results) == 0 {
		return false, delivery.Attempt{}
	}
	a, ok := rep.Results[0].Last()
	return ok && a.Status > 0 && a.Status < 500, a
}

func describe(a delivery.Attempt) string {
	if a.Status > 0 {
		return fmt.Sprintf("HTTP %d", a.Status)
	}
	if a.Err != "" {
		return string(a.Class) + ": " + a.Err
	}
	return string(a.Class)
}
