package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"

	"github.com/spf13/cobra"

	"github.com/wahook/wahook/internal/jsoninput"
	"github.com/wahook/wahook/internal/regularfile"
	"github.com/wahook/wahook/schemas"
)

// validateOptions is what the validate command line asks for.
type validateOptions struct {
	provider      string // auto or one of schemas.Providers
	strict        bool
	output        string // text or json
	maxBytes      int
	maxViolations int      // listed per payload; the rest are counted
	files         []string // "-" is stdin
}

const stdinName = "-"

var outputFormats = []string{"text", "json"}

func newValidateCmd() *cobra.Command {
	opts := validateOptions{provider: string(schemas.Auto), output: "text", maxBytes: schemas.DefaultMaxBytes,
		maxViolations: schemas.DefaultMaxViolations}
	cmd := &cobra.Command{
		Use:   "validate [flags] FILE... | -",
		Short: "Check webhook payloads against the providers' documented formats",
		Long: `Validate checks each FILE (or stdin, given as -) against the JSON Schema of its provider's inbound
webhook format and prints one line per problem, up to --max-violations per payload (checking stops
there, so that a hostile payload costs bounded time), then a line saying how many more were found.

Exit status: 0 when every payload is valid, 1 when any is invalid, 2 when the command could not run
(bad usage or an unreadable file).`,
		Example: `  wahook validate fixtures/documented/innopaas/text.json fixtures/documented/itniotech/image.json
  wahook validate fixtures/documented/*/*.json   # exits 1: the *.verbatim.json examples are broken as printed
  curl -s https://example.com/hook | wahook validate --provider itniotech -
  wahook validate --strict --output json payload.json`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return errors.New("validate: no files given (use - to read stdin)")
			}
			if n := count(args, stdinName); n > 1 {
				return fmt.Errorf("validate: stdin (-) given %d times", n)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.files = args
			return runValidate(cmd.Context(), opts, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.provider, "provider", opts.provider, "payload format: auto (recognise by envelope) or one of "+fmt.Sprint(schemas.Providers()))
	f.BoolVar(&opts.strict, "strict", false, "also reject properties the provider does not document")
	f.StringVarP(&opts.output, "output", "o", opts.output, "output format: text or json")
	f.IntVar(&opts.maxViolations, "max-violations", opts.maxViolations, "violations to list per payload")

	providers := []string{string(schemas.Auto)}
	for _, p := range schemas.Providers() {
		providers = append(providers, string(p))
	}
	mustRegister(cmd.RegisterFlagCompletionFunc("provider", cobra.FixedCompletions(providers, cobra.ShellCompDirectiveNoFileComp)))
	mustRegister(cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(outputFormats, cobra.ShellCompDirectiveNoFileComp)))
	return cmd
}

func mustRegister(err error) {
	if err != nil {
		panic(err) // a flag name typo: caught by any test that builds the command
	}
}

// fileResult is the verdict on one input, as --output json prints it.
type fileResult struct {
	File       string              `json:"file"` // as given; "-" is stdin
	Provider   schemas.Provider    `json:"provider"`
	Valid      bool                `json:"valid"`
	Violations []schemas.Violation `json:"violations"`
	Omitted    int                 `json:"omitted,omitempty"`   // violations found but not listed
	Truncated  bool                `json:"truncated,omitempty"` // checking stopped at --max-violations
	Error      string              `json:"error,omitempty"`     // the input could not be read
}

