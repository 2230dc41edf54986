package send_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/delivery"
	"github.com/wahook/wahook/internal/corpus"
	"github.com/wahook/wahook/internal/dispatch"
	"github.com/wahook/wahook/internal/engine"
	"github.com/wahook/wahook/internal/hooktest"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
	"github.com/wahook/wahook/send"
)

func TestPrepareErrors(t *testing.T) {
	base := func(edit func(o *send.Options)) send.Options {
		o := send.Options{Target: mockprovider.Target{URL: "http://127.0.0.1:1/hook", Provider: schemas.InnoPaaS}}
		edit(&o)
		return o
	}
	tests := []struct {
		name    string
		opts    send.Options
		wantErr []error
		wantMsg string
	}{
		{"unknown provider", base(func(o *send.Options) { o.Provider = "no-such-provider" }),
			[]error{schemas.ErrUnknownProvider}, `bad send options: Provider: unknown provider "no-such-provider"`},
		{"unknown type", base(func(o *send.Options) { o.Types = []string{"text", "bogus"} }),
			[]error{mockprovider.ErrUnknownType}, `bad send options: unknown message type "bogus" for innopaas (want one of text, reaction, image, audio, video, sticker, document, unknown, location, contacts, button, interactive, order, system)`},
		{"type of the other provider", base(func(o *send.Options) { o.Provider, o.Types = schemas.ITNIOTech, []string{"order"} }),
			[]error{mockprovider.ErrUnknownType}, ""},
		{"unknown mutation", base(func(o *send.Options) { o.Mutation = "nope" }),
			[]error{mockprovider.ErrUnknownMutation}, `bad send options: unknown mutation "nope" for innopaas`},
		{"mutation not applicable", base(func(o *send.Options) {
			o.Types, o.Mutation = []string{"text", "image"}, "numeric-string-coordinates"
		}),
			[]error{mockprovider.ErrNotApplicable}, "bad send options: mutation numeric-string-coordinates: mutation does not apply to any of the chosen types"},
		{"bad media fault", base(func(o *send.Options) { o.MediaFault = "gone" }),
			nil, `bad send options: media fault "gone": want one of 404, slow, corrupt`},
		{"bad quirk mode", base(func(o *send.Options) { o.Quirks = "both" }),
			nil, `bad send options: unknown quirk mode "both" (want mix, example, table)`},
		{"file and type", base(func(o *send.Options) { o.Bodies, o.Types = [][]byte{[]byte("{}")}, []string{"text"} }),
			nil, "bad send options: a given payload file cannot be combined with --type, --mutation or --events"},
		{"file and mutation", base(func(o *send.Options) { o.Bodies, o.Mutation = [][]byte{[]byte("{}")}, "empty-body" }),
			nil, "bad send options: a given payload file cannot be combined with --type, --mutation or --events"},
		{"bad retries", base(func(o *send.Options) { o.Retries = "later" }),
			nil, `bad send options: Retries: retries "later": "later" is not a duration such as 1m or 30s`},
		{"batch of a provider that sends one message each", base(func(o *send.Options) { o.Batch = 3 }),
			nil, "bad send options: Batch: innopaas delivers one message per webhook"},
		{"batch of mutations", base(func(o *send.Options) { o.Provider, o.Batch, o.Mutation = schemas.Meta, 3, "empty-body" }),
			nil, "bad send options: Batch: packs generated messages: not with a mutation, given payloads, a corpus or a duration"},
		{"negative batch", base(func(o *send.Options) { o.Provider, o.Batch = schemas.Meta, -1 }),
			nil, "bad send options: Batch: negative (-1)"},
		{"credentials for itniotech", base(func(o *send.Options) { o.Provider, o.Credentials.Token = schemas.ITNIOTech, "t" }),
			[]error{mockprovider.ErrNoCredentialHeaders}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payloads, _, err := prepareAll(tt.opts)
			require.ErrorIs(t, err, send.ErrBadOptions)
			for _, want := range tt.wantErr {
				assert.ErrorIs(t, err, want)
			}
			if tt.wantMsg != "" {
				assert.EqualError(t, err, tt.wantMsg)
			}
			assert.Nil(t, payloads)

			// Send refuses the same options before sending anything.
			_, err = send.Run(t.Context(), tt.opts)
			assert.ErrorIs(t, err, send.ErrBadOptions)
		})
	}
}

