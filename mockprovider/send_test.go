package mockprovider_test

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/delivery"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

func lookup(t testing.TB, p schemas.Provider) *mockprovider.Provider {
	t.Helper()
	prov, err := mockprovider.Lookup(p)
	require.NoError(t, err)
	return prov
}

func TestParseRetries(t *testing.T) {
	schedule := []time.Duration{time.Minute, 3 * time.Minute, 5 * time.Minute}
	tests := []struct {
		spec    string
		want    []time.Duration
		wantErr string
	}{
		{"", schedule, ""},
		{"provider", schedule, ""},
		{"none", nil, ""},
		{"1m,3m", []time.Duration{time.Minute, 3 * time.Minute}, ""},
		{" 10s , 1m ", []time.Duration{10 * time.Second, time.Minute}, ""},
		{"0s", []time.Duration{0}, ""},
		{"bad", nil, `retries "bad": "bad" is not a duration such as 1m or 30s`},
		{"-1s", nil, `retries "-1s": "-1s" is not a duration such as 1m or 30s`},
		{"1m,", nil, `retries "1m,": "" is not a duration such as 1m or 30s`},
		{"1m,-3m", nil, `retries "1m,-3m": "-3m" is not a duration such as 1m or 30s`},
		{"Provider", nil, `retries "Provider": "Provider" is not a duration such as 1m or 30s`},
	}
	for _, p := range mockprovider.Providers() {
		for _, tt := range tests {
			t.Run(string(p.Name)+"/"+tt.spec, func(t *testing.T) {
				got, err := p.ParseRetries(tt.spec)
				if tt.wantErr != "" {
					assert.EqualError(t, err, tt.wantErr)
					return
				}
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
			})
		}
	}

	// The provider's schedule is a copy: changing it changes nothing for the next caller.
	itnio := lookup(t, schemas.ITNIOTech)
	got, err := itnio.ParseRetries("provider")
	require.NoError(t, err)
	got[0] = time.Hour
	assert.Equal(t, schedule, itnio.RetrySchedule)
}

