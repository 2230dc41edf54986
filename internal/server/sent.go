package server

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wahook/wahook/internal/engine"
	"github.com/wahook/wahook/internal/jsonrecord"
	"github.com/wahook/wahook/mockprovider"
)

// masked is what a credential's value reads as wherever the server shows it.
const masked = "••••••"

// runSpec is what every delivery of one run shares: where it went and how, and what it carried. A
// record points at its run's spec, so that it can be resent, and its commands written, after the run
// itself is forgotten. It holds the credentials: nothing of it is shown unmasked.
type runSpec struct {
	target    mockprovider.Target
	prov      *mockprovider.Provider
	retries   string  // as given: "" is the provider's schedule
	timeScale float64 // 0 is 1
	delaysMs  []float64
	mutation  string
	pointer   string
	// secretNames are the lower-cased names of the headers that carry credentials.
	secretNames map[string]bool
}

// genericSecrets are the header names that carry credentials whatever the provider.
var genericSecrets = []string{"authorization", "proxy-authorization", "cookie"}

// newSpec works out the run-wide facts of a send to t: its retry delays, and which headers carry
// credentials (the provider's Auth, found by asking it for headers of probe credentials, and the
// generic ones).
func newSpec(t mockprovider.Target, prov *mockprovider.Provider, retries string, timeScale float64, mutation string) *runSpec {
	sp := &runSpec{target: t, prov: prov, retries: retries, timeScale: timeScale, mutation: mutation, secretNames: map[string]bool{}}
	for _, n := range genericSecrets {
		sp.secretNames[n] = true
	}
	probe := mockprovider.Credentials{User: "u", Token: "t", Secret: "s"}
	for name := range prov.Auth.Header(probe) {
		sp.secretNames[strings.ToLower(name)] = true
	}
	if delays, err := prov.ParseRetries(retries); err == nil {
		scale := timeScale
		if scale == 0 {
			scale = 1
		}
		for _, d := range delays {
			sp.delaysMs = append(sp.delaysMs, jsonrecord.Milliseconds(time.Duration(float64(d)*scale)))
		}
	}
	if mutation != "" {
		if m, err := mockprovider.LookupMutation(prov.Name, mutation); err == nil {
			sp.pointer = m.Pointer
		}
	}
	return sp
}

// maskedURL is the target with its user info, if any, masked.
func (sp *runSpec) maskedURL() string { return maskURL(sp.target.URL) }

func maskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}

// secret says which credential a header line carries: "authUser" or "authToken" for those values
// verbatim, "credential" for any other header that carries one; "" for none.
func (sp *runSpec) secret(name, value string) string {
	c := sp.target.Credentials
	switch {
	case c.User != "" && value == c.User:
		return "authUser"
	case c.Token != "" && value == c.Token:
		return "authToken"
	case sp.secretNames[strings.ToLower(name)]:
		return "credential"
	}
	for _, v := range []string{c.User, c.Token, c.Secret} {
		if v != "" && strings.Contains(value, v) {
			return "credential"
		}
	}
	return ""
}

// sentRequest is what one delivery sent: every attempt writes the same header lines and body.
type sentRequest struct {
	spec   *runSpec
	header []engine.HeaderLine // as written, credentials in clear: for resend only
	body   []byte              // nil when over MaxKeptRequest
	size   int
}

// newSent keeps what p's delivery sends. The body is the payload's own (the engine never changes
// it), kept only up to MaxKeptRequest bytes.
func newSent(spec *runSpec, p engine.Progress) *sentRequest {
	s := &sentRequest{spec: spec, header: p.RequestHeader(), size: len(p.Payload.Body)}
	if s.size <= MaxKeptRequest {
		s.body = p.Payload.Body
	}
	return s
}

// RequestRecord is the request a delivery sent, as GET /v1/deliveries/{seq} shows it.
type RequestRecord struct {
	Method string `json:"method"`
	URL    string `json:"url"`
	// Header is every header line in the order sent, credentials masked; empty when the headers
	// could not be sent (the attempt's error says why).
	Header []HeaderField `json:"header"`
	// Body is the body as text, when it was kept and is valid UTF-8; BodyBase64 holds it otherwise.
	Body       string `json:"body"`
	BodyBase64 string `json:"bodyBase64,omitempty"`
	// BodyBytes is the body's size; BodyKept is false when it was over MaxKeptRequest bytes, and
	// then neither Body nor BodyBase64 holds it.
	BodyBytes int  `json:"bodyBytes"`
	BodyKept  bool `json:"bodyKept"`
}

// HeaderField is one header line. Masked names the credential a masked value stands for
// (authUser, authToken, credential); its Value then reads "••••••".
type HeaderField struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Masked string `json:"masked,omitempty"`
}

// record shows s, credentials masked.
func (s *sentRequest) record() RequestRecord {
	rr := RequestRecord{Method: http.MethodPost, URL: s.spec.maskedURL(), Header: s.fields(), BodyBytes: s.size, BodyKept: s.body != nil || s.size == 0}
	switch {
	case !rr.BodyKept:
	case utf8.Valid(s.body):
		rr.Body = string(s.body)
	default:
		rr.BodyBase64 = base64.StdEncoding.EncodeToString(s.body)
	}
	return rr
}