func runValidate(ctx context.Context, opts validateOptions, stdin io.Reader, stdout, stderr io.Writer) error {
	p, err := schemas.ParseProvider(opts.provider, true)
	if err != nil {
		return fmt.Errorf("--provider: %w", err)
	}
	if !slices.Contains(outputFormats, opts.output) {
		return fmt.Errorf("--output: unknown format %q (want text or json)", opts.output)
	}
	if opts.maxViolations < 1 {
		return fmt.Errorf("--max-violations: %d, want at least 1", opts.maxViolations)
	}
	v, err := schemas.New(schemas.Options{Strict: opts.strict, MaxBytes: opts.maxBytes, MaxViolations: opts.maxViolations})
	if err != nil {
		return err
	}

	results := make([]fileResult, 0, len(opts.files))
	for _, name := range opts.files {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("interrupted: %w", err)
		}
		res, err := validateFile(ctx, v, p, name, opts.maxBytes, stdin)
		if err != nil {
			return err
		}
		if res.Error != "" {
			fmt.Fprintf(stderr, "wahook: %s: %s\n", displayName(name), res.Error)
		}
		if opts.output == "text" {
			printText(stdout, res, opts.maxViolations)
		}
		results = append(results, res)
	}
	if opts.output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
	}

	switch {
	case slices.ContainsFunc(results, func(r fileResult) bool { return r.Error != "" }):
		return errReported
	case slices.ContainsFunc(results, func(r fileResult) bool { return !r.Valid }):
		return errFindings
	}
	return nil
}

// validateFile reads and checks one input. Read failures land in the result's Error; the returned error
// is only for an interrupt or a bug.
func validateFile(ctx context.Context, v *schemas.Validator, p schemas.Provider, name string, maxBytes int, stdin io.Reader) (fileResult, error) {
	res := fileResult{File: name, Violations: []schemas.Violation{}}
	payload, tooLarge, err := readInput(ctx, name, maxBytes, stdin)
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return res, fmt.Errorf("interrupted: %w", err)
	case err != nil:
		res.Error = describeReadError(err)
		return res, nil
	case tooLarge:
		if p != schemas.Auto {
			res.Provider = p
		}
		res.Violations = append(res.Violations, schemas.Violation{
			Keyword: schemas.KeywordInput,
			Message: fmt.Sprintf("%v: more than %d bytes", jsoninput.ErrTooLarge, maxBytes),
		})
		return res, nil
	}
	report, err := v.Validate(p, payload)
	if err != nil {
		return res, err
	}
	res.Provider = report.Provider
	res.Violations = append(res.Violations, report.Violations...)
	res.Omitted, res.Truncated = report.Omitted, report.Truncated
	res.Valid = report.Valid()
	return res, nil
}

// readInput reads at most maxBytes+1 bytes of a file or stdin, so that an oversized input is noticed
// without being read whole. It gives up when ctx is done, even while stdin blocks.
func readInput(ctx context.Context, name string, maxBytes int, stdin io.Reader) (payload []byte, tooLarge bool, err error) {
	r := stdin
	if name != stdinName {
		f, err := regularfile.Open(name)
		if err != nil {
			return nil, false, err
		}
		defer f.Close()
		r = f
	}
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := io.ReadAll(io.LimitReader(r, int64(maxBytes)+1))
		done <- result{b, err}
	}()
	select {
	case <-ctx.Done():
		return nil, false, ctx.Err()
	case res := <-done:
		if res.err != nil {
			return nil, false, res.err
		}
		return res.b, len(res.b) > maxBytes, nil
	}
}

// describeReadError drops the operation and path from a *fs.PathError: the caller names the file.
func describeReadError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func printText(w io.Writer, res fileResult, maxViolations int) {
	name := displayName(res.File)
	switch {
	case res.Error != "":
		// reported on stderr
	case res.Valid:
		fmt.Fprintf(w, "%s: valid (%s)\n", name, res.Provider)
	default:
		for _, v := range res.Violations {
			fmt.Fprintf(w, "%s: %s\n", name, v)
		}
		switch {
		case res.Truncated:
			fmt.Fprintf(w, "%s: ... and at least %d more (checking stopped at --max-violations %d)\n", name, max(res.Omitted, 1), maxViolations)
		case res.Omitted > 0:
			fmt.Fprintf(w, "%s: ... and %d more (--max-violations %d)\n", name, res.Omitted, maxViolations)
		}
	}
}

func displayName(name string) string {
	if name == stdinName {
		return "<stdin>"
	}
	return name
}

func count(list []string, s string) int {
	n := 0
	for _, e := range list {
		if e == s {
			n++
		}
	}
	return n
}
