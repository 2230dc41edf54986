// Package broken holds the reference receiver with one defect at a time: a 500 on one message type, a
// crash on unknown fields, a hang, a missing auth check, and so on. Each comes with the case of wahook's
// conformance suite that catches it. They are the proof that the suite discriminates: wahook's own
// tests run every one through conformance.Execute (a few also through `wahook conform`), and
// require the suite to fail, naming that case. They are also a quick way to see what a failure report
// looks like.
package broken

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/wahook/wahook/conformance"
	"github.com/wahook/wahook/examples/receiver"
	"github.com/wahook/wahook/internal/jsoninput"
	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/message"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// Defect is a broken receiver and how the suite must catch it.
type Defect struct {
	// Name says what is wrong, in a few words.
	Name string
	// New returns the broken receiver; srv is the server it is about to run in, for a receiver that
	// kills it. Each call returns a receiver with state of its own.
	New func(srv *httptest.Server) http.Handler
	// Credentials: the suite runs with Credentials(provider), so that the auth group runs. The
	// receiver checks none unless New says so.
	Credentials bool
	// Timeout is the suite's per-request timeout, for defects that hang; 0 means the default.
	Timeout time.Duration
	// Run narrows the suite to the groups the defect shows in, to keep tests quick; "" runs it whole.
	Run string
	// Profile is the suite's profile; "" means the standard one.
	Profile conformance.Profile
	// WantFailed is the id of the case that must fail, with %s for the provider: "valid/%s/image/1".
	WantFailed string
	// WantReason is a substring of that case's reason.
	WantReason string
	// StopsAnswering: the receiver stops answering after WantFailed, so every later case is skipped.
	StopsAnswering bool
	// Silent: the receiver answers every case as the reference receiver does, 200 included, but
	// misreads what it acknowledges. Only deep verification sees it: the status-only suite passes.
	Silent bool
	// Only names the one provider whose format has what the defect gets wrong; "" means both.
	Only schemas.Provider
	// MinFailed, when set, is how many cases at least must fail: a defect of one value class
	// (wahook list values) must be caught by several, not by one lucky payload.
	MinFailed int
}

// Case returns the id of the case that must fail, for provider p.
func (d Defect) Case(p schemas.Provider) string {
	return strings.Replace(d.WantFailed, "%s", string(p), 1)
}

// Shows reports whether the defect shows with provider p's webhooks.
func (d Defect) Shows(p schemas.Provider) bool { return d.Only == "" || d.Only == p }

