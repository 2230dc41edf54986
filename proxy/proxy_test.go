package proxy_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/examples/receiver"
	"github.com/wahook/wahook/internal/corpus"
	"github.com/wahook/wahook/internal/jsoninput"
	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/proxy"
	"github.com/wahook/wahook/schemas"
	"github.com/wahook/wahook/send"
)

// recording is the reference receiver, keeping what it was sent.
type recording struct {
	mu       sync.Mutex
	bodies   []string
	headers  []http.Header
	paths    []string
	receiver http.Handler
}

func (rec *recording) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec.mu.Lock()
	rec.bodies = append(rec.bodies, string(body))
	rec.headers = append(rec.headers, r.Header.Clone())
	rec.paths = append(rec.paths, r.URL.RequestURI())
	rec.mu.Unlock()
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec.receiver.ServeHTTP(w, r)
}

func serve(t *testing.T, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// TestForwardsUnchanged: wahook send through the proxy reaches the receiver with the bytes and
// headers it would have sent straight to it, and gets the receiver's answers back; each delivery is
// seen and valid.
func TestForwardsUnchanged(t *testing.T) {
	for _, p := range schemas.Providers() {
		t.Run(string(p), func(t *testing.T) {
			direct, proxied := &recording{receiver: receiver.New(receiver.Options{})}, &recording{receiver: receiver.New(receiver.Options{})}
			directSrv, proxiedSrv := serve(t, direct), serve(t, proxied)
			var mu sync.Mutex
			var seen []proxy.Delivery
			px, err := proxy.New(proxy.Options{Forward: proxiedSrv.URL, OnDelivery: func(d proxy.Delivery) { mu.Lock(); seen = append(seen, d); mu.Unlock() }})
			require.NoError(t, err)
			pxSrv := serve(t, px)
			run := func(url string) {
				opts := send.Options{Target: mockprovider.Target{URL: url + "/webhook?k=v", Provider: p}, Seed: 3, Retries: "none"}
				if p == schemas.InnoPaaS {
					opts.Credentials = mockprovider.Credentials{User: "u", Token: "t"}
				}
				rep, err := send.Run(t.Context(), opts)
				require.NoError(t, err)
				assert.Equal(t, rep.Summary.Scheduled, rep.Summary.Acked, "the receiver's acks come back")
			}
			run(directSrv.URL)
			run(pxSrv.URL)
			require.Equal(t, len(direct.bodies), len(proxied.bodies))
			assert.Equal(t, direct.bodies, proxied.bodies, "byte for byte")
			assert.Equal(t, direct.paths, proxied.paths, "path and query as sent")
			for i := range direct.headers {
				assert.Equal(t, direct.headers[i], proxied.headers[i], "headers as sent, request %d", i)
			}
			// OnDelivery runs once the answer has gone back: the last may come just after send returns.
			require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(seen) == len(direct.bodies) }, 5*time.Second, time.Millisecond)
			mu.Lock()
			defer mu.Unlock()
			for _, d := range seen {
				assert.Equal(t, http.StatusOK, d.Status)
				assert.Equal(t, p, d.Provider)
				assert.NotEmpty(t, d.Type)
				assert.NotEmpty(t, d.MessageID)
				assert.True(t, d.Valid, "%v", d.Violations)
			}
			assert.Equal(t, len(seen), px.Drift().Valid)
		})
	}
}

