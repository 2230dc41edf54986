package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wahook/wahook/conformance"
	"github.com/wahook/wahook/internal/outfile"
	"github.com/wahook/wahook/schemas"
)

// conformOptions is what the conform command line asks for.
type conformOptions struct {
	targetFlags
	profile    string
	run        string
	list       bool
	junit      string
	html       string
	summaryMD  string
	json       string
	payloadDir string
	seed       uint64
	quiet      bool
	// deep verification
	inspect        string
	inspectTimeout time.Duration
	ignore         []string
	equivalent     bool
	corpus         string
	verifyToken    string
	coverage       bool
	output         string
	// pace
	concurrency int
	maxFailures int
	budget      time.Duration
}

func newConformCmd() *cobra.Command {
	opts := conformOptions{profile: string(conformance.Standard), seed: 1}
	cmd := &cobra.Command{
		Use:   "conform --target URL --provider innopaas|itniotech|meta [flags]",
		Short: "Run the conformance suite against a webhook receiver",
		Long: `Conform POSTs the whole conformance suite to the receiver at --target, as the provider would, and
checks each answer. The groups of cases:

  valid       generated messages of every type, several variants each: must be acked (2xx)
  documented  every example of the provider's document, quirks included, with fresh ids: 2xx
  recorded    with --corpus DIR only: every delivery of a corpus recorded by wahook proxy --record
              (or every valid payload of one wahook gen wrote), of --provider, with fresh ids: 2xx
  tolerate    what the provider can legitimately send (unknown fields and types, other events,
              16 KiB texts, 64 KiB contact lists, ...): 2xx
  equivalent  with --equivalent only, for a receiver that takes every provider's webhooks at one
              URL: one message of each shared type in every provider's format, 2xx each, and
              with deep verification, the same understanding of each (the other formats carry
              --header, and the credentials where their provider has a place for them)
  reject      what it never sends (broken JSON, missing or mistyped fields, hostile bodies): never a
              5xx or a timeout; with --profile strict, a 4xx
  delivery    a retry of identical bytes, a burst of 50 concurrent deliveries, an out-of-order
              message: 2xx within the timeout
  auth        with credentials only: none or wrong ones must get 401 or 403 (else skipped); for a
              signing provider (meta, --app-secret), a signature over other bytes of the same JSON
              too, and a rightly signed body with escaped Unicode and odd spacing must be acked
  handshake   meta, with --verify-token only: GET ?hub.mode=subscribe&hub.challenge=C&hub.verify_token=T
              must be answered 200 and exactly C; a wrong or missing token or mode, a 4xx without C

After each hostile case the next case must be acked as it expects, or else a canary (a valid
text message) must be; a receiver that dies or wedges fails the case that killed it, and the rest
are skipped. The same --seed sends the same bytes.

Deep verification: a receiver can say what it understood of each message it acked, in wahook's
message model (schemas/message.schema.json), by answering the 2xx with it, or at an --inspect URL.
The suite then compares it with what was sent, field by field: a receiver that answers 200 but drops
a caption fails, with one "misread:" line per field. --ignore names fields it keeps less of on purpose.
With --equivalent, an understanding that differs between the formats of one message fails too:
"/location/latitude: understood 22.63 from innopaas, 22 from itniotech".

Output: the failures, each with expected and observed answers and a command that reproduces it
(its payloads kept in --payload-dir, credentials read from $WAHOOK_<HEADER> variables), then
"N passed, M failed, K skipped". --junit, --json, --html (one page to open in a browser: a matrix
of message types against groups, each failure with its payload and answer) and --summary-md (Markdown
for a CI summary page) are checked before the cases run and written after them, each complete or not
at all.

Exit status: 0 when no case failed, 1 when any failed, 2 when the suite could not run (bad usage,
an unwritable report file, an unreachable target or no HTTP answer to a valid message, credentials
refused, interrupted).`,
		Example: `  wahook conform --target http://127.0.0.1:8080/webhook --provider innopaas
  wahook conform --target $URL --provider innopaas --profile strict --auth-user U --auth-token T --junit report.xml --payload-dir payloads
  wahook conform --target $URL --provider itniotech -H 'X-Hook-Secret: s3cret' --run '^reject/'
  wahook conform --target $URL --provider itniotech --inspect 'http://127.0.0.1:8080/messages/{id}' --ignore /media/caption
  wahook conform --target $URL --provider innopaas --equivalent
  wahook conform --target $URL --provider itniotech --corpus recorded
  wahook conform --provider itniotech --list`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := refuseEmptyCredentials(cmd); err != nil {
				return fmt.Errorf("conform: %w", err)
			}
			return runConform(cmd.Context(), opts, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	addTargetFlags(cmd, &opts.targetFlags, targetUsage{
		url:      "the receiver's webhook URL",
		provider: "the provider whose webhooks the receiver takes",
		header:   "a header of the receiver's own 'Name: value' sent with every case, counted as a credential (repeatable)",
	})
	f := cmd.Flags()
	f.StringVar(&opts.profile, "profile", opts.profile, "standard (reject cases must not get a 5xx) or strict (they must get a 4xx)")
	f.StringVar(&opts.run, "run", "", "run only the cases whose id matches this regular expression")
	f.BoolVar(&opts.list, "list", false, "print the case ids and descriptions without sending anything")
	f.BoolVar(&opts.coverage, "coverage", false, "print which cases carry each value class (wahook list values) in each field of each message type, without sending anything")
	f.StringVarP(&opts.output, "output", "o", "text", "output format of --coverage: text or json")
	f.StringVar(&opts.junit, "junit", "", "write a JUnit XML report to this file")
	f.StringVar(&opts.html, "html", "", "write a self-contained HTML report to this file")
	f.StringVar(&opts.summaryMD, "summary-md", "", "write a Markdown summary to this file (such as $GITHUB_STEP_SUMMARY)")
	f.StringVar(&opts.json, "json", "", "write the full report as JSON to this file")
	f.StringVar(&opts.payloadDir, "payload-dir", "", "keep the payloads of failing cases, which the reproduce commands read, in this directory (default: a new temporary one)")
	f.Uint64Var(&opts.seed, "seed", opts.seed, "run seed: the same seed sends the same bytes")
	f.BoolVarP(&opts.quiet, "quiet", "q", false, "no progress line and no header")
	f.StringVar(&opts.inspect, "inspect", "", "after each acknowledged message, GET this URL ({id} is the message id) until it answers 2xx with what the receiver understood, in wahook's message model, and compare it field by field with what was sent")
	f.DurationVar(&opts.inspectTimeout, "inspect-timeout", 5*time.Second, "how long --inspect waits for one message")
	f.StringSliceVar(&opts.ignore, "ignore", nil, "model fields not compared, as JSON pointers: /media/caption,/contacts")
	f.IntVar(&opts.concurrency, "concurrency", conformance.DefaultConcurrency, "cases in flight at once (1 runs them one by one); a case that may kill the receiver always runs alone")
	f.IntVar(&opts.maxFailures, "max-failures", 0, "stop after this many failed cases and skip the rest (0: no limit)")
	f.DurationVar(&opts.budget, "budget", 0, "wall-time budget for the whole run: cases not started when it runs out are skipped, and the run exits 2 unless a case failed (0: none)")
	f.StringVar(&opts.corpus, "corpus", "", "replay the deliveries of this corpus directory (wahook proxy --record, wahook gen) as the recorded group")
	f.StringVar(&opts.verifyToken, "verify-token", "", "the token the receiver answers its provider's verification handshake for (meta's hub.verify_token): runs the handshake group")
	f.BoolVar(&opts.equivalent, "equivalent", false, "the receiver takes every provider's webhooks at --target: send each shared message in every format, and check it is understood alike")

	var profiles []string
	for _, p := range conformance.Profiles() {
		profiles = append(profiles, string(p))
	}
	mustRegister(cmd.RegisterFlagCompletionFunc("profile", cobra.FixedCompletions(profiles, cobra.ShellCompDirectiveNoFileComp)))
	return cmd
}

func providerNames() []string {
	var out []string
	for _, p := range schemas.Providers() {
		out = append(out, string(p))
	}
	return out
}

func (o conformOptions) config() (conformance.Config, error) {
	target, err := o.target()
	if err != nil {
		return conformance.Config{}, err
	}
	return conformance.Config{
		Target:     target,
		Profile:    conformance.Profile(o.profile),
		Run:        o.run,
		Seed:       o.seed,
		PayloadDir: o.payloadDir,
		Version:    versionString(),
		Program:    invokedAs(os.Args[0]),
		InspectURL: o.inspect, InspectTimeout: o.inspectTimeout, Ignore: o.ignore, Equivalent: o.equivalent, Corpus: o.corpus, VerifyToken: o.verifyToken,
		Concurrency: o.concurrency, MaxFailures: o.maxFailures, Budget: o.budget,
	}, nil
}

func runConform(ctx context.Context, opts conformOptions, stdout, stderr io.Writer) error {
	if opts.coverage {
		return printCoverage(opts, stdout)
	}
	if opts.list {
		if opts.junit != "" || opts.json != "" || opts.html != "" || opts.summaryMD != "" {
			return errors.New("conform: --list sends nothing: --junit, --json, --html and --summary-md do not apply")
		}
		return listCases(opts, stdout)
	}
	switch {
	case opts.url == "":
		return errors.New("conform: --target is required")
	case opts.provider == "":
		return fmt.Errorf("conform: --provider is required (one of %v)", schemas.Providers())
	}
	cfg, err := opts.config()
	if err != nil {
		return err
	}
	// The report files are reserved before the suite runs: a path that cannot be written is a usage
	// error found in a second, not after minutes of cases.
	outputs, err := outfile.Reserve(outfile.File{Name: junitReportName, Path: opts.junit}, outfile.File{Name: jsonReportName, Path: opts.json},
		outfile.File{Name: htmlReportName, Path: opts.html}, outfile.File{Name: markdownReportName, Path: opts.summaryMD})
	if err != nil {
		return reportFileError(err)
	}
	defer outputs.Discard()

	var progress func(conformance.Result)
	if !opts.quiet && isTerminal(stderr) {
		cases, err := conformance.Cases(cfg)
		if err != nil {
			return fmt.Errorf("conform: %w", flagError(err))
		}
		done, failed := 0, 0
		progress = func(res conformance.Result) {
			done++
			if res.Outcome == conformance.Fail {
				failed++
			}
			fmt.Fprintf(stderr, "\r\033[K[%d/%d] %d failed  %s", done, len(cases), failed, res.ID)
		}
		defer fmt.Fprint(stderr, "\r\033[K")
	}
	report, err := conformance.Execute(ctx, cfg, progress)
	if report == nil {
		return fmt.Errorf("conform: %w", flagError(err))
	}
	if progress != nil {
		fmt.Fprint(stderr, "\r\033[K")
	}
	printReport(stdout, report, opts.quiet)
	if werr := outputs.Commit(writeReport(report)); werr != nil {
		return reportFileError(werr)
	}
	switch {
	case err != nil:
		return fmt.Errorf("conform: %w", err)
	case report.Summary.Failed > 0:
		return errFindings
	case report.Summary.OverBudget > 0:
		return fmt.Errorf("conform: the run is incomplete: the budget of %v ran out with %d cases not run", opts.budget, report.Summary.OverBudget)
	}
	return nil
}

// suites is the command line's config for the suite of --provider, or for each provider's when none
// is given: what --list and --coverage go over.
func (o conformOptions) suites() ([]conformance.Config, error) {
	base, err := o.config()
	if err != nil {
		return nil, err
	}
	providers := schemas.Providers()
	if base.Provider != "" {
		providers = []schemas.Provider{base.Provider}
	}
	out := make([]conformance.Config, len(providers))
	for i, p := range providers {
		out[i] = base
		out[i].Provider = p
	}
	return out, nil
}

// printCoverage prints the value-class coverage of the suite of --provider (or of each provider).
func printCoverage(opts conformOptions, stdout io.Writer) error {
	if !slices.Contains(outputFormats, opts.output) {
		return fmt.Errorf("--output: unknown format %q (want text or json)", opts.output)
	}
	suites, err := opts.suites()
	if err != nil {
		return err
	}
	type row struct {
		Provider schemas.Provider `json:"provider"`
		conformance.CoverageRow
	}
	var rows []row
	for _, cfg := range suites {
		cov, err := conformance.Coverage(cfg)
		if err != nil {
			return fmt.Errorf("conform: %w", flagError(err))
		}
		for _, r := range cov {
			rows = append(rows, row{cfg.Provider, r})
		}
	}
	return printRows(stdout, opts.output, rows, "PROVIDER\tTYPE\tFIELD\tCLASS\tCASES\tFIRST", func(r row) string {
		return fmt.Sprintf("%s\t%s\t%s\t%s\t%d\t%s", r.Provider, r.Type, r.Field, r.Class, r.Cases, r.First)
	})
}

// listCases prints the ids and descriptions of the cases, of both providers when none is given.
func listCases(opts conformOptions, stdout io.Writer) error {
	suites, err := opts.suites()
	if err != nil {
		return err
	}
	var buf bytes.Buffer // nothing is printed if the list turns out empty
	tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	listed := 0
	for _, cfg := range suites {
		cases, err := conformance.Cases(cfg)
		if err != nil {
			return fmt.Errorf("conform: %w", flagError(err))
		}
		listed += len(cases)
		for _, c := range cases {
			desc := c.Description
			if c.Skip != "" {
				desc += " [skipped: " + c.Skip + "]"
			}
			fmt.Fprintf(tw, "%s\t%s\n", c.ID, desc)
		}
	}
	if listed == 0 {
		// As when running: a filter that picks nothing is a mistake, not an empty success.
		return fmt.Errorf("conform: %w: no case id matches run %q", conformance.ErrBadConfig, opts.run)
	}
	tw.Flush() // into buf, which cannot fail
	if _, err := buf.WriteTo(stdout); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// printReport writes the header, the failures, the notes, a line per group and, last, the summary line.
func printReport(w io.Writer, r *conformance.Report, quiet bool) {
	if !quiet {
		fmt.Fprintf(w, "wahook conform: %s, %s profile, %s, seed %d, %d cases in %.1fs\n",
			r.Provider, r.Profile, r.Target, r.Seed, len(r.Results), r.Duration.Seconds())
	}
	if r.Hint != "" {
		fmt.Fprintf(w, "hint: %s\n", r.Hint)
	}
	for _, res := range r.Failures() {
		fmt.Fprintf(w, "\nFAIL %s\n", res.ID)
		for _, line := range strings.Split(r.Details(res), "\n") {
			fmt.Fprintf(w, "    %s\n", line)
		}
	}
	if len(r.Failures()) > 0 {
		fmt.Fprintln(w)
	}
	skips := map[string]int{}
	var skipOrder []string
	for _, res := range r.Results {
		if res.Outcome == conformance.Skip {
			if skips[res.Reason] == 0 {
				skipOrder = append(skipOrder, res.Reason)
			}
			skips[res.Reason]++
		}
	}
	for _, reason := range skipOrder {
		fmt.Fprintf(w, "skipped %d: %s\n", skips[reason], cliReason.Replace(reason))
	}
	for _, note := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", note)
	}
	if r.PayloadDir != "" {
		fmt.Fprintf(w, "payloads of the failing cases: %s\n", r.PayloadDir)
	}
	var groups []string
	skipped, groupSkip := map[conformance.Group]int{}, map[conformance.Group]string{}
	for _, res := range r.Results {
		if res.Outcome == conformance.Skip {
			skipped[res.Group]++
			groupSkip[res.Group] = shortReason(res.Reason)
		}
	}
	for _, g := range conformance.Groups() {
		total, passed := 0, 0
		for _, res := range r.Results {
			if res.Group == g {
				total++
				if res.Outcome == conformance.Pass {
					passed++
				}
			}
		}
		switch {
		case total > 0 && skipped[g] == total:
			groups = append(groups, fmt.Sprintf("%s skipped (%s)", g, groupSkip[g]))
		case total > 0:
			groups = append(groups, fmt.Sprintf("%s %d/%d", g, passed, total))
		}
	}
	if !quiet {
		var lat []string
		for _, g := range conformance.Groups() {
			if p50, p99, longest := r.GroupLatency(g); longest > 0 {
				lat = append(lat, fmt.Sprintf("%s %v/%v/%v", g, roundLatency(p50), roundLatency(p99), roundLatency(longest)))
			}
		}
		if len(lat) > 0 {
			fmt.Fprintf(w, "latency by group, p50/p99/max: %s\n", strings.Join(lat, ", "))
		}
	}
	fmt.Fprintf(w, "passed by group: %s\n", strings.Join(groups, ", "))
	fmt.Fprintln(w, r.Summary)
}

// cliReason words the suite's reasons for the command line: flags where the library names Config
// fields.
var cliReason = strings.NewReplacer("(Config.Credentials or Config.Header)", "(--auth-user/--auth-token, --app-secret or --header)",
	"(Config.VerifyToken)", "(--verify-token)")

// shortReason is a skip reason short enough for the line of groups: "no credentials", not why.
func shortReason(reason string) string {
	short, _, _ := strings.Cut(reason, " (")
	short = strings.TrimSuffix(strings.TrimPrefix(short, "not run: "), " given")
	return short
}

// roundLatency rounds d for reading: to 0.1 ms below a second, to 10 ms above.
func roundLatency(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(10 * time.Millisecond)
}

// The names of the report files, for messages, and the flags that ask for them.
const (
	junitReportName    = "junit report"
	jsonReportName     = "json report"
	htmlReportName     = "html report"
	markdownReportName = "markdown summary"
)

var reportFlags = map[string]string{junitReportName: "--junit", jsonReportName: "--json", htmlReportName: "--html", markdownReportName: "--summary-md"}

// writeReport writes r as the report file f asks for.
func writeReport(r *conformance.Report) func(f outfile.File, w io.Writer) error {
	return func(f outfile.File, w io.Writer) error {
		switch f.Name {
		case junitReportName:
			return r.WriteJUnit(w)
		case htmlReportName:
			return r.WriteHTML(w)
		case markdownReportName:
			return r.WriteMarkdown(w)
		}
		return r.WriteJSON(w)
	}
}

// reportFileError names the flag of a report file that cannot be written.
func reportFileError(err error) error {
	var fileErr *outfile.Error
	if errors.As(err, &fileErr) {
		return fmt.Errorf("%s %s: %w", reportFlags[fileErr.Name], fileErr.Path, fileErr.Err)
	}
	return err
}
