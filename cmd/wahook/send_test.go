package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/hooktest"
	"github.com/wahook/wahook/internal/jsoninput"
	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// received is one request a receiver got.
type received struct {
	body   []byte
	header http.Header
}

// receiver is a webhook receiver on 127.0.0.1 that records every request, and every byte the
// connections carried (to see header names as sent, before net/http canonicalises them).
type receiver struct {
	url     string
	respond func(w http.ResponseWriter, h received, n int) // n counts requests from 1; nil answers 200
	mu      sync.Mutex
	hits    []received
	raw     bytes.Buffer
}

func newReceiver(t *testing.T, respond func(w http.ResponseWriter, h received, n int)) *receiver {
	t.Helper()
	rec := &receiver{respond: respond}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h := received{body: body, header: r.Header.Clone()}
		rec.mu.Lock()
		rec.hits = append(rec.hits, h)
		n := len(rec.hits)
		rec.mu.Unlock()
		if rec.respond != nil {
			rec.respond(w, h, n)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Listener = &teeListener{Listener: srv.Listener, rec: rec}
	srv.Start()
	t.Cleanup(srv.Close)
	rec.url = srv.URL + "/webhook"
	return rec
}

func (rec *receiver) Hits() []received {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]received(nil), rec.hits...)
}

func (rec *receiver) Raw() string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.raw.String()
}

// teeListener copies what every accepted connection reads into its receiver's raw buffer.
type teeListener struct {
	net.Listener
	rec *receiver
}

func (l *teeListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &teeConn{Conn: c, rec: l.rec}, nil
}

type teeConn struct {
	net.Conn
	rec *receiver
}

func (c *teeConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.rec.mu.Lock()
	c.rec.raw.Write(p[:n])
	c.rec.mu.Unlock()
	return n, err
}

// answer500 is a receiver that fails every delivery.
func answer500(w http.ResponseWriter, _ received, _ int) {
	http.Error(w, "boom", http.StatusInternalServerError)
}

// messageField reads a field of the message object of a delivered body.
func messageField(t *testing.T, p schemas.Provider, body []byte, field string) string {
	t.Helper()
	prov, err := mockprovider.Lookup(p)
	require.NoError(t, err)
	doc, err := jsoninput.Decode(body)
	require.NoError(t, err)
	v, err := jsonpointer.Get(doc, prov.MessagePointer+"/"+field)
	require.NoError(t, err)
	s, _ := v.(string)
	return s
}

// deliveryLines returns the per-delivery lines of text output: those before the blank line, less
// the notices of retries (TestSendSaysWhileRetrying has those).
func deliveryLines(stdout string) []string {
	head, _, _ := strings.Cut(stdout, "\n\n")
	if head == "" {
		return nil
	}
	var lines []string
	for _, l := range strings.Split(head, "\n") {
		if !strings.HasPrefix(l, "retrying ") && !strings.HasPrefix(l, "          (--retries none") {
			lines = append(lines, l)
		}
	}
	return lines
}

func TestSendEveryType(t *testing.T) {
	v, err := schemas.New(schemas.Options{})
	require.NoError(t, err)
	for _, p := range mockprovider.Providers() {
		t.Run(string(p.Name), func(t *testing.T) {
			rec := newReceiver(t, nil)
			got := runWahook(t, "", "send", "--target", rec.url, "--provider", string(p.Name), "--type", "all", "--seed", "7")
			require.Equal(t, 0, got.code, got.stderr)
			assert.Empty(t, got.stderr)

			types := p.Types()
			hits := rec.Hits()
			require.Len(t, hits, len(types))
			seen := map[string]int{}
			for _, h := range hits {
				report, err := v.Validate(p.Name, h.body)
				require.NoError(t, err)
				assert.True(t, report.Valid(), "%s: %v", h.body, report.Violations)
				seen[messageField(t, p.Name, h.body, "type")]++
			}
			for _, typ := range types {
				assert.Equal(t, 1, seen[typ], "type %s arrives once", typ)
			}

			lines := deliveryLines(got.stdout)
			assert.Len(t, lines, len(types))
			for _, l := range lines {
				assert.Regexp(t, `^acked +[0-9a-zA-Z.+/=]+ +[a-z-]+ +200 +[0-9.]+[µnm]?s +1 attempt$`, l) // hex ids, Meta's wamids
			}
			n := len(types)
			assert.Contains(t, got.stdout, "\nscheduled "+strconv.Itoa(n)+": "+strconv.Itoa(n)+" acked, 0 failed, 0 cancelled\nattempts  "+strconv.Itoa(n)+"\n")
			assert.Regexp(t, `(?m)^latency   p50 \S+, p90 \S+, p99 \S+, max \S+$`, got.stdout)
			assert.Regexp(t, `(?m)^rate      [0-9.]+ requests/s over \S+$`, got.stdout)
		})
	}
}

