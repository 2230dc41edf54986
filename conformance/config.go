package conformance

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/wahook/wahook/internal/engine"
	"github.com/wahook/wahook/internal/inspect"
	"github.com/wahook/wahook/message"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// Profile chooses how much the suite asks of a receiver.
type Profile string

// The profiles. Standard asks that a receiver never answer a reject case with a 5xx or a timeout; it
// may ack and drop the payload. Strict asks for a 4xx: a receiver that acks garbage hides a broken
// sender.
const (
	Standard Profile = "standard"
	Strict   Profile = "strict"
)

// Profiles returns the profiles, the default first.
func Profiles() []Profile { return []Profile{Standard, Strict} }

// defaultTimeout bounds each request of the suite.
const defaultTimeout = 10 * time.Second

// DefaultConcurrency is Config.Concurrency's default; MaxConcurrency its largest value.
const (
	DefaultConcurrency = 8
	MaxConcurrency     = 64
)

// Errors the suite returns before or instead of running cases, besides delivery.ErrUnreachable and
// delivery.ErrNoAnswer for a target that takes no connection or gives no HTTP answer.
var (
	// ErrBadConfig is wrapped by errors about an unusable Config.
	ErrBadConfig = errors.New("bad conformance config")
	// ErrAuthRefused means the receiver refused a valid message for its credentials (401 or 403): the
	// suite did not run, because every case would fail for the same reason.
	ErrAuthRefused = errors.New("the receiver refused the credentials")
	// ErrNotWebhook means the target answered a valid message 404, 405 or 501: the URL is not the
	// receiver's webhook, and the suite did not run, as every case would fail for that reason.
	ErrNotWebhook = errors.New("not a webhook URL")
)

// Config is what to test and how.
type Config struct {
	// Target is the receiver (a URL, http or https: cases and --list do not need it), the provider
	// whose webhooks it expects, the bound on each request (0 means 10 s), the trust in an
	// https receiver, and its credentials: the provider's (Credentials) and headers of the receiver's
	// own (Header), which the suite counts as credentials too. When any are given, every case sends
	// them and the auth group runs; otherwise it is skipped.
	mockprovider.Target
	// Profile is Standard or Strict; "" means Standard.
	Profile Profile
	// Run, when set, is a regular expression: only the cases whose id it matches are run.
	Run string
	// Seed is the run seed; every payload derives from it and its case id. Every value is a seed, 0
	// included.
	Seed uint64
	// PayloadDir is where the payloads of failing cases are written for their reproduce commands;
	// "" means a new temporary directory, created on the first failure.
	PayloadDir string
	// Version names the caller in the User-Agent; "" means "dev".
	Version string
	// Program starts the wahook commands of reproduce lines, as the user runs wahook: "bin/wahook";
	// "" means "wahook".
	Program string

	// Concurrency is how many cases are in flight at once; 0 means DefaultConcurrency, 1 runs them
	// one after another. Cases that may kill or wedge the receiver (Case.Hostile) run with no other
	// hostile case in flight, so that a death is blamed on the case that caused it; the report lists
	// the cases in catalogue order, and the same seed gives the same verdicts whatever the number.
	Concurrency int
	// MaxFailures, when positive, stops the run after that many failed cases: those not yet started
	// are skipped.
	MaxFailures int
	// Budget, when positive, bounds the run's wall time: cases not started when it runs out are
	// skipped, and counted in Summary.OverBudget.
	Budget time.Duration

	// Deep verification: what the receiver understood of each message it acknowledged, compared
	// with what was sent, field by field, in wahook's message model (package message). The suite
	// asks Inspect when set, else GETs InspectURL, else reads the acknowledgement's body when it is
	// the model's JSON; a receiver that says nothing is judged on its status alone.
	//
	// Inspect returns the receiver's understanding of the message with id (Request.MessageID).
	Inspect func(ctx context.Context, id string) (message.Message, error)
	// InspectURL is an http(s) URL with an {id} placeholder, answered 2xx with the model's JSON once
	// the receiver has the message; the suite polls it until then.
	InspectURL string
	// InspectTimeout bounds the wait for one message's understanding; 0 means 5 s.
	InspectTimeout time.Duration
	// Ignore lists the JSON pointers of model fields not judged, for a receiver that keeps less on
	// purpose: "/media/caption", "/contacts".
	Ignore []string
	// Equivalent says the receiver takes every provider's webhooks at Target.URL, telling them apart
	// by their format: the equivalent group then sends each message in every provider's format
	// (mockprovider.Generator.SameMessage) and checks that the receiver understood the same from each,
	// field by field (message.Message.Content). Those of another provider carry the extra headers and,
	// where its Auth can carry them, the credentials: for a receiver that requires one provider's
	// credentials, run the group from that provider's suite.
	Equivalent bool
	// VerifyToken is the token the receiver is configured to answer its provider's verification
	// handshake with (Meta's hub.verify_token): the handshake group runs with it, and is skipped
	// without it. Providers without a handshake have no such group.
	VerifyToken string
	// Corpus is a corpus directory, recorded by wahook proxy --record or written by wahook gen: the
	// recorded group replays each payload of it the receiver should take, of Target.Provider, with
	// fresh ids and times, and expects a 2xx.
	Corpus string
}

