package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"os"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wahook/wahook/internal/engine"
	"github.com/wahook/wahook/internal/jsonrecord"
	"github.com/wahook/wahook/internal/media"

	"github.com/spf13/cobra"

	"github.com/wahook/wahook/delivery"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
	"github.com/wahook/wahook/send"
)

// sendOptions is what the send command line asks for, before it becomes send.Options.
type sendOptions struct {
	targetFlags
	types        []string // nil: every type
	count        int
	batch        int
	events       float64
	seed         uint64
	mutation     string
	files        []string // "-" is stdin
	corpus       string   // a corpus directory to send
	retries      string
	timeScale    float64
	duplicates   float64
	shuffle      bool
	workers      int
	rate         float64
	mediaBaseURL string
	mediaFault   string
	output       string
	duration     time.Duration
	quiet        bool
}

// retryChoices are the named --retries values; a list of durations is the third form.
var retryChoices = []string{"provider", "none"}

func newSendCmd() *cobra.Command {
	opts := sendOptions{seed: 1, retries: "provider", timeScale: 1, workers: 1, output: "text"}
	cmd := &cobra.Command{
		Use:   "send --target URL --provider P [flags]",
		Short: "Deliver generated or given webhooks to a receiver, as the provider would",
		Long: `Send acts as the provider: it POSTs webhook payloads to the receiver at --target with the provider's
headers and retry schedule, and prints one line per delivery as it settles, then a summary.

The payloads are generated (one of each --type unless --count says otherwise, dealt in turn to the
types; --mutation sends that mutation of each instead, see wahook list mutations), or read from each
--file, sent byte for byte, or those of --provider in the corpus at --corpus DIR (written by wahook
gen or recorded by wahook proxy --record), in manifest order. A delivery is acked by a 2xx; anything else, a timeout or a broken
connection is a failed attempt, retried on the schedule of --retries: provider (1, 3 and 5 minutes),
none, or a list such as 10s,1m. --time-scale 0.001 turns minutes into tens of milliseconds.
Redirects are not followed.

Before sending, send checks once that something listens at the target's host and port.

Exit status: 0 when every delivery was acked, 1 when any was not (failed after its last retry), 2
when send could not run: bad usage, an unreadable file, an unreachable target, or an interrupt (the
report of what was done is still printed; the deliveries cut short count as cancelled).`,
		Example: `  wahook send --target http://127.0.0.1:8080/webhook --provider itniotech
  wahook send --target http://127.0.0.1:8080/webhook --provider innopaas --type text,image --count 100 \
      --auth-user acme --auth-token 'Bearer s3cret' --duplicates 0.1 --shuffle --workers 4
  wahook send --target http://127.0.0.1:8080/webhook --provider innopaas --mutation empty-body
  wahook send --target http://127.0.0.1:8080/webhook --provider itniotech --retries 1m,3m --time-scale 0.001
  wahook send --target https://localhost:8443/hook --provider itniotech --file payload.json --ca-file cert.pem`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			if !f.Changed("type") {
				opts.types = nil
			}
			if f.Changed("count") && len(opts.files) > 0 {
				return errors.New("--count applies to generated payloads, not to --file")
			}
			if opts.corpus != "" && (len(opts.files) > 0 || f.Changed("count") || f.Changed("type") || f.Changed("mutation")) {
				return errors.New("--corpus sends the corpus as it is: not with --file, --count, --type or --mutation")
			}
			if err := refuseEmptyCredentials(cmd); err != nil {
				return err
			}
			return runSend(cmd.Context(), opts, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	addTargetFlags(cmd, &opts.targetFlags, targetUsage{
		url:      "the receiver's URL (http or https)",
		provider: "provider to act as",
		header:   "extra header 'Name: value' for every request (repeatable: a name given again, in any case, adds a value; replaces the provider's header of that name)",
	})
	f := cmd.Flags()
	f.StringSliceVar(&opts.types, "type", []string{allValues}, "message types, comma-separated or repeated, or all")
	f.IntVar(&opts.count, "count", 0, "payloads to generate, dealt in turn to the types (default one per type)")
	f.Float64Var(&opts.events, "events", 0, "fraction of the generated deliveries that are the provider's other events of the same URL instead of messages (meta's status updates), drawn from the seed")
	f.IntVar(&opts.batch, "batch", 0, "pack this many generated messages into each POST, as a batching provider does (meta); --count still counts messages")
	f.Uint64Var(&opts.seed, "seed", opts.seed, "run seed: payloads, duplicates and order all follow from it")
	f.StringVar(&opts.mutation, "mutation", "", "send this mutation of each payload (see wahook list mutations)")
	f.StringArrayVar(&opts.files, "file", nil, "send this payload file as is (repeatable; - reads stdin)")
	f.StringVar(&opts.corpus, "corpus", "", "send the payloads of --provider in this corpus directory (wahook gen, wahook proxy --record), in manifest order")
	f.StringVar(&opts.retries, "retries", opts.retries, "retry schedule: provider, none, or delays such as 1m,3m,5m")
	f.Float64Var(&opts.timeScale, "time-scale", opts.timeScale, "multiply retry delays by this factor")
	f.Float64Var(&opts.duplicates, "duplicates", 0, "fraction (0 to 1) of payloads delivered a second time")
	f.BoolVar(&opts.shuffle, "shuffle", false, "deliver in a seeded random order")
	f.IntVar(&opts.workers, "workers", opts.workers, fmt.Sprintf("requests in flight at once (1 to %d)", engine.MaxWorkers))
	f.Float64Var(&opts.rate, "rate", 0, "cap on requests per second, retries included (default no cap)")
	f.StringVar(&opts.mediaBaseURL, "media-base-url", "", "prefix of media links in payloads (default "+mockprovider.DefaultMediaBaseURL+", where wahook serve hosts them)")
	f.StringVar(&opts.mediaFault, "media-fault", "", "ask the media host to fail announced downloads: 404, slow or corrupt")
	f.DurationVar(&opts.duration, "duration", 0, "send generated payloads for this long instead of --count, as a load tool does")
	f.BoolVarP(&opts.quiet, "quiet", "q", false, "print the summary only, not a line (or record) per delivery")
	f.StringVarP(&opts.output, "output", "o", opts.output, "output format: text (a line per delivery, then a summary), json (one report, for runs of up to a million) or jsonl (a record per delivery as it settles, then the summary: for runs of any size)")
	mustRegister(cmd.MarkFlagRequired("target"))
	mustRegister(cmd.MarkFlagRequired("provider"))
	mustRegister(cmd.MarkFlagFilename("file", "json"))

	noFiles := cobra.ShellCompDirectiveNoFileComp
	mustRegister(cmd.RegisterFlagCompletionFunc("type", completeTypes))
	mustRegister(cmd.RegisterFlagCompletionFunc("mutation", completeSendMutations))
	mustRegister(cmd.RegisterFlagCompletionFunc("retries", cobra.FixedCompletions(retryChoices, noFiles)))
	mustRegister(cmd.RegisterFlagCompletionFunc("media-fault", cobra.FixedCompletions(media.Faults()[1:], noFiles)))
	mustRegister(cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(sendFormats, noFiles)))
	return cmd
}

func completeSendMutations(cmd *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var out []cobra.Completion
	for _, p := range flagProviders(cmd) {
		muts, err := mockprovider.Mutations(p.Name)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		for _, m := range muts {
			if !slices.Contains(out, m.ID) {
				out = append(out, m.ID)
			}
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// errUnreachable is returned when nothing answers at the target's address; send has sent nothing.
var errUnreachable = errors.New("is unreachable")

func runSend(ctx context.Context, opts sendOptions, stdin io.Reader, stdout, stderr io.Writer) error {
	sopts, err := opts.sendOptions(ctx, stdin)
	if err != nil {
		return err
	}
	if opts.duration > 0 && opts.output == "json" {
		return errors.New("--output json holds the whole report in memory, which a run of a fixed --duration cannot promise: use --output jsonl or text")
	}
	out := newSendOutput(opts.output, stdout, sopts, opts.quiet)
	var attempts int // the schedule's, once the plan says: first try and retries
	var waiting *retryLine
	if out.live != nil {
		sopts.OnResult = out.live.result
		if opts.output == "text" {
			if isTerminal(stderr) {
				waiting = newRetryLine(stderr)
				defer waiting.stop()
			}
			sopts.OnAttempt = func(a delivery.Attempt) {
				waiting.attempt(a) // clears the live line before the notice below
				out.live.retrying(a, attempts)
			}
			sopts.OnResult = func(r delivery.Result) {
				waiting.settled(r)
				out.live.result(r)
			}
		}
	}
	var progress *progressLine
	if (out.live == nil || opts.output != "text") && isTerminal(stderr) {
		// No line per delivery on the terminal: a progress line says how far the run is.
		progress = newProgressLine(stderr)
		defer progress.stop()
		onResult := sopts.OnResult
		sopts.OnResult = func(r delivery.Result) {
			progress.settled(r)
			if onResult != nil {
				onResult(r)
			}
		}
	}
	plan, err := send.Prepare(sopts)
	if err != nil {
		return flagError(err)
	}
	attempts = len(plan.Options.Retries) + 1
	progress.expect(plan)
	if opts.output == "json" && plan.Count > maxJSONReport {
		return fmt.Errorf("--output json holds the whole report in memory: at most %d payloads, not %d; --output jsonl writes each delivery as it settles, for runs of any size", maxJSONReport, plan.Count)
	}
	if opts.shuffle && plan.Count > engine.MaxShuffle {
		return fmt.Errorf("--shuffle draws the whole delivery order up front: at most %d payloads, not %d", engine.MaxShuffle, plan.Count)
	}
	eng, err := engine.New(plan.Options)
	if err != nil {
		return flagError(err)
	}
	defer eng.Close()
	if err := probe(ctx, opts.url, opts.timeout); err != nil && ctx.Err() == nil {
		return err
	}
	defer tuneSendGC(out.liveBytes(plan.Count))()

	// An ended ctx still runs: every payload counts as cancelled, and the report says so.
	summary, runErr := out.run(ctx, eng, plan)
	progress.stop() // before the summary, which it would otherwise run into
	if err := out.finish(summary); err != nil {
		return err
	}
	switch {
	case summary.Cancelled > 0 && ctx.Err() != nil:
		// The receiver's verdict is incomplete: that is the tool not finishing (2), not findings (1).
		return fmt.Errorf("interrupted: %d of %d deliveries cancelled", summary.Cancelled, summary.Scheduled)
	case runErr != nil:
		return runErr
	case summary.Acked < summary.Scheduled:
		return errFindings
	}
	return nil
}

// maxJSONReport bounds the payloads of a --output json run, which holds every result until the end.
const maxJSONReport = 1_000_000

// sendOptions checks the command line and turns it into the library's options, reading --file inputs.
func (o sendOptions) sendOptions(ctx context.Context, stdin io.Reader) (send.Options, error) {
	var zero send.Options
	target, err := o.target()
	if err != nil {
		return zero, err
	}
	if !slices.Contains(sendFormats, o.output) {
		return zero, fmt.Errorf("--output: unknown format %q (want text, json or jsonl)", o.output)
	}
	if !(o.timeScale > 0) {
		// The engine reads 0 as 1: someone asking for no delay would wait whole minutes.
		return zero, fmt.Errorf("--time-scale: %v: want a factor > 0, such as 0.001", o.timeScale)
	}
	if o.count < 0 {
		return zero, fmt.Errorf("--count: %d is negative", o.count)
	}
	var types []string
	if o.types != nil {
		if types, err = parseTypes(o.types); err != nil {
			return zero, err
		}
	}
	if o.workers < 1 {
		// The engine reads 0 as 1 and bounds the number from above itself.
		return zero, fmt.Errorf("--workers: %d, want at least 1", o.workers)
	}
	if n := count(o.files, stdinName); n > 1 {
		return zero, fmt.Errorf("--file: stdin (-) given %d times", n)
	}
	var bodies [][]byte
	for _, name := range o.files {
		body, tooLarge, err := readInput(ctx, name, maxSendFile, stdin)
		switch {
		case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
			return zero, fmt.Errorf("interrupted: %w", err)
		case err != nil:
			return zero, fmt.Errorf("--file %s: %s", displayName(name), describeReadError(err))
		case tooLarge:
			return zero, fmt.Errorf("--file %s: more than %d bytes", displayName(name), maxSendFile)
		}
		bodies = append(bodies, body)
	}
	return send.Options{
		Target: target, Types: types, Count: o.count, Batch: o.batch, Events: o.events, Seed: o.seed, Mutation: o.mutation,
		Duration: o.duration, Bodies: bodies, Corpus: o.corpus, MediaBaseURL: o.mediaBaseURL, MediaFault: o.mediaFault, Version: versionString(),
		Retries: o.retries, TimeScale: o.timeScale, Duplicates: o.duplicates,
		Shuffle: o.shuffle, Workers: o.workers, Rate: o.rate,
	}, nil
}

// maxSendFile bounds a --file payload. It is far over the providers' 3 MiB cap, so that an oversized
// body can still be sent on purpose, and far under what would hurt to hold in memory.
const maxSendFile = 64 << 20

// probe dials the target's host and port once, so that a receiver that is not running is reported in
// one line instead of as a failed delivery per payload. It sends nothing: the receiver sees a
// connection open and close, no request.
func probe(ctx context.Context, target string, timeout time.Duration) error {
	u, err := url.Parse(target)
	if err != nil {
		return err // engine.New has accepted it already
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if timeout <= 0 {
		timeout = engine.DefaultTimeout
	}
	dialer := net.Dialer{Timeout: timeout}
	conn, err := dialer.DialContext(ctx, "tcp", net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: %w", ctx.Err())
		}
		return fmt.Errorf("target %s %w: %s", target, errUnreachable, dialReason(err, timeout))
	}
	return conn.Close()
}

// dialReason says in a few words why a dial failed: "connection refused", "no such host".
func dialReason(err error, timeout time.Duration) string {
	var (
		errno  syscall.Errno
		dnsErr *net.DNSError
		netErr net.Error
	)
	switch {
	case errors.As(err, &dnsErr):
		return dnsErr.Error()
	case errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Sprintf("no connection within %v", timeout)
	case errors.As(err, &errno):
		return errno.Error()
	}
	return err.Error()
}

// tuneSendGC sets the collector for the send phase, unless GOGC or GOMEMLIMIT says otherwise, and
// returns the function that restores it. A send allocates a few KiB per request that it drops at
// once; with the default GOGC=100 the collector would run every few hundred requests, taking a core's
// worth of CPU from the requests (and from a receiver on the same machine). With GOGC=1000, capped by
// a soft limit of a few times what the run keeps (live bytes), it runs far less often: a run keeps
// a few MiB whatever its count, so the heap stays near 70 MB, and the collector costs about a tenth
// less CPU than at GOGC=400 (measured with wahook send of 120,000 payloads to a loopback sink).
func tuneSendGC(live int64) (restore func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	limit := debug.SetMemoryLimit(max(sendMemoryFloor, 4*live))
	percent := debug.SetGCPercent(1000)
	return func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	}
}

// sendMemoryFloor is the least heap tuneSendGC lets the collector wait for.
const sendMemoryFloor = 1 << 30

// liveWriter prints one line per settled delivery. Lines are buffered and flushed within
// liveFlushDelay, so that a fast run does not make a write per delivery while a slow one still shows
// each delivery as it settles.
type liveWriter struct {
	mu      sync.Mutex
	w       *bufio.Writer
	line    func(dst []byte, r delivery.Result) []byte
	buf     []byte
	pending bool
	closed  bool
	hinted  bool // the first retry line has said how not to wait
}

const liveFlushDelay = 50 * time.Millisecond

func newLiveWriter(w io.Writer, line func(dst []byte, r delivery.Result) []byte) *liveWriter {
	return &liveWriter{w: bufio.NewWriterSize(w, 64<<10), line: line}
}

// result is the engine's OnResult.
func (l *liveWriter) result(r delivery.Result) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	l.buf = l.line(l.buf[:0], r)
	_, _ = l.w.Write(l.buf)
	if !l.pending {
		l.pending = true
		time.AfterFunc(liveFlushDelay, l.flush)
	}
}

// retrying prints a line for a failed attempt that will be retried, at once: a retry may be minutes
// away, and the user should not wait for it in silence. The first says how not to wait.
func (l *liveWriter) retrying(a delivery.Attempt, attempts int) {
	if a.RetryAt.IsZero() {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	typ := a.Type
	if typ == "" {
		typ = "-"
	}
	wait := time.Until(a.RetryAt).Round(time.Millisecond)
	l.buf = fmt.Appendf(l.buf[:0], "retrying  %-32s %-12s attempt %d of %d failed: %s; next in %v, at %s\n",
		a.PayloadID, typ, a.Attempt, attempts, attemptStatus(a), max(wait, 0), a.RetryAt.Format("15:04:05"))
	if !l.hinted {
		l.hinted = true
		l.buf = append(l.buf, "          (--retries none does not retry; --time-scale 0.01 waits a hundredth of the provider's schedule)\n"...)
	}
	_, _ = l.w.Write(l.buf)
	_ = l.w.Flush()
}

func (l *liveWriter) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending = false
	_ = l.w.Flush()
}

// close flushes what is left; later results and flushes are dropped.
func (l *liveWriter) close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	return l.w.Flush()
}

// attemptStatus is an attempt's status code, with the error class when the answer was not a plain
// one, or the class alone when none came.
func attemptStatus(a delivery.Attempt) string {
	if a.Status != 0 && a.Class != delivery.ClassCancelled {
		status := fmt.Sprint(a.Status)
		if a.Class != delivery.ClassNone && a.Class != delivery.ClassHTTPStatus {
			status += " " + string(a.Class) // a redirect, or a body that broke off
		}
		return status
	}
	return string(a.Class)
}

// resultLine is a delivery as the text output prints it: outcome, payload id, type, "dup" for a
// duplicate copy, the last attempt's status code (or error class), its latency, and the attempts made.
func resultLine(dst []byte, r delivery.Result) []byte {
	status, latency := "-", "-"
	if a, ok := r.Last(); ok {
		latency = formatDuration(a.Latency)
		status = attemptStatus(a)
	}
	if r.PendingRetry {
		status += " (retry pending)"
	}
	dup := ""
	if r.Duplicate {
		dup = "dup"
	}
	typ := r.Type
	if typ == "" {
		typ = "-"
	}
	attempts := "attempts"
	if len(r.Attempts) == 1 {
		attempts = "attempt"
	}
	return fmt.Appendf(dst, "%-9s %-32s %-12s %-3s %-10s %9s  %d %s\n",
		r.Outcome, r.PayloadID, typ, dup, status, latency, len(r.Attempts), attempts)
}

// printSummary writes the text summary of a run.
func printSummary(w io.Writer, s delivery.Summary) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "scheduled %d", s.Scheduled)
	if s.Duplicates > 0 {
		fmt.Fprintf(bw, " (%d duplicates)", s.Duplicates)
	}
	fmt.Fprintf(bw, ": %d acked, %d failed, %d cancelled\n", s.Acked, s.Failed, s.Cancelled)
	fmt.Fprintf(bw, "attempts  %d", s.Attempts)
	if len(s.Errors) > 0 {
		classes := make([]string, 0, len(s.Errors))
		for c := range s.Errors {
			classes = append(classes, string(c))
		}
		slices.Sort(classes)
		for i, c := range classes {
			sep := ", "
			if i == 0 {
				sep = "; errors: "
			}
			fmt.Fprintf(bw, "%s%s %d", sep, c, s.Errors[delivery.ErrorClass(c)])
		}
	}
	fmt.Fprintln(bw)
	l := s.Latency
	fmt.Fprintf(bw, "latency   p50 %s, p90 %s, p99 %s, max %s\n",
		formatDuration(l.P50), formatDuration(l.P90), formatDuration(l.P99), formatDuration(l.Max))
	fmt.Fprintf(bw, "rate      %.1f requests/s over %s\n", s.Rate, formatDuration(s.Duration))
	return bw.Flush()
}