func TestCredentials(t *testing.T) {
	tests := []struct {
		name        string
		provider    schemas.Provider
		user, token string
		want        http.Header
		wantErr     error
	}{
		{"innopaas both", schemas.InnoPaaS, "alice", "Bearer abc==:x", http.Header{"UserName": {"alice"}, "Authorization": {"Bearer abc==:x"}}, nil},
		{"innopaas token only", schemas.InnoPaaS, "", "t0k3n", http.Header{"Authorization": {"t0k3n"}}, nil},
		{"innopaas user only", schemas.InnoPaaS, "alice", "", http.Header{"UserName": {"alice"}}, nil},
		{"innopaas value kept verbatim", schemas.InnoPaaS, " a l i c e ", "Basic  x==", http.Header{"UserName": {" a l i c e "}, "Authorization": {"Basic  x=="}}, nil},
		{"innopaas none", schemas.InnoPaaS, "", "", http.Header{}, nil},
		{"itniotech none", schemas.ITNIOTech, "", "", http.Header{}, nil},
		{"itniotech refuses a user", schemas.ITNIOTech, "alice", "", nil, mockprovider.ErrNoCredentialHeaders},
		{"itniotech refuses a token", schemas.ITNIOTech, "", "t", nil, mockprovider.ErrNoCredentialHeaders},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lookup(t, tt.provider).Credentials(tt.user, tt.token)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.EqualError(t, err, "itniotech: the provider documents no credential headers; send them with a custom header instead")
				return
			}
			require.NoError(t, err)
			// Exact keys: the provider sends "UserName", not Go's canonical "Username".
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestDeliveryHeader(t *testing.T) {
	inno, itnio := lookup(t, schemas.InnoPaaS), lookup(t, schemas.ITNIOTech)
	tests := []struct {
		name        string
		p           *mockprovider.Provider
		version     string
		user, token string
		extra       http.Header
		want        http.Header
		wantErr     error
		field       string // the input the *HeaderError names
		wantMsg     string
	}{
		{
			name: "innopaas with credentials", p: inno, version: "v1.2.3", user: "alice", token: "Bearer abc==:x",
			want: http.Header{"User-Agent": {"wahook/v1.2.3 (+https://github.com/wahook/wahook)"}, "UserName": {"alice"}, "Authorization": {"Bearer abc==:x"}},
		},
		{
			name: "no version is dev", p: itnio,
			want: http.Header{"User-Agent": {"wahook/dev (+https://github.com/wahook/wahook)"}},
		},
		{
			name: "extras are added as spelled", p: itnio, version: "v1", extra: http.Header{"X-Signature": {"s"}, "x-lower": {"a", "b"}},
			want: http.Header{"User-Agent": {mockprovider.UserAgent("v1")}, "X-Signature": {"s"}, "x-lower": {"a", "b"}},
		},
		{
			name: "extras replace the provider's case-insensitively", p: inno, version: "v1", user: "alice", token: "t0",
			extra: http.Header{"authorization": {"t1"}, "USERNAME": {"bob"}},
			want:  http.Header{"User-Agent": {mockprovider.UserAgent("v1")}, "authorization": {"t1"}, "USERNAME": {"bob"}},
		},
		{
			name: "a User-Agent extra keeps net/http's spelling", p: itnio, version: "v1", extra: http.Header{"user-agent": {"custom/1"}},
			want: http.Header{"User-Agent": {"custom/1"}},
		},
		{
			name: "an extra replaces a provider header under the extra's spelling", p: inno, version: "v1", user: "alice", token: "t0",
			extra: http.Header{"authorization": {"t1", "t2"}},
			want:  http.Header{"User-Agent": {mockprovider.UserAgent("v1")}, "UserName": {"alice"}, "authorization": {"t1", "t2"}},
		},
		{name: "itniotech refuses credentials", p: itnio, user: "alice", token: "t", wantErr: mockprovider.ErrNoCredentialHeaders,
			field: "AuthUser", wantMsg: "AuthUser: itniotech: the provider documents no credential headers; send them with a custom header instead"},
		{name: "itniotech refuses a token alone", p: itnio, token: "t", wantErr: mockprovider.ErrNoCredentialHeaders, field: "AuthToken"},
		{name: "extras differing only in case", p: itnio, extra: http.Header{"X-A": {"one"}, "x-a": {"two"}}, wantErr: delivery.ErrBadHeader,
			field: "Header", wantMsg: `Header: "X-A" and "x-a" differ only in letter case: give their values under one name`},
		{name: "extra name not a token", p: itnio, extra: http.Header{"X(bad": {"v"}}, wantErr: delivery.ErrBadHeader,
			field: "Header", wantMsg: "Header: name \"X(bad\" is not a token: use letters, digits and !#$%&'*+-.^_`|~"},
		{name: "control character in an extra", p: itnio, extra: http.Header{"X-A": {"a\x01b"}}, wantErr: delivery.ErrBadHeader,
			field: "Header", wantMsg: "Header: X-A: control character 0x01 at byte 1 of the value"},
		{name: "extra Host not host[:port]", p: itnio, extra: http.Header{"Host": {"bad host"}}, wantErr: delivery.ErrBadHeader,
			field: "Header", wantMsg: `Header: Host "bad host" is not host[:port]`},
		{name: "empty extra Host", p: itnio, extra: http.Header{"Host": {""}}, wantErr: delivery.ErrBadHeader,
			field: "Header", wantMsg: "Header: Host is empty: leave it out to send the target's"},
		{name: "control character in the token", p: inno, user: "alice", token: "a\x01b", wantErr: delivery.ErrBadHeader,
			field: "AuthToken", wantMsg: "AuthToken: control character 0x01 at byte 1 of the value"},
		{name: "line break in the user", p: inno, user: "alice\r\nX-Injected: 1", wantErr: delivery.ErrBadHeader,
			field: "AuthUser", wantMsg: "AuthUser: control character 0x0d at byte 5 of the value"},
		{name: "a credential is never quoted", p: inno, extra: http.Header{"Authorization": {"Bearer s3cret\x01"}}, wantErr: delivery.ErrBadHeader,
			field: "Header", wantMsg: "Header: Authorization: control character 0x01 at byte 13 of the value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			extra := tt.extra.Clone()
			got, err := tt.p.DeliveryHeader(tt.version, tt.user, tt.token, tt.extra)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				var he *mockprovider.HeaderError
				require.ErrorAs(t, err, &he)
				assert.Equal(t, tt.field, he.Field)
				if tt.wantMsg != "" {
					assert.EqualError(t, err, tt.wantMsg)
				}
				assert.NotContains(t, err.Error(), "s3cret")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, extra, tt.extra, "the extras are not modified")
		})
	}
}

