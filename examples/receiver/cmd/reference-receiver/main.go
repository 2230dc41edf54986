// Command reference-receiver serves wahook's reference webhook receiver (package receiver) on a loopback
// port, for wahook conform to test:
//
//	reference-receiver [--listen 127.0.0.1:0] [--provider auto|innopaas|itniotech|meta]
//	                   [--auth-user U --auth-token T] [--app-secret S] [--verify-token T]
//	                   [--auth-header 'Name: value']... [--defect 'drops captions']
//
// --defect serves it with one of the silent defects of examples/receiver/broken instead: it answers
// 200 to everything it would, but reports (and would store) a wrong understanding of the message,
// for trying wahook conform's deep verification.
//
// Its first line on stdout is the webhook URL, such as http://127.0.0.1:41234/webhook, so that a script
// can start it in the background and read where it listens; with the default --listen the port is a
// free one the system picks. As a real receiver, it serves that path and /healthz (200 once it
// listens), and 404 elsewhere. It serves until interrupted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/wahook/wahook/examples/receiver"
	"github.com/wahook/wahook/examples/receiver/broken"
	"github.com/wahook/wahook/internal/engine"
	"github.com/wahook/wahook/internal/headerline"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// headerFlags collects repeated --auth-header values.
type headerFlags []string

func (h *headerFlags) String() string     { return fmt.Sprint(*h) }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

// run serves until ctx ends; it returns 0 after a clean shutdown and 2 when it cannot start.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("reference-receiver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on; port 0 picks a free one")
	provider := fs.String("provider", string(schemas.Auto), fmt.Sprintf("provider: auto (recognise by envelope) or one of %v", schemas.Providers()))
	user := fs.String("auth-user", "", "require this user as the provider sends it (InnoPaaS: the UserName header)")
	token := fs.String("auth-token", "", "require this token as the provider sends it (InnoPaaS: the Authorization header)")
	secret := fs.String("app-secret", "", "require each body signed with this secret (Meta: X-Hub-Signature-256 over the raw bytes)")
	verifyToken := fs.String("verify-token", "", "answer the provider's verification handshake for this token (Meta: GET ?hub.mode=subscribe&hub.challenge=C&hub.verify_token=T)")
	var headers headerFlags
	fs.Var(&headers, "auth-header", "require this header, as 'Name: value' (repeatable)")
	defect := fs.String("defect", "", "serve with this silent defect of examples/receiver/broken, such as 'drops captions'")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "reference-receiver: %v\n", err)
		return 2
	}
	if fs.NArg() > 0 {
		return fail(fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	p, err := schemas.ParseProvider(*provider, true)
	if err != nil {
		return fail(err)
	}
	opts := receiver.Options{Provider: p, Credentials: mockprovider.Credentials{User: *user, Token: *token, Secret: *secret},
		Header: http.Header{}, VerifyToken: *verifyToken}
	for _, line := range headers {
		name, value, err := headerline.Parse(line)
		if err == nil {
			// A header no sender can send could never arrive: every request would be refused.
			err = engine.CheckHeaderField(name, value)
		}
		if err != nil {
			return fail(fmt.Errorf("--auth-header: %w", err))
		}
		opts.Header.Add(name, value)
	}

	handler := receiver.New(opts)
	if *defect != "" {
		if *user != "" || *token != "" || *secret != "" || len(headers) > 0 {
			return fail(errors.New("--defect serves the receiver without credentials: leave out --auth-user, --auth-token, --app-secret and --auth-header"))
		}
		if handler, err = silentDefect(*defect); err != nil {
			return fail(err)
		}
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fail(err)
	}
	srv := &http.Server{
		Handler:           routes(handler),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	fmt.Fprintln(stdout, webhookURL(ln.Addr().(*net.TCPAddr)))

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fail(err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fail(err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fail(err)
	}
	return 0
}

// silentDefect returns the broken receiver with the silent defect named.
func silentDefect(name string) (http.Handler, error) {
	var names []string
	for _, d := range broken.Defects() {
		if !d.Silent {
			continue
		}
		if d.Name == name {
			return d.New(nil), nil
		}
		if !slices.Contains(names, d.Name) {
			names = append(names, d.Name)
		}
	}
	return nil, fmt.Errorf("--defect: no silent defect %q (want one of %q)", name, names)
}

// webhookURL is the URL to POST webhooks to; an unspecified address is reached on loopback.
func webhookURL(addr *net.TCPAddr) string {
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return fmt.Sprintf("http://%s/webhook", net.JoinHostPort(host, fmt.Sprint(addr.Port)))
}

// routes serves the receiver at /webhook and a health check at /healthz, and nothing else: a
// provider set up with another path gets the 404 a real receiver would give it.
func routes(receiver http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/webhook", receiver)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	return mux
}
