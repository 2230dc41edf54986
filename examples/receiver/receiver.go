// Package receiver is wahook's reference webhook receiver: an http.Handler that takes inbound WhatsApp
// webhooks from InnoPaaS and ITNIO Tech the way a production receiver should, and passes the strict
// profile of wahook conform for both.
//
// What it does, in order, for each request:
//
//   - anything but POST: 405, with Allow: POST
//   - missing or wrong credentials, when configured: 401 (compared in constant time)
//   - a Content-Type that is not JSON (application/json or */*+json, parameters allowed): 415
//   - a body over MaxBytes (3 MiB, Meta's cap): 413, without reading past the cap
//   - a body that is not exactly one JSON object: 400, duplicate keys included, which encoding/json
//     silently resolves to the last while other parsers take the first
//   - a payload its provider's schema refuses: 400; but a message type the schema does not know yet is
//     acked, because providers add types without notice, and the receiver cannot refuse what the
//     provider will keep sending
//   - a message id seen before (a provider's retry): 200 without processing it again
//   - anything else: processed (Options.OnMessage) and acked with 200, at once, the answer saying
//     what it understood in wahook's message model, which wahook conform compares with what was sent
//
// The duplicate check keeps a bounded set of recent ids in memory; a receiver with several instances
// would keep it in a shared store instead.
package receiver