// formatDuration rounds d to three significant digits: 91.5µs, 1.23ms, 45.6ms, 2.35s.
func formatDuration(d time.Duration) string {
	switch {
	case d >= 100*time.Second:
		return d.Round(time.Second).String()
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= 100*time.Millisecond:
		return d.Round(time.Millisecond).String()
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	case d >= 100*time.Microsecond:
		return d.Round(time.Microsecond).String()
	case d >= 10*time.Microsecond:
		return d.Round(100 * time.Nanosecond).String()
	case d >= time.Microsecond:
		return d.Round(10 * time.Nanosecond).String()
	}
	return d.String()
}

// sendFormats are send's --output formats.
var sendFormats = []string{"text", "json", "jsonl"}

// sendReport is the head of the --output json document, whose "results" follow the summary, one
// jsonrecord.Result per line, and the last line of --output jsonl. Durations are milliseconds,
// as numbers.
type sendReport struct {
	Target   string             `json:"target"`
	Provider schemas.Provider   `json:"provider"`
	Seed     uint64             `json:"seed"`
	Summary  jsonrecord.Summary `json:"summary"`
}

// sendOutput writes a send's report in one of sendFormats: text and jsonl a line per delivery as it
// settles, then the summary; json one document at the end, from every result kept until then.
type sendOutput struct {
	format  string
	w       io.Writer
	head    sendReport
	live    *liveWriter       // text and jsonl, unless quiet
	results []delivery.Result // json, in schedule order
}