func TestPrepare(t *testing.T) {
	onResult := func(delivery.Result) {}
	opts := send.Options{Target: mockprovider.Target{URL: "http://127.0.0.1:1/hook", Provider: schemas.InnoPaaS, Header: http.Header{"X-Trace": {"1"}}, Timeout: time.Second, Credentials: mockprovider.Credentials{User: "alice", Token: "tok"}, TLS: mockprovider.TLS{Insecure: true}}, Types: []string{"text", "image"}, Count: 5, Seed: 9, Version: "v9", Retries: "1m", TimeScale: 0.5, Duplicates: 0.25, Shuffle: true, Workers: 3, Rate: 10, OnResult: onResult}
	payloads, dopts, err := prepareAll(opts)
	require.NoError(t, err)
	require.Len(t, payloads, 5)
	g, err := mockprovider.New(mockprovider.Options{Seed: 9})
	require.NoError(t, err)
	for i, p := range payloads {
		typ := []string{"text", "image"}[i%2]
		want, err := g.Generate(schemas.InnoPaaS, typ, uint64(i))
		require.NoError(t, err)
		assert.Equal(t, dispatch.Payload(want), p, "payload %d is the generator's", i)
	}
	assert.Equal(t, opts.URL, dopts.Target)
	assert.Equal(t, http.Header{"User-Agent": {"wahook/v9 (+https://github.com/wahook/wahook)"}, "UserName": {"alice"}, "Authorization": {"tok"}, "X-Trace": {"1"}}, dopts.Header)
	assert.Equal(t, []time.Duration{time.Minute}, dopts.Retries)
	assert.Equal(t, time.Second, dopts.Timeout)
	assert.Equal(t, 0.5, dopts.TimeScale)
	assert.Equal(t, 0.25, dopts.Duplicates)
	assert.True(t, dopts.Shuffle)
	assert.Equal(t, 3, dopts.Workers)
	assert.Equal(t, 10.0, dopts.Rate)
	assert.Equal(t, uint64(9), dopts.Seed)
	assert.True(t, dopts.Insecure)
	assert.NotNil(t, dopts.OnResult)

	t.Run("default: one of every type", func(t *testing.T) {
		for _, types := range [][]string{nil, {"all"}} {
			payloads, _, err := prepareAll(send.Options{Target: mockprovider.Target{URL: opts.URL, Provider: schemas.ITNIOTech}, Types: types})
			require.NoError(t, err)
			var got []string
			for _, p := range payloads {
				got = append(got, p.Type)
			}
			itnio, err := mockprovider.Lookup(schemas.ITNIOTech)
			require.NoError(t, err)
			assert.Equal(t, itnio.Types(), got)
		}
	})

	t.Run("mutation keeps the types it applies to", func(t *testing.T) {
		payloads, _, err := prepareAll(send.Options{Target: mockprovider.Target{URL: opts.URL, Provider: schemas.InnoPaaS}, Types: []string{"text", "location"}, Count: 3, Mutation: "numeric-string-coordinates"})
		require.NoError(t, err)
		require.Len(t, payloads, 3)
		for _, p := range payloads {
			assert.Equal(t, "location", p.Type)
			assert.Contains(t, string(p.Body), `"-33.868819987654321"`)
		}
	})

	t.Run("given bodies", func(t *testing.T) {
		text := []byte(`{"messageId":"m-1","eventType":"up-message-event","message":{"type":"text"}}`)
		payloads, _, err := prepareAll(send.Options{Target: mockprovider.Target{URL: opts.URL, Provider: schemas.ITNIOTech}, Bodies: [][]byte{text, []byte("not json"), nil}})
		require.NoError(t, err)
		assert.Equal(t, []engine.Payload{
			{ID: "m-1", Provider: "itniotech", Type: "text", Body: text},
			{ID: "file-2", Provider: "itniotech", Body: []byte("not json")},
			{ID: "file-3", Provider: "itniotech"},
		}, payloads)
	})

	t.Run("an extra Content-Type replaces the payloads' own", func(t *testing.T) {
		payloads, dopts, err := prepareAll(send.Options{Target: mockprovider.Target{URL: opts.URL, Provider: schemas.ITNIOTech, Header: http.Header{"content-type": {"application/xml"}}}, Types: []string{"text"}, Mutation: "non-json-content-type"})
		require.NoError(t, err)
		assert.Empty(t, payloads[0].ContentType)
		assert.Equal(t, []string{"application/xml"}, dopts.Header["content-type"])
	})
}

