// Package engine POSTs webhook payloads to a receiver the way a provider does, and records every
// attempt: its status, latency, the start of the response body and, when it failed, what kind of
// failure it was.
//
// The package knows nothing about any provider. The caller passes the headers a provider sends and its
// retry schedule in Options; what InnoPaaS or ITNIO Tech send lives with their descriptions elsewhere.
//
// One Engine holds the connections to one target, shared by all its workers and by every Run, so a
// long-running server creates it once:
//
//	e, err := engine.New(engine.Options{Target: "http://127.0.0.1:8080/webhook", Workers: 8})
//	if err != nil { ... }
//	defer e.Close()
//	report, err := e.Run(ctx, payloads) // report is complete even when err says ctx was cancelled
//
// Every payload handed to Run ends as exactly one Result, acked, failed or cancelled, so that
// Summary.Scheduled == Acked + Failed + Cancelled holds after any run, interrupted or not.
//
// Requests are HTTP/1.1, one at a time per connection, as providers send webhooks. The engine writes
// them itself rather than through net/http's client, which would cost about as much CPU again per
// request, and reads the answers with net/http's ReadResponse. It sends what net/http sent, in the
// same order, and nothing else: no Accept-Encoding, no proxy from the environment, no retry of a
// request that may have arrived, no redirect followed.
package engine

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wahook/wahook/internal/regularfile"
)

// Defaults applied by New to zero Options fields.
const (
	// DefaultTimeout bounds one attempt, from dialling to the end of the response body.
	DefaultTimeout = 10 * time.Second
	// DefaultContentType is sent when neither the payload nor the headers name one.
	DefaultContentType = "application/json"
	// MaxResponseBody is how much of a response body an Attempt keeps. Nothing past it is read: a
	// hostile receiver may stream forever, and the attempt must still end.
	MaxResponseBody = 64 << 10
	// defaultBodyBudget is how many bytes of response bodies one run keeps in all, across its
	// attempts, when Options.BodyBudget is 0. A run of 100,000 deliveries to a receiver with 64 KiB
	// error pages would otherwise hold 6 GiB of them.
	defaultBodyBudget = 64 << 20
	// clippedBody is how much of a response body an attempt keeps once its run has spent its body
	// budget: enough for a status message or the start of an error page.
	clippedBody = 256
)

// MaxWorkers is the most Options.Workers New accepts. Each worker may hold a connection to the
// receiver, and no provider delivers webhooks to one receiver over more connections than this; wahook
// send and wahook serve refuse more with the same bound.
const MaxWorkers = 256

// caFileLimit bounds the size of Options.CAFile: a bundle of every public root is a few hundred KiB,
// and a path such as /dev/zero must not be read for ever.
const caFileLimit = 4 << 20

// ErrBadOptions is wrapped by the errors New returns for unusable Options.
var ErrBadOptions = errors.New("bad delivery options")

// errClosed is returned by Run on an Engine that has been closed.
var errClosed = errors.New("delivery engine closed")

// Payload is one webhook request to deliver.
type Payload struct {
	// ID is the message id a receiver deduplicates on. It is copied into records; it is not sent.
	ID string
	// Provider names the payload's provider, for records and filters only.
	Provider string
	// Type is the payload's message type, for records and filters only.
	Type string
	// Body is the request body, sent as is. Run does not modify it, so payloads may share bodies.
	Body []byte
	// ContentType is the Content-Type header; "" keeps one set in Header or Options.Header, else
	// DefaultContentType.
	ContentType string
	// Header holds extra headers for this payload only. A key here replaces the same key (compared
	// case-insensitively) from Options.Header. A Header that fails CheckHeader, as New would refuse it
	// in Options.Header, fails the payload's first attempt with that error without sending anything,
	// and the payload is not retried: it would fail the same way again.
	Header http.Header
}