func TestSendFailures(t *testing.T) {
	tests := []struct {
		name         string
		args         []string
		wantAttempts int
	}{
		{"no retries", []string{"--retries", "none"}, 1},
		{"two retries, scaled", []string{"--retries", "1m,3m", "--time-scale", "0.0001"}, 3},
		{"provider schedule, scaled", []string{"--time-scale", "0.00001"}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newReceiver(t, answer500)
			const count = 3
			args := append([]string{"send", "--target", rec.url, "--provider", "itniotech", "--count", "3"}, tt.args...)
			got := runWahook(t, "", args...)
			assert.Equal(t, 1, got.code)
			assert.Empty(t, got.stderr)
			assert.Len(t, rec.Hits(), count*tt.wantAttempts)

			lines := deliveryLines(got.stdout)
			require.Len(t, lines, count)
			attempts := strconv.Itoa(tt.wantAttempts) + " attempt"
			for _, l := range lines {
				assert.Regexp(t, `^failed +[0-9a-f]+ +[a-z]+ +500 +\S+ +`+attempts+`s?$`, l)
			}
			total := strconv.Itoa(count * tt.wantAttempts)
			assert.Contains(t, got.stdout, "\nscheduled 3: 0 acked, 3 failed, 0 cancelled\nattempts  "+total+"; errors: http-status "+total+"\n")
		})
	}
}

func TestSendUnreachable(t *testing.T) {
	// A port that was free a moment ago: nothing listens there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	target := "http://" + addr + "/hook"

	for _, output := range []string{"text", "json"} {
		t.Run(output, func(t *testing.T) {
			got := runWahook(t, "", "send", "--target", target, "--provider", "itniotech", "--count", "20", "--output", output)
			assert.Equal(t, 2, got.code)
			assert.Equal(t, "wahook: target "+target+" is unreachable: connection refused\n", got.stderr)
			assert.Empty(t, got.stdout)
		})
	}
}

func TestSendHeaders(t *testing.T) {
	ua := "wahook/" + versionString() + " (+https://github.com/wahook/wahook)"
	tests := []struct {
		name     string
		args     []string
		want     map[string]string // canonical name -> exact value
		wantRaw  []string          // header lines as sent, name spelling included
		wantNone []string          // headers that must not be sent
	}{
		{
			name: "innopaas credentials verbatim",
			args: []string{"--provider", "innopaas", "--auth-user", "alice", "--auth-token", "Bearer abc==:x", "--header", "X-Trace: t-1"},
			want: map[string]string{
				"Content-Type": "application/json", "User-Agent": ua,
				"Username": "alice", "Authorization": "Bearer abc==:x", "X-Trace": "t-1",
			},
			wantRaw:  []string{"\r\nUserName: alice\r\n", "\r\nAuthorization: Bearer abc==:x\r\n", "\r\nX-Trace: t-1\r\n"},
			wantNone: []string{"Accept-Encoding"},
		},
		{
			name:     "innopaas without credentials",
			args:     []string{"--provider", "innopaas"},
			want:     map[string]string{"Content-Type": "application/json", "User-Agent": ua},
			wantNone: []string{"Username", "Authorization", "Accept-Encoding"},
		},
		{
			name:     "itniotech with extra headers",
			args:     []string{"--provider", "itniotech", "-H", "X-Signature: sha256=00ff", "--header", "x-lower:  spaced value "},
			want:     map[string]string{"Content-Type": "application/json", "User-Agent": ua, "X-Signature": "sha256=00ff", "X-Lower": "spaced value"},
			wantRaw:  []string{"\r\nx-lower: spaced value\r\n"},
			wantNone: []string{"Username", "Authorization", "Accept-Encoding"},
		},
		{
			name:    "extra headers replace the provider's",
			args:    []string{"--provider", "innopaas", "--auth-token", "t0", "-H", "user-agent: custom/1", "-H", "authorization: t1", "-H", "content-type: text/xml"},
			want:    map[string]string{"Content-Type": "text/xml", "User-Agent": "custom/1", "Authorization": "t1"},
			wantRaw: []string{"\r\nauthorization: t1\r\n"},
		},
		{
			name:    "a header repeated in another case sends every value, in order, under the first spelling",
			args:    []string{"--provider", "itniotech", "-H", "X-A: one", "-H", "x-a: two", "-H", "X-a: three"},
			want:    map[string]string{"Content-Type": "application/json", "User-Agent": ua},
			wantRaw: []string{"\r\nX-A: one\r\nX-A: two\r\nX-A: three\r\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newReceiver(t, nil)
			got := runWahook(t, "", append([]string{"send", "--target", rec.url, "--type", "text"}, tt.args...)...)
			require.Equal(t, 0, got.code, got.stderr)
			hits := rec.Hits()
			require.Len(t, hits, 1)
			h := hits[0].header
			for name, value := range tt.want {
				assert.Equal(t, []string{value}, h[name], name)
			}
			for _, name := range tt.wantNone {
				assert.NotContains(t, h, name)
			}
			raw := rec.Raw()
			for _, line := range tt.wantRaw {
				assert.Contains(t, raw, line)
			}
		})
	}
}