func newSendOutput(format string, w io.Writer, opts send.Options, quiet bool) *sendOutput {
	o := &sendOutput{format: format, w: w, head: sendReport{Target: opts.URL, Provider: opts.Provider, Seed: opts.Seed}}
	switch {
	case quiet:
	case format == "text":
		o.live = newLiveWriter(w, resultLine)
	case format == "jsonl":
		o.live = newLiveWriter(w, recordLine)
	}
	return o
}

// streams reports whether the format writes deliveries as they settle, holding none.
func (o *sendOutput) streams() bool { return o.format != "json" }

// run runs plan on engine: streaming for the live formats, holding every result for json.
func (o *sendOutput) run(ctx context.Context, eng *engine.Engine, plan send.Plan) (delivery.Summary, error) {
	if o.streams() {
		return eng.Stream(ctx, plan.Count, plan.Payload)
	}
	payloads, err := plan.All()
	if err != nil {
		return delivery.Summary{}, err
	}
	report, err := eng.Run(ctx, payloads)
	o.results = report.Results
	return report.Summary, err
}

// liveBytes estimates what the output keeps of a run of count payloads, for tuneSendGC.
func (o *sendOutput) liveBytes(count int) int64 {
	if o.streams() {
		return 0
	}
	return int64(count) << 10 // about what a result and its attempt take
}