// Options configure an Engine. The zero value of each field is usable except Target.
type Options struct {
	// Target is the receiver's URL; its scheme must be http or https, and an internationalised host
	// name must be given in its ASCII form (xn--...).
	Target string
	// Header is sent with every request: the provider's own headers, its authentication headers, any
	// extras. Keys are sent as spelled here, without canonicalisation, because some providers document
	// names such as "UserName" and a receiver may compare them byte for byte. Set User-Agent here too:
	// without it Go's default, "Go-http-client/1.1", is sent; an empty one sends none. A "Host" key sets
	// the request's Host; an empty one is refused, since leaving Host out sends the target's.
	// Content-Length, Transfer-Encoding and Trailer keys are ignored: the engine frames the body. A
	// target with user info ("https://user:pass@host/") sends it as a Basic Authorization header unless
	// Header has an Authorization key. New refuses a Header that fails CheckHeader: a name or value that
	// would break the request (a line break, say), or a Host that is not host[:port]. Keys that differ
	// only in letter case are all sent.
	Header http.Header
	// Timeout bounds each attempt, response body included; 0 means DefaultTimeout.
	Timeout time.Duration
	// Retries are the delays before attempts 2, 3, ...: a provider that retries after 1, 3 and 5
	// minutes has Retries {1m, 3m, 5m}. A delay counts from the end of the failed attempt. nil means a
	// single attempt.
	Retries []time.Duration
	// TimeScale multiplies every retry delay, so 0.001 turns a schedule of minutes into tens of
	// milliseconds for tests and demos; 0 means 1. A scaled delay longer than the longest
	// time.Duration (about 292 years) is that long: it never comes due within a run.
	TimeScale float64
	// Workers is how many requests may be in flight at once, at most MaxWorkers; 0 means 1. The engine
	// opens connections to the target as they are needed, up to Workers of them; one idle for 90
	// seconds is closed.
	Workers int
	// Rate caps requests per second across all workers of a run, retries included; 0 means no cap. A
	// rate so low that its interval would exceed the longest time.Duration spaces requests by that
	// instead: after the first, none is sent within the run.
	Rate float64
	// Duplicates is the fraction, 0 to 1, of payloads delivered a second time, as providers sometimes
	// do. Each copy is a delivery of its own: it is counted in Summary.Scheduled and has its own Result
	// with Duplicate set.
	Duplicates float64
	// Shuffle delivers in a random order drawn from Seed instead of the order given.
	Shuffle bool
	// Seed drives Duplicates and Shuffle, so a run is reproducible from it. Every value is a fixed seed,
	// 0 included: nothing here reads the clock, so pick a seed yourself (and print it) to vary runs.
	Seed uint64
	// CAFile names a PEM file of certificates to trust for an https Target, such as a receiver's
	// self-signed certificate: a regular file of at most caFileLimit bytes. With CAFile or RootCAs
	// set, the system's roots are not trusted.
	CAFile string
	// RootCAs are certificates to trust for an https Target, with those of CAFile.
	RootCAs *x509.CertPool
	// Insecure skips verification of the receiver's certificate. It cannot be combined with CAFile or
	// RootCAs, which would then mean nothing.
	Insecure bool
	// BodyBudget is how many bytes of response bodies a run keeps in all, across its attempts; 0 means
	// defaultBodyBudget. Once a run has kept that many, each later attempt keeps at most clippedBody
	// bytes of its body and says so with Attempt.BodyClipped: memory stays bounded however many
	// deliveries a run makes. The bodies are still read (up to MaxResponseBody), so connections are
	// reused as before.
	BodyBudget int64
	// Sign, if set, returns the headers that authenticate one body, such as a signature over its exact
	// bytes; it is called once per payload, with the body as sent, and its headers replace Header's of
	// the same name (a payload's own Header replaces both). The engine knows no provider: the caller
	// passes the provider's scheme here (mockprovider.Target does).
	Sign func(body []byte) http.Header
	// OnAttempt, if set, is called as each attempt finishes, for live output. Calls never overlap and
	// come in the order attempts finish; a slow callback slows the run, so keep it quick.
	OnAttempt func(Attempt)
	// OnResult, if set, is called once per delivery as it settles, under the same rules as OnAttempt.
	OnResult func(Result)
	// OnProgress, if set, is called each time a delivery changes state (see Progress), under the same
	// rules as OnAttempt, for callers that show deliveries while they are under way.
	OnProgress func(Progress)
	// KeepHeader keeps each answer's header in Attempt.Header, for callers that show it. Off, an
	// attempt keeps none, so that a run of millions holds no headers.
	KeepHeader bool
}

// Engine delivers payloads over its own connections to the target, shared by all workers and by every
// Run. It is safe for concurrent use; concurrent runs share its Options.Workers connections.
type Engine struct {
	opts Options
	// header is a copy of Options.Header, so the caller may go on using its map.
	header http.Header
	// addr is the host and port dialled; host is the Host header sent unless a header names another.
	addr string
	host string
	// reqLine is every request's first line: "POST /path HTTP/1.1\r\n".
	reqLine []byte
	// delays are Options.Retries multiplied by Options.TimeScale.
	delays []time.Duration
	// basicAuth is the Authorization value for a target with user info, else "".
	basicAuth string
	// tls configures https targets; nil for http.
	tls    *tls.Config
	conns  *connPool
	closed atomic.Bool
	// spokeHTTP is set once any answer's head has been read: a target that has answered HTTP is not a
	// TLS port addressed as http, whatever resets its connections later.
	spokeHTTP atomic.Bool
}

