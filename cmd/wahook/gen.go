package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/wahook/wahook/internal/corpus"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// genOptions is what the gen command line asks for.
type genOptions struct {
	out           string
	provider      string   // all or one of schemas.Providers
	types         []string // all, or message types
	count         uint64
	countSet      bool // --count given; otherwise one payload per (provider, type) pair
	seed          uint64
	quirks        string
	mediaBaseURL  string
	malformed     bool
	skipMutations []string
	firstType     bool
	sameMessage   bool
	format        string
	force         bool
	quiet         bool
}

// allValues selects every provider or every type.
const allValues = "all"

func newGenCmd() *cobra.Command {
	opts := genOptions{
		provider: allValues, types: []string{allValues}, seed: 1, format: string(corpus.Files),
		quirks: string(mockprovider.QuirksMix), mediaBaseURL: mockprovider.DefaultMediaBaseURL,
	}
	cmd := &cobra.Command{
		Use:   "gen --out DIR [flags]",
		Short: "Write a corpus of generated webhook payloads and its manifest",
		Long: `Gen writes generated webhook payloads to DIR, with DIR/manifest.jsonl describing each one: its
provider, message type, index, mutation, what a receiver should do with it (accept, reject, tolerate),
the run's seed, quirk mode and media base URL (with the index, all it takes to regenerate it alone),
and the SHA-256 of its bytes.

Valid payloads are dealt in turn to every selected (provider, type) pair: --count 50 with two pairs
writes 25 of each. With --format files each is DIR/<provider>/<type>/<NNNNNN>.json; with --format jsonl
each provider's are the lines of DIR/<provider>.jsonl. --malformed adds one payload for every mutation
of the catalogue (see wahook list mutations) and every selected type it applies to, always as a file
of its own, DIR/<provider>/malformed/<mutation>/<type>.json, because many are not one line of JSON.

Where a provider's document shows a field one way in its examples and another in its tables (the
quirks), --quirks chooses: mix draws the form per payload, example and table always write that one.
Media links point under --media-base-url, where wahook serve hosts the exact bytes they announce.

--same-message writes one message in the format of every provider, for a receiver that serves more
than one: DIR/innopaas/text/000000.json, DIR/itniotech/text/000000.json and DIR/meta/text/000000.json
say the same (sender, time, text, attachment, location, cards), each with its provider's own ids, and a
receiver should store the same thing for each. It covers the types two or more providers have, in the
format of each that has them; the manifest marks the entries
"sameMessage": true.

The same flags write the same bytes. The manifest is renamed into place last, so an interrupted run
leaves no manifest.jsonl.

Exit status: 0 when the corpus is written, 2 when it could not be (bad usage, an unwritable or non-empty
DIR without --force, interrupted).`,
		Example: `  wahook gen --out corpus
  wahook gen --out corpus --provider itniotech --type text,image --count 1000 --malformed
  wahook gen --out corpus --format jsonl --count 1000000 --seed 7 --force --quiet
  wahook gen --out corpus --quirks table --media-base-url http://127.0.0.1:9000
  wahook gen --out corpus --same-message --count 100`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.countSet = cmd.Flags().Changed("count")
			return runGen(cmd.Context(), opts, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.out, "out", "", "directory to write the corpus to (created if missing)")
	f.StringVar(&opts.provider, "provider", opts.provider, "provider: all or one of "+fmt.Sprint(schemas.Providers()))
	f.StringSliceVar(&opts.types, "type", opts.types, "message types, comma-separated, or all; "+typesHelp())
	f.Uint64Var(&opts.count, "count", 0, "valid payloads in all, dealt in turn to each (provider, type) pair (default one per pair)")
	f.Uint64Var(&opts.seed, "seed", opts.seed, "run seed: the same seed writes the same corpus")
	f.StringVar(&opts.quirks, "quirks", opts.quirks, "documented quirk forms: mix (drawn per payload), example (as the documents' examples) or table (as their tables)")
	f.StringVar(&opts.mediaBaseURL, "media-base-url", opts.mediaBaseURL, "prefix of media links in payloads (where wahook serve hosts them)")
	f.BoolVar(&opts.malformed, "malformed", false, "also write one payload per mutation and message type")
	f.StringSliceVar(&opts.skipMutations, "skip-mutation", nil, "mutation ids to leave out of --malformed, comma-separated")
	f.BoolVar(&opts.firstType, "systematic-first-type", false, "apply each systematic mutation to the first type it applies to only")
	f.BoolVar(&opts.sameMessage, "same-message", false, "write each message in every provider's format, under the same number; --count counts messages (default one per type every provider has)")
	f.StringVar(&opts.format, "format", opts.format, "layout of valid payloads: files or jsonl")
	f.BoolVar(&opts.force, "force", false, "write into a non-empty directory, replacing its manifest and files of the same names")
	f.BoolVarP(&opts.quiet, "quiet", "q", false, "print nothing on success: no progress bar, no summary")
	mustRegister(cmd.MarkFlagRequired("out"))
	mustRegister(cmd.MarkFlagDirname("out"))

	mustRegister(cmd.RegisterFlagCompletionFunc("provider", cobra.FixedCompletions(providerChoices(), cobra.ShellCompDirectiveNoFileComp)))
	mustRegister(cmd.RegisterFlagCompletionFunc("type", completeTypes))
	mustRegister(cmd.RegisterFlagCompletionFunc("quirks", cobra.FixedCompletions(quirkChoices(), cobra.ShellCompDirectiveNoFileComp)))
	mustRegister(cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(corpus.Formats(), cobra.ShellCompDirectiveNoFileComp)))
	mustRegister(cmd.RegisterFlagCompletionFunc("skip-mutation", completeMutations))
	return cmd
}