// TestParseHeader: ParseHeader checks a line's shape only, and quotes nothing of it: whether the
// header can be sent is DeliveryHeader's to say.
func TestParseHeader(t *testing.T) {
	tests := []struct {
		line, name, value string
		wantErr           string
	}{
		{line: "X-Trace: abc", name: "X-Trace", value: "abc"},
		{line: "x-lower:value", name: "x-lower", value: "value"},
		{line: "  Authorization :  Bearer abc==:x  ", name: "Authorization", value: "Bearer abc==:x"},
		{line: "X-Empty:", name: "X-Empty", value: ""},
		{line: "X-Colons: a:b:c", name: "X-Colons", value: "a:b:c"},
		{line: "UserName: alice", name: "UserName", value: "alice"},
		{line: "X-Tab: a\tb", name: "X-Tab", value: "a\tb"},
		{line: "Host: receiver.example:8443", name: "Host", value: "receiver.example:8443"},
		// Split as given; DeliveryHeader refuses them.
		{line: "X(bad: v", name: "X(bad", value: "v"},
		{line: "Authorization: Bearer s3cret\x01", name: "Authorization", value: "Bearer s3cret\x01"},
		{line: "Bearer s3cret", wantErr: "a line without ':': want 'Name: value'"},
		{line: ": s3cret", wantErr: "no name before ':': want 'Name: value'"},
		{line: "", wantErr: "a line without ':': want 'Name: value'"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			name, value, err := mockprovider.ParseHeader(tt.line)
			if tt.wantErr != "" {
				assert.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.name, name)
			assert.Equal(t, tt.value, value)
		})
	}
}

func TestParseHeaders(t *testing.T) {
	tests := []struct {
		name    string
		lines   []string
		want    http.Header
		wantErr string
	}{
		{name: "none", want: http.Header{}},
		{name: "repeated in any case: one header, first spelling, values in order",
			lines: []string{"X-A: one", "x-a: two", "X-B: b", "X-a: three"},
			want:  http.Header{"X-A": {"one", "two", "three"}, "X-B": {"b"}}},
		{name: "spelling kept as typed", lines: []string{"UserName: alice", "x-lower: v"},
			want: http.Header{"UserName": {"alice"}, "x-lower": {"v"}}},
		{name: "a bad line", lines: []string{"X-A: 1", "X-B"}, wantErr: "a line without ':': want 'Name: value'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Repeated: the result must not depend on map order.
			for range 20 {
				got, err := mockprovider.ParseHeaders(tt.lines)
				if tt.wantErr != "" {
					require.EqualError(t, err, tt.wantErr)
					continue
				}
				require.NoError(t, err)
				require.Equal(t, tt.want, got)
			}
		})
	}
}