// settings is a checked Config with defaults filled in.
type settings struct {
	Config
	prov   *mockprovider.Provider
	header http.Header // every request's headers: User-Agent and credentials
	// credentials are the header names that carry credentials, as spelled in header.
	credentials []string
	filter      *regexp.Regexp
}

// headerFor returns the headers of a request with body: the suite's, and the provider's signature
// of body where it signs.
func (s *settings) headerFor(body []byte) http.Header {
	return signed(s.header, s.Target, s.prov, body)
}

// headerAs returns the headers of a request with body in the format of provider p, for the
// equivalent group: as the suite's own provider's when p is it; otherwise p's, with the credentials
// when p's Auth can carry them and the extra headers alone when it cannot.
func (s *settings) headerAs(p schemas.Provider, body []byte) (http.Header, error) {
	if p == s.Provider {
		return s.headerFor(body), nil
	}
	t := s.Target
	t.Provider = p
	prov, err := t.Check(false)
	if err != nil {
		t.Credentials = mockprovider.Credentials{}
		if prov, err = t.Check(false); err != nil {
			return nil, fmt.Errorf("headers for %s: %w", p, err)
		}
	}
	h, err := t.Headers(s.Version)
	if err != nil {
		return nil, fmt.Errorf("headers for %s: %w", p, err)
	}
	return signed(h, t, prov, body), nil
}

// signed is header with t's signature of body added, where its provider signs.
func signed(header http.Header, t mockprovider.Target, prov *mockprovider.Provider, body []byte) http.Header {
	h := header.Clone()
	for k, v := range t.Sign(prov, body) {
		h[k] = v
	}
	return h
}

func (c Config) settings(needTarget bool) (*settings, error) {
	bad := func(field string, err error) error {
		return fmt.Errorf("%w: %w", ErrBadConfig, &engine.FieldError{Field: field, Err: err})
	}
	s := &settings{Config: c}
	var err error
	if s.prov, err = c.Target.Check(needTarget); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	switch c.Profile {
	case "":
		s.Profile = Standard
	case Standard, Strict:
	default:
		return nil, bad("Profile", fmt.Errorf("%q: want one of %v", c.Profile, Profiles()))
	}
	if c.Timeout == 0 {
		s.Timeout = defaultTimeout
	}
	switch {
	case c.Concurrency < 0 || c.Concurrency > MaxConcurrency:
		return nil, bad("Concurrency", fmt.Errorf("%d: want 1 to %d", c.Concurrency, MaxConcurrency))
	case c.MaxFailures < 0:
		return nil, bad("MaxFailures", fmt.Errorf("negative (%d)", c.MaxFailures))
	case c.Budget < 0:
		return nil, bad("Budget", fmt.Errorf("negative (%v)", c.Budget))
	case c.Concurrency == 0:
		s.Concurrency = DefaultConcurrency
	}
	switch {
	case c.InspectTimeout < 0:
		return nil, bad("InspectTimeout", fmt.Errorf("negative (%v)", c.InspectTimeout))
	case c.InspectTimeout == 0:
		s.InspectTimeout = inspect.DefaultTimeout
	}
	if c.InspectURL != "" {
		if err := inspect.CheckURL(c.InspectURL); err != nil {
			return nil, bad("InspectURL", err)
		}
	}
	for _, p := range c.Ignore {
		if !strings.HasPrefix(p, "/") {
			return nil, bad("Ignore", fmt.Errorf("%q: want a JSON pointer such as /media/caption", p))
		}
	}
	if c.Run != "" {
		if s.filter, err = regexp.Compile(c.Run); err != nil {
			return nil, bad("Run", err)
		}
	}
	// An empty credential cannot be got wrong: the auth group's wrong-credentials case would send the
	// right one.
	for _, name := range slices.Sorted(maps.Keys(c.Header)) {
		if slices.ContainsFunc(c.Header[name], func(v string) bool { return strings.TrimSpace(v) == "" }) {
			return nil, bad("Header", fmt.Errorf("%s: the value is empty", name))
		}
	}
	if c.TLS.CAFile != "" && c.TLS.RootCAs == nil {
		// Read once, as the engine would: a bad file is refused before any case runs.
		if s.TLS.RootCAs, err = engine.LoadCAFile(c.TLS.CAFile); err != nil {
			return nil, bad("TLS.CAFile", err)
		}
	}
	if s.header, err = s.Target.Headers(c.Version); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	for name := range s.header {
		if name != "User-Agent" {
			s.credentials = append(s.credentials, name)
		}
	}
	for name := range s.Target.Sign(s.prov, nil) {
		s.credentials = append(s.credentials, name)
	}
	slices.Sort(s.credentials)
	return s, nil
}