// finish writes what follows the deliveries: the summary, or the whole json document.
func (o *sendOutput) finish(s delivery.Summary) error {
	o.head.Summary = jsonrecord.OfSummary(s)
	var err error
	switch o.format {
	case "text":
		if err = o.live.close(); err == nil {
			if o.live != nil {
				_, err = io.WriteString(o.w, "\n") // after the delivery lines
			}
			if err == nil {
				err = printSummary(o.w, s)
			}
		}
	case "jsonl":
		if err = o.live.close(); err == nil {
			err = json.NewEncoder(o.w).Encode(o.head)
		}
	default:
		err = o.writeJSON()
	}
	if err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// recordLine is a delivery as --output jsonl writes it: its jsonrecord.Result on one line.
func recordLine(dst []byte, r delivery.Result) []byte {
	// A record holds strings, numbers and times only: it always encodes.
	b, _ := json.Marshal(jsonrecord.OfResult(r, engine.MaxResponseBody))
	return append(append(dst, b...), '\n')
}

// writeJSON writes the report as one JSON document: target, provider, seed and summary indented,
// then "results" in schedule order with one delivery per line, so that a report of 100,000
// deliveries stays quick to write and to read with line tools.
func (o *sendOutput) writeJSON() error {
	b, err := json.MarshalIndent(o.head, "", "  ")
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(o.w, 64<<10)
	bw.Write(b[:len(b)-len("\n}")])
	bw.WriteString(",\n  \"results\": [")

	var line bytes.Buffer
	enc := json.NewEncoder(&line)
	enc.SetEscapeHTML(false)
	for i, res := range o.results {
		line.Reset()
		if err := enc.Encode(jsonrecord.OfResult(res, engine.MaxResponseBody)); err != nil {
			return err
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		bw.Write(bytes.TrimSuffix(line.Bytes(), []byte("\n")))
	}
	if len(o.results) > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("]\n}\n")
	return bw.Flush()
}

// retryLine is the live line a terminal shows while deliveries wait for a retry: how many, and when
// the next is due, counting down. nil (not a terminal) does nothing.
type retryLine struct {
	mu      sync.Mutex
	w       io.Writer
	due     map[int]time.Time // delivery -> its next attempt
	done    chan struct{}
	stopped sync.Once
	shown   bool
}

func newRetryLine(w io.Writer) *retryLine {
	l := &retryLine{w: w, due: map[int]time.Time{}, done: make(chan struct{})}
	go redraw(time.Second, l.done, l.draw)
	return l
}

// attempt notes an attempt: a retry due, or none any more.
func (l *retryLine) attempt(a delivery.Attempt) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if a.RetryAt.IsZero() {
		delete(l.due, a.Delivery)
	} else {
		l.due[a.Delivery] = a.RetryAt
	}
	l.clear()
}

// settled forgets a delivery that has settled, clearing the line before the delivery's own.
func (l *retryLine) settled(r delivery.Result) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.due, r.Delivery)
	l.clear()
}

