package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wahook/wahook/internal/engine"
	"github.com/wahook/wahook/internal/media"

	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
	"github.com/wahook/wahook/send"
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
	// MaxWorkers caps "workers": the engine's own bound, as for wahook send.
	MaxWorkers = engine.MaxWorkers
	// MaxRetries caps the number of delays in "retries".
	MaxRetries = 32
	// MaxTimeout caps "timeout", the bound on one attempt.
	MaxTimeout = 5 * time.Minute
	// MaxHeaders caps the number of extra headers in "header".
	MaxHeaders = 64
	// MaxConcurrentSends is how many /v1/send may be running or waiting for Options.MaxInFlight at
	// once; more are answered 429 with Retry-After.
	MaxConcurrentSends = 16
)

// sendRequest is the body of POST /v1/send: mockprovider.SendOptions as JSON, with the same names,
// less Version, which is the server's. timeout takes a Go duration string such as "10s", or an
// integer of nanoseconds as SendOptions marshals it; header takes a string or an array of strings per
// name. timeScale, when given, must be above 0 (left out, it is 1). insecure skips verifying an https
// receiver's certificate. There is no caFile: the server trusts the certificates it was started with
// (Options.RootCAs), and the field, which would name a file on its machine, is refused unread. bodies
// are payloads to send instead of generated ones, as wahook send --file: each a JSON value, sent byte
// for byte as written in the request; rawBodies are sent as the bytes of each string, for payloads
// that are not JSON. wait, true unless given as false, makes the answer wait for the run's end and
// carry its records; false answers 202 at once with the run's id and URL.
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
	AppSecret    string                     `json:"appSecret"`
	Header       map[string]json.RawMessage `json:"header"`
	Timeout      json.RawMessage            `json:"timeout"`
	Retries      string                     `json:"retries"`
	TimeScale    *float64                   `json:"timeScale"`
	Duplicates   float64                    `json:"duplicates"`
	Shuffle      bool                       `json:"shuffle"`
	Workers      int                        `json:"workers"`
	Rate         float64                    `json:"rate"`
	Insecure     bool                       `json:"insecure"`
	CAFile       json.RawMessage            `json:"caFile"` // only to refuse it with a hint
	Bodies       []json.RawMessage          `json:"bodies"`
	RawBodies    []string                   `json:"rawBodies"`
	Wait         *bool                      `json:"wait"`
}

// DecodeSendRequest reads the body of a POST /v1/send into send options, checking everything that
// can be checked without generating payloads: unknown fields, the target URL, the provider, types,
// mutation, quirk mode and media fault by name, numbers and their bounds, durations, the shape of
// header. Header names and values, and the credentials, are checked by PrepareSend with those of every
// send; requestError words its refusal as this function would.
// Every error wraps ErrBadRequest and names what was wrong. The options it returns leave MediaBaseURL
// empty unless the body set it, and Version always: the server fills them in.
func DecodeSendRequest(body []byte) (send.Options, error) {
	opts, _, err := decodeSend(body)
	return opts, err
}