// New checks opts, fills in defaults and prepares the engine's connections, which are opened on first
// use. The errors for unusable options wrap ErrBadOptions.
func New(opts Options) (*Engine, error) {
	target, err := checkOptions(&opts)
	if err != nil {
		return nil, err
	}
	e := &Engine{
		opts:    opts,
		header:  opts.Header.Clone(),
		host:    removeZone(target.Host),
		reqLine: fmt.Appendf(nil, "POST %s HTTP/1.1\r\n", target.RequestURI()),
		conns:   newConnPool(opts.Workers),
	}
	for _, d := range opts.Retries {
		e.delays = append(e.delays, scaleDuration(d, opts.TimeScale))
	}
	port := target.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[target.Scheme]
	}
	e.addr = net.JoinHostPort(target.Hostname(), port)
	if u := target.User; u != nil {
		// As net/http's client did for a URL with user info.
		pass, _ := u.Password()
		e.basicAuth = "Basic " + base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pass))
	}
	cfg, err := tlsConfig(opts) // checked for an http target too: a bad CA file is a mistake
	if err != nil {
		return nil, err
	}
	if target.Scheme == "https" {
		cfg.ServerName = target.Hostname()
		e.tls = cfg
	}
	return e, nil
}

// Close closes the engine's idle connections and makes later calls to Run fail with errClosed. It
// does not interrupt runs in progress: cancel their contexts for that. Their connections are closed
// as their requests end.
func (e *Engine) Close() {
	e.closed.Store(true)
	e.conns.close()
}

// Run is New, Engine.Run and Close in one call, for a single run.
func Run(ctx context.Context, opts Options, payloads []Payload) (Report, error) {
	e, err := New(opts)
	if err != nil {
		return Report{}, err
	}
	defer e.Close()
	return e.Run(ctx, payloads)
}

// FieldError is the refusal of one setting. Every package that takes delivery settings (this one,
// mockprovider's Target, send, conformance, fuzz) refuses a field with it, so that a command can map
// Field to the flag or JSON field that set it in one table.
type FieldError struct {
	// Field is the setting's name in the options struct that holds it, with the path of an embedded
	// or nested struct where there is one: "Workers", "Credentials.User", "TLS.CAFile".
	Field string
	// Err says what is wrong with its value: "257, at most 256".
	Err error
}

// Error says which field is wrong, and how: "Workers: 257, at most 256".
func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap returns what is wrong with the field.
func (e *FieldError) Unwrap() error { return e.Err }

// optionError is New's refusal of a field: a *FieldError, wrapped with ErrBadOptions.
func optionError(field string, err error) error {
	return fmt.Errorf("%w: %w", ErrBadOptions, &FieldError{Field: field, Err: err})
}

// CheckURL parses a receiver's URL as New takes Options.Target: http or https, with a host, an
// internationalised host name in its ASCII form.
func CheckURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("missing: want the receiver's URL")
	}
	if !strings.Contains(raw, "://") {
		// 127.0.0.1:8080/webhook and localhost:8080/webhook fail url.Parse in two other ways.
		return nil, fmt.Errorf("%q has no scheme: did you mean http://%s?", raw, strings.TrimPrefix(raw, "//"))
	}
	target, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if target.Scheme != "http" && target.Scheme != "https" {
		return nil, fmt.Errorf("%q: scheme must be http or https", raw)
	}
	if target.Host == "" {
		return nil, fmt.Errorf("%q has no host", raw)
	}
	for _, b := range []byte(target.Host) {
		if b >= 0x80 {
			// net/http converted such a name to punycode; the engine asks for it in that form.
			return nil, fmt.Errorf("%q: write an internationalised host name in its ASCII form (xn--...)", raw)
		}
	}
	if err := checkHost(removeZone(target.Host)); err != nil {
		return nil, fmt.Errorf("%q: %w", raw, err)
	}
	return target, nil
}