// Defects returns every broken receiver, each with a fresh state.
func Defects() []Defect {
	return []Defect{
		{
			Name: "500 on one message type",
			New: misbehaving(func() answerFirst {
				return func(w http.ResponseWriter, r *http.Request) bool {
					if MessageType(Peek(r)) != "image" {
						return false
					}
					http.Error(w, "boom", http.StatusInternalServerError)
					return true
				}
			}),
			Run:        "^(valid|documented)/",
			WantFailed: "valid/%s/image/1", WantReason: "expected 2xx, got 500 Internal Server Error",
		},
		{
			Name: "crash on unknown fields",
			New: misbehaving(func() answerFirst {
				return func(w http.ResponseWriter, r *http.Request) bool {
					if bytes.Contains(Peek(r), []byte("x_wahook_unknown")) {
						panic(http.ErrAbortHandler) // as a nil dereference would: net/http drops the connection
					}
					return false
				}
			}),
			WantFailed: "tolerate/%s/unknown-fields/text", WantReason: "the connection closed without an answer",
		},
		{
			Name: "5xx on bad JSON",
			New: misbehaving(func() answerFirst {
				return func(w http.ResponseWriter, r *http.Request) bool {
					if json.Valid(Peek(r)) {
						return false
					}
					http.Error(w, "cannot parse", http.StatusInternalServerError)
					return true
				}
			}),
			Run:        "^reject/",
			WantFailed: "reject/%s/invalid-json", WantReason: "expected 2xx or 4xx (no 5xx, no timeout), got 500",
		},
		{
			Name:        "no auth check",
			New:         func(*httptest.Server) http.Handler { return reference() },
			Credentials: true, Run: "^(valid|auth)/",
			WantFailed: "auth/%s/missing-credentials", WantReason: "expected 401 or 403, got 200 OK",
		},
		{
			Name: "409 on a duplicate",
			New: misbehaving(func() answerFirst {
				var seen sync.Map
				return func(w http.ResponseWriter, r *http.Request) bool {
					if _, dup := seen.LoadOrStore(sha256.Sum256(Peek(r)), true); !dup {
						return false
					}
					http.Error(w, "already have it", http.StatusConflict)
					return true
				}
			}),
			Run:        "^(documented|delivery)/",
			WantFailed: "delivery/%s/retry-identical-bytes", WantReason: "delivery 2 of 2: expected 2xx, got 409 Conflict",
		},
		{
			Name: "drops a customer's message older than their latest",
			New: misbehaving(func() answerFirst {
				var (
					mu     sync.Mutex
					latest = map[string]time.Time{}
				)
				return func(w http.ResponseWriter, r *http.Request) bool {
					from, sent, ok := sender(Peek(r))
					if !ok {
						return false
					}
					mu.Lock()
					stale := sent.Before(latest[from])
					if !stale {
						latest[from] = sent
					}
					mu.Unlock()
					if stale {
						http.Error(w, "older than the conversation's latest message", http.StatusConflict)
					}
					return stale
				}
			}),
			Run:        "^delivery/",
			WantFailed: "delivery/%s/out-of-order", WantReason: "delivery 2 of 2: expected 2xx, got 409 Conflict",
		},
		{
			Name: "hangs on one type",
			New: misbehaving(func() answerFirst {
				return func(w http.ResponseWriter, r *http.Request) bool {
					if MessageType(Peek(r)) == "location" {
						stall(r, 10*time.Second)
					}
					return false
				}
			}),
			Timeout: 500 * time.Millisecond, Run: "^valid/",
			WantFailed: "valid/%s/location/1", WantReason: "expected 2xx, got timeout after 500ms while reading the response head: got 0 bytes",
		},
		{
			Name: "dies on some input",
			New: func(srv *httptest.Server) http.Handler {
				return misbehaving(func() answerFirst {
					return func(w http.ResponseWriter, r *http.Request) bool {
						if !bytes.HasPrefix(Peek(r), []byte(`{"nested":[[[[`)) {
							return false
						}
						srv.Listener.Close()
						srv.CloseClientConnections()
						return true
					}
				})(srv)
			},
			WantFailed: "reject/%s/deep-nesting", WantReason: "receiver stopped answering after this case: canary got connection refused",
			StopsAnswering: true,
		},
		{
			// The hostile case itself is answered, and rightly: only the canary after it shows that
			// the receiver is gone.
			Name: "answers bad JSON with 400, then wedges",
			New: misbehaving(func() answerFirst {
				var wedged atomic.Bool
				return func(w http.ResponseWriter, r *http.Request) bool {
					// Read the body first: net/http notices the client hang up, which ends r's
					// context, only once the body is read.
					body := Peek(r)
					switch {
					case wedged.Load():
						<-r.Context().Done()
						return true
					case !json.Valid(body):
						wedged.Store(true)
						http.Error(w, "not JSON", http.StatusBadRequest)
						return true
					}
					return false
				}
			}),
			Timeout:    time.Second,
			WantFailed: "reject/%s/invalid-json", WantReason: "receiver stopped answering after this case: canary got timeout after 1s while reading the response head: got 0 bytes",
			StopsAnswering: true,
		},
		{
			Name: "acks unknown fields, then crashes on everything",
			New: misbehaving(func() answerFirst {
				var dead atomic.Bool
				return func(w http.ResponseWriter, r *http.Request) bool {
					if dead.Load() {
						panic(http.ErrAbortHandler)
					}
					if bytes.Contains(Peek(r), []byte("x_wahook_unknown")) {
						dead.Store(true)
					}
					return false
				}
			}),
			WantFailed: "tolerate/%s/unknown-fields/text", WantReason: "receiver stopped answering after this case: canary got the connection closed without an answer",
			StopsAnswering: true,
		},
		{
			Name: "serialised handling",
			New: misbehaving(func() answerFirst {
				var mu sync.Mutex
				return func(w http.ResponseWriter, r *http.Request) bool {
					mu.Lock()
					defer mu.Unlock()
					stall(r, 50*time.Millisecond)
					return false
				}
			}),
			Timeout: 500 * time.Millisecond, Run: "^delivery/",
			WantFailed: "delivery/%s/burst-50", WantReason: "of 50 concurrent deliveries failed; the first: expected 2xx, got timeout after 500ms while reading the response head: got 0 bytes",
		},
		{
			Name:       "refuses bodies over 16 KiB",
			New:        func(*httptest.Server) http.Handler { return receiver.New(receiver.Options{MaxBytes: 16 << 10}) },
			Run:        "^tolerate/",
			WantFailed: "tolerate/%s/max-length-text/text", WantReason: "expected 2xx, got 413 Request Entity Too Large",
		},
		{
			Name: "always 200, strict profile",
			New: func(*httptest.Server) http.Handler {
				return http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
			},
			Profile:    conformance.Strict,
			WantFailed: "reject/%s/invalid-json", WantReason: "expected 4xx, got 200 OK",
		},

		// Silent defects, as receivers break in the field: 200 to everything the reference receiver
		// acks, and the wrong thing stored.
		{
			Name: "drops captions", Silent: true, Run: "^documented/",
			New: misreading(func(m *message.Message) {
				if m.Media != nil {
					m.Media.Caption = ""
				}
			}),
			WantFailed: "documented/%s/image", WantReason: "misread 1 field: /media/caption: sent ",
		},
		{
			Name: `reads only "contacts"`, Silent: true, Run: "^documented/", Only: schemas.InnoPaaS,
			New: misreadingBody(func(body []byte, m *message.Message) {
				if !bytes.Contains(body, []byte(`"contacts":`)) {
					m.Contacts = nil // the example sends them under "contact"
				}
			}),
			WantFailed: "documented/%s/contacts", WantReason: "misread 1 field: /contacts: sent [",
		},
		{
			Name: "numeric latitude only", Silent: true, Run: "^documented/", Only: schemas.ITNIOTech,
			New: misreading(func(m *message.Message) {
				if m.Location != nil {
					m.Location.Latitude, m.Location.Longitude = 0, 0 // ITNIO sends them as strings
				}
			}),
			WantFailed: "documented/%s/location", WantReason: "/location/latitude: sent 22.636734008789, receiver has 0",
		},
		{
			Name: "first emoji code point", Silent: true, Run: "^documented/", Only: schemas.InnoPaaS,
			New: misreading(func(m *message.Message) {
				if m.Reaction != nil {
					r, _ := utf8.DecodeRuneInString(m.Reaction.Emoji)
					m.Reaction.Emoji = string(r)
				}
			}),
			WantFailed: "documented/%s/reaction", WantReason: "/reaction/emoji: sent ",
		},
		{
			Name: "millisecond timestamps", Silent: true, Run: "^documented/", Only: schemas.ITNIOTech,
			New: misreading(func(m *message.Message) {
				m.SentAt = time.UnixMilli(m.SentAt.Unix()).UTC()
			}),
			WantFailed: "documented/%s/text", WantReason: "misread 1 field: /sentAt: sent ",
		},
		// One silent defect per value-class family: each must fail several cases of the default suite.
		{
			Name: "trims text (strings)", Silent: true, Run: "^valid/", MinFailed: 3,
			New: misreading(func(m *message.Message) {
				if m.Text != nil {
					m.Text.Body = strings.TrimSpace(m.Text.Body)
				}
				if m.Media != nil {
					m.Media.Caption = strings.TrimSpace(m.Media.Caption)
				}
			}),
			WantFailed: "valid/%s/text/classes-1", WantReason: "/text/body: sent ",
		},
		{
			Name: "float32 coordinates (numbers)", Silent: true, Run: "^valid/", MinFailed: 3,
			New: misreading(func(m *message.Message) {
				if m.Location != nil {
					m.Location.Latitude = float64(float32(m.Location.Latitude))
					m.Location.Longitude = float64(float32(m.Location.Longitude))
				}
			}),
			WantFailed: "valid/%s/location/1", WantReason: "/location/",
		},
		{
			Name: "forwarded from the key's presence (booleans)", Silent: true, Run: "^valid/", Only: schemas.ITNIOTech, MinFailed: 3,
			New: misreadingBody(func(body []byte, m *message.Message) {
				if bytes.Contains(body, []byte(`"forwarded":`)) {
					if m.Context == nil {
						m.Context = &message.Context{}
					}
					m.Context.Forwarded = true
				}
			}),
			WantFailed: "valid/%s/text/classes-1", WantReason: "/context/forwarded: sent false",
		},
		{
			Name: "send time in whole seconds (instants)", Silent: true, Run: "^valid/", Only: schemas.InnoPaaS, MinFailed: 3,
			New: misreading(func(m *message.Message) {
				m.SentAt = m.SentAt.Round(time.Second)
			}),
			WantFailed: "valid/%s/text/1", WantReason: "/sentAt: sent ",
		},
		{
			Name: "message ids cut to 64 characters (ids)", Silent: true, Run: "^valid/", MinFailed: 3,
			New: misreading(func(m *message.Message) {
				if r := []rune(m.MessageID); len(r) > 64 {
					m.MessageID = string(r[:64])
				}
			}),
			WantFailed: "valid/%s/text/classes-1", WantReason: "/messageId: sent ",
		},
		{
			Name: "drops context", Silent: true, Run: "^documented/", Only: schemas.InnoPaaS,
			New:        misreading(func(m *message.Message) { m.Context = nil }),
			WantFailed: "documented/%s/button", WantReason: "misread 1 field: /context: sent {",
		},
		{
			Name: "drops context", Silent: true, Run: "^documented/", Only: schemas.ITNIOTech,
			New:        misreading(func(m *message.Message) { m.Context = nil }),
			WantFailed: "documented/%s/text-reply-context", WantReason: "misread 1 field: /context: sent {",
		},
	}
}

