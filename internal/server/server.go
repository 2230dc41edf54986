// Package server is wahook's fake provider as a long-running HTTP server, the library behind
// `wahook serve`:
//
//   - POST /v1/send delivers generated webhooks to a receiver, as mockprovider.Send does, and answers
//     with the record of every delivery, or at once with the run's id when asked not to wait;
//   - GET /v1/runs follows the runs, DELETE /v1/runs/{id} cancels one;
//   - GET /v1/deliveries lists the most recent deliveries, kept in a bounded history, GET
//     /v1/deliveries/{seq} gives one with every byte it sent and got, and POST
//     /v1/deliveries/{seq}/resend sends those bytes again;
//   - GET /v1/events streams the changes to deliveries and runs, and GET / is a page that sends and
//     shows them (see page.go);
//   - GET /media/{key} serves the attachments the generated webhooks announce, byte for byte, or fails
//     the way their ?fault= asks;
//   - with Options.Target set, one generated webhook goes out on a timer;
//   - GET /healthz answers {"status":"ok"}.
//
// Like net/http/httptest, a Server is cheap to run inside a test:
//
//	srv, err := server.New(server.Options{Listen: "127.0.0.1:0"})
//	if err != nil { ... }
//	if err := srv.Start(ctx); err != nil { ... }
//	defer srv.Close()
//	resp, err := http.Post(srv.URL()+"/v1/send", "application/json", body)
//
// A Server is also an http.Handler, so it can be mounted in httptest.NewServer or a mux of one's own;
// media links then point at Options.MediaBaseURL or, without one, at the host each request names.
package server

import (
	"golang.org/x/sync/semaphore"

	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wahook/wahook/delivery"
	"github.com/wahook/wahook/internal/engine"
	"github.com/wahook/wahook/mockprovider"
)

// Defaults applied by New to zero Options fields.
const (
	// DefaultListen is where Start listens: the loopback interface only, because the control API makes
	// this machine POST to any URL it is given. Binding elsewhere must be asked for.
	DefaultListen = "127.0.0.1:8787"
	// DefaultRingSize is how many deliveries the history keeps for /v1/deliveries and the page.
	DefaultRingSize = 1000
	// DefaultMaxInFlight is Options.MaxInFlight when it is 0.
	DefaultMaxInFlight = 64
	// DefaultEvery is the timer's period when Options.Target is set without Options.Every.
	DefaultEvery = 2 * time.Second
	// DefaultDripInterval and DefaultDripChunk pace ?fault=slow downloads: 64 bytes every 200ms turns
	// the few hundred bytes of a generated file into one to three seconds.
	DefaultDripInterval = 200 * time.Millisecond
	DefaultDripChunk    = 64
)

// MinEvery is the shortest timer period New accepts.
const MinEvery = 10 * time.Millisecond

// ErrShutdown is the cause of the cancellation of every delivery the server's shutdown cuts short;
// a /v1/send response interrupted by it says so in its "interrupted" field.
var ErrShutdown = errors.New("server shutting down")

// ErrBadOptions is wrapped by the errors New returns for unusable Options.
var ErrBadOptions = errors.New("bad server options")