func TestSendFile(t *testing.T) {
	dir := t.TempDir()
	// The provider's own broken example, and a body with odd spacing and no final newline: both must
	// arrive byte for byte.
	verbatim, err := os.ReadFile(documented + "innopaas/location.verbatim.json")
	require.NoError(t, err)
	text, err := os.ReadFile(documented + "innopaas/text.json")
	require.NoError(t, err)
	odd := []byte("  {\"id\" :\"x\",\t\"type\":\"whatsapp_mo_message_received\"}")
	oddFile := filepath.Join(dir, "odd.json")
	require.NoError(t, os.WriteFile(oddFile, odd, 0o644))

	rec := newReceiver(t, nil)
	got := runWahook(t, string(text), "send", "--target", rec.url, "--provider", "innopaas",
		"--file", documented+"innopaas/location.verbatim.json", "--file", "-", "--file", oddFile)
	require.Equal(t, 0, got.code, got.stderr)
	hits := rec.Hits()
	require.Len(t, hits, 3)
	for i, want := range [][]byte{verbatim, text, odd} {
		assert.Equal(t, string(want), string(hits[i].body), "file %d", i)
		assert.Equal(t, []string{"application/json"}, hits[i].header["Content-Type"])
	}
	lines := deliveryLines(got.stdout)
	require.Len(t, lines, 3)
	// A file that parses names its message; one that does not is named by its place.
	assert.Regexp(t, `^acked +file-1 +- +200 `, lines[0])
	assert.Regexp(t, `^acked +\S+ +text +200 `, lines[1])
	assert.NotContains(t, lines[1], "file-2")
	assert.Regexp(t, `^acked +file-3 +- +200 `, lines[2])
}

func TestSendMutation(t *testing.T) {
	tests := []struct {
		provider, mutation string
		check              func(t *testing.T, h received)
	}{
		{"innopaas", "empty-body", func(t *testing.T, h received) {
			assert.Empty(t, h.body)
			assert.Equal(t, []string{"application/json"}, h.header["Content-Type"])
		}},
		{"itniotech", "empty-body", func(t *testing.T, h received) { assert.Empty(t, h.body) }},
		{"itniotech", "non-json-content-type", func(t *testing.T, h received) {
			assert.Equal(t, []string{"text/plain"}, h.header["Content-Type"])
			assert.True(t, json.Valid(h.body), "the body is still valid JSON")
		}},
		{"innopaas", "json-array", func(t *testing.T, h received) { assert.Equal(t, byte('['), h.body[0]) }},
	}
	for _, tt := range tests {
		t.Run(tt.provider+"/"+tt.mutation, func(t *testing.T) {
			rec := newReceiver(t, nil)
			got := runWahook(t, "", "send", "--target", rec.url, "--provider", tt.provider, "--type", "text", "--mutation", tt.mutation, "--count", "2")
			require.Equal(t, 0, got.code, got.stderr)
			hits := rec.Hits()
			require.Len(t, hits, 2)
			for _, h := range hits {
				tt.check(t, h)
			}
		})
	}
}

func TestSendDuplicates(t *testing.T) {
	rec := newReceiver(t, nil)
	got := runWahook(t, "", "send", "--target", rec.url, "--provider", "itniotech", "--type", "text", "--count", "3", "--duplicates", "1")
	require.Equal(t, 0, got.code, got.stderr)
	hits := rec.Hits()
	require.Len(t, hits, 6)
	ids := map[string]int{}
	for _, h := range hits {
		ids[string(h.body)]++
	}
	assert.Len(t, ids, 3)
	for body, n := range ids {
		assert.Equal(t, 2, n, body)
	}
	lines := deliveryLines(got.stdout)
	require.Len(t, lines, 6)
	for i, l := range lines {
		if i%2 == 1 {
			assert.Regexp(t, `^acked +[0-9a-f]+ +text +dup +200 `, l, "the copy follows its original")
		} else {
			assert.NotContains(t, l, " dup ")
		}
	}
	assert.Contains(t, got.stdout, "\nscheduled 6 (3 duplicates): 6 acked, 0 failed, 0 cancelled\n")
}

// jsonReport is the --output json document, as a consumer reads it.
type jsonReport struct {
	Target   string       `json:"target"`
	Provider string       `json:"provider"`
	Seed     uint64       `json:"seed"`
	Summary  jsonSummary  `json:"summary"`
	Results  []jsonResult `json:"results"`
}

type jsonSummary struct {
	Scheduled, Duplicates, Acked, Failed, Cancelled, Attempts int
	Errors                                                    map[string]int
	LatencyMs                                                 map[string]float64
	DurationMs, Rate                                          float64
}

// jsonResult is one delivery's record in --output json and jsonl.
type jsonResult struct {
	Delivery  int    `json:"delivery"`
	ID        string `json:"id"`
	Type      string `json:"type"`
	Duplicate bool   `json:"duplicate"`
	Outcome   string `json:"outcome"`
	Attempts  []struct {
		Attempt   int     `json:"attempt"`
		Status    int     `json:"status"`
		Class     string  `json:"class"`
		Error     string  `json:"error"`
		Body      string  `json:"body"`
		LatencyMs float64 `json:"latencyMs"`
	} `json:"attempts"`
}