// misreading is the reference receiver reporting in its acks an understanding that spoil has
// changed, as a receiver with a parsing bug stores the wrong thing and answers 200 all the same.
func misreading(spoil func(m *message.Message)) func(*httptest.Server) http.Handler {
	return misreadingBody(func(_ []byte, m *message.Message) { spoil(m) })
}

// misreadingBody is misreading for a spoiling that depends on the bytes received.
func misreadingBody(spoil func(body []byte, m *message.Message)) func(*httptest.Server) http.Handler {
	return func(*httptest.Server) http.Handler {
		ref := receiver.New(receiver.Options{})
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body := Peek(r)
			rec := httptest.NewRecorder()
			ref.ServeHTTP(rec, r)
			answer := rec.Body.Bytes()
			var ack struct {
				Status string `json:"status"`
				message.Message
			}
			if rec.Code == http.StatusOK && json.Unmarshal(answer, &ack) == nil && ack.Kind != "" {
				spoil(body, &ack.Message)
				answer, _ = json.Marshal(ack)
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(answer)
		})
	}
}

// answerFirst is a defect: it sees each request first and reports whether it answered it; the
// reference receiver answers the rest.
type answerFirst func(w http.ResponseWriter, r *http.Request) (answered bool)

// misbehaving is a Defect's New for the defect newDefect makes, with state of its own per receiver.
func misbehaving(newDefect func() answerFirst) func(*httptest.Server) http.Handler {
	return func(*httptest.Server) http.Handler {
		ref, defect := reference(), newDefect()
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !defect(w, r) {
				ref.ServeHTTP(w, r)
			}
		})
	}
}