// Options configure a Server. The zero value is usable: a server on DefaultListen without a timer.
type Options struct {
	// Listen is the address Start listens on; "" means DefaultListen.
	Listen string
	// Version names wahook's version in the User-Agent of deliveries.
	Version string
	// MediaBaseURL prefixes the media links of generated payloads; "" means the server's own URL, so
	// that receivers download the attachments from this server.
	MediaBaseURL string
	// RingSize is how many deliveries, settled or under way, the server's history keeps; 0 means
	// DefaultRingSize.
	RingSize int
	// MaxInFlight caps the deliveries in flight across all /v1/send runs: each run holds as many
	// slots as it has workers (at most MaxInFlight) while it runs, and a run that finds too few free
	// waits for them, first come first served. Memory and file descriptors stay bounded however many
	// callers send at once. 0 means DefaultMaxInFlight.
	MaxInFlight int

	// Target, when its URL is set, receives one generated payload every Every while the server
	// serves, rotating through Types with an increasing index, for people developing a receiver: the
	// provider acted as ("" means innopaas), its credentials and extra headers, as with wahook send.
	// Its TLS is the trust of every delivery the server makes, the timer's and those of /v1/send:
	// RootCAs instead of the system's roots, or Insecure (a /v1/send may also ask for that for its own
	// deliveries). The control API takes no CA file of its own: a remote caller must not make the
	// server read a path it names, nor learn from the answer whether the path exists.
	mockprovider.Target
	// Every is the timer's period; 0 means DefaultEvery.
	Every time.Duration
	// Types are the message types the timer rotates through; empty means all of the provider's.
	Types []string
	// Seed is the timer's run seed: payload N is the one `wahook gen --seed Seed` would make N-th.
	Seed uint64
	// Retries is the timer's retry schedule in send.Options.Retries form; "" means the provider's
	// own.
	Retries string
	// VerifyToken, for a provider with a verification handshake (mockprovider.Verification: Meta's),
	// makes the timer perform it against Target, as the provider does before its first delivery:
	// nothing is delivered until the target answers it, and a failed handshake is logged and tried
	// again each period. The token is never logged.
	VerifyToken string

	// Logger receives one line per control or media request, per timer delivery, and the HTTP
	// server's own errors; nil means none.
	Logger io.Writer

	// DripInterval and DripChunk pace ?fault=slow downloads: DripChunk bytes every DripInterval. Zero
	// means DefaultDripInterval and DefaultDripChunk; tests shorten them.
	DripInterval time.Duration
	DripChunk    int
}

// Server is a fake provider. Create it with New, run it with Start or Serve (or mount it as an
// http.Handler), and stop it with Shutdown or Close.
type Server struct {
	opts  Options
	log   *log.Logger // nil without Options.Logger
	hist  *history
	timer *timer // nil without Options.Target
	slots chan struct{}
	// inFlight holds a slot per worker of each running /v1/send; running counts those runs.
	inFlight *semaphore.Weighted
	running  atomic.Int64

	// work is the parent of every delivery run and slow download; Shutdown cancels it with ErrShutdown.
	work     context.Context
	stopWork context.CancelCauseFunc
	tasks    tracker // send handlers, slow downloads, the timer and its runs

	runs                 atomic.Uint64 // numbers /v1/send runs and resends
	cutCancelled, cutRet atomic.Int64  // what shutdown cut short

	mu       sync.Mutex
	url      string
	loopback bool // listening on a loopback address only
	http     *http.Server
	closed   bool
	done     chan struct{} // closed when Serve returns
	serveErr error
}

// New checks opts and returns a Server that does not listen yet.
func New(opts Options) (*Server, error) {
	if opts.Listen == "" {
		opts.Listen = DefaultListen
	}
	switch {
	case opts.RingSize < 0:
		return nil, fmt.Errorf("%w: negative ring size %d", ErrBadOptions, opts.RingSize)
	case opts.RingSize == 0:
		opts.RingSize = DefaultRingSize
	}
	switch {
	case opts.MaxInFlight < 0:
		return nil, fmt.Errorf("%w: negative in-flight cap %d", ErrBadOptions, opts.MaxInFlight)
	case opts.MaxInFlight == 0:
		opts.MaxInFlight = DefaultMaxInFlight
	}
	if opts.DripInterval < 0 || opts.DripChunk < 0 {
		return nil, fmt.Errorf("%w: negative drip interval or chunk", ErrBadOptions)
	}
	if opts.DripInterval == 0 {
		opts.DripInterval = DefaultDripInterval
	}
	if opts.DripChunk == 0 {
		opts.DripChunk = DefaultDripChunk
	}
	if opts.TLS.Insecure && opts.TLS.RootCAs != nil {
		return nil, fmt.Errorf("%w: insecure cannot be combined with root CAs", ErrBadOptions)
	}
	if opts.MediaBaseURL != "" {
		if err := checkBaseURL(opts.MediaBaseURL); err != nil {
			return nil, fmt.Errorf("%w: media base URL: %w", ErrBadOptions, err)
		}
		opts.MediaBaseURL = strings.TrimSuffix(opts.MediaBaseURL, "/")
	}
	s := &Server{
		opts:     opts,
		hist:     newHistory(opts.RingSize),
		slots:    make(chan struct{}, MaxConcurrentSends),
		inFlight: semaphore.NewWeighted(int64(opts.MaxInFlight)),
		done:     make(chan struct{}),
	}
	s.work, s.stopWork = context.WithCancelCause(context.Background())
	if opts.Logger != nil {
		s.log = log.New(opts.Logger, "", log.LstdFlags)
	}
	if opts.URL != "" || opts.Every != 0 {
		t, err := s.newTimer(opts)
		if err != nil {
			return nil, err
		}
		s.timer = t
	}
	return s, nil
}