import (
	"bytes"
	"container/list"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/wahook/wahook/internal/jsoninput"
	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/message"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// Defaults for zero Options fields.
const (
	// defaultMaxBytes is the largest body accepted: the cap Meta documents for WhatsApp webhooks.
	defaultMaxBytes = schemas.DefaultMaxBytes
	// defaultSeenIDs is how many message ids the duplicate check remembers.
	defaultSeenIDs = 100_000
	// maxDepth is the deepest nesting accepted; no documented payload nests deeper than 8.
	maxDepth = jsoninput.DefaultMaxDepth
)

// Options configure a receiver.
type Options struct {
	// Provider is the provider whose webhooks arrive; "" or schemas.Auto recognises it per request
	// from the envelope.
	Provider schemas.Provider
	// Credentials, when set, are checked as each request's provider sends them (its
	// mockprovider.Auth: InnoPaaS's UserName and Authorization headers, Meta's signature over the raw
	// body), each provider held to those it can carry (Provider.CarriedCredentials), so that one
	// receiver can take InnoPaaS's user and token and Meta's secret at once. A provider that can carry
	// none of them (ITNIO Tech documents none) is held to Header alone, and refused when Header is
	// empty.
	Credentials mockprovider.Credentials
	// Header holds headers of the receiver's own that every request must carry, each with one of the
	// values given.
	Header http.Header
	// VerifyToken, when set, answers the verification handshake of a provider that has one
	// (mockprovider.Verification: Meta's GET with hub.challenge) for this token: 200 and the
	// challenge for the right token, 403 for anything else.
	VerifyToken string
	// MaxBytes caps the body; 0 means 3 MiB, the cap Meta documents for WhatsApp webhooks.
	MaxBytes int64
	// SeenIDs bounds the duplicate check's memory; 0 means 100,000 ids.
	SeenIDs int
	// OnMessage, if set, is called once for every new message or event, before the ack. It must be
	// quick and safe for concurrent use; a real receiver would enqueue the message here.
	OnMessage func(Message)
}

// Message is one accepted webhook.
type Message struct {
	Provider schemas.Provider
	// ID is the message id (the envelope's id for events that are not messages).
	ID string
	// Type is the message type, "" for events that are not messages.
	Type string
	// Known is false for a message type the provider's schema does not define.
	Known bool
	// Body is the payload as received; for one update of a batch (Meta's several messages in one
	// POST), that update alone, as its provider would have sent it by itself.
	Body []byte
	// Understood is the message in wahook's provider-neutral model, as mockprovider.ParseValid reads it;
	// zero for events that are not messages and for types the schema does not define.
	Understood message.Message
}

// handler is the receiver.
type handler struct {
	opts      Options
	validator *schemas.Validator
	seen      *lru
	creds     []credential
}

type credential struct {
	name string
	sums [][sha256.Size]byte // accepted values, hashed so that comparing takes the same time for any length
}

// New returns the receiver. It panics on an unknown provider, a programming error.
func New(opts Options) http.Handler {
	if opts.Provider == "" {
		opts.Provider = schemas.Auto
	}
	if _, err := schemas.ParseProvider(string(opts.Provider), true); err != nil {
		panic(fmt.Sprintf("receiver: %v", err))
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = defaultMaxBytes
	}
	if opts.SeenIDs <= 0 {
		opts.SeenIDs = defaultSeenIDs
	}
	v, err := schemas.New(schemas.Options{MaxBytes: int(opts.MaxBytes)})
	if err != nil {
		panic(fmt.Sprintf("receiver: %v", err)) // the schemas are embedded; their test covers this
	}
	h := &handler{opts: opts, validator: v, seen: newLRU(opts.SeenIDs)}
	for name, values := range opts.Header {
		h.creds = append(h.creds, newCredential(name, values...))
	}
	return h
}

func newCredential(name string, values ...string) credential {
	c := credential{name: name}
	for _, v := range values {
		c.sums = append(c.sums, sha256.Sum256([]byte(v)))
	}
	return c
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && h.opts.VerifyToken != "" {
		h.verify(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		reply(w, http.StatusMethodNotAllowed, "error", "webhooks are POSTed")
		return
	}
	if !h.authorized(r.Header) {
		reply(w, http.StatusUnauthorized, "error", "missing or wrong credentials")
		return
	}
	if r.ContentLength > h.opts.MaxBytes {
		reply(w, http.StatusRequestEntityTooLarge, "error", fmt.Sprintf("body over %d bytes", h.opts.MaxBytes))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.opts.MaxBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		reply(w, http.StatusRequestEntityTooLarge, "error", fmt.Sprintf("body over %d bytes", h.opts.MaxBytes))
		return
	case err != nil:
		reply(w, http.StatusBadRequest, "error", "reading the body: "+err.Error())
		return
	}
	if !h.authenticated(r.Header, body) {
		reply(w, http.StatusUnauthorized, "error", "missing or wrong credentials")
		return
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		reply(w, http.StatusUnsupportedMediaType, "error", "Content-Type must be application/json")
		return
	}
	msgs, status, problem := h.accept(body)
	if status != http.StatusOK {
		reply(w, status, "error", problem)
		return
	}
	fresh := 0
	for _, msg := range msgs {
		if !h.seen.add(string(msg.Provider) + "\x00" + msg.ID) {
			continue
		}
		fresh++
		if h.opts.OnMessage != nil {
			h.opts.OnMessage(msg)
		}
	}
	switch {
	case fresh == 0:
		reply(w, http.StatusOK, "status", "duplicate")
		return
	case len(msgs) > 1:
		// A batch: each update was taken on its own; the ack counts them.
		reply(w, http.StatusOK, "status", fmt.Sprintf("accepted %d of %d updates (the rest duplicates)", fresh, len(msgs)))
		return
	}
	msg := msgs[0]
	if msg.Understood.Kind == "" {
		reply(w, http.StatusOK, "status", "accepted")
		return
	}
	// The ack says what the receiver understood, in wahook's message model, so that wahook conform
	// checks it field by field, not only the status.
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(struct {
		Status string `json:"status"`
		message.Message
	}{"accepted", msg.Understood})
}

// verify answers a provider's verification handshake: the configured provider's, or, recognising
// it per request, the first provider whose handshake the query asks for.
func (h *handler) verify(w http.ResponseWriter, r *http.Request) {
	for _, prov := range mockprovider.Providers() {
		v := prov.Verification
		if v == nil || h.opts.Provider != schemas.Auto && prov.Name != h.opts.Provider || !r.URL.Query().Has(v.ChallengeParam) {
			continue
		}
		challenge, ok := v.Answer(r.URL.Query(), h.opts.VerifyToken)
		if !ok {
			reply(w, http.StatusForbidden, "error", "verification refused: wrong mode or token")
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, challenge)
		return
	}
	reply(w, http.StatusForbidden, "error", "not a verification handshake")
}

// accept parses and checks a body, returning its messages (one, or each update of a provider's
// batch), or a status and why it is refused.
func (h *handler) accept(body []byte) ([]Message, int, string) {
	if err := checkJSON(body); err != nil {
		return nil, http.StatusBadRequest, err.Error()
	}
	doc, err := jsoninput.Decode(body)
	if err != nil {
		return nil, http.StatusBadRequest, err.Error()
	}
	p := h.opts.Provider
	if p == schemas.Auto {
		var ok bool
		if p, ok = schemas.Detect(body); !ok {
			return nil, http.StatusBadRequest, "matches neither provider's webhook format"
		}
	}
	prov, err := mockprovider.Lookup(p)
	if err != nil {
		return nil, http.StatusInternalServerError, err.Error()
	}
	// The webhook as a whole, once, batch or not: splitting keeps what each update needs, and drops
	// the rest.
	if status, problem := h.check(p, prov, doc); status != http.StatusOK {
		return nil, status, problem
	}
	parts := []any{doc}
	if prov.Split != nil {
		parts = prov.Split(doc)
	}
	msgs := make([]Message, 0, len(parts))
	for _, part := range parts {
		own := body
		if len(parts) > 1 {
			// An update's own bytes, for its Body and for an id where it has none.
			if own, err = json.Marshal(part); err != nil {
				return nil, http.StatusInternalServerError, err.Error()
			}
		}
		msg, err := describe(p, prov, part, own)
		if err != nil {
			return nil, http.StatusBadRequest, err.Error()
		}
		msgs = append(msgs, msg)
	}
	return msgs, http.StatusOK, ""
}

// check validates a webhook of p, tolerating a message type the schema does not know yet: a
// violation of a message's type (of any message of a batch) that is a string of no known type.
func (h *handler) check(p schemas.Provider, prov *mockprovider.Provider, doc any) (int, string) {
	report, err := h.validator.ValidateValue(p, doc)
	if err != nil {
		return http.StatusInternalServerError, err.Error()
	}
	typePointer := jsonpointer.Generalise(prov.MessagePointer+"/type", jsonpointer.IndexAsZero)
	for _, v := range report.Violations {
		typ, ok := str(doc, v.Instance)
		if ok && jsonpointer.Generalise(v.Instance, jsonpointer.IndexAsZero) == typePointer && !slices.Contains(schemas.Types(p), typ) {
			continue
		}
		return http.StatusBadRequest, v.String()
	}
	return http.StatusOK, ""
}

// describe maps one webhook of p (or one update of a batch), checked already, decoded as doc.
func describe(p schemas.Provider, prov *mockprovider.Provider, doc any, body []byte) (Message, error) {
	msg := Message{Provider: p, Body: body, Known: true}
	msg.Type, _ = str(doc, prov.MessagePointer+"/type")
	if msg.Type != "" && !slices.Contains(schemas.Types(p), msg.Type) {
		msg.Known = false
	}
	// A message is deduplicated on its id; another event (a status update, say, which may name the
	// same message as earlier updates) on the webhook's own id.
	idPointer := prov.IDPointer
	if msg.Type == "" {
		idPointer = prov.EnvelopeIDPointer
	}
	if msg.Known && msg.Type != "" {
		// Validated already: mapping it is all that is left.
		var err error
		if msg.Understood, err = mockprovider.ParseValid(p, doc); err != nil {
			return Message{}, err
		}
	}
	if msg.ID, _ = str(doc, idPointer); msg.ID == "" {
		sum := sha256.Sum256(body)
		msg.ID = fmt.Sprintf("sha256:%x", sum)
	}
	return msg, nil
}

func str(doc any, ptr string) (string, bool) {
	v, err := jsonpointer.Get(doc, ptr)
	if err != nil {
		return "", false
	}
	s, ok := v.(string)
	return s, ok
}

// authenticated checks the configured Credentials as the body's provider sends them, over the raw
// bytes received. A body whose provider cannot be told is left to accept to refuse; a provider that
// cannot carry the credentials is held to Header alone, which authorized has checked, and refused
// when there is none.
func (h *handler) authenticated(header http.Header, body []byte) bool {
	if h.opts.Credentials == (mockprovider.Credentials{}) {
		return true
	}
	p := h.opts.Provider
	if p == schemas.Auto {
		var ok bool
		if p, ok = schemas.Detect(body); !ok {
			return true
		}
	}
	prov, err := mockprovider.Lookup(p)
	if err != nil {
		return true
	}
	creds := prov.CarriedCredentials(h.opts.Credentials)
	if creds == (mockprovider.Credentials{}) {
		// The provider has no way to send these credentials: only a header of the receiver's own
		// can tell its webhooks from a stranger's, and without one none is accepted.
		return len(h.opts.Header) > 0
	}
	return prov.Auth.Verify(creds, header, body) == nil
}

// authorized checks every header of Header, in constant time for the values.
func (h *handler) authorized(header http.Header) bool {
	ok := 1
	for _, c := range h.creds {
		got := header.Values(c.name)
		match := 0
		if len(got) == 1 {
			sum := sha256.Sum256([]byte(got[0]))
			for _, want := range c.sums {
				match |= subtle.ConstantTimeCompare(sum[:], want[:])
			}
		}
		ok &= match
	}
	return ok == 1
}

// isJSON accepts application/json and any */*+json type, with parameters.
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// reply writes a small JSON answer.
func reply(w http.ResponseWriter, status int, key, value string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{key: value})
	w.Write(append(b, '\n'))
}

// checkJSON walks the tokens of body: it must be one JSON object, nested at most maxDepth deep, with no
// key twice in any object. Syntax errors are left to the decoder after it, which describes them better.
func checkJSON(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type object struct {
		keys    map[string]struct{}
		wantKey bool
	}
	var stack []*object // nil entries are arrays
	for n := 0; ; n++ {
		tok, err := dec.Token()
		if err == io.EOF {
			if n == 0 {
				return errors.New("empty body")
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("not JSON: %v", err)
		}
		if n == 0 && tok != json.Delim('{') {
			return errors.New("the body is not a JSON object")
		}
		if len(stack) == 0 && n > 0 {
			return errors.New("trailing data after the JSON object")
		}
		top := (*object)(nil)
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.wantKey {
			if tok == json.Delim('}') {
				stack = stack[:len(stack)-1]
				continue
			}
			key := tok.(string)
			if _, dup := top.keys[key]; dup {
				return fmt.Errorf("duplicate key %q", key)
			}
			top.keys[key] = struct{}{}
			top.wantKey = false
			continue
		}
		if top != nil {
			top.wantKey = true // this token is the key's value, or starts it
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &object{keys: map[string]struct{}{}, wantKey: true})
		case json.Delim('['):
			stack = append(stack, nil)
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) > maxDepth {
			return fmt.Errorf("nested deeper than %d", maxDepth)
		}
	}
}

// lru is a bounded set of recently seen keys, safe for concurrent use.
type lru struct {
	mu    sync.Mutex
	max   int
	order *list.List // front: most recent
	keys  map[string]*list.Element
}

func newLRU(max int) *lru {
	return &lru{max: max, order: list.New(), keys: make(map[string]*list.Element)}
}

// add records key and reports whether it is new.
func (l *lru) add(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.keys[key]; ok {
		l.order.MoveToFront(e)
		return false
	}
	l.keys[key] = l.order.PushFront(key)
	if l.order.Len() > l.max {
		oldest := l.order.Back()
		l.order.Remove(oldest)
		delete(l.keys, oldest.Value.(string))
	}
	return true
}