// stall waits d, or until the request is given up.
func stall(r *http.Request, d time.Duration) {
	select {
	case <-r.Context().Done():
	case <-time.After(d):
	}
}

// Credentials configures a receiver and the suite with the same credentials: the ones the provider's
// Auth sends (InnoPaaS's UserName and Authorization headers, a signing provider's secret), or a
// custom header for a provider that documents none (ITNIO Tech).
func Credentials(p schemas.Provider) (receiver.Options, conformance.Config) {
	const user, token = "wahook", "s3cret-token"
	prov, err := mockprovider.Lookup(p)
	if err != nil {
		panic(fmt.Sprintf("broken: %v", err)) // the defects are tested with the providers wahook has
	}
	verify := ""
	if prov.Verification != nil {
		verify = "wahook-verify-" + token // the handshake's token, for a provider that has one
	}
	for _, creds := range []mockprovider.Credentials{{User: user, Token: token}, {Secret: token}} {
		if prov.Auth.Check(creds) == nil {
			return receiver.Options{Provider: p, Credentials: creds, VerifyToken: verify},
				conformance.Config{Target: mockprovider.Target{Provider: p, Credentials: creds}, VerifyToken: verify}
		}
	}
	header := http.Header{"X-Hook-Secret": {token}}
	return receiver.Options{Provider: p, Header: header},
		conformance.Config{Target: mockprovider.Target{Provider: p, Header: header}}
}

// reference is the reference receiver with default options.
func reference() http.Handler { return receiver.New(receiver.Options{}) }

// Peek reads the request body and puts it back for the handler after.
func Peek(r *http.Request) []byte {
	b, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b
}

// decode parses a body of either provider, recognised by its envelope; ok is false for a body that is
// not JSON or matches neither.
func decode(body []byte) (doc any, prov *mockprovider.Provider, ok bool) {
	p, ok := schemas.Detect(body)
	if !ok {
		return nil, nil, false
	}
	doc, err := jsoninput.Decode(body)
	if err != nil {
		return nil, nil, false
	}
	prov, err = mockprovider.Lookup(p)
	return doc, prov, err == nil
}

// MessageType returns the message type of a body of either provider, "" when there is none.
func MessageType(body []byte) string {
	doc, prov, ok := decode(body)
	if !ok {
		return ""
	}
	typ, _ := jsonpointer.Get(doc, prov.MessagePointer+"/type")
	s, _ := typ.(string)
	return s
}

// sender returns who sent a message of either provider and when.
func sender(body []byte) (from string, sent time.Time, ok bool) {
	doc, prov, ok := decode(body)
	if !ok {
		return "", time.Time{}, false
	}
	v, _ := jsonpointer.Get(doc, prov.SenderPointer)
	from, _ = v.(string)
	sent, err := prov.SentAt(doc)
	return from, sent, from != "" && err == nil
}