// decodeSend is DecodeSendRequest, and whether the caller waits for the run's end ("wait", true
// unless given as false).
func decodeSend(body []byte) (_ send.Options, wait bool, _ error) {
	bad := func(format string, args ...any) (send.Options, bool, error) {
		return send.Options{}, false, fmt.Errorf("%w: %s", ErrBadRequest, fmt.Sprintf(format, args...))
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
	types, err := prov.CheckTypes(req.Types)
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
	case req.TimeScale != nil && (!finite(*req.TimeScale) || *req.TimeScale <= 0):
		// 0 would mean the engine's default, 1: someone asking for no delay would wait whole minutes.
		return bad("timeScale: %v, want a factor > 0 such as 0.001 (leave it out for 1)", *req.TimeScale)
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
	if _, err := mockprovider.ParseQuirkMode(req.Quirks); req.Quirks != "" && err != nil {
		return bad("quirks: %q, want one of %v", truncate(req.Quirks, 40), mockprovider.QuirkModes())
	}
	if req.MediaBaseURL != "" {
		if err := checkBaseURL(req.MediaBaseURL); err != nil {
			return bad("mediaBaseURL: %v", err)
		}
	}
	if !slices.Contains(media.Faults(), req.MediaFault) {
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
	if req.CAFile != nil {
		// Nothing of the path is read or echoed: whether it exists is not the caller's to learn.
		return bad("caFile: the control API reads no file a caller names; start wahook serve with --ca-file to trust a certificate")
	}
	bodies, err := givenBodies(req)
	if err != nil {
		return bad("%v", err)
	}
	timeScale := 0.0 // the engine's default, 1
	if req.TimeScale != nil {
		timeScale = *req.TimeScale
	}
	return send.Options{
		Target: mockprovider.Target{
			URL: req.Target, Provider: p, Header: header, Timeout: timeout,
			Credentials: mockprovider.Credentials{User: req.AuthUser, Token: req.AuthToken, Secret: req.AppSecret},
			TLS:         mockprovider.TLS{Insecure: req.Insecure},
		},
		Types: req.Types, Count: req.Count, Seed: req.Seed,
		Mutation: req.Mutation, Bodies: bodies, Quirks: quirks, MediaBaseURL: strings.TrimSuffix(req.MediaBaseURL, "/"),
		MediaFault: req.MediaFault, Retries: req.Retries, TimeScale: timeScale, Duplicates: req.Duplicates,
		Shuffle: req.Shuffle, Workers: req.Workers, Rate: req.Rate,
	}, req.Wait == nil || *req.Wait, nil
}

// givenBodies returns the request's bodies and rawBodies, in that order, or nil when it gives none.
// Given bodies replace generated payloads, so the fields that describe generation are refused with
// them, as wahook send refuses them with --file.
func givenBodies(req sendRequest) ([][]byte, error) {
	if len(req.Bodies) == 0 && len(req.RawBodies) == 0 {
		return nil, nil
	}
	for _, f := range [...]struct {
		name string
		set  bool
	}{{"types", len(req.Types) > 0}, {"count", req.Count != 0}, {"mutation", req.Mutation != ""}, {"quirks", req.Quirks != ""}, {"mediaFault", req.MediaFault != ""}} {
		if f.set {
			return nil, fmt.Errorf("%s: applies to generated payloads, not to bodies or rawBodies", f.name)
		}
	}
	if n := len(req.Bodies) + len(req.RawBodies); n > MaxCount {
		return nil, fmt.Errorf("bodies: %d payloads, at most %d", n, MaxCount)
	}
	out := make([][]byte, 0, len(req.Bodies)+len(req.RawBodies))
	for _, b := range req.Bodies {
		out = append(out, []byte(b))
	}
	for _, b := range req.RawBodies {
		out = append(out, []byte(b))
	}
	return out, nil
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

// parseHeader reads {"Name": "value"} or {"Name": ["v1", "v2"]}. It reads the shape only: names and
// values are checked with the credentials by PrepareSend (mockprovider.DeliveryHeader), whose
// refusal requestError words in the request's terms. Names that differ only in letter case are
// refused there too: a JSON object's order is lost in a map, so their values could not be sent in the
// order given.
func parseHeader(raw map[string]json.RawMessage) (http.Header, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	if len(raw) > MaxHeaders {
		return nil, fmt.Errorf("%d names, at most %d", len(raw), MaxHeaders)
	}
	h := make(http.Header, len(raw))
	for _, name := range slices.Sorted(maps.Keys(raw)) {
		var values []string
		var one string
		if err := json.Unmarshal(raw[name], &one); err == nil {
			values = []string{one}
		} else if err := json.Unmarshal(raw[name], &values); err != nil {
			return nil, fmt.Errorf("%s: want a string or an array of strings", truncate(name, 40))
		}
		h[name] = values
	}
	return h, nil
}

// requestFields names the field of a /v1/send body that sets each option send.Prepare or the engine
// may refuse by name (a *engine.FieldError).
var requestFields = map[string]string{
	"Credentials.User": "authUser", "Credentials.Token": "authToken", "Credentials.Secret": "appSecret", "Header": "header", "URL": "target",
	"Target": "target", "Timeout": "timeout", "Workers": "workers", "TimeScale": "timeScale", "Rate": "rate",
	"Duplicates": "duplicates", "Retries": "retries", "Insecure": "insecure", "TLS.Insecure": "insecure",
}

// requestError words a refusal of send.Prepare or of the engine in the request's terms: a bad request
// naming the JSON field that set the option, its message bounded, since it may quote a header name of
// any length. Other errors are returned as they are.
func requestError(err error) error {
	var fe *engine.FieldError
	if errors.As(err, &fe) {
		if name := requestFields[fe.Field]; name != "" {
			return fmt.Errorf("%w: %s: %s", ErrBadRequest, name, truncate(fe.Err.Error(), 200))
		}
	}
	return err
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
		switch {
		case t.Elem().Kind() == reflect.String:
			return "an array of strings"
		case t.Elem() == reflect.TypeFor[json.RawMessage]():
			return "an array of JSON values"
		}
		return "a JSON value"
	case reflect.Map:
		return "an object"
	}
	return t.String()
}