func parseReport(t *testing.T, stdout string) jsonReport {
	t.Helper()
	var r jsonReport
	dec := json.NewDecoder(strings.NewReader(stdout))
	require.NoError(t, dec.Decode(&r), stdout)
	assert.False(t, dec.More(), "one JSON document")
	s := r.Summary
	assert.Equal(t, s.Scheduled, s.Acked+s.Failed+s.Cancelled, "scheduled = acked + failed + cancelled")
	assert.Len(t, r.Results, s.Scheduled)
	return r
}

func TestSendJSON(t *testing.T) {
	// The first request of each body fails; its retry, and a duplicate copy sent later, are acked.
	var mu sync.Mutex
	seen := map[string]bool{}
	rec := newReceiver(t, func(w http.ResponseWriter, h received, _ int) {
		body := string(h.body)
		mu.Lock()
		first := !seen[body]
		seen[body] = true
		mu.Unlock()
		if first {
			http.Error(w, "try later", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, `{"received":true}`)
	})
	got := runWahook(t, "", "send", "--target", rec.url, "--provider", "innopaas", "--type", "text,image", "--count", "6",
		"--retries", "1s", "--time-scale", "0.001", "--duplicates", "0.5", "--seed", "3", "--output", "json")
	require.Equal(t, 0, got.code, got.stderr)
	r := parseReport(t, got.stdout)
	assert.Equal(t, rec.url, r.Target)
	assert.Equal(t, "innopaas", r.Provider)
	assert.Equal(t, uint64(3), r.Seed)
	s := r.Summary
	assert.Equal(t, s.Scheduled, s.Acked)
	assert.Equal(t, 6+s.Duplicates, s.Scheduled)
	assert.Equal(t, len(rec.Hits()), s.Attempts)
	assert.Equal(t, 6, s.Errors["http-status"], "one failure per payload")
	assert.Equal(t, s.Scheduled+6, s.Attempts)
	assert.Positive(t, s.DurationMs)
	assert.Positive(t, s.LatencyMs["p99"])
	for i, res := range r.Results {
		assert.Equal(t, i, res.Delivery)
		assert.Equal(t, "acked", res.Outcome)
		assert.Contains(t, []string{"text", "image"}, res.Type)
		last := res.Attempts[len(res.Attempts)-1]
		assert.Equal(t, 200, last.Status)
		assert.Equal(t, `{"received":true}`, last.Body)
		for _, a := range res.Attempts[:len(res.Attempts)-1] {
			assert.Equal(t, 503, a.Status)
			assert.Equal(t, "http-status", a.Class)
			assert.Equal(t, "503 Service Unavailable", a.Error)
		}
	}
}

func TestSendInterrupted(t *testing.T) {
	for _, output := range []string{"text", "json", "jsonl"} {
		t.Run(output, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			rec := newReceiver(t, func(w http.ResponseWriter, _ received, n int) {
				if n == 3 {
					cancel() // as Ctrl-C would, while deliveries are under way
				}
				_, _ = io.WriteString(w, "ok")
			})
			var stdout, stderr bytes.Buffer
			code := run(ctx, []string{"send", "--target", rec.url, "--provider", "itniotech", "--count", "50", "--output", output},
				strings.NewReader(""), &stdout, &stderr)
			assert.Equal(t, 2, code)
			assert.Regexp(t, `^wahook: interrupted: \d+ of 50 deliveries cancelled\n$`, stderr.String())
			assert.Less(t, len(rec.Hits()), 50)

			if output == "json" {
				r := parseReport(t, stdout.String())
				assert.Equal(t, 50, r.Summary.Scheduled)
				assert.Positive(t, r.Summary.Cancelled)
				assert.GreaterOrEqual(t, r.Summary.Acked, 2)
				return
			}
			if output == "jsonl" {
				records, summary := parseJSONL(t, stdout.String())
				assert.Equal(t, 50, summary.Scheduled)
				assert.Equal(t, 50, summary.Acked+summary.Failed+summary.Cancelled)
				assert.Positive(t, summary.Cancelled)
				assert.Equal(t, summary.Acked, countOutcome(records, "acked"), "every acked delivery has its record")
				return
			}
			m := regexp.MustCompile(`\nscheduled 50: (\d+) acked, (\d+) failed, (\d+) cancelled\n`).FindStringSubmatch(stdout.String())
			require.NotNil(t, m, stdout.String())
			acked, _ := strconv.Atoi(m[1])
			failed, _ := strconv.Atoi(m[2])
			cancelled, _ := strconv.Atoi(m[3])
			assert.Equal(t, 50, acked+failed+cancelled)
			assert.Positive(t, cancelled)
			// Deliveries started have their line, cancelled ones too; those the interrupt kept from
			// starting are counted in the summary only.
			lines := deliveryLines(stdout.String())
			assert.LessOrEqual(t, len(lines), 50)
			ackedLines := 0
			for _, l := range lines {
				if strings.HasPrefix(l, "acked ") {
					ackedLines++
				}
			}
			assert.Equal(t, acked, ackedLines, "every acked delivery has its line")
		})
	}
}