// TestDrift: the summary names the undocumented keys a provider sends (with an example value), the
// message types no document has and the violations, by pointer, however many deliveries show them;
// a body over the cap is refused without reaching the receiver.
func TestDrift(t *testing.T) {
	rec := &recording{receiver: receiver.New(receiver.Options{})}
	px, err := proxy.New(proxy.Options{Forward: serve(t, rec).URL, MaxBody: 4096})
	require.NoError(t, err)
	pxSrv := serve(t, px)
	g, err := mockprovider.New(mockprovider.Options{Seed: 1})
	require.NoError(t, err)
	post := func(body string) int {
		resp, err := http.Post(pxSrv.URL, "application/json", strings.NewReader(body))
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range uint64(3) {
		pl, err := g.Generate(schemas.ITNIOTech, "text", i)
		require.NoError(t, err)
		planted := strings.Replace(string(pl.Body), `"from":{`, `"from":{"locale":"pt_BR",`, 1)
		assert.Equal(t, http.StatusOK, post(planted))
	}
	pl, err := g.Generate(schemas.ITNIOTech, "text", 9)
	require.NoError(t, err)
	unknown := strings.Replace(string(pl.Body), `"type":"text"`, `"type":"ephemeral"`, 1)
	assert.Equal(t, http.StatusOK, post(unknown), "the receiver acks a type it does not know")
	assert.Equal(t, http.StatusBadRequest, post(`{"not":"a webhook"}`))
	assert.Equal(t, http.StatusRequestEntityTooLarge, post(`{"x":"`+strings.Repeat("a", 5000)+`"}`))
	assert.Len(t, rec.bodies, 5, "the oversized body was not forwarded")

	drift := px.Drift()
	assert.Equal(t, 5, drift.Deliveries)
	require.NotEmpty(t, drift.UndocumentedKeys)
	assert.Equal(t, proxy.Count{Key: "/from/locale", Count: 3, Example: `"pt_BR"`}, drift.UndocumentedKeys[0])
	assert.Equal(t, []proxy.Count{{Key: "ephemeral", Count: 1}}, drift.UnknownTypes)
	assert.Contains(t, drift.Violations, proxy.Count{Key: "/message/type", Count: 1})
	assert.Equal(t, 1, drift.Unrecognised)
	assert.Equal(t, 3, drift.Valid, "undocumented keys alone do not make a delivery invalid without Strict")

	resp, err := http.Get(pxSrv.URL + proxy.DriftPath)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	assert.Contains(t, string(b), `"key": "/from/locale"`)
}

// TestNoAnswer: a receiver that does not answer in time gets the sender a 502, and the delivery
// says why.
func TestNoAnswer(t *testing.T) {
	slow := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(time.Second):
		}
	}))
	delivered := make(chan proxy.Delivery, 1)
	px, err := proxy.New(proxy.Options{Forward: slow.URL, Timeout: 100 * time.Millisecond, OnDelivery: func(d proxy.Delivery) { delivered <- d }})
	require.NoError(t, err)
	resp, err := http.Post(serve(t, px).URL, "application/json", strings.NewReader(`{}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	got := <-delivered
	assert.Zero(t, got.Status)
	assert.Contains(t, got.Error, "timeout")
}

func TestNewRefuses(t *testing.T) {
	for _, opts := range []proxy.Options{{Forward: "127.0.0.1:8080"}, {Forward: "http://x/", Provider: "no-such-provider"}, {Forward: "http://x/", MaxBody: -1}} {
		_, err := proxy.New(opts)
		assert.ErrorIs(t, err, proxy.ErrBadOptions)
	}
}

func httptestServer(h http.Handler) *httptest.Server { return httptest.NewServer(h) }

// TestRecord: with Record every delivery lands in the recording as it was sent, less the credential
// headers, with the receiver's status; with Redact the recording holds no sender's phone number or
// name while the receiver still gets the real bytes; and the drift summary counts the quirk forms.
func TestRecord(t *testing.T) {
	for _, redacted := range []bool{false, true} {
		t.Run(fmt.Sprintf("redact=%v", redacted), func(t *testing.T) {
			for _, p := range schemas.Providers() {
				rec := &recording{receiver: receiver.New(receiver.Options{})}
				dir := filepath.Join(t.TempDir(), "rec")
				px, err := proxy.New(proxy.Options{Forward: serve(t, rec).URL, Record: dir, Redact: redacted})
				require.NoError(t, err)
				opts := send.Options{Target: mockprovider.Target{URL: serve(t, px).URL + "/webhook", Provider: p}, Seed: 5, Retries: "none"}
				if p == schemas.InnoPaaS {
					opts.Credentials = mockprovider.Credentials{User: "acme", Token: "Bearer s3cret"}
				}
				rep, err := send.Run(t.Context(), opts)
				require.NoError(t, err)
				require.Equal(t, rep.Summary.Scheduled, rep.Summary.Acked)
				// A delivery is recorded once its answer has gone back: the last may land just after send returns.
				require.Eventually(t, func() bool {
					b, _ := os.ReadFile(filepath.Join(dir, corpus.ManifestFile))
					return bytes.Count(b, []byte("\n")) == rep.Summary.Scheduled
				}, 5*time.Second, time.Millisecond)
				require.NoError(t, px.Close())

				prov, err := mockprovider.Lookup(p)
				require.NoError(t, err)
				var recorded []string
				for pl, err := range corpus.ReadPayloads(dir) {
					require.NoError(t, err)
					require.NotNil(t, pl.Recorded)
					assert.Equal(t, http.StatusOK, pl.Recorded.Status)
					assert.Equal(t, "/webhook", pl.Recorded.Path)
					assert.Equal(t, redacted, pl.Recorded.Redacted)
					assert.Equal(t, p, pl.Provider)
					assert.Equal(t, mockprovider.SchemaValid, pl.Schema)
					assert.NotEmpty(t, pl.Recorded.Header.Get("User-Agent"))
					for name := range pl.Recorded.Header {
						assert.NotContains(t, []string{"username", "authorization"}, strings.ToLower(name), "no credentials in the recording")
					}
					assert.NotContains(t, string(pl.Body), "s3cret")
					recorded = append(recorded, string(pl.Body))
				}
				sent := slices.Clone(rec.bodies)
				require.Len(t, recorded, len(sent))
				if !redacted {
					slices.Sort(sent)
					slices.Sort(recorded)
					assert.Equal(t, sent, recorded, "the recording holds what was sent")
					continue
				}
				for _, body := range sent {
					doc, err := jsoninput.Decode([]byte(body))
					require.NoError(t, err)
					phone, err := jsonpointer.Get(doc, prov.SenderPointer)
					require.NoError(t, err)
					for _, r := range recorded {
						assert.NotContains(t, r, phone.(string), "the sender's number is redacted")
					}
					assert.NotContains(t, recorded, body)
				}
				assert.NotEmpty(t, px.Drift().QuirkForms, "the generated payloads carry the documented quirks")
			}
		})
	}
}