func (s *sentRequest) fields() []HeaderField {
	out := make([]HeaderField, 0, len(s.header))
	for _, l := range s.header {
		f := HeaderField{Name: l.Name, Value: l.Value}
		if m := s.spec.secret(l.Name, l.Value); m != "" {
			f.Value, f.Masked = masked, m
		}
		out = append(out, f)
	}
	return out
}

// Commands are a delivery's request as shell commands that send the same bytes again: with curl,
// and with wahook send. Masked credentials are read from environment variables, named in the
// commands' first line.
type Commands struct {
	Curl       string `json:"curl"`
	WahookSend string `json:"wahookSend"`
}

// envName is the environment variable a command reads a masked header from.
func envName(kind, header string) string {
	switch kind {
	case "authUser":
		return "WAHOOK_AUTH_USER"
	case "authToken":
		return "WAHOOK_AUTH_TOKEN"
	case "appSecret":
		return "WAHOOK_APP_SECRET"
	}
	var b strings.Builder
	b.WriteString("WAHOOK_")
	for _, r := range strings.ToUpper(header) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// shellQuote quotes s for a POSIX shell, in single quotes.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// bodyPipe is the start of a pipeline that writes body to stdout byte for byte.
func bodyPipe(body []byte) string {
	if utf8.Valid(body) && !slices.Contains(body, 0) {
		return "printf '%s' " + shellQuote(string(body))
	}
	return "printf '%s' " + shellQuote(base64.StdEncoding.EncodeToString(body)) + " | base64 -d"
}

// commands writes s as curl and wahook send command lines; ok is false when the body was not kept.
func (s *sentRequest) commands() (Commands, bool) {
	if s.body == nil && s.size > 0 {
		return Commands{}, false
	}
	var envs []string
	env := func(kind, name string) string {
		v := envName(kind, name)
		if !slices.Contains(envs, v) {
			envs = append(envs, v)
		}
		return `"$` + v + `"`
	}
	header := func(f HeaderField) string {
		if f.Masked != "" {
			return shellQuote(f.Name+": ") + env(f.Masked, f.Name)
		}
		return shellQuote(f.Name + ": " + f.Value)
	}
	join := func(parts []string) string {
		var b strings.Builder
		if len(envs) > 0 {
			fmt.Fprintf(&b, "# masked here: set %s first\n", strings.Join(envs, " and "))
		}
		b.WriteString(parts[0])
		for i, p := range parts[1:] {
			if i == 0 {
				b.WriteString(" " + p)
				continue
			}
			b.WriteString(" \\\n  " + p)
		}
		return b.String()
	}
	sp := s.spec
	target := sp.maskedURL()
	host := ""
	if u, err := url.Parse(sp.target.URL); err == nil {
		host = u.Host
	}

	curl := []string{bodyPipe(s.body) + " |", "curl -sS -i -X POST " + shellQuote(target)}
	if sp.target.TLS.Insecure {
		curl = append(curl, "-k")
	}
	// curl adds an Accept header of its own: an empty one sends none, as the provider sends none.
	curl = append(curl, "-H 'Accept:'")
	fields := s.fields()
	for _, f := range fields {
		switch {
		case strings.EqualFold(f.Name, "Content-Length"), strings.EqualFold(f.Name, "Host") && f.Value == host:
			continue // curl writes them from the body and the URL
		}
		curl = append(curl, "-H "+header(f))
	}
	curl = append(curl, "--data-binary @-")
	c := Commands{Curl: join(curl)}
	envs = nil

	send := []string{bodyPipe(s.body) + " |", "wahook send --target " + shellQuote(target), "--provider " + string(sp.prov.Name), "--file -"}
	if sp.retries != "" {
		send = append(send, "--retries "+shellQuote(sp.retries))
	}
	if sp.timeScale != 0 {
		send = append(send, "--time-scale "+strconv.FormatFloat(sp.timeScale, 'g', -1, 64))
	}
	if sp.target.Timeout != 0 {
		send = append(send, "--timeout "+sp.target.Timeout.String())
	}
	if sp.target.TLS.Insecure {
		send = append(send, "--insecure")
	}
	if sp.target.Credentials.User != "" {
		send = append(send, "--auth-user "+env("authUser", ""))
	}
	if sp.target.Credentials.Token != "" {
		send = append(send, "--auth-token "+env("authToken", ""))
	}
	if sp.target.Credentials.Secret != "" {
		send = append(send, "--app-secret "+env("appSecret", "")) // signs the bytes again, as sent
	}
	// wahook send writes the provider's headers itself; the extras, and a Content-Type other than
	// the default (a mutation's), must be given.
	for _, f := range fields {
		extra := false
		for name := range sp.target.Header {
			extra = extra || strings.EqualFold(name, f.Name)
		}
		if extra || strings.EqualFold(f.Name, "Content-Type") && f.Value != engine.DefaultContentType {
			send = append(send, "-H "+header(f))
		}
	}
	c.WahookSend = join(send)
	return c, true
}

// replayHeader is s's header lines as engine options that write them again: the same names,
// values and order (the engine sorts names, as it did when it wrote them first), Content-Length
// left to the engine.
func (s *sentRequest) replayHeader() http.Header {
	h := http.Header{}
	for _, l := range s.header {
		if strings.EqualFold(l.Name, "Content-Length") {
			continue
		}
		h[l.Name] = append(h[l.Name], l.Value)
	}
	if _, ok := h["User-Agent"]; !ok {
		h["User-Agent"] = []string{""} // none was sent: an empty one sends none again
	}
	return h
}