// Start listens on Options.Listen and serves in the background; URL is set when it returns. ctx
// bounds listening only: stop the server with Shutdown or Close.
func (s *Server) Start(ctx context.Context) error {
	if err := CheckListen(s.opts.Listen); err != nil {
		return err
	}
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", s.opts.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	hs, err := s.bind(l)
	if err != nil {
		l.Close()
		return err
	}
	go s.serve(hs, l) //nolint:errcheck // the error is kept for Shutdown
	return nil
}

// CheckListen refuses a listen address that is not host:port, suggesting the one meant: a port
// alone, or a URL, is the common slip.
func CheckListen(addr string) error {
	if _, _, err := net.SplitHostPort(addr); err == nil {
		return nil
	}
	hint := ""
	switch u, err := url.Parse(addr); {
	case addr != "" && strings.Trim(addr, "0123456789") == "":
		hint = "127.0.0.1:" + addr
	case err == nil && u.Host != "":
		hint = u.Host
	}
	if hint != "" {
		return fmt.Errorf("%q is not host:port: did you mean %s?", addr, hint)
	}
	return fmt.Errorf("%q is not host:port, such as 127.0.0.1:8787", addr)
}

// Serve serves on l until Shutdown or Close, after which it returns nil; it closes l. URL names l.
func (s *Server) Serve(l net.Listener) error {
	hs, err := s.bind(l)
	if err != nil {
		l.Close()
		return err
	}
	return s.serve(hs, l)
}

// bind makes the server l's, sets its URL and starts the timer.
func (s *Server) bind(l net.Listener) (*http.Server, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return nil, http.ErrServerClosed
	case s.http != nil:
		return nil, errors.New("server: already serving")
	}
	s.url = "http://" + l.Addr().String()
	if addr, ok := l.Addr().(*net.TCPAddr); ok {
		s.loopback = addr.IP.IsLoopback()
	}
	s.http = &http.Server{
		Handler: s,
		// No ReadTimeout or WriteTimeout: a send runs as long as its retries, and a slow download is
		// slow on purpose. Only the headers must come quickly; the send handler bounds its body itself.
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          log.New(s.logWriter(), "wahook serve: http: ", log.LstdFlags),
	}
	if s.timer != nil {
		if err := s.startTimer(); err != nil {
			return nil, err
		}
	}
	return s.http, nil
}

func (s *Server) serve(hs *http.Server, l net.Listener) error {
	err := hs.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	s.mu.Lock()
	s.serveErr = err
	s.mu.Unlock()
	close(s.done)
	return err
}

// URL is the server's base URL, such as http://127.0.0.1:8787, once it serves; "" before.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// Done is closed when the server stops serving: after Shutdown or Close, or when its listener fails.
func (s *Server) Done() <-chan struct{} { return s.done }

