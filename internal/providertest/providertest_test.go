// Package providertest proves the README's "Adding a provider" recipe: a provider that has only a
// format (no auth), described entirely from test code, works with gen, validate and conform.
package providertest

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/conformance"
	"github.com/wahook/wahook/internal/corpus"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// fake is a name no provider will have.
const fake = schemas.Provider("no-such-provider")

//go:embed testdata/no-such-provider.schema.json
var fakeSchema []byte

// writeFake is the fake provider's generator: every value from rng, so one seed gives one body.
func writeFake(rng *rand.Rand, typ string) ([]byte, error) {
	message := map[string]any{"type": typ}
	switch typ {
	case "text":
		message["text"] = map[string]any{"body": fmt.Sprintf("hello %d", rng.IntN(1000))}
	case "location":
		message["location"] = map[string]any{
			"latitude":  float64(rng.IntN(180_000)-90_000) / 1000,
			"longitude": float64(rng.IntN(360_000)-180_000) / 1000,
		}
	default:
		return nil, fmt.Errorf("no writer for type %q", typ)
	}
	sent := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(86_400)) * time.Second)
	return json.Marshal(map[string]any{
		"event":   "message",
		"id":      fmt.Sprintf("msg-%016x", rng.Uint64()),
		"sentAt":  sent.Format(time.RFC3339),
		"from":    fmt.Sprintf("+1555%07d", rng.IntN(10_000_000)),
		"message": message,
	})
}

// registerFake registers the fake provider, as a provider file's init and schema would, and
// unregisters it when the test ends.
func registerFake(t *testing.T) *mockprovider.Provider {
	t.Helper()
	require.NoError(t, schemas.Register(fake, fakeSchema))
	t.Cleanup(func() { assert.NoError(t, schemas.Unregister(fake)) })
	p := &mockprovider.Provider{
		Name:              fake,
		Event:             "message",
		MessagePointer:    "/message",
		IDPointer:         "/id",
		EnvelopeIDPointer: "/id",
		SentAtPointer:     "/sentAt",
		SenderPointer:     "/from",
		IdentityPointers:  []string{"/id", "/sentAt"},
		Write:             writeFake,
	}
	require.NoError(t, mockprovider.Register(p))
	t.Cleanup(func() { assert.NoError(t, mockprovider.Unregister(fake)) })
	return p
}

func TestRegisterRejects(t *testing.T) {
	tests := []struct {
		name    string
		p       *mockprovider.Provider
		wantErr string
	}{
		{"no schema", &mockprovider.Provider{Name: "no-schema-either", Write: writeFake}, `register provider "no-schema-either": no schema: unknown provider`},
		{"built-in twice", &mockprovider.Provider{Name: schemas.ITNIOTech, Write: writeFake, MessagePointer: "/m", IDPointer: "/i", SentAtPointer: "/s"}, "provider already registered"},
		{"no writer", &mockprovider.Provider{Name: schemas.ITNIOTech, MessagePointer: "/m", IDPointer: "/i", SentAtPointer: "/s"}, "no Write"},
		{"bad pointer", &mockprovider.Provider{Name: schemas.ITNIOTech, Write: writeFake, MessagePointer: "m", IDPointer: "/i", SentAtPointer: "/s"}, `MessagePointer "m" is not a JSON pointer`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.ErrorContains(t, mockprovider.Register(tt.p), tt.wantErr)
		})
	}
}