func TestPrepareSendErrors(t *testing.T) {
	base := func(edit func(o *mockprovider.SendOptions)) mockprovider.SendOptions {
		o := mockprovider.SendOptions{Target: "http://127.0.0.1:1/hook", Provider: schemas.InnoPaaS}
		edit(&o)
		return o
	}
	tests := []struct {
		name    string
		opts    mockprovider.SendOptions
		wantErr []error
		wantMsg string
	}{
		{"unknown provider", base(func(o *mockprovider.SendOptions) { o.Provider = "meta" }),
			[]error{schemas.ErrUnknownProvider}, `bad send options: unknown provider "meta"`},
		{"unknown type", base(func(o *mockprovider.SendOptions) { o.Types = []string{"text", "bogus"} }),
			[]error{mockprovider.ErrUnknownType}, `bad send options: unknown message type "bogus" for innopaas (want one of text, reaction, image, audio, video, sticker, document, unknown, location, contacts, button, interactive, order, system)`},
		{"type of the other provider", base(func(o *mockprovider.SendOptions) { o.Provider, o.Types = schemas.ITNIOTech, []string{"order"} }),
			[]error{mockprovider.ErrUnknownType}, ""},
		{"unknown mutation", base(func(o *mockprovider.SendOptions) { o.Mutation = "nope" }),
			[]error{mockprovider.ErrUnknownMutation}, `bad send options: unknown mutation "nope" for innopaas`},
		{"mutation not applicable", base(func(o *mockprovider.SendOptions) {
			o.Types, o.Mutation = []string{"text", "image"}, "numeric-string-coordinates"
		}),
			[]error{mockprovider.ErrNotApplicable}, "bad send options: mutation numeric-string-coordinates: mutation does not apply to any of the chosen types"},
		{"bad media fault", base(func(o *mockprovider.SendOptions) { o.MediaFault = "gone" }),
			nil, `bad send options: media fault "gone": want one of 404, slow, corrupt`},
		{"bad quirk mode", base(func(o *mockprovider.SendOptions) { o.Quirks = "both" }),
			nil, `bad send options: unknown quirk mode "both" (want mix, example, table)`},
		{"file and type", base(func(o *mockprovider.SendOptions) { o.Bodies, o.Types = [][]byte{[]byte("{}")}, []string{"text"} }),
			nil, "bad send options: a given payload file cannot be combined with --type or --mutation"},
		{"file and mutation", base(func(o *mockprovider.SendOptions) { o.Bodies, o.Mutation = [][]byte{[]byte("{}")}, "empty-body" }),
			nil, "bad send options: a given payload file cannot be combined with --type or --mutation"},
		{"bad retries", base(func(o *mockprovider.SendOptions) { o.Retries = "later" }),
			nil, `bad send options: retries "later": "later" is not a duration such as 1m or 30s`},
		{"credentials for itniotech", base(func(o *mockprovider.SendOptions) { o.Provider, o.AuthToken = schemas.ITNIOTech, "t" }),
			[]error{mockprovider.ErrNoCredentialHeaders}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payloads, _, err := mockprovider.PrepareSend(tt.opts)
			require.ErrorIs(t, err, mockprovider.ErrBadSend)
			for _, want := range tt.wantErr {
				assert.ErrorIs(t, err, want)
			}
			if tt.wantMsg != "" {
				assert.EqualError(t, err, tt.wantMsg)
			}
			assert.Nil(t, payloads)

			// Send refuses the same options before sending anything.
			_, err = mockprovider.Send(t.Context(), tt.opts)
			assert.ErrorIs(t, err, mockprovider.ErrBadSend)
		})
	}
}

