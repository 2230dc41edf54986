package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// ErrBadRequest is wrapped by every error DecodeSendRequest returns, and by the server's other
// refusals of a request's content; the server answers them 400.
var ErrBadRequest = errors.New("bad request")

// Bounds on the work one POST /v1/send may ask for. Beyond them the server answers 400.
const (
	// MaxRequestBytes caps the request body.
	MaxRequestBytes = 1 << 20
	// MaxCount caps "count".
	MaxCount = 100_000
	// MaxWorkers caps "workers".
	MaxWorkers = 256
	// MaxRetries caps the number of delays in "retries".
	MaxRetries = 32
	// MaxTimeout caps "timeout", the bound on one attempt.
	MaxTimeout = 5 * time.Minute
	// MaxHeaders caps the number of extra headers in "header".
	MaxHeaders = 64
	// MaxSendBytes caps the bodies one send generates, all payloads together: it is what keeps a
	// count of 3 MiB "oversized-body" mutations from exhausting memory.
	MaxSendBytes = 256 << 20
	// MaxConcurrentSends is how many /v1/send may run at once; more are answered 429.
	MaxConcurrentSends = 16
)

// sendRequest is the body of POST /v1/send: mockprovider.SendOptions as JSON, with the same names,
// less what a remote caller must not choose (caFile names a file on the server's disk; Version is
// the server's). timeout takes a Go duration string such as "10s", or an integer of nanoseconds as
// SendOptions marshals it; header takes a string or an array of strings per name.
type sendRequest struct {
	Target       string                     `json:"target"`
	Provider     string                     `json:"provider"`
	Types        []string                   `json:"types"`
	Count        int                        `json:"count"`
	Seed         uint64                     `json:"seed"`
	Mutation     string                     `json:"mutation"`
	Quirks       string                     `json:"quirks"`
	MediaBaseURL string                     `json:"mediaBaseURL"`
	MediaFault   string                     `json:"mediaFault"`
	AuthUser     string                     `json:"authUser"`
	AuthToken    string                     `json:"authToken"`
	Header       map[string]json.RawMessage `json:"header"`
	Timeout      json.RawMessage            `json:"timeout"`
	Retries      string                     `json:"retries"`
	TimeScale    float64                    `json:"timeScale"`
	Duplicates   float64                    `json:"duplicates"`
	Shuffle      bool                       `json:"shuffle"`
	Workers      int                        `json:"workers"`
	Rate         float64                    `json:"rate"`
	Insecure     bool                       `json:"insecure"`
}

