package hooktest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/wahook/wahook/message"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// Misreader is a receiver with one silent bug, for the deep-verification tests: it acks every POST
// with 200, reads what the provider's schema accepts with mockprovider.Parse (recognising the
// provider by the format when Provider is schemas.Auto), spoils it with Spoil and keeps it by message
// id. GET /inspect/{id} answers with what it kept (404 until it has the
// message); with AckBody set, its acks carry it too.
type Misreader struct {
	Provider schemas.Provider
	Spoil    func(*message.Message)
	AckBody  bool

	mu     sync.Mutex
	stored map[string]message.Message
}

func (m *Misreader) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		got, err := m.Inspect(r.Context(), strings.TrimPrefix(r.URL.Path, "/inspect/"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(got)
		return
	}
	body, _ := io.ReadAll(r.Body)
	p := m.Provider
	if p == schemas.Auto {
		p, _ = schemas.Detect(body)
	}
	got, err := mockprovider.Parse(p, body)
	if err != nil {
		return // acked all the same, as a lenient receiver does
	}
	m.Spoil(&got)
	m.mu.Lock()
	if m.stored == nil {
		m.stored = map[string]message.Message{}
	}
	m.stored[got.MessageID] = got
	m.mu.Unlock()
	if m.AckBody {
		_ = json.NewEncoder(w).Encode(got)
	}
}

// Inspect returns what the receiver kept of message id, for conformance.Config.Inspect.
func (m *Misreader) Inspect(_ context.Context, id string) (message.Message, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	got, ok := m.stored[id]
	if !ok {
		return message.Message{}, errNotStored
	}
	return got, nil
}

// Forget drops every message kept, so that a second run starts afresh.
func (m *Misreader) Forget() {
	m.mu.Lock()
	m.stored = nil
	m.mu.Unlock()
}

var errNotStored = errors.New("no such message")

// DropCaptions is a Misreader's Spoil that loses media captions.
func DropCaptions(m *message.Message) {
	if m.Media != nil {
		m.Media.Caption = ""
	}
}
