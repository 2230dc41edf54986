package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wahook/wahook/fuzz"
	"github.com/wahook/wahook/internal/engine"
	"github.com/wahook/wahook/internal/outfile"
)

// fuzzOptions is what the fuzz command line asks for.
type fuzzOptions struct {
	targetFlags
	duration              time.Duration
	count                 uint64
	html                  string
	countGiven            bool
	seed                  uint64
	workers               int
	out                   string
	quiet                 bool
	mediaBaseURL          string
	maxFindings, minimise int
	// deep verification
	inspect        string
	inspectTimeout time.Duration
	ignore         []string
}

func newFuzzCmd() *cobra.Command {
	opts := fuzzOptions{seed: 1, workers: 4, out: "wahook-crashes"}
	cmd := &cobra.Command{
		Use:   "fuzz --target URL --provider P [--duration D | --count N] [flags]",
		Short: "Fuzz a receiver until it breaks, and write minimised reproducers",
		Long: `Fuzz sends a seeded stream of payloads to the receiver at --target: schema-aware variations of valid
payloads of every type (edge values, wrong types, extra fields, every documented quirk form), the
mutation catalogue, and byte-level mutations (flips, truncation, insertions, splices, repeated keys).

A 5xx, a timeout, a dropped connection, a receiver that stops answering, or a 4xx to a payload the
provider can send is a finding; with --inspect (as for wahook conform), so is a 2xx to a payload the
provider can send that the receiver then reports having misread (a "misread" finding, one per field).
Each new finding is confirmed and minimised. Findings are deduplicated: a receiver broken one way
yields one finding, however many inputs hit it (a key the schema does not know is one class, whatever
its spelling). When the run ends they are ranked, most inputs first, and the top --max-findings are
written to --out as reproducers: payload.json (minimised), original.json, up to three other inputs in
examples/, headers.txt, finding.json and reproduce.sh (a curl command).

Fuzzing stops at --duration or --count, when the receiver dies, or on Ctrl-C; what was found is
written in every case.

Exit status: 0 when nothing was found, 1 when anything was, 2 when fuzz could not run (bad usage, an
unreachable target or no HTTP answer to a valid message, or a valid message not acked).`,
		Example: `  wahook fuzz --target http://127.0.0.1:8080/webhook --provider itniotech --duration 1m
  wahook fuzz --target http://127.0.0.1:8080/webhook --provider innopaas --count 20000 --seed 7 \
      --auth-user acme --auth-token 'Bearer s3cret' --out ./crashes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("duration") && cmd.Flags().Changed("count") {
				return errors.New("give --duration or --count, not both")
			}
			opts.countGiven = cmd.Flags().Changed("count")
			if err := refuseEmptyCredentials(cmd); err != nil {
				return err
			}
			return runFuzz(cmd.Context(), opts, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	addTargetFlags(cmd, &opts.targetFlags, targetUsage{
		url:      "the receiver's URL (http or https)",
		provider: "provider to act as",
		header:   "extra header 'Name: value' sent with every request (repeatable)",
	})
	f := cmd.Flags()
	f.Lookup("timeout").Usage = "bound on each request; no answer in time is a finding"
	f.DurationVar(&opts.duration, "duration", 30*time.Second, "how long to fuzz")
	f.Uint64Var(&opts.count, "count", 0, "how many payloads to send (instead of --duration)")
	f.Uint64Var(&opts.seed, "seed", opts.seed, "run seed: the same seed sends the same payloads")
	f.IntVar(&opts.workers, "workers", opts.workers, "requests in flight at once")
	f.StringVar(&opts.out, "out", opts.out, "directory for reproducers")
	f.StringVar(&opts.html, "html", "", "write a self-contained HTML report of the findings to this file")
	f.BoolVar(&opts.quiet, "quiet", false, "no live status line")
	f.StringVar(&opts.mediaBaseURL, "media-base-url", "", "prefix of media links in payloads")
	f.IntVar(&opts.maxFindings, "max-findings", fuzz.DefaultMaxFindings, "findings to keep and write, those most inputs hit first; the rest are reported as dropped")
	f.IntVar(&opts.minimise, "minimise-budget", 0, "requests spent minimising each finding (default 400)")
	f.StringVar(&opts.inspect, "inspect", "", "after each acknowledged payload the provider could send, GET this URL ({id} is the message id) for what the receiver understood, in wahook's message model, and report each field it misread")
	f.DurationVar(&opts.inspectTimeout, "inspect-timeout", 5*time.Second, "how long --inspect waits for one message")
	f.StringSliceVar(&opts.ignore, "ignore", nil, "model fields --inspect does not compare, as JSON pointers: /media/caption")
	mustRegister(cmd.MarkFlagRequired("target"))
	mustRegister(cmd.MarkFlagRequired("provider"))
	mustRegister(cmd.MarkFlagDirname("out"))
	return cmd
}

// refuseZero refuses a flag given as 0 where fuzz.Options reads 0 as its default: the flag's own
// default already stands for that, so a 0 typed on the command line cannot mean what it says. What
// is wrong whatever the caller (a negative bound, an unusable --out) is fuzz.Run's to refuse.
func (o fuzzOptions) refuseZero() error {
	switch {
	case o.duration == 0:
		return errors.New("--duration: must be positive, got 0s")
	case o.countGiven && o.count == 0:
		return errors.New("--count: must be at least 1, got 0")
	case o.workers == 0:
		return errors.New("--workers: must be at least 1, got 0")
	case o.timeout == 0:
		return errors.New("--timeout: must be positive, got 0s")
	}
	return nil
}

func runFuzz(ctx context.Context, opts fuzzOptions, stdout, stderr io.Writer) error {
	target, err := opts.target()
	if err != nil {
		return err
	}
	if err := opts.refuseZero(); err != nil {
		return err
	}
	// Reserved before any traffic: an unwritable path is a usage error found at once.
	outputs, err := outfile.Reserve(outfile.File{Name: "html report", Path: opts.html})
	if err != nil {
		var fileErr *outfile.Error
		if errors.As(err, &fileErr) {
			return fmt.Errorf("--html %s: %w", fileErr.Path, fileErr.Err)
		}
		return err
	}
	defer outputs.Discard()
	fopts := fuzz.Options{
		Target: target, Seed: opts.seed, Workers: opts.workers, Out: opts.out,
		Version: versionString(), MediaBaseURL: opts.mediaBaseURL, MaxFindings: opts.maxFindings,
		MinimiseBudget: opts.minimise, Duration: opts.duration,
		InspectURL: opts.inspect, InspectTimeout: opts.inspectTimeout, Ignore: opts.ignore,
	}
	if opts.count > 0 {
		fopts.Count, fopts.Duration = opts.count, 0
	}
	live := !opts.quiet && isTerminal(stderr)
	if live {
		fopts.OnProgress = func(s fuzz.Stats) {
			fmt.Fprintf(stderr, "\r\033[Kfuzzing %s: %d sent, %.0f/s, %d findings, %s", opts.url, s.Sent, s.Rate, s.Findings, s.Elapsed.Truncate(time.Second))
		}
	}
	// fuzz.Run checks the options before it sends anything, then whether the target acks a valid
	// message: a usage error, or a target that is unreachable or gives no answer, comes back before
	// any fuzzing traffic.
	rep, err := fuzz.Run(ctx, fopts)
	if live {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if errors.Is(err, fuzz.ErrBadOptions) || errors.Is(err, engine.ErrBadOptions) {
		return flagError(err)
	}
	if rep != nil {
		// Printed even when the run stopped on an error (a reproducer it could not write): what was
		// found is still worth telling.
		printFuzzReport(stdout, rep)
		if werr := outputs.Commit(func(_ outfile.File, w io.Writer) error { return rep.WriteHTML(w) }); werr != nil {
			return fmt.Errorf("--html: %w", werr)
		}
	}
	if err != nil {
		return fmt.Errorf("fuzz: %w", err)
	}
	if len(rep.Findings) > 0 {
		return errFindings
	}
	return nil
}

func printFuzzReport(w io.Writer, rep *fuzz.Report) {
	for _, fd := range rep.Findings {
		fmt.Fprintf(w, "FINDING %s: %s\n", fd.Signature, fuzzOutcomeText(fd))
		fmt.Fprintf(w, "  first input: #%d, %s (%d inputs hit it)\n", fd.Index, fd.Origin, fd.Hits)
		switch {
		case fd.Outcome == fuzz.OutcomeDied:
			fmt.Fprintf(w, "  candidates: %s\n", fd.Note)
		case fd.Confirmed && len(fd.Minimised) >= len(fd.Original):
			fmt.Fprintf(w, "  not minimised: no smaller payload reproduced within the budget (%d bytes)\n", len(fd.Original))
		case fd.Confirmed:
			fmt.Fprintf(w, "  minimised: %d bytes (from %d)\n", len(fd.Minimised), len(fd.Original))
		default:
			fmt.Fprintf(w, "  %s (%d bytes)\n", fd.Note, len(fd.Original))
		}
		if fd.Dir != "" {
			fmt.Fprintf(w, "  reproduce: sh %s/reproduce.sh\n", fd.Dir)
		}
	}
	state := "done"
	switch {
	case rep.Died:
		state = "stopped: the receiver stopped answering"
	case rep.Interrupted:
		state = "interrupted"
	}
	if len(rep.Findings) > 0 {
		counts := map[fuzz.Outcome]int{}
		var kinds []fuzz.Outcome
		for _, fd := range rep.Findings {
			if counts[fd.Outcome] == 0 {
				kinds = append(kinds, fd.Outcome)
			}
			counts[fd.Outcome]++
		}
		parts := make([]string, len(kinds))
		for i, k := range kinds {
			parts[i] = fmt.Sprintf("%s %d", k, counts[k])
		}
		fmt.Fprintf(w, "findings by kind: %s\n", strings.Join(parts, ", "))
	}
	if rep.Dropped > 0 {
		fmt.Fprintf(w, "%d more findings, hit by fewer inputs, dropped (--max-findings)\n", rep.Dropped)
	}
	fmt.Fprintf(w, "fuzz %s: %d payloads in %s (%.0f/s), %d findings\n", state, rep.Sent, rep.Elapsed.Truncate(time.Millisecond), rep.Rate, len(rep.Findings))
}

func fuzzOutcomeText(fd *fuzz.Finding) string {
	switch fd.Outcome {
	case fuzz.Outcome5xx:
		return fmt.Sprintf("answered %d", fd.Status)
	case fuzz.OutcomeRejectedValid:
		return fmt.Sprintf("answered %d to a payload the provider can send", fd.Status)
	case fuzz.OutcomeTimeout:
		return "no answer within the timeout"
	case fuzz.OutcomeDropped:
		return "closed the connection without an answer"
	case fuzz.OutcomeMisread:
		return fmt.Sprintf("answered %d but misread %s", fd.Status, strings.Join(fd.Misread, "; "))
	}
	return "stopped answering"
}