// DecodeSendRequest reads the body of a POST /v1/send into send options, checking everything that
// can be checked without generating payloads: unknown fields, the target URL, the provider, types,
// mutation, quirk mode and media fault by name, numbers and their bounds, durations, header syntax.
// Every error wraps ErrBadRequest and names what was wrong. The options it returns leave MediaBaseURL
// empty unless the body set it, and Version always: the server fills them in.
func DecodeSendRequest(body []byte) (mockprovider.SendOptions, error) {
	bad := func(format string, args ...any) (mockprovider.SendOptions, error) {
		return mockprovider.SendOptions{}, fmt.Errorf("%w: %s", ErrBadRequest, fmt.Sprintf(format, args...))
	}
	if len(body) > MaxRequestBytes {
		return bad("body is %d bytes, at most %d", len(body), MaxRequestBytes)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return bad(`empty body: want a JSON object such as {"target": "http://127.0.0.1:8080/webhook", "provider": "innopaas"}`)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var req sendRequest
	if err := dec.Decode(&req); err != nil {
		return bad("%s", describeJSONError(err, body))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return bad("body: more than one JSON value")
	}

	if req.Target == "" {
		return bad(`target: missing (the receiver's URL, such as "http://127.0.0.1:8080/webhook")`)
	}
	if err := checkBaseURL(req.Target); err != nil {
		return bad("target: %v", err)
	}
	if req.Provider == "" {
		return bad("provider: missing (want one of %v)", schemas.Providers())
	}
	p, err := schemas.ParseProvider(req.Provider, false)
	if err != nil {
		return bad("provider: %v", err)
	}
	prov, err := mockprovider.Lookup(p)
	if err != nil {
		return bad("provider: %v", err)
	}
	types, err := checkTypes(prov, req.Types)
	if err != nil {
		return bad("types: %v", err)
	}
	switch {
	case req.Count < 0:
		return bad("count: negative (%d)", req.Count)
	case req.Count > MaxCount:
		return bad("count: %d is more than %d", req.Count, MaxCount)
	case req.Workers < 0:
		return bad("workers: negative (%d)", req.Workers)
	case req.Workers > MaxWorkers:
		return bad("workers: %d is more than %d", req.Workers, MaxWorkers)
	case !finite(req.TimeScale) || req.TimeScale < 0:
		return bad("timeScale: %v, want a number >= 0", req.TimeScale)
	case !finite(req.Rate) || req.Rate < 0:
		return bad("rate: %v, want requests per second >= 0", req.Rate)
	case !finite(req.Duplicates) || req.Duplicates < 0 || req.Duplicates > 1:
		return bad("duplicates: %v, want a fraction from 0 to 1", req.Duplicates)
	}
	if req.Mutation != "" {
		m, err := mockprovider.LookupMutation(p, req.Mutation)
		if err != nil {
			return bad("mutation: %v", err)
		}
		if !slices.ContainsFunc(types, m.AppliesTo) {
			return bad("mutation: %s applies to none of the chosen types", m.ID)
		}
	}
	quirks := mockprovider.QuirkMode(req.Quirks)
	if !slices.Contains([]mockprovider.QuirkMode{"", mockprovider.QuirksMix, mockprovider.QuirksExample, mockprovider.QuirksTable}, quirks) {
		return bad("quirks: %q, want mix, example or table", truncate(req.Quirks, 40))
	}
	if req.MediaBaseURL != "" {
		if err := checkBaseURL(req.MediaBaseURL); err != nil {
			return bad("mediaBaseURL: %v", err)
		}
	}
	if !slices.Contains(mockprovider.MediaFaults(), req.MediaFault) {
		return bad("mediaFault: %q, want 404, slow or corrupt", truncate(req.MediaFault, 40))
	}
	timeout, err := parseDuration(req.Timeout)
	switch {
	case err != nil:
		return bad("timeout: %v", err)
	case timeout < 0:
		return bad("timeout: negative (%v)", timeout)
	case timeout > MaxTimeout:
		return bad("timeout: %v is more than %v", timeout, MaxTimeout)
	}
	retries, err := prov.ParseRetries(req.Retries)
	switch {
	case err != nil:
		return bad("%v", err)
	case len(retries) > MaxRetries:
		return bad("retries: %d delays, at most %d", len(retries), MaxRetries)
	}
	header, err := parseHeader(req.Header)
	if err != nil {
		return bad("header: %v", err)
	}
	for _, f := range [...]struct{ name, value string }{{"authUser", req.AuthUser}, {"authToken", req.AuthToken}} {
		if !validHeaderValue(f.value) {
			return bad("%s: control characters are not allowed in a header value", f.name)
		}
	}
	if _, err := prov.DeliveryHeader("", req.AuthUser, req.AuthToken, header); err != nil {
		return bad("authUser/authToken: %v", err)
	}
	return mockprovider.SendOptions{
		Target: req.Target, Provider: p, Types: req.Types, Count: req.Count, Seed: req.Seed,
		Mutation: req.Mutation, Quirks: quirks, MediaBaseURL: strings.TrimSuffix(req.MediaBaseURL, "/"),
		MediaFault: req.MediaFault, AuthUser: req.AuthUser, AuthToken: req.AuthToken, Header: header,
		Timeout: timeout, Retries: req.Retries, TimeScale: req.TimeScale, Duplicates: req.Duplicates,
		Shuffle: req.Shuffle, Workers: req.Workers, Rate: req.Rate, Insecure: req.Insecure,
	}, nil
}

// checkTypes checks the requested types against the provider's and returns the chosen ones.
func checkTypes(prov *mockprovider.Provider, types []string) ([]string, error) {
	all := prov.Types()
	if len(types) == 0 || slices.Equal(types, []string{"all"}) {
		return all, nil
	}
	for _, t := range types {
		switch {
		case t == "all":
			return nil, errors.New(`"all" cannot be combined with other types`)
		case !slices.Contains(all, t):
			return nil, fmt.Errorf("%w %q for %s (want one of %s)", mockprovider.ErrUnknownType, truncate(t, 40), prov.Name, strings.Join(all, ", "))
		}
	}
	return types, nil
}

// checkBaseURL accepts an absolute http or https URL with a host.
func checkBaseURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("%q is not a URL", truncate(raw, 100))
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q: scheme must be http or https", truncate(raw, 100))
	case u.Host == "":
		return fmt.Errorf("%q has no host", truncate(raw, 100))
	}
	return nil
}