func TestSendUsage(t *testing.T) {
	rec := newReceiver(t, nil)
	target := rec.url
	tests := []struct {
		name       string
		args       []string // after send --target URL, unless they give their own
		stdin      string
		wantStderr string
	}{
		{"no target", []string{"send", "--provider", "itniotech"}, "", "wahook: required flag(s) \"target\" not set\n"},
		{"no provider", []string{"send", "--target", target}, "", "wahook: required flag(s) \"provider\" not set\n"},
		{"unknown provider", []string{"--provider", "no-such-provider"}, "", "wahook: --provider: unknown provider \"no-such-provider\" (want one of " + providerList + ")\n"},
		{"unknown type", []string{"--provider", "itniotech", "--type", "text,order"}, "",
			"wahook: bad send options: unknown message type \"order\" for itniotech (want one of text, image, video, audio, document, location, sticker, unknown, unsupported, interactive, contacts)\n"},
		{"all among types", []string{"--provider", "itniotech", "--type", "all", "--type", "text"}, "", "wahook: --type: all cannot be combined with other types\n"},
		{"unknown mutation", []string{"--provider", "innopaas", "--mutation", "nope"}, "", "wahook: bad send options: unknown mutation \"nope\" for innopaas; wahook list mutations lists them\n"},
		{"mutation of another provider", []string{"--provider", "itniotech", "--mutation", "invalid-date-time"}, "", "wahook: bad send options: unknown mutation \"invalid-date-time\" for itniotech; wahook list mutations lists them\n"},
		{"mutation not applicable", []string{"--provider", "innopaas", "--type", "text", "--mutation", "numeric-string-coordinates"}, "",
			"wahook: bad send options: mutation numeric-string-coordinates: mutation does not apply to any of the chosen types\n"},
		{"credentials for itniotech", []string{"--provider", "itniotech", "--auth-user", "alice"}, "",
			"wahook: --auth-user: itniotech: the provider documents no credential headers; send them with a custom header instead\n"},
		{"bad header", []string{"--provider", "itniotech", "--header", "X-Trace"}, "", "wahook: --header: a line without ':': want 'Name: value'\n"},
		{"header without a name", []string{"--provider", "itniotech", "--header", ": s3cret"}, "", "wahook: --header: no name before ':': want 'Name: value'\n"},
		{"header name with space", []string{"--provider", "itniotech", "-H", "X Trace: 1"}, "",
			"wahook: --header: name \"X Trace\" is not a token: use letters, digits and !#$%&'*+-.^_`|~\n"},
		{"header name not a token", []string{"--provider", "itniotech", "--type", "text,image", "-H", "X(bad: v"}, "",
			"wahook: --header: name \"X(bad\" is not a token: use letters, digits and !#$%&'*+-.^_`|~\n"},
		{"control character in a header value", []string{"--provider", "itniotech", "-H", "X: a\x01b"}, "",
			"wahook: --header: X: control character 0x01 at byte 1 of the value\n"},
		{"a credential in a header is not echoed", []string{"--provider", "innopaas", "-H", "Authorization: Bearer s3cret\x01"}, "",
			"wahook: --header: Authorization: control character 0x01 at byte 13 of the value\n"},
		{"header names differing only in case, merged", []string{"--provider", "itniotech", "-H", "X-A: 1", "-H", "x-a: a\nb"}, "",
			"wahook: --header: X-A: control character 0x0a at byte 1 of the value\n"},
		{"empty Host", []string{"--provider", "itniotech", "-H", "Host:"}, "", "wahook: --header: Host is empty: leave it out to send the target's\n"},
		{"Host not host[:port]", []string{"--provider", "itniotech", "-H", "Host: bad host"}, "",
			"wahook: --header: Host \"bad host\" is not host[:port]\n"},
		{"control character in the token", []string{"--provider", "innopaas", "--auth-token", "a\x01b"}, "",
			"wahook: --auth-token: control character 0x01 at byte 1 of the value\n"},
		{"line break in the user", []string{"--provider", "innopaas", "--auth-user", "alice\nX-Injected: 1"}, "",
			"wahook: --auth-user: control character 0x0a at byte 5 of the value\n"},
		{"no workers", []string{"--provider", "itniotech", "--workers", "0"}, "", "wahook: --workers: 0, want at least 1\n"},
		{"too many workers", []string{"--provider", "itniotech", "--workers", "257"}, "", "wahook: --workers: 257, at most 256\n"},
		{"absurdly many workers", []string{"--provider", "itniotech", "--workers", "100000000000"}, "", "wahook: --workers: 100000000000, at most 256\n"},
		{"negative timeout", []string{"--provider", "itniotech", "--timeout", "-1s"}, "", "wahook: --timeout: negative (-1s)\n"},
		{"negative rate", []string{"--provider", "itniotech", "--rate", "-1"}, "", "wahook: --rate: -1: want a finite number >= 0\n"},
		{"infinite time scale", []string{"--provider", "itniotech", "--time-scale", "+Inf"}, "", "wahook: --time-scale: +Inf: want a finite number >= 0\n"},
		{"missing CA file", []string{"--provider", "itniotech", "--ca-file", "nope.pem"}, "", "wahook: --ca-file: stat nope.pem: no such file or directory\n"},
		{"CA file and insecure", []string{"--provider", "itniotech", "--ca-file", "nope.pem", "--insecure"}, "", "wahook: --insecure: cannot be combined with a CA file or root CAs\n"},
		{"bad retries", []string{"--provider", "itniotech", "--retries", "soon"}, "", "wahook: --retries: retries \"soon\": \"soon\" is not a duration such as 1m or 30s\n"},
		{"bad media fault", []string{"--provider", "itniotech", "--media-fault", "gone"}, "", "wahook: bad send options: media fault \"gone\": want one of 404, slow, corrupt\n"},
		{"bad output", []string{"--provider", "itniotech", "--output", "xml"}, "", "wahook: --output: unknown format \"xml\" (want text, json or jsonl)\n"},
		{"negative count", []string{"--provider", "itniotech", "--count", "-1"}, "", "wahook: --count: -1 is negative\n"},
		{"zero time scale", []string{"--provider", "itniotech", "--time-scale", "0"}, "", "wahook: --time-scale: 0: want a factor > 0, such as 0.001\n"},
		{"bad duplicates", []string{"--provider", "itniotech", "--duplicates", "2"}, "", "wahook: --duplicates: 2: want a fraction from 0 to 1\n"},
		{"file and type", []string{"--provider", "innopaas", "--file", "-", "--type", "text"}, "{}",
			"wahook: bad send options: a given payload file cannot be combined with --type, --mutation or --events\n"},
		{"file and count", []string{"--provider", "innopaas", "--file", "-", "--count", "3"}, "{}", "wahook: --count applies to generated payloads, not to --file\n"},
		{"stdin twice", []string{"--provider", "innopaas", "--file", "-", "--file", "-"}, "{}", "wahook: --file: stdin (-) given 2 times\n"},
		{"missing file", []string{"--provider", "innopaas", "--file", "nope.json"}, "", "wahook: --file nope.json: no such file or directory\n"},
		{"bad scheme", []string{"send", "--target", "ftp://127.0.0.1/x", "--provider", "innopaas"}, "", "wahook: --target: \"ftp://127.0.0.1/x\": scheme must be http or https\n"},
		{"argument", []string{"--provider", "innopaas", "extra"}, "", "wahook: unknown command \"extra\" for \"wahook send\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if args[0] != "send" {
				args = append([]string{"send", "--target", target}, args...)
			}
			got := runWahook(t, tt.stdin, args...)
			assert.Equal(t, 2, got.code)
			assert.Equal(t, tt.wantStderr, got.stderr)
			assert.Empty(t, got.stdout, "no report: nothing was scheduled")
			assert.Empty(t, rec.Hits(), "refused up front: the target got no request")
		})
	}
}