// ShutdownStats says what a shutdown cut short. Every delivery counted here is also in the history and
// in the response of the /v1/send that asked for it.
type ShutdownStats struct {
	// Cancelled counts the deliveries in flight (sending, waiting for a retry, or not started yet)
	// that the shutdown cancelled.
	Cancelled int
	// CancelledRetries counts those among them that had failed and were waiting for a retry: the
	// retry was cancelled with them.
	CancelledRetries int
}

// ShutdownStats returns what Shutdown cut short; call it after Shutdown returns.
func (s *Server) ShutdownStats() ShutdownStats {
	return ShutdownStats{Cancelled: int(s.cutCancelled.Load()), CancelledRetries: int(s.cutRet.Load())}
}

// Shutdown stops the server: it stops accepting connections, cancels every delivery in flight with
// ErrShutdown (each is recorded as cancelled, those waiting for a retry included, and reported to
// the client that asked for it), and waits until every handler, timer delivery and slow download has returned,
// or ctx ends. Calling it again is harmless.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	hs := s.http
	s.mu.Unlock()

	s.stopWork(ErrShutdown)
	idle := s.tasks.close()
	var err error
	if hs != nil {
		err = hs.Shutdown(ctx)
	}
	select {
	case <-idle:
	case <-ctx.Done():
		err = errors.Join(err, fmt.Errorf("waiting for deliveries to stop: %w", ctx.Err()))
	}
	if s.timer != nil {
		s.timer.engine.Close()
	}
	if hs != nil {
		select {
		case <-s.done:
			s.mu.Lock()
			err = errors.Join(err, s.serveErr)
			s.mu.Unlock()
		case <-ctx.Done():
		}
	}
	return err
}

// closeTimeout bounds Close's graceful part; connections still open after it are closed.
const closeTimeout = 5 * time.Second

// Close shuts the server down like Shutdown and blocks until every outstanding request has
// completed, closing any connection still busy after a few seconds.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	err := s.Shutdown(ctx)
	if err != nil {
		s.mu.Lock()
		hs := s.http
		s.mu.Unlock()
		if hs != nil {
			err = errors.Join(err, hs.Close())
		}
	}
	return err
}

// logWriter is where log lines go; io.Discard without a Logger.
func (s *Server) logWriter() io.Writer {
	if s.opts.Logger == nil {
		return io.Discard
	}
	return s.opts.Logger
}

func (s *Server) logf(format string, args ...any) {
	if s.log != nil {
		s.log.Printf(format, args...)
	}
}

// tracker counts tasks in progress so that Shutdown can wait for them, and refuses new ones once
// closed (a sync.WaitGroup must not be added to while it is waited on).
type tracker struct {
	mu     sync.Mutex
	n      int
	closed bool
	idle   chan struct{}
}

// add starts a task; false means the tracker is closed and the task must not run.
func (t *tracker) add() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.n++
	return true
}

func (t *tracker) done() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n--
	if t.n == 0 && t.idle != nil {
		close(t.idle)
		t.idle = nil
	}
}

// close refuses new tasks and returns a channel closed once none is left.
func (t *tracker) close() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	ch := make(chan struct{})
	if t.n == 0 {
		close(ch)
		return ch
	}
	if t.idle == nil {
		t.idle = ch
	}
	return t.idle
}

// cut counts a delivery that shutdown cancelled, if it was one.
func (s *Server) cut(ctx context.Context, r delivery.Result) {
	if r.Outcome != delivery.Cancelled || !errors.Is(context.Cause(ctx), ErrShutdown) {
		return
	}
	s.cutCancelled.Add(1)
	if r.PendingRetry {
		s.cutRet.Add(1)
	}
}

// trust gives the engine options of one of the server's sends its TLS settings: no verification
// when the server or the send asks for none, else the server's RootCAs.
func (o *Options) trust(d *engine.Options) {
	d.Insecure = d.Insecure || o.TLS.Insecure
	if !d.Insecure {
		d.RootCAs = o.TLS.RootCAs
	}
}