// sink is a receiver on 127.0.0.1 that answers 200 "ok" and counts the requests.
func sink(t testing.TB) (url string, requests func() int) {
	t.Helper()
	var mu sync.Mutex
	n := 0
	srv := hooktest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		n++
		mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	return srv.URL + "/hook", func() int {
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}

func TestSend(t *testing.T) {
	url, requests := sink(t)
	var results []delivery.Result
	report, err := send.Run(t.Context(), send.Options{Target: mockprovider.Target{URL: url, Provider: schemas.ITNIOTech}, Count: 30, Seed: 4, Duplicates: 0.5, Shuffle: true, Workers: 4, OnResult: func(r delivery.Result) { results = append(results, r) }})
	require.NoError(t, err)
	s := report.Summary
	assert.Equal(t, 30+s.Duplicates, s.Scheduled)
	assert.Positive(t, s.Duplicates)
	assert.Equal(t, s.Scheduled, s.Acked)
	assert.Equal(t, s.Scheduled, requests())
	assert.Len(t, results, s.Scheduled, "OnResult sees every delivery")
}

func TestSendCancelled(t *testing.T) {
	url, _ := sink(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	report, err := send.Run(ctx, send.Options{Target: mockprovider.Target{URL: url, Provider: schemas.InnoPaaS}, Count: 10})
	require.ErrorIs(t, err, context.Canceled)
	s := report.Summary
	assert.Equal(t, 10, s.Scheduled)
	assert.Equal(t, s.Scheduled, s.Acked+s.Failed+s.Cancelled)
	assert.Equal(t, 10, s.Cancelled)
}

// BenchmarkSend delivers b.N generated ITNIO payloads (every type in turn) with 16 workers to a
// loopback receiver that answers 200 at once, as `wahook send --workers 16 --retries none` does.
// Generating the payloads is left out of the timing: it measures the send phase, like the
// durationMs of wahook send's report. Profile it with
//
//	go test ./send -run '^$' -bench BenchmarkSend -benchtime 50000x -cpuprofile cpu.out
func BenchmarkSend(b *testing.B) {
	url, _ := sink(b)
	payloads, dopts, err := prepareAll(send.Options{Target: mockprovider.Target{URL: url, Provider: schemas.ITNIOTech}, Count: b.N, Seed: 1, Workers: 16, Retries: "none"})
	if err != nil {
		b.Fatal(err)
	}
	e, err := engine.New(dopts)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	b.ReportAllocs()
	b.ResetTimer()
	report, err := e.Run(context.Background(), payloads)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if report.Summary.Acked != b.N {
		b.Fatalf("acked %d of %d", report.Summary.Acked, b.N)
	}
	b.ReportMetric(float64(b.N)/report.Summary.Duration.Seconds(), "req/s")
}

// A target with user info is sent with basic authentication, as net/http's client sends it.
func TestSendUserInfo(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("Authorization")
	}))
	t.Cleanup(srv.Close)
	target := strings.Replace(srv.URL, "http://", "http://alice:s3cret@", 1) + "/hook"
	report, err := send.Run(t.Context(), send.Options{Target: mockprovider.Target{URL: target, Provider: schemas.ITNIOTech}, Types: []string{"text"}})
	require.NoError(t, err)
	assert.Equal(t, 1, report.Summary.Acked)
	assert.Equal(t, "Basic YWxpY2U6czNjcmV0", <-got)
}

// prepareAll is send.Prepare with every payload of the plan made.
func prepareAll(opts send.Options) ([]engine.Payload, engine.Options, error) {
	plan, err := send.Prepare(opts)
	if err != nil {
		return nil, engine.Options{}, err
	}
	payloads, err := plan.All()
	return payloads, plan.Options, err
}

// TestDurationHasNoList: a plan of a fixed duration streams; asked for its whole list of payloads
// (Run, Plan.All), it refuses, naming the field, instead of trying to hold an endless run.
func TestDurationHasNoList(t *testing.T) {
	opts := send.Options{Target: mockprovider.Target{URL: "http://127.0.0.1:1/", Provider: schemas.ITNIOTech}, Duration: time.Second}
	plan, err := send.Prepare(opts)
	require.NoError(t, err)
	for _, err := range []error{
		func() error { _, err := plan.All(); return err }(),
		func() error { _, err := send.Run(t.Context(), opts); return err }(),
	} {
		require.ErrorIs(t, err, send.ErrBadOptions)
		var fe *engine.FieldError
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, "Duration", fe.Field)
	}
}