func TestSendCompletion(t *testing.T) {
	tests := []struct {
		args          []string
		want, wantNot []string
	}{
		{[]string{"send", "--provider", ""}, []string{"innopaas", "itniotech"}, []string{"all", "auto"}},
		{[]string{"send", "--type", ""}, []string{"all", "text", "order", "unsupported"}, nil},
		{[]string{"send", "--provider", "itniotech", "--type", ""}, []string{"all", "text", "unsupported"}, []string{"order"}},
		{[]string{"send", "--provider", "itniotech", "--type", "text,im"}, []string{"text,image"}, []string{"all", "text,text", "image"}},
		{[]string{"send", "--provider", "innopaas", "--mutation", ""}, []string{"empty-body", "invalid-date-time"}, []string{"timestamp-milliseconds"}},
		{[]string{"send", "--provider", "itniotech", "--mutation", ""}, []string{"empty-body", "timestamp-milliseconds"}, []string{"invalid-date-time"}},
		{[]string{"send", "--mutation", ""}, []string{"invalid-date-time", "timestamp-milliseconds"}, nil},
		{[]string{"send", "--retries", ""}, []string{"provider", "none"}, nil},
		{[]string{"send", "--media-fault", ""}, []string{"404", "slow", "corrupt"}, nil},
		{[]string{"send", "--output", ""}, []string{"text", "json"}, nil},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			assertCompletes(t, tt.args, tt.want, tt.wantNot)
		})
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{850 * time.Nanosecond, "850ns"},
		{1234 * time.Nanosecond, "1.23µs"},
		{91457 * time.Nanosecond, "91.5µs"},
		{607123 * time.Nanosecond, "607µs"},
		{1234567 * time.Nanosecond, "1.23ms"},
		{45678901 * time.Nanosecond, "45.7ms"},
		{2345678901 * time.Nanosecond, "2.35s"},
		{65 * time.Second, "1m5s"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, formatDuration(tt.d), tt.d.String())
	}
}