func TestFormatOnlyProvider(t *testing.T) {
	registerFake(t)
	require.Contains(t, schemas.Providers(), fake)
	prov, err := mockprovider.Lookup(fake)
	require.NoError(t, err)
	assert.Equal(t, []string{"text", "location"}, prov.Types())
	assert.Empty(t, prov.Auth.Describe(), "no Auth given: the provider carries no credentials")
	assert.ErrorIs(t, prov.Auth.Check(mockprovider.Credentials{Token: "t"}), mockprovider.ErrNoCredentialHeaders)

	t.Run("gen and validate", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "corpus")
		sum, err := corpus.Write(context.Background(), corpus.Options{Dir: dir, Providers: []schemas.Provider{fake}, Count: 20, Seed: 7})
		require.NoError(t, err)
		require.Equal(t, uint64(20), sum.Payloads)

		v, err := schemas.New(schemas.Options{Strict: true})
		require.NoError(t, err)
		types := map[string]int{}
		for payload, err := range corpus.ReadPayloads(dir) {
			require.NoError(t, err)
			assert.Equal(t, fake, payload.Provider)
			types[payload.Type]++
			r, err := v.Validate(schemas.Auto, payload.Body)
			require.NoError(t, err)
			assert.Equal(t, fake, r.Provider, "detected from its envelope")
			assert.True(t, r.Valid(), "%s: %v", payload.File, r.Violations)
			regenerated, err := corpus.Regenerate(payload.Entry)
			require.NoError(t, err)
			assert.JSONEq(t, string(payload.Body), string(regenerated.Body), "one seed, one body")
		}
		assert.Equal(t, map[string]int{"text": 10, "location": 10}, types)
	})

	t.Run("conform", func(t *testing.T) {
		receiver := newReceiver(t)
		srv := httptest.NewServer(receiver)
		t.Cleanup(srv.Close)
		report, err := conformance.Execute(context.Background(), conformance.Config{
			Target:     mockprovider.Target{URL: srv.URL, Provider: fake, Timeout: 5 * time.Second},
			Seed:       1,
			PayloadDir: t.TempDir(),
		}, nil)
		require.NoError(t, err)
		passed := map[conformance.Group]int{}
		for _, r := range report.Results {
			assert.NotEqual(t, conformance.Fail, r.Outcome, "%s: %s", r.ID, r.Reason)
			switch r.Outcome {
			case conformance.Pass:
				passed[r.Group]++
			case conformance.Skip:
				// no documented examples and no auth: the only groups a format-only provider skips
				assert.Contains(t, []conformance.Group{conformance.GroupDocumented, conformance.GroupAuth}, r.Group, r.ID)
			}
		}
		assert.Equal(t, fake, report.Provider)
		assert.Zero(t, report.Summary.Failed, report.Summary)
		assert.Equal(t, report.Summary.Total, report.Summary.Passed+report.Summary.Skipped)
		for _, g := range []conformance.Group{conformance.GroupValid, conformance.GroupTolerate, conformance.GroupReject, conformance.GroupDelivery} {
			assert.Positive(t, passed[g], "cases of group %s passed", g)
		}
		assert.GreaterOrEqual(t, passed[conformance.GroupValid], len(prov.Types()), "a valid case per type at least")
		assert.Positive(t, receiver.accepted(), "the valid cases reached the receiver")
	})

	t.Run("conform fails a receiver that acks everything", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		}))
		t.Cleanup(srv.Close)
		report, err := conformance.Execute(context.Background(), conformance.Config{
			Target:     mockprovider.Target{URL: srv.URL, Provider: fake, Timeout: 5 * time.Second},
			Profile:    conformance.Strict,
			Seed:       1,
			PayloadDir: t.TempDir(),
		}, nil)
		require.NoError(t, err)
		failed := map[conformance.Group]int{}
		for _, r := range report.Results {
			if r.Outcome == conformance.Fail {
				failed[r.Group]++
			}
		}
		assert.Positive(t, failed[conformance.GroupReject], "strict asks a 4xx for reject cases")
		assert.Zero(t, failed[conformance.GroupValid])
		assert.Equal(t, report.Summary.Failed, failed[conformance.GroupReject]+failed[conformance.GroupDelivery])
	})
}

// receiver accepts what the fake provider's schema accepts, once per message id, and rejects the rest.
type receiver struct {
	v    *schemas.Validator
	mu   sync.Mutex
	seen map[string]bool
}

func newReceiver(t *testing.T) *receiver {
	v, err := schemas.New(schemas.Options{})
	require.NoError(t, err)
	return &receiver{v: v, seen: map[string]bool{}}
}

func (rc *receiver) accepted() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.seen)
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	var msg struct {
		ID      string
		Message struct{ Type string }
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		http.Error(w, "not JSON", http.StatusBadRequest)
		return
	}
	if !slices.Contains(schemas.Types(fake), msg.Message.Type) {
		w.WriteHeader(http.StatusOK) // a type added after this receiver was written: acknowledged, ignored
		return
	}
	report, err := rc.v.Validate(fake, body)
	if err != nil || !report.Valid() {
		http.Error(w, "invalid payload", http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.seen[msg.ID] = true
	rc.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}
