package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/wahook/wahook/internal/engine"
	"github.com/wahook/wahook/internal/server"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// serveOptions is what the serve command line asks for.
type serveOptions struct {
	listen       string
	mediaBaseURL string
	ringSize     int
	maxInFlight  int
	targetFlags
	every       time.Duration
	types       []string // all, or message types
	seed        uint64
	retries     string
	verifyToken string
	quiet       bool
	timerFlags  []string // timer flags given without --target
}

// serveShutdownTimeout bounds the graceful shutdown after SIGINT or SIGTERM.
const serveShutdownTimeout = 10 * time.Second

func newServeCmd() *cobra.Command {
	opts := serveOptions{
		listen: server.DefaultListen, ringSize: server.DefaultRingSize, maxInFlight: server.DefaultMaxInFlight, every: server.DefaultEvery,
		types: []string{allValues}, seed: 1, retries: "provider",
	}
	cmd := &cobra.Command{
		Use:   "serve [flags]",
		Short: "Run a fake provider: a control API that sends webhooks, their media files, timed deliveries",
		Long: `Serve runs a fake provider until interrupted (Ctrl-C, SIGTERM):

  GET  /               a page to send from and watch every delivery: the request's headers and
                       body, each attempt's answer, the retry schedule; resend, copy as curl
  POST /v1/send        deliver generated webhooks to a receiver; the body takes the options of
                       wahook send as JSON ({"target": URL, "provider": P, "types": [...], "count": N,
                       "seed": N, "mutation": ID, "mediaFault": "404|slow|corrupt", "timeout": "10s",
                       "retries": "none", "timeScale": 0.01, "workers": N, "authUser": U,
                       "authToken": T, "appSecret": S, "header": {"Name": "value"}, "insecure": true, ...};
                       "bodies": [JSON, ...] or "rawBodies": ["text", ...] send those payloads
                       instead of generated ones) and the answer is the record of every delivery,
                       response bodies up to 64 KiB, with a summary; with "wait": false it is a
                       202 at once with the run's id and URL. A caller that goes away before the
                       answer cancels the run: its deliveries cut short are cancelled, retries too
  GET  /v1/runs        the runs, newest first: options (credentials masked), progress, summary
  GET  /v1/runs/{id}   one run; DELETE cancels it
  GET  /v1/deliveries  the most recent deliveries, newest first (?run= &provider= &type= &status= &limit=)
  GET  /v1/deliveries/{seq}         one delivery with the request it sent, credentials masked
  POST /v1/deliveries/{seq}/resend  send its bytes again, as a new run
  GET  /v1/events      the changes to deliveries and runs, as server-sent events
  GET  /v1/catalogue   providers, types and mutations
  GET  /media/{key}    the attachments the webhooks announce, the exact bytes of their sha256;
                       ?fault=404|slow|corrupt acts out a failing download
  GET  /healthz        {"status":"ok"}

Media links in generated webhooks point at this server unless --media-base-url says otherwise. With
--target, one generated webhook is delivered every --every as well, rotating through the types, with
the credentials of --auth-user/--auth-token and the --header lines, as wahook send sends them.

Every delivery the server makes, timed or asked for, trusts the certificates of --ca-file instead of
the system's, or skips verification with --insecure. The control API takes no CA file: it must not
read files a caller names.

It listens on 127.0.0.1 only unless --listen says otherwise: the control API makes this machine POST
to any URL it is given. On shutdown, deliveries in flight are cancelled and reported, never dropped.

Exit status: 0 after a clean shutdown, 2 when the server could not start or stop cleanly.`,
		Example: `  wahook serve
  wahook serve --target http://127.0.0.1:8080/webhook --every 2s --provider itniotech
  curl -s localhost:8787/v1/send -d '{"target":"http://127.0.0.1:8080/webhook","provider":"innopaas","types":["image"]}'
  curl -s 'localhost:8787/v1/deliveries?status=failed&limit=5'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := refuseEmptyCredentials(cmd); err != nil {
				return err
			}
			for _, name := range []string{"every", "provider", "type", "seed", "retries", "auth-user", "auth-token", "app-secret", "verify-token", "header", "auth-header", "timeout"} {
				if cmd.Flags().Changed(name) {
					opts.timerFlags = append(opts.timerFlags, "--"+name)
				}
			}
			return runServe(cmd.Context(), opts, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.listen, "listen", opts.listen, "address to listen on (host:port; port 0 picks a free one)")
	f.StringVar(&opts.mediaBaseURL, "media-base-url", "", "prefix of the media links in generated webhooks (default: this server's URL)")
	f.IntVar(&opts.maxInFlight, "max-in-flight", opts.maxInFlight, "cap on deliveries in flight across all /v1/send runs; runs beyond it wait their turn")
	f.IntVar(&opts.ringSize, "ring-size", opts.ringSize, "how many recent deliveries to keep for /v1/deliveries and the page (with their first 64 KiB sent and 1 KiB of each answer)")
	addTargetFlags(cmd, &opts.targetFlags, targetUsage{
		url:      "receiver URL to deliver one generated webhook to every --every",
		provider: "provider the timed deliveries act as",
		header:   "extra header 'Name: value' for the timed deliveries (repeatable, as with wahook send)",
	})
	// The timer acts as InnoPaaS unless told otherwise; --type completes from that default too.
	opts.provider = string(schemas.InnoPaaS)
	f.Lookup("provider").DefValue = opts.provider
	f.Lookup("provider").Usage = "provider the timed deliveries act as: one of " + fmt.Sprint(schemas.Providers())
	f.Lookup("timeout").Usage = "bound on each timed delivery"
	f.Lookup("ca-file").Usage = "PEM certificates every delivery trusts for an https receiver (instead of the system's)"
	f.Lookup("insecure").Usage = "do not verify https receivers' certificates, for every delivery"
	f.Lookup("auth-user").Usage = "the customer-configured user the timed deliveries send verbatim (InnoPaaS: the UserName header)"
	f.Lookup("auth-token").Usage = "the customer-configured token the timed deliveries send verbatim (InnoPaaS: the Authorization header)"
	f.Lookup("app-secret").Usage = "the secret the timed deliveries are signed with, for a signing provider (Meta: X-Hub-Signature-256)"
	f.DurationVar(&opts.every, "every", opts.every, "period of the timed deliveries to --target")
	f.StringSliceVar(&opts.types, "type", opts.types, "message types the timed deliveries rotate through, comma-separated, or all")
	f.Uint64Var(&opts.seed, "seed", opts.seed, "run seed of the timed deliveries")
	f.StringVar(&opts.verifyToken, "verify-token", "", "before the first timed delivery, perform the provider's verification handshake with this token, as meta does (GET ?hub.mode=subscribe&hub.challenge=C&hub.verify_token=T), and deliver only once the target echoes the challenge")
	f.StringVar(&opts.retries, "retries", opts.retries, `retry schedule of the timed deliveries: "provider", "none" or durations such as 1s,5s`)
	f.BoolVarP(&opts.quiet, "quiet", "q", false, "log no requests; print only the start and shutdown lines")
	cmd.MarkFlagsMutuallyExclusive("ca-file", "insecure")
	mustRegister(cmd.RegisterFlagCompletionFunc("type", completeTypes))
	mustRegister(cmd.RegisterFlagCompletionFunc("retries", cobra.FixedCompletions(retryChoices, cobra.ShellCompDirectiveNoFileComp)))
	return cmd
}

func runServe(ctx context.Context, opts serveOptions, stdout, stderr io.Writer) error {
	sopts := server.Options{
		Listen: opts.listen, Version: versionString(), MediaBaseURL: opts.mediaBaseURL, RingSize: opts.ringSize, MaxInFlight: opts.maxInFlight,
	}
	if opts.maxInFlight < 1 {
		return fmt.Errorf("--max-in-flight: %d, want at least 1", opts.maxInFlight)
	}
	if opts.ringSize < 1 {
		return fmt.Errorf("--ring-size: %d, want at least 1", opts.ringSize)
	}
	if opts.mediaBaseURL != "" {
		if err := mockprovider.CheckMediaBaseURL(opts.mediaBaseURL); err != nil {
			return fmt.Errorf("--media-base-url: %w", err)
		}
	}
	if opts.url == "" && len(opts.timerFlags) > 0 {
		return fmt.Errorf("%s: only with --target", opts.timerFlags[0])
	}
	target, err := opts.target()
	if err != nil {
		return err
	}
	if opts.caFile != "" {
		// Read once, here: a file changed or removed later cannot fail the server's deliveries.
		roots, err := engine.LoadCAFile(opts.caFile)
		if err != nil {
			return fmt.Errorf("--ca-file: %w", err)
		}
		target.TLS = mockprovider.TLS{RootCAs: roots}
	}
	sopts.Target = target
	if opts.url != "" {
		types, err := parseTypes(opts.types)
		if err != nil {
			return err
		}
		prov, err := mockprovider.Lookup(target.Provider)
		if err != nil {
			return fmt.Errorf("--provider: %w", err)
		}
		if _, err := prov.CheckTypes(types); err != nil {
			return fmt.Errorf("--type: %w", err)
		}
		if _, err := prov.ParseRetries(opts.retries); err != nil {
			return fmt.Errorf("--retries: %w", err)
		}
		if opts.verifyToken != "" && prov.Verification == nil {
			return fmt.Errorf("--verify-token: %s has no verification handshake", prov.Name)
		}
		sopts.VerifyToken = opts.verifyToken
		if _, err := engine.CheckURL(opts.url); err != nil {
			return fmt.Errorf("--target: %w", err)
		}
		if opts.every < server.MinEvery {
			return fmt.Errorf("--every: %v, want at least %v", opts.every, server.MinEvery)
		}
		sopts.Every, sopts.Types = opts.every, types
		sopts.Seed, sopts.Retries = opts.seed, opts.retries
	}
	if !opts.quiet {
		sopts.Logger = stderr
	}
	srv, err := server.New(sopts) // checks the credentials and headers, as wahook send's are checked
	if err != nil {
		return flagError(err)
	}
	if err := srv.Start(ctx); err != nil {
		_ = srv.Close()
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: %w", ctx.Err())
		}
		return fmt.Errorf("--listen %s: %w", opts.listen, err)
	}
	fmt.Fprintf(stdout, "wahook serve: listening on %s (page at /, media at /media, control at /v1)\n", srv.URL())
	if !loopbackListen(opts.listen) {
		fmt.Fprintf(stderr, "wahook serve: warning: listening on %s: anyone who can reach it can make this machine POST to any URL\n", opts.listen)
	}
	if sopts.URL != "" {
		fmt.Fprintf(stdout, "wahook serve: delivering one %s webhook every %v to %s\n", sopts.Provider, sopts.Every, sopts.URL)
	}

	var stopped error
	select {
	case <-ctx.Done():
	case <-srv.Done():
		stopped = errors.New("the server stopped serving")
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), serveShutdownTimeout)
	defer cancel()
	err = errors.Join(stopped, srv.Shutdown(sctx))
	st := srv.ShutdownStats()
	fmt.Fprintf(stderr, "wahook serve: shutdown: %d in flight cancelled, %d of them waiting for a retry\n", st.Cancelled, st.CancelledRetries)
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// loopbackListen reports whether a listen address binds the loopback interface only.
func loopbackListen(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