// TestSendCorpus sends the payloads of one provider in a corpus gen wrote, in manifest order and
// byte for byte, each with its manifest's content type; a corpus with none of the provider's is
// refused before anything is sent.
func TestSendCorpus(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "corpus")
	_, err := corpus.Write(t.Context(), corpus.Options{Dir: dir, Count: 12, Seed: 4, Malformed: true, SystematicFirstType: true, SkipMutations: []string{"oversized-body"}})
	require.NoError(t, err)
	var want []corpus.Payload
	for pl, err := range corpus.ReadPayloads(dir) {
		require.NoError(t, err)
		if pl.Provider == schemas.ITNIOTech {
			want = append(want, pl)
		}
	}
	require.NotEmpty(t, want)

	var mu sync.Mutex
	var got []corpus.Payload
	srv := hooktest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, corpus.Payload{Entry: corpus.Entry{ContentType: r.Header.Get("Content-Type")}, Body: body})
		mu.Unlock()
	}))
	rep, err := send.Run(t.Context(), send.Options{Target: mockprovider.Target{URL: srv.URL, Provider: schemas.ITNIOTech}, Corpus: dir, Retries: "none"})
	require.NoError(t, err)
	assert.Equal(t, len(want), rep.Summary.Scheduled)
	require.Len(t, got, len(want))
	for i := range want {
		assert.Equal(t, string(want[i].Body), string(got[i].Body), "payload %d (%s) byte for byte, in manifest order", i, want[i].File)
		assert.Equal(t, want[i].ContentType, got[i].ContentType, "payload %d (%s)", i, want[i].File)
		assert.Equal(t, want[i].Type, rep.Results[i].Type)
	}

	only := filepath.Join(t.TempDir(), "innopaas-only")
	_, err = corpus.Write(t.Context(), corpus.Options{Dir: only, Count: 2, Providers: []schemas.Provider{schemas.InnoPaaS}})
	require.NoError(t, err)
	_, err = send.Run(t.Context(), send.Options{Target: mockprovider.Target{URL: srv.URL, Provider: schemas.ITNIOTech}, Corpus: only})
	require.ErrorIs(t, err, send.ErrBadOptions)
	assert.Contains(t, err.Error(), "Corpus: "+only+": no payloads of itniotech (it holds 2 of innopaas)")
	_, err = send.Run(t.Context(), send.Options{Target: mockprovider.Target{URL: srv.URL, Provider: schemas.ITNIOTech}, Corpus: only, Count: 3})
	assert.ErrorContains(t, err, "Corpus: cannot be combined with types, a count, a mutation, other events or given payloads")
}

// TestSendBatch: Meta batches of 3 messages, 7 in all: three POSTs of 3, 3 and 1 messages, each a
// valid webhook signed over its own bytes.
func TestSendBatch(t *testing.T) {
	var mu sync.Mutex
	var got [][]byte
	srv := hooktest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := mockprovider.HMACSignature("X-Hub-Signature-256", "sha256=").Verify(mockprovider.Credentials{Secret: "s"}, r.Header, body); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		mu.Lock()
		got = append(got, body)
		mu.Unlock()
	}))
	report, err := send.Run(t.Context(), send.Options{Target: mockprovider.Target{URL: srv.URL, Provider: schemas.Meta,
		Credentials: mockprovider.Credentials{Secret: "s"}}, Types: []string{"text", "image"}, Count: 7, Batch: 3, Seed: 2})
	require.NoError(t, err)
	assert.Equal(t, 3, report.Summary.Scheduled)
	assert.Equal(t, 3, report.Summary.Acked)
	assert.Equal(t, "text+2", report.Results[0].Type)
	v, err := schemas.New(schemas.Options{})
	require.NoError(t, err)
	var sizes []int
	for _, body := range got {
		r, err := v.Validate(schemas.Meta, body)
		require.NoError(t, err)
		assert.True(t, r.Valid(), "%v", r.Violations)
		var doc struct{ Entry []any }
		require.NoError(t, json.Unmarshal(body, &doc))
		sizes = append(sizes, len(doc.Entry))
	}
	assert.ElementsMatch(t, []int{3, 3, 1}, sizes)
}

// TestSendEvents: a fraction of Meta's deliveries are status updates, mixed into the batches with the
// messages; the same seed mixes them alike; a provider without other events refuses.
func TestSendEvents(t *testing.T) {
	var mu sync.Mutex
	var statuses, messages int
	srv := hooktest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		statuses += strings.Count(string(body), `"statuses":[`)
		messages += strings.Count(string(body), `"messages":[`)
	}))
	opts := send.Options{Target: mockprovider.Target{URL: srv.URL, Provider: schemas.Meta}, Count: 200, Events: 0.3, Batch: 4, Seed: 8}
	report, err := send.Run(t.Context(), opts)
	require.NoError(t, err)
	assert.Equal(t, 50, report.Summary.Acked)
	mu.Lock()
	assert.Equal(t, 200, statuses+messages, "every generated webhook, in a batch")
	assert.InDelta(t, 60, statuses, 20, "about 30%% status updates")
	first := statuses
	statuses, messages = 0, 0
	mu.Unlock()
	_, err = send.Run(t.Context(), opts)
	require.NoError(t, err)
	mu.Lock()
	assert.Equal(t, first, statuses, "the same seed, the same mix")
	mu.Unlock()

	_, err = send.Prepare(send.Options{Target: mockprovider.Target{URL: srv.URL, Provider: schemas.ITNIOTech}, Events: 0.5})
	assert.ErrorContains(t, err, "Events: itniotech posts no other events to the webhook URL")
	_, err = send.Prepare(send.Options{Target: mockprovider.Target{URL: srv.URL, Provider: schemas.Meta}, Events: 1.5})
	assert.ErrorContains(t, err, "Events: 1.5: want a fraction from 0 to 1")
}
