package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/wahook/wahook/internal/engine"
	"github.com/wahook/wahook/internal/server"
	"github.com/wahook/wahook/proxy"
	"github.com/wahook/wahook/schemas"
)

// proxyOptions is what the proxy command line asks for.
type proxyOptions struct {
	listen, forward, provider, record string
	strict, quiet, redact, force      bool
	maxBody                           int64
	timeout                           time.Duration
}

func newProxyCmd() *cobra.Command {
	opts := proxyOptions{listen: "127.0.0.1:9090", provider: string(schemas.Auto)}
	cmd := &cobra.Command{
		Use:   "proxy --forward URL [flags]",
		Short: "Stand between the real provider and your receiver: forward every webhook, and say what the documents do not",
		Long: `Proxy listens on --listen and forwards every request to the receiver at --forward byte for byte
(method, the path and query appended to --forward, headers, body), and the receiver's answer back
unchanged, so the provider sees the receiver as before. A body over --max-body is answered 413 and
not forwarded; a receiver that does not answer within --timeout gets the sender a 502.

Each delivery prints a line: time, provider, message type, message id, the receiver's status, the
latency, and "valid" or the schema's violations (with --strict, undocumented properties too). On
Ctrl-C, or at GET /v1/drift while it runs, a drift summary: the violations by JSON pointer, the keys
no document shows with a value seen, the message types none defines, and which form of each documented
quirk the deliveries came in. That summary is what the schemas and schemas/QUIRKS.md need, from the
provider's real traffic.

With --record DIR every delivery is written as it arrives, in wahook gen's layout and manifest
(DIR/<provider>/<type>/NNNNNN.json, manifest.jsonl with the receiver's status and the headers less
credentials); a killed proxy leaves a manifest that lists only whole files. --redact replaces the
personal data of what is recorded (phone numbers, names, text, captions, media links, emails,
addresses) with fakes of the same shape, the same fake for the same value throughout the recording.
wahook send --corpus DIR and wahook conform --corpus DIR replay a recording.

Exit status: 0 after Ctrl-C, 2 when it could not start (bad flags, an address in use).`,
		Example: `  wahook proxy --forward http://127.0.0.1:8080/webhook
  wahook proxy --listen 127.0.0.1:9090 --forward https://staging.example.com/hooks/whatsapp --provider itniotech --strict
  wahook proxy --forward http://127.0.0.1:8080/webhook --record recorded --redact`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runProxy(cmd.Context(), opts, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.listen, "listen", opts.listen, "address to listen on (host:port)")
	f.StringVar(&opts.forward, "forward", "", "the receiver's webhook URL")
	f.StringVar(&opts.provider, "provider", opts.provider, "payload format: auto (recognise by envelope) or one of "+fmt.Sprint(schemas.Providers()))
	f.BoolVar(&opts.strict, "strict", false, "count properties no document shows as violations")
	f.Int64Var(&opts.maxBody, "max-body", proxy.DefaultMaxBody, "largest request body forwarded, in bytes; a larger one is answered 413")
	f.DurationVar(&opts.timeout, "timeout", proxy.DefaultTimeout, "how long to wait for the receiver's answer")
	f.BoolVarP(&opts.quiet, "quiet", "q", false, "no line per delivery: the drift summary alone")
	f.StringVar(&opts.record, "record", "", "record every delivery in this directory, as a corpus wahook send --corpus and conform --corpus replay")
	f.BoolVar(&opts.redact, "redact", false, "replace personal data in what --record writes with fakes of the same shape")
	f.BoolVar(&opts.force, "force", false, "let --record write into a directory that holds files")
	mustRegister(cmd.MarkFlagRequired("forward"))
	return cmd
}

// proxyFlags names the flag of each proxy.Options field.
var proxyFlags = map[string]string{"Forward": "--forward", "Provider": "--provider", "MaxBody": "--max-body", "Timeout": "--timeout",
	"Record": "--record", "Redact": "--redact", "Force": "--force"}

func runProxy(ctx context.Context, opts proxyOptions, stdout, stderr io.Writer) error {
	provider, err := schemas.ParseProvider(opts.provider, true)
	if err != nil {
		return fmt.Errorf("--provider: %w", err)
	}
	var mu sync.Mutex
	popts := proxy.Options{Forward: opts.forward, Provider: provider, Strict: opts.strict, MaxBody: opts.maxBody, Timeout: opts.timeout,
		Record: opts.record, Redact: opts.redact, Force: opts.force}
	if !opts.quiet {
		popts.OnDelivery = func(d proxy.Delivery) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintln(stdout, deliveryLine(d))
		}
	}
	px, err := proxy.New(popts)
	if err != nil {
		var fe *engine.FieldError
		if errors.As(err, &fe) && proxyFlags[fe.Field] != "" {
			return fmt.Errorf("%s: %w", proxyFlags[fe.Field], fe.Err)
		}
		return err
	}
	defer px.Close()
	if err := server.CheckListen(opts.listen); err != nil {
		return fmt.Errorf("--listen %s: %w", opts.listen, err)
	}
	l, err := net.Listen("tcp", opts.listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", opts.listen, err)
	}
	srv := &http.Server{Handler: px, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	fmt.Fprintf(stdout, "wahook proxy: listening on http://%s, forwarding to %s (drift summary at %s)\n", l.Addr(), opts.forward, proxy.DriftPath)
	if opts.record != "" {
		redacted := ""
		if opts.redact {
			redacted = ", personal data redacted"
		}
		fmt.Fprintf(stdout, "wahook proxy: recording every delivery in %s%s\n", opts.record, redacted)
	}
	select {
	case <-ctx.Done():
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	mu.Lock()
	defer mu.Unlock()
	printDrift(stdout, px.Drift())
	if err := px.Close(); err != nil {
		return err
	}
	return nil
}

// deliveryLine is one delivery as the proxy prints it.
func deliveryLine(d proxy.Delivery) string {
	verdict := "valid"
	if !d.Valid {
		verdict = strings.Join(d.Violations, "; ")
	}
	if d.RecordError != "" {
		verdict += "  (not recorded: " + d.RecordError + ")"
	}
	status := fmt.Sprint(d.Status)
	if d.Status == 0 {
		status = "no answer: " + d.Error
	}
	return fmt.Sprintf("%s %-9s %-12s %-32s %s %s  %s", d.Time.Format("15:04:05.000"), cmp.Or(string(d.Provider), "-"),
		cmp.Or(d.Type, "-"), cmp.Or(d.MessageID, "-"), status, formatDuration(d.Latency), verdict)
}

// printDrift writes the drift summary.
func printDrift(w io.Writer, d proxy.Drift) {
	fmt.Fprintf(w, "\ndrift: %d deliveries, %d valid, %d matching neither provider\n", d.Deliveries, d.Valid, d.Unrecognised)
	section := func(title string, cs []proxy.Count) {
		if len(cs) == 0 {
			return
		}
		fmt.Fprintf(w, "%s:\n", title)
		for _, c := range cs {
			line := fmt.Sprintf("  %6d  %s", c.Count, c.Key)
			if c.Example != "" {
				line += "  e.g. " + c.Example
			}
			fmt.Fprintln(w, line)
		}
	}
	section("violations by pointer", d.Violations)
	section("keys no document shows", d.UndocumentedKeys)
	section("message types no document defines", d.UnknownTypes)
	if len(d.QuirkForms) > 0 {
		fmt.Fprintln(w, "quirk forms seen (the document's example / its table):")
		for _, q := range d.QuirkForms {
			fmt.Fprintf(w, "  %s: %d as the example (%s), %d as the table (%s)\n", q.ID, q.Example, cmp.Or(q.ExampleForm, "-"), q.Table, cmp.Or(q.TableForm, "-"))
		}
	}
}