// providerChoices is "all" and every provider, for --provider.
func providerChoices() []string {
	out := []string{allValues}
	for _, p := range schemas.Providers() {
		out = append(out, string(p))
	}
	return out
}

// quirkChoices are the values of --quirks.
func quirkChoices() []string {
	var out []string
	for _, q := range mockprovider.QuirkModes() {
		out = append(out, string(q))
	}
	return out
}

// typesHelp lists each provider's message types from the catalogue, for --type's help.
func typesHelp() string {
	var parts []string
	for _, p := range mockprovider.Providers() {
		parts = append(parts, string(p.Name)+": "+strings.Join(p.Types(), ","))
	}
	return strings.Join(parts, "; ")
}

// flagProviders is the providers a command's --provider flag selects: the one it names, or every
// provider for "all" or a name that is no provider (completion runs before validation).
func flagProviders(cmd *cobra.Command) []*mockprovider.Provider {
	name, _ := cmd.Flags().GetString("provider")
	if p, err := mockprovider.Lookup(schemas.Provider(name)); err == nil {
		return []*mockprovider.Provider{p}
	}
	return mockprovider.Providers()
}

// completeTypes completes --type from the catalogue of the providers --provider selects. The flag is
// a comma-separated list: the types already given before the last comma are kept as the prefix of
// each candidate and not offered again, and "all" is offered only as the first and only value.
func completeTypes(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	done, partial := "", toComplete
	if i := strings.LastIndexByte(toComplete, ','); i >= 0 {
		done, partial = toComplete[:i+1], toComplete[i+1:]
	}
	given := strings.Split(strings.TrimSuffix(done, ","), ",")
	var out []cobra.Completion
	if done == "" && strings.HasPrefix(allValues, partial) {
		out = append(out, allValues)
	}
	if slices.Contains(given, allValues) {
		return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
	for _, p := range flagProviders(cmd) {
		for _, t := range p.Types() {
			c := done + t
			if strings.HasPrefix(t, partial) && !slices.Contains(given, t) && !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	// No space after a type: another may follow after a comma.
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// typeCatalogue is every message type of any provider, in provider order, each once.
func typeCatalogue() []string {
	var out []string
	for _, p := range mockprovider.Providers() {
		for _, t := range p.Types() {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

func completeMutations(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var out []cobra.Completion
	for _, p := range mockprovider.Providers() {
		muts, err := mockprovider.Mutations(p.Name)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		for _, m := range muts {
			if !m.Systematic && !slices.Contains(out, m.ID) {
				out = append(out, m.ID)
			}
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// parseProviders turns --provider into a selection; nil means all.
func parseProviders(name string) ([]schemas.Provider, error) {
	if name == allValues {
		return nil, nil
	}
	p, err := schemas.ParseProvider(name, false)
	if err != nil {
		return nil, fmt.Errorf("--provider: %w", err)
	}
	return []schemas.Provider{p}, nil
}

// parseTypes turns --type into a selection; nil means all.
func parseTypes(types []string) ([]string, error) {
	var out []string
	for _, t := range types {
		t = strings.TrimSpace(t)
		switch {
		case t == allValues && len(types) == 1:
			return nil, nil
		case t == allValues:
			return nil, errors.New("--type: all cannot be combined with other types")
		case t == "":
			return nil, errors.New("--type: empty type name")
		case !slices.Contains(out, t):
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("--type: no type given")
	}
	return out, nil
}

// pairCount is the number of (provider, type) pairs a selection covers: the default --count.
func pairCount(providers []schemas.Provider, types []string) uint64 {
	var n uint64
	for _, p := range mockprovider.Providers() {
		if providers != nil && !slices.Contains(providers, p.Name) {
			continue
		}
		for _, t := range p.Types() {
			if types == nil || slices.Contains(types, t) {
				n++
			}
		}
	}
	return n
}

// sameTypeCount is the number of selected types a same-message corpus covers: its default --count.
func sameTypeCount(types []string) uint64 {
	var n uint64
	for _, t := range mockprovider.SameMessageTypes() {
		if types == nil || slices.Contains(types, t) {
			n++
		}
	}
	return n
}

// isTerminal reports whether w is a terminal; a variable so that tests can draw the progress bar.
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func runGen(ctx context.Context, opts genOptions, stdout, stderr io.Writer) error {
	providers, err := parseProviders(opts.provider)
	if err != nil {
		return err
	}
	types, err := parseTypes(opts.types)
	if err != nil {
		return err
	}
	count := opts.count
	switch {
	case opts.countSet:
	case opts.sameMessage:
		count = sameTypeCount(types)
	default:
		count = pairCount(providers, types)
	}
	copts := corpus.Options{
		Dir: opts.out, Providers: providers, Types: types, Count: count, Seed: opts.seed,
		Quirks: mockprovider.QuirkMode(opts.quirks), MediaBaseURL: opts.mediaBaseURL, Malformed: opts.malformed, SkipMutations: opts.skipMutations,
		SystematicFirstType: opts.firstType, SameMessage: opts.sameMessage, Format: corpus.Format(opts.format), Force: opts.force,
	}

	var bar *progressbar.ProgressBar
	if !opts.quiet && isTerminal(stderr) {
		copts.Progress = func(done, total uint64) {
			if bar == nil {
				bar = newProgressBar(stderr, total)
			}
			_ = bar.Set64(int64(done))
		}
	}
	defer tuneGC()()
	start := time.Now()
	sum, err := corpus.Write(ctx, copts)
	if bar != nil {
		_ = bar.Clear()
	}
	// A signal that arrives once Write has returned with the manifest in place changes nothing on disk:
	// the corpus is complete, and says so.
	if err != nil {
		return genError(ctx, err, opts)
	}
	if !opts.quiet {
		fmt.Fprintf(stdout, "wrote %d payloads (%d malformed) to %s in %.1fs\n",
			sum.Payloads, sum.Malformed, opts.out, time.Since(start).Seconds())
	}
	return nil
}

// genFlags names the flag that sets each corpus.Options field, so that an option corpus refuses is
// reported as the flag the user typed.
var genFlags = map[string]string{
	"Dir": "--out", "Format": "--format", "Count": "--count", "Quirks": "--quirks",
	"MediaBaseURL": "--media-base-url", "Types": "--type", "SkipMutations": "--skip-mutation",
	"SameMessage": "--same-message",
}

// genError words an error of corpus.Write for the command line: the validity checks are corpus's,
// the flag names gen's.
func genError(ctx context.Context, err error, opts genOptions) error {
	var optErr *corpus.OptionError
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("interrupted: %w", ctx.Err())
	case errors.As(err, &optErr) && genFlags[optErr.Field] != "":
		return fmt.Errorf("%s: %w", genFlags[optErr.Field], optErr.Err)
	case errors.Is(err, corpus.ErrNothingToWrite) && !opts.malformed:
		return errors.New("--count 0 writes nothing without --malformed")
	case errors.Is(err, corpus.ErrNothingToWrite):
		return errors.New("--count 0 writes nothing when --skip-mutation leaves out every mutation")
	case errors.Is(err, corpus.ErrUnfinishedRun):
		return fmt.Errorf("%w (--force starts over)", err)
	case errors.Is(err, corpus.ErrDirNotEmpty):
		return fmt.Errorf("%w (use --force to write into it)", err)
	}
	return err
}

// genMemoryLimit is the heap gen lets the garbage collector wait for. Generating allocates some 700
// bytes per payload and keeps almost none of it, so with the default GOGC=100 and a live heap of about
// 4 MiB the collector would run every seven thousand payloads (137 times for a million, against 20) and
// cost a tenth more CPU; waiting until the heap reaches this soft limit instead keeps memory flat, at
// this size, whatever the count.
const genMemoryLimit = 40 << 20

// tuneGC sets the collector for gen, unless GOGC or GOMEMLIMIT says otherwise, and returns the
// function that restores it.
func tuneGC() (restore func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	limit := debug.SetMemoryLimit(genMemoryLimit)
	percent := debug.SetGCPercent(-1)
	return func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	}
}

func newProgressBar(w io.Writer, total uint64) *progressbar.ProgressBar {
	return progressbar.NewOptions64(int64(total),
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("generating"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("payloads"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetWidth(30),
	)
}