// checkOptions validates opts, fills in defaults and returns the parsed target.
func checkOptions(opts *Options) (*url.URL, error) {
	bad := func(field, format string, args ...any) error {
		return optionError(field, fmt.Errorf(format, args...))
	}
	target, err := CheckURL(opts.Target)
	if err != nil {
		return nil, optionError("Target", err)
	}
	switch {
	case opts.Timeout < 0:
		return nil, bad("Timeout", "negative (%v)", opts.Timeout)
	case opts.Workers < 0:
		return nil, bad("Workers", "negative (%d)", opts.Workers)
	case opts.Workers > MaxWorkers:
		return nil, bad("Workers", "%d, at most %d", opts.Workers, MaxWorkers)
	case opts.BodyBudget < 0:
		return nil, bad("BodyBudget", "negative (%d)", opts.BodyBudget)
	case !finite(opts.TimeScale) || opts.TimeScale < 0:
		return nil, bad("TimeScale", "%v: want a finite number >= 0", opts.TimeScale)
	case !finite(opts.Rate) || opts.Rate < 0:
		return nil, bad("Rate", "%v: want a finite number >= 0", opts.Rate)
	case !finite(opts.Duplicates) || opts.Duplicates < 0 || opts.Duplicates > 1:
		return nil, bad("Duplicates", "%v: want a fraction from 0 to 1", opts.Duplicates)
	case opts.Insecure && (opts.CAFile != "" || opts.RootCAs != nil):
		return nil, bad("Insecure", "cannot be combined with a CA file or root CAs")
	}
	for i, d := range opts.Retries {
		if d < 0 {
			return nil, bad("Retries", "delay %d is negative (%v)", i+1, d)
		}
	}
	if err := CheckHeader(opts.Header); err != nil {
		return nil, optionError("Header", err)
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.TimeScale == 0 {
		opts.TimeScale = 1
	}
	if opts.Workers == 0 {
		opts.Workers = 1
	}
	if opts.BodyBudget == 0 {
		opts.BodyBudget = defaultBodyBudget
	}
	opts.Retries = append([]time.Duration(nil), opts.Retries...)
	return target, nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// scaleDuration returns d*f, f finite and >= 0, saturating at the longest Duration: converting a
// product past it would wrap to a negative Duration, and a delay meant to be long would vanish.
func scaleDuration(d time.Duration, f float64) time.Duration {
	return saturate(float64(d) * f)
}

// saturate converts ns nanoseconds to a Duration, ns >= 0, the longest Duration for anything longer.
func saturate(ns float64) time.Duration {
	// float64(math.MaxInt64) is 2^63, one past the largest Duration; every float below it fits.
	if ns >= float64(math.MaxInt64) {
		return math.MaxInt64
	}
	return time.Duration(ns)
}

// addDuration returns a+b, both >= 0, saturating at the longest Duration.
func addDuration(a, b time.Duration) time.Duration {
	if b > math.MaxInt64-a {
		return math.MaxInt64
	}
	return a + b
}

// tlsConfig builds the client's TLS settings from the CA and Insecure options.
func tlsConfig(opts Options) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: opts.Insecure}
	if opts.CAFile == "" && opts.RootCAs == nil {
		return cfg, nil
	}
	pool := x509.NewCertPool()
	if opts.RootCAs != nil {
		pool = opts.RootCAs.Clone()
	}
	if opts.CAFile != "" {
		if err := appendCAFile(pool, opts.CAFile); err != nil {
			return nil, optionError("CAFile", err)
		}
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// GetClient is a net/http client for the GETs a provider makes beside its deliveries (a verification
// handshake), over the same trust as the engine's: roots, or with insecure no verification. It never
// follows a redirect, as providers do not, and each request is bounded by timeout.
func GetClient(timeout time.Duration, roots *x509.CertPool, insecure bool) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots, InsecureSkipVerify: insecure, MinVersion: tls.VersionTLS12}, // #nosec G402 -- the user's --insecure
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// LoadCAFile reads a PEM file of certificates to trust, as Options.CAFile does: a regular file of at
// most caFileLimit bytes holding at least one certificate. A long-running caller reads it once and
// passes the pool as Options.RootCAs to each engine it makes, so that a file changed or removed later
// cannot fail its deliveries.
func LoadCAFile(name string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if err := appendCAFile(pool, name); err != nil {
		return nil, err
	}
	return pool, nil
}

// appendCAFile adds the certificates of the PEM file name to pool.
func appendCAFile(pool *x509.CertPool, name string) error {
	pem, err := readCAFile(name)
	if err != nil {
		return err
	}
	if !pool.AppendCertsFromPEM(pem) {
		return fmt.Errorf("%s holds no PEM certificate", name)
	}
	return nil
}

// readCAFile reads a CA file of at most caFileLimit bytes, a regular file (see regularfile.Open).
func readCAFile(name string) ([]byte, error) {
	f, err := regularfile.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, caFileLimit+1))
	switch {
	case err != nil:
		return nil, err
	case len(b) > caFileLimit:
		return nil, fmt.Errorf("%s is larger than %d bytes", name, caFileLimit)
	}
	return b, nil
}