func (l *retryLine) draw() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.due) == 0 {
		l.clear()
		return
	}
	var next time.Time
	for _, at := range l.due {
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	fmt.Fprintf(l.w, "\r\033[K%d waiting for a retry; the next in %v (Ctrl-C stops)", len(l.due), max(time.Until(next).Round(time.Second), 0))
	l.shown = true
}

func (l *retryLine) clear() {
	if l.shown {
		fmt.Fprint(l.w, "\r\033[K")
		l.shown = false
	}
}

// stop ends the line, clearing it.
func (l *retryLine) stop() {
	if l == nil {
		return
	}
	l.stopped.Do(func() { close(l.done) })
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clear()
}

// progressLine is the live line a terminal shows during a run that prints no line per delivery:
// deliveries settled of those scheduled, the rate, and how they ended. nil does nothing.
type progressLine struct {
	w                    io.Writer
	start                time.Time
	total                int // payloads, 0 for a run of a fixed duration
	acked, failed, count atomic.Int64
	done                 chan struct{}
	stopped              sync.Once
	wg                   sync.WaitGroup
}

func newProgressLine(w io.Writer) *progressLine {
	l := &progressLine{w: w, start: time.Now(), done: make(chan struct{})}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		redraw(250*time.Millisecond, l.done, l.draw)
	}()
	return l
}