func TestSendPrintsAsItHappens(t *testing.T) {
	var stdout hooktest.Buffer
	shown := make(chan bool, 1)
	rec := newReceiver(t, func(w http.ResponseWriter, _ received, n int) {
		if n == 2 {
			// The second request is answered only once the first delivery's line is out (or not).
			deadline := time.Now().Add(5 * time.Second)
			for !strings.HasPrefix(stdout.String(), "acked ") && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			shown <- strings.HasPrefix(stdout.String(), "acked ")
		}
		_, _ = io.WriteString(w, "ok")
	})
	var stderr bytes.Buffer
	code := run(t.Context(), []string{"send", "--target", rec.url, "--provider", "innopaas", "--count", "2"},
		strings.NewReader(""), &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	assert.True(t, <-shown, "the first line was printed while the second delivery was under way")
	assert.Len(t, deliveryLines(stdout.String()), 2)
}

// parseJSONL reads send --output jsonl: a record per delivery, then the report's head with the
// summary, which must account for every delivery.
func parseJSONL(t *testing.T, stdout string) ([]jsonResult, jsonSummary) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	require.NotEmpty(t, lines)
	var head jsonReport
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &head), lines[len(lines)-1])
	var records []jsonResult
	for _, l := range lines[:len(lines)-1] {
		var r jsonResult
		require.NoError(t, json.Unmarshal([]byte(l), &r), l)
		records = append(records, r)
	}
	s := head.Summary
	assert.Equal(t, s.Scheduled, s.Acked+s.Failed+s.Cancelled, "scheduled = acked + failed + cancelled")
	return records, s
}

func countOutcome(records []jsonResult, outcome string) int {
	n := 0
	for _, r := range records {
		if r.Outcome == outcome {
			n++
		}
	}
	return n
}

// TestSendHugeCount: a count far past what memory could hold is generated as it is sent; an
// interrupt a few hundred deliveries in acts at once and still prints the report, which counts every
// payload. The formats that must hold the whole run refuse such a count up front.
func TestSendHugeCount(t *testing.T) {
	const count = "1000000000000"
	for _, output := range []string{"text", "jsonl"} {
		t.Run(output, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var cancelled atomic.Int64 // unix nanoseconds of the interrupt
			rec := newReceiver(t, func(w http.ResponseWriter, _ received, n int) {
				if n == 200 {
					cancelled.Store(time.Now().UnixNano())
					cancel()
				}
				_, _ = io.WriteString(w, "ok")
			})
			var stdout, stderr bytes.Buffer
			code := run(ctx, []string{"send", "--target", rec.url, "--provider", "itniotech", "--count", count,
				"--retries", "none", "--workers", "4", "--output", output}, strings.NewReader(""), &stdout, &stderr)
			acted := time.Since(time.Unix(0, cancelled.Load()))
			assert.Equal(t, 2, code)
			assert.Regexp(t, `^wahook: interrupted: \d+ of `+count+` deliveries cancelled\n$`, stderr.String())
			assert.Less(t, acted, time.Second, "the interrupt acts within a second")
			if output == "jsonl" {
				records, summary := parseJSONL(t, stdout.String())
				assert.Equal(t, 1_000_000_000_000, summary.Scheduled)
				assert.GreaterOrEqual(t, countOutcome(records, "acked"), 150)
				return
			}
			assert.Regexp(t, `\nscheduled `+count+`: \d+ acked, 0 failed, \d+ cancelled\n`, stdout.String())
		})
	}
	for _, tt := range []struct{ name, flag, want string }{
		{"json", "--output=json", "wahook: --output json holds the whole report in memory: at most 1000000 payloads, not " + count + "; --output jsonl writes each delivery as it settles, for runs of any size\n"},
		{"shuffle", "--shuffle", "wahook: --shuffle draws the whole delivery order up front: at most 10000000 payloads, not " + count + "\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := newReceiver(t, nil)
			got := runWahook(t, "", "send", "--target", rec.url, "--provider", "itniotech", "--count", count, tt.flag)
			assert.Equal(t, 2, got.code)
			assert.Equal(t, tt.want, got.stderr)
			assert.Empty(t, got.stdout)
			assert.Empty(t, rec.Hits(), "nothing sent")
		})
	}
}

