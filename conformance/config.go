package conformance

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

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

// DefaultTimeout bounds each request of the suite.
const DefaultTimeout = 10 * time.Second

// Errors the suite returns before or instead of running cases.
var (
	// ErrBadConfig is wrapped by errors about an unusable Config.
	ErrBadConfig = errors.New("bad conformance config")
	// ErrUnreachable means nothing answered HTTP at the target: the suite did not run.
	ErrUnreachable = errors.New("nothing answers HTTP at the target")
	// ErrAuthRefused means the receiver refused a valid message for its credentials (401 or 403): the
	// suite did not run, because every case would fail for the same reason.
	ErrAuthRefused = errors.New("the receiver refused the credentials")
)

// Config is what to test and how.
type Config struct {
	// Target is the receiver's URL, http or https. Cases and --list do not need it.
	Target string
	// Provider is the provider whose webhooks the receiver expects.
	Provider schemas.Provider
	// Profile is Standard or Strict; "" means Standard.
	Profile Profile
	// AuthUser and AuthToken are the customer-configured credentials of a provider that documents
	// credential headers (InnoPaaS: UserName and Authorization).
	AuthUser  string
	AuthToken string
	// AuthHeaders are further credentials as "Name: value" lines, for any provider. When any
	// credentials are given, every case sends them and the auth group runs; otherwise it is skipped.
	AuthHeaders []string
	// Timeout bounds each request; 0 means DefaultTimeout.
	Timeout time.Duration
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
	// CAFile names PEM certificates to trust for an https target instead of the system's; Insecure
	// skips verifying its certificate. They exclude each other.
	CAFile   string
	Insecure bool
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

// configNames names the Config field that sets each input mockprovider.DeliveryHeader may refuse, in
// the words of this package's errors.
var configNames = map[string]string{"AuthUser": "auth user", "AuthToken": "auth token", "Header": "auth header"}

func (c Config) settings(needTarget bool) (*settings, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadConfig, fmt.Sprintf(format, args...))
	}
	s := &settings{Config: c}
	var err error
	if s.prov, err = mockprovider.Lookup(c.Provider); err != nil {
		return nil, bad("provider: %v", err)
	}
	switch c.Profile {
	case "":
		s.Profile = Standard
	case Standard, Strict:
	default:
		return nil, bad("profile %q: want one of %v", c.Profile, Profiles())
	}
	if c.Timeout < 0 {
		return nil, bad("negative timeout %v", c.Timeout)
	}
	if c.Timeout == 0 {
		s.Timeout = DefaultTimeout
	}
	if needTarget {
		u, err := url.Parse(c.Target)
		switch {
		case c.Target == "":
			return nil, bad("no target URL")
		case err != nil:
			return nil, bad("target: %v", err)
		case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
			return nil, bad("target %q: want an http:// or https:// URL", c.Target)
		}
	}
	if c.Run != "" {
		if s.filter, err = regexp.Compile(c.Run); err != nil {
			return nil, bad("run: %v", err)
		}
	}
	// An empty credential cannot be got wrong: the auth group's wrong-credentials case would send the
	// right one. Unset is "", so only a value of blanks can be told apart here; the CLI refuses an
	// explicitly empty --auth-user or --auth-token itself.
	for _, cred := range []struct{ name, value string }{{"auth user", c.AuthUser}, {"auth token", c.AuthToken}} {
		if cred.value != "" && strings.TrimSpace(cred.value) == "" {
			return nil, bad("%s: the value is blank", cred.name)
		}
	}
	// As wahook send reads --header: a name given again, in any letter case, adds a value.
	extra, err := mockprovider.ParseHeaders(c.AuthHeaders)
	if err != nil {
		return nil, bad("auth header: %v", err)
	}
	for _, name := range slices.Sorted(maps.Keys(extra)) {
		if slices.Contains(extra[name], "") {
			return nil, bad("auth header %s: the value is empty", name)
		}
	}
	if s.header, err = s.prov.DeliveryHeader(c.Version, c.AuthUser, c.AuthToken, extra); err != nil {
		var he *mockprovider.HeaderError
		if errors.As(err, &he) {
			return nil, bad("%s: %v", configNames[he.Field], he.Err)
		}
		return nil, bad("credentials: %v", err)
	}
	for name := range s.header {
		if name != "User-Agent" {
			s.credentials = append(s.credentials, name)
		}
	}
	slices.Sort(s.credentials)
	return s, nil
}