func TestPrepareSend(t *testing.T) {
	onResult := func(delivery.Result) {}
	opts := mockprovider.SendOptions{
		Target: "http://127.0.0.1:1/hook", Provider: schemas.InnoPaaS, Types: []string{"text", "image"}, Count: 5, Seed: 9,
		AuthUser: "alice", AuthToken: "tok", Header: http.Header{"X-Trace": {"1"}}, Version: "v9",
		Timeout: time.Second, Retries: "1m", TimeScale: 0.5, Duplicates: 0.25, Shuffle: true, Workers: 3, Rate: 10,
		Insecure: true, OnResult: onResult,
	}
	payloads, dopts, err := mockprovider.PrepareSend(opts)
	require.NoError(t, err)
	require.Len(t, payloads, 5)
	g := newGenerator(t, mockprovider.Options{Seed: 9})
	for i, p := range payloads {
		typ := []string{"text", "image"}[i%2]
		want, err := g.Generate(schemas.InnoPaaS, typ, uint64(i))
		require.NoError(t, err)
		assert.Equal(t, want.Delivery(), p, "payload %d is the generator's", i)
	}
	assert.Equal(t, opts.Target, dopts.Target)
	assert.Equal(t, http.Header{"User-Agent": {mockprovider.UserAgent("v9")}, "UserName": {"alice"}, "Authorization": {"tok"}, "X-Trace": {"1"}}, dopts.Header)
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
			payloads, _, err := mockprovider.PrepareSend(mockprovider.SendOptions{Target: opts.Target, Provider: schemas.ITNIOTech, Types: types})
			require.NoError(t, err)
			var got []string
			for _, p := range payloads {
				got = append(got, p.Type)
			}
			assert.Equal(t, lookup(t, schemas.ITNIOTech).Types(), got)
		}
	})

	t.Run("mutation keeps the types it applies to", func(t *testing.T) {
		payloads, _, err := mockprovider.PrepareSend(mockprovider.SendOptions{
			Target: opts.Target, Provider: schemas.InnoPaaS, Types: []string{"text", "location"}, Count: 3, Mutation: "numeric-string-coordinates",
		})
		require.NoError(t, err)
		require.Len(t, payloads, 3)
		for _, p := range payloads {
			assert.Equal(t, "location", p.Type)
			assert.Contains(t, string(p.Body), `"-33.868819987654321"`)
		}
	})

	t.Run("given bodies", func(t *testing.T) {
		text := []byte(`{"messageId":"m-1","eventType":"up-message-event","message":{"type":"text"}}`)
		payloads, _, err := mockprovider.PrepareSend(mockprovider.SendOptions{
			Target: opts.Target, Provider: schemas.ITNIOTech, Bodies: [][]byte{text, []byte("not json"), nil},
		})
		require.NoError(t, err)
		assert.Equal(t, []delivery.Payload{
			{ID: "m-1", Provider: "itniotech", Type: "text", Body: text},
			{ID: "file-2", Provider: "itniotech", Body: []byte("not json")},
			{ID: "file-3", Provider: "itniotech"},
		}, payloads)
	})

	t.Run("an extra Content-Type replaces the payloads' own", func(t *testing.T) {
		payloads, dopts, err := mockprovider.PrepareSend(mockprovider.SendOptions{
			Target: opts.Target, Provider: schemas.ITNIOTech, Types: []string{"text"}, Mutation: "non-json-content-type",
			Header: http.Header{"content-type": {"application/xml"}},
		})
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
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		n++
		mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL + "/hook", func() int {
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}

func TestSend(t *testing.T) {
	url, requests := sink(t)
	var results []delivery.Result
	report, err := mockprovider.Send(t.Context(), mockprovider.SendOptions{
		Target: url, Provider: schemas.ITNIOTech, Count: 30, Seed: 4, Duplicates: 0.5, Shuffle: true, Workers: 4,
		OnResult: func(r delivery.Result) { results = append(results, r) },
	})
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
	report, err := mockprovider.Send(ctx, mockprovider.SendOptions{Target: url, Provider: schemas.InnoPaaS, Count: 10})
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
//	go test ./mockprovider -run '^$' -bench BenchmarkSend -benchtime 50000x -cpuprofile cpu.out
func BenchmarkSend(b *testing.B) {
	url, _ := sink(b)
	payloads, dopts, err := mockprovider.PrepareSend(mockprovider.SendOptions{
		Target: url, Provider: schemas.ITNIOTech, Count: b.N, Seed: 1, Workers: 16, Retries: "none",
	})
	if err != nil {
		b.Fatal(err)
	}
	e, err := delivery.New(dopts)
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
	report, err := mockprovider.Send(t.Context(), mockprovider.SendOptions{Target: target, Provider: schemas.ITNIOTech, Types: []string{"text"}})
	require.NoError(t, err)
	assert.Equal(t, 1, report.Summary.Acked)
	assert.Equal(t, "Basic YWxpY2U6czNjcmV0", <-got)
}