// parseDuration reads "10s" or an integer of nanoseconds; nothing means 0.
func parseDuration(raw json.RawMessage) (time.Duration, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration such as \"10s\" or \"500ms\"", truncate(s, 40))
		}
		return d, nil
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is neither a duration string such as \"10s\" nor an integer of nanoseconds", truncate(string(raw), 40))
	}
	return time.Duration(n), nil
}

// parseHeader reads {"Name": "value"} or {"Name": ["v1", "v2"]}, checking names and values.
func parseHeader(raw map[string]json.RawMessage) (http.Header, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	if len(raw) > MaxHeaders {
		return nil, fmt.Errorf("%d names, at most %d", len(raw), MaxHeaders)
	}
	h := make(http.Header, len(raw))
	for name, v := range raw {
		if !validHeaderName(name) {
			return nil, fmt.Errorf("%q is not a valid header name", truncate(name, 40))
		}
		var values []string
		var one string
		if err := json.Unmarshal(v, &one); err == nil {
			values = []string{one}
		} else if err := json.Unmarshal(v, &values); err != nil {
			return nil, fmt.Errorf("%s: want a string or an array of strings", truncate(name, 40))
		}
		for _, value := range values {
			if !validHeaderValue(value) {
				return nil, fmt.Errorf("%s: control characters are not allowed in a header value", truncate(name, 40))
			}
		}
		h[name] = values
	}
	return h, nil
}

// validHeaderName reports whether name is an RFC 9110 token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := range len(name) {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// validHeaderValue refuses the control characters net/http would refuse to send (tab is allowed).
func validHeaderValue(v string) bool {
	for i := range len(v) {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// describeJSONError says in the request's own terms what is wrong with its JSON.
func describeJSONError(err error, body []byte) string {
	var (
		syntax  *json.SyntaxError
		typeErr *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("body is not JSON: %v at byte %d", syntax, syntax.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Sprintf("body is not JSON: it ends early, at byte %d", len(body))
	case errors.As(err, &typeErr) && typeErr.Field == "":
		return fmt.Sprintf("body: got a JSON %s, want an object", typeErr.Value)
	case errors.As(err, &typeErr):
		return fmt.Sprintf("%s: got a JSON %s, want %s", typeErr.Field, typeErr.Value, describeType(typeErr.Type))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return "body: " + strings.TrimPrefix(err.Error(), "json: ")
}

func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int64:
		return "an integer"
	case reflect.Uint64:
		return "an integer from 0 to 18446744073709551615"
	case reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			return "an array of strings"
		}
		return "a JSON value"
	case reflect.Map:
		return "an object"
	}
	return t.String()
}