// expect notes how many payloads the plan sends.
func (l *progressLine) expect(plan send.Plan) {
	if l != nil && plan.Count < math.MaxInt {
		l.total = plan.Count
	}
}

func (l *progressLine) settled(r delivery.Result) {
	if l == nil {
		return
	}
	l.count.Add(1)
	switch r.Outcome {
	case delivery.Acked:
		l.acked.Add(1)
	case delivery.Failed:
		l.failed.Add(1)
	}
}

func (l *progressLine) draw() {
	n := l.count.Load()
	of := ""
	if l.total > 0 {
		of = fmt.Sprintf(" of %d payloads", l.total)
	}
	rate := float64(n) / max(time.Since(l.start).Seconds(), 1e-9)
	fmt.Fprintf(l.w, "\r\033[K%d settled%s, %.0f/s: %d acked, %d failed", n, of, rate, l.acked.Load(), l.failed.Load())
}

// stop ends the line and clears it, before the summary is printed; again, it does nothing.
func (l *progressLine) stop() {
	if l == nil {
		return
	}
	l.stopped.Do(func() {
		close(l.done)
		l.wg.Wait()
		fmt.Fprint(l.w, "\r\033[K")
	})
}

// redraw calls draw every interval until done is closed: the live lines' loop.
func redraw(every time.Duration, done <-chan struct{}, draw func()) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
			draw()
		}
	}
}