// TestSendDurationAndQuiet: --duration sends generated payloads for that long, as a load tool does,
// and stops cleanly (exit 0, nothing cancelled); --quiet prints the summary alone, in text and jsonl.
func TestSendDurationAndQuiet(t *testing.T) {
	rec := newReceiver(t, nil)
	base := []string{"send", "--target", rec.url, "--provider", "itniotech", "--retries", "none", "--workers", "2"}

	began := time.Now()
	got := runWahook(t, "", append(base, "--duration", "300ms", "--quiet")...)
	took := time.Since(began)
	require.Equal(t, 0, got.code, got.stderr)
	m := regexp.MustCompile(`^scheduled (\d+): (\d+) acked, 0 failed, 0 cancelled\n`).FindStringSubmatch(got.stdout)
	require.NotNil(t, m, got.stdout)
	assert.Equal(t, m[1], m[2])
	n, _ := strconv.Atoi(m[1])
	assert.Positive(t, n)
	assert.Len(t, rec.Hits(), n, "every delivery counted")
	assert.GreaterOrEqual(t, took, 300*time.Millisecond)

	got = runWahook(t, "", append(base, "--count", "5", "--quiet", "--output", "jsonl")...)
	require.Equal(t, 0, got.code, got.stderr)
	records, summary := parseJSONL(t, got.stdout)
	assert.Empty(t, records, "quiet: the summary line only")
	assert.Equal(t, 5, summary.Acked)

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--duration", "1s", "--count", "5"}, "wahook: --duration: cannot be combined with a count or given payloads\n"},
		{[]string{"--duration", "1s", "--shuffle"}, "wahook: --duration: cannot be combined with shuffle, which draws the whole order up front\n"},
		{[]string{"--duration", "1s", "--output", "json"}, "wahook: --output json holds the whole report in memory, which a run of a fixed --duration cannot promise: use --output jsonl or text\n"},
	} {
		got := runWahook(t, "", append(base, tt.args...)...)
		assert.Equal(t, 2, got.code)
		assert.Equal(t, tt.want, got.stderr, tt.args)
	}
}

// TestSendSaysWhileRetrying: a failed attempt that will be retried says so at once, with the attempt,
// its status and when the next is due, and the first says how not to wait.
func TestSendSaysWhileRetrying(t *testing.T) {
	t.Parallel()
	srv := hooktest.Server(t, http.NotFoundHandler())
	got := runWahook(t, "", "send", "--target", srv.URL, "--provider", "itniotech", "--type", "text", "--time-scale", "0.001")
	assert.Equal(t, 1, got.code)
	lines := strings.Split(strings.TrimSpace(got.stdout), "\n")
	require.Greater(t, len(lines), 5, got.stdout)
	assert.Regexp(t, `^retrying  \S+ +text +attempt 1 of 4 failed: 404; next in \d+ms, at \d\d:\d\d:\d\d$`, lines[0])
	assert.Contains(t, lines[1], "--retries none does not retry")
	assert.Regexp(t, `^retrying  .* attempt 2 of 4 failed: 404;`, lines[2])
	assert.Regexp(t, `^retrying  .* attempt 3 of 4 failed: 404;`, lines[3])
	assert.Regexp(t, `^failed .* 4 attempts$`, lines[4])
	assert.Equal(t, 1, strings.Count(got.stdout, "--retries none"), "the hint once")

	quiet := runWahook(t, "", "send", "--target", srv.URL, "--provider", "itniotech", "--type", "text", "--time-scale", "0.001", "--quiet")
	assert.NotContains(t, quiet.stdout, "retrying")
}

// TestSendRetryLine: on a terminal, a live line shows the deliveries waiting for a retry and the
// next one's countdown, and is gone once they settle.
func TestSendRetryLine(t *testing.T) {
	defer func(f func(io.Writer) bool) { isTerminal = f }(isTerminal)
	isTerminal = func(io.Writer) bool { return true }
	srv := hooktest.Server(t, http.NotFoundHandler())
	got := runWahook(t, "", "send", "--target", srv.URL, "--provider", "itniotech", "--type", "text", "--retries", "2500ms")
	assert.Equal(t, 1, got.code)
	assert.Regexp(t, `\r\x1b\[K1 waiting for a retry; the next in [12]s \(Ctrl-C stops\)`, got.stderr)
	assert.True(t, strings.HasSuffix(got.stderr, "\r\x1b[K"), "cleared at the end: %q", got.stderr)
	assert.Contains(t, got.stdout, "attempt 1 of 2 failed: 404")
}

// TestSendProgressLine: on a terminal, a run that prints no line per delivery shows how far it is,
// and clears the line before its summary.
func TestSendProgressLine(t *testing.T) {
	defer func(f func(io.Writer) bool) { isTerminal = f }(isTerminal)
	isTerminal = func(io.Writer) bool { return true }
	srv := hooktest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { time.Sleep(2 * time.Millisecond) }))
	got := runWahook(t, "", "send", "--target", srv.URL, "--provider", "itniotech", "--count", "400", "--quiet", "--retries", "none")
	assert.Equal(t, 0, got.code, got.stderr)
	assert.Regexp(t, `\r\x1b\[K\d+ settled of 400 payloads, \d+/s: \d+ acked, 0 failed`, got.stderr)
	assert.True(t, strings.HasSuffix(got.stderr, "\r\x1b[K"), "cleared: %q", got.stderr)
	assert.True(t, strings.HasPrefix(got.stdout, "scheduled 400: 400 acked"), got.stdout)
}
