package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/conformance"
	reference "github.com/wahook/wahook/examples/receiver"
	"github.com/wahook/wahook/examples/receiver/broken"
	"github.com/wahook/wahook/internal/hooktest"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// lastLine returns the last line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	return lines[len(lines)-1]
}

var summaryLine = regexp.MustCompile(`^\d+ passed, \d+ failed, \d+ skipped$`)

func TestConformReferenceReceiver(t *testing.T) {
	t.Parallel()
	srv := hooktest.Server(t, reference.New(reference.Options{}))
	for _, provider := range []string{"innopaas", "itniotech"} {
		got := runWahook(t, "", "conform", "--target", srv.URL, "--provider", provider, "--profile", "strict")
		assert.Equal(t, 0, got.code, got.stdout)
		assert.Empty(t, got.stderr, "no progress line when stderr is not a terminal")
		assert.Regexp(t, summaryLine, lastLine(got.stdout))
		assert.True(t, strings.HasSuffix(got.stdout, " passed, 0 failed, 3 skipped\n"), got.stdout)
		assert.Contains(t, got.stdout, "wahook conform: "+provider+", strict profile, "+srv.URL+", seed 1, ")
		assert.Contains(t, got.stdout, "skipped 3: no credentials given")
		assert.NotContains(t, got.stdout, "FAIL")
	}
}

func TestConformCredentials(t *testing.T) {
	t.Parallel()
	// InnoPaaS sends the user and token in its own headers; ITNIO Tech sends none, so the receiver
	// checks a header of its own on every request.
	srv := hooktest.Server(t, reference.New(reference.Options{
		Credentials: mockprovider.Credentials{User: "demo", Token: "token"},
		Header:      http.Header{"X-Hook-Secret": {"s3cret"}},
	}))
	got := runWahook(t, "", "conform", "--target", srv.URL, "--provider", "innopaas", "--auth-user", "demo", "--auth-token", "token", "-H", "X-Hook-Secret: s3cret", "-q")
	assert.Equal(t, 0, got.code, got.stdout)
	assert.Regexp(t, `^passed by group: .*auth 9/9\n\d+ passed, 0 failed, 0 skipped\n$`, got.stdout)

	// --auth-header is the old spelling of --header, still taken.
	got = runWahook(t, "", "conform", "--target", srv.URL, "--provider", "itniotech", "--auth-header", "X-Hook-Secret: s3cret", "-q")
	assert.Equal(t, 0, got.code, got.stdout)
	assert.Regexp(t, `auth 3/3\n`, got.stdout)

	got = runWahook(t, "", "conform", "--target", srv.URL, "--provider", "innopaas")
	assert.Equal(t, 2, got.code)
	assert.Empty(t, got.stdout)
	assert.Regexp(t, `^wahook: conform: the receiver refused the credentials: .* answered a valid message with 401 Unauthorized; credentials\? give them with --auth-user/--auth-token or --header \(innopaas sends them in the UserName and Authorization headers\)\n$`, got.stderr)
}

// A broken receiver fails the suite (exit 1), and the output names the case with expected, observed
// and a reproduce command; the summary line comes last.
func TestConformBrokenReceiver(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir()) // where the failing payloads go
	ref := reference.New(reference.Options{})
	srv := hooktest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !json.Valid(body) {
			http.Error(w, "cannot parse", http.StatusInternalServerError)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		ref.ServeHTTP(w, r)
	}))
	got := runWahook(t, "", "conform", "--target", srv.URL, "--provider", "innopaas")
	assert.Equal(t, 1, got.code)
	assert.Empty(t, got.stderr)
	out := got.stdout
	assert.Regexp(t, "\nFAIL reject/innopaas/invalid-json\n"+
		"    case:      a syntax error mid-document: a colon replaced by a space \\(an? [a-z]+ message\\)\n"+
		"    expected:  2xx or 4xx \\(no 5xx, no timeout\\)\n"+
		"    observed:  500 Internal Server Error: cannot parse\n"+
		"    reproduce: ", out)
	dir := regexp.MustCompile(`payloads of the failing cases: (\S+)\n`).FindStringSubmatch(out)
	require.Len(t, dir, 2, out)
	assert.Contains(t, out, "    reproduce: wahook send --target "+srv.URL+" --provider innopaas --retries none --file "+dir[1]+"/reject_innopaas_invalid-json.json\n")
	assert.FileExists(t, filepath.Join(dir[1], "reject_innopaas_invalid-json.json"))
	assert.Regexp(t, `\n\d+ passed, [1-9]\d* failed, 3 skipped\n$`, out)
}

func TestConformProfiles(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	srv := hooktest.Server(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})) // acks everything
	got := runWahook(t, "", "conform", "--target", srv.URL, "--provider", "itniotech", "-q")
	assert.Equal(t, 0, got.code, "an always-200 receiver passes the standard profile")
	got = runWahook(t, "", "conform", "--target", srv.URL, "--provider", "itniotech", "--profile", "strict", "-q")
	assert.Equal(t, 1, got.code, "and fails the strict one")
	assert.Regexp(t, "FAIL reject/itniotech/invalid-json\n    case: .*\n    expected:  4xx\n    observed:  200 OK\n", got.stdout)
}

func TestConformUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	target := "http://" + ln.Addr().String() + "/hook"
	ln.Close()
	got := runWahook(t, "", "conform", "--target", target, "--provider", "innopaas")
	assert.Equal(t, 2, got.code)
	assert.Empty(t, got.stdout)
	assert.Equal(t, "wahook: conform: target unreachable: "+target+": connection refused\n", got.stderr)
}

func TestConformUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args       []string
		wantStderr string
	}{
		{[]string{"--provider", "innopaas"}, "wahook: conform: --target is required\n"},
		{[]string{"--target", "http://x"}, "wahook: conform: --provider is required (one of " + providerList + ")\n"},
		{[]string{"--target", "http://x", "--provider", "no-such-provider"}, "wahook: --provider: unknown provider \"no-such-provider\" (want one of " + providerList + ")\n"},
		{[]string{"--target", "ftp://x", "--provider", "innopaas"}, "wahook: conform: --target: \"ftp://x\": scheme must be http or https\n"},
		{[]string{"--target", "http://x", "--provider", "innopaas", "--profile", "lax"}, "wahook: conform: --profile: \"lax\": want one of [standard strict]\n"},
		{[]string{"--target", "http://x", "--provider", "innopaas", "--run", "("}, "wahook: conform: --run: error parsing regexp: missing closing ): `(`\n"},
		{[]string{"--target", "http://x", "--provider", "innopaas", "--run", "^nothing"}, "wahook: conform: bad conformance config: no case id matches run \"^nothing\"\n"},
		{[]string{"--target", "http://x", "--provider", "itniotech", "--auth-user", "u"}, "wahook: conform: --auth-user: itniotech: the provider documents no credential headers; send them with a custom header instead\n"},
		{[]string{"--target", "http://x", "--provider", "innopaas", "--auth-header", "nocolon"}, "wahook: --header: a line without ':': want 'Name: value'\n"},
		{[]string{"--target", "http://x", "--provider", "innopaas", "extra"}, "wahook: unknown command \"extra\" for \"wahook conform\"\n"},
		// A filter that picks nothing is the same mistake with --list as without.
		{[]string{"--list", "--run", "^nothing"}, "wahook: conform: bad conformance config: no case id matches run \"^nothing\"\n"},
		{[]string{"--list", "--provider", "itniotech", "--run", "^reject/innopaas/"}, "wahook: conform: bad conformance config: no case id matches run \"^reject/innopaas/\"\n"},
		{[]string{"--list", "--provider", "innopaas", "--junit", "r.xml"}, "wahook: conform: --list sends nothing: --junit, --json, --html and --summary-md do not apply\n"},
		// An empty credential would make the wrong-credentials case send the right one.
		{[]string{"--target", "http://x", "--provider", "innopaas", "--auth-user", "", "--auth-token", "t"}, "wahook: conform: --auth-user: the value is empty\n"},
		{[]string{"--target", "http://x", "--provider", "innopaas", "--auth-user", "u", "--auth-token", " "}, "wahook: conform: --auth-token: the value is blank\n"},
		{[]string{"--target", "http://x", "--provider", "itniotech", "--auth-header", "X-Secret:"}, "wahook: conform: --header: X-Secret: the value is empty\n"},
		{[]string{"--target", "http://x", "--provider", "itniotech", "--auth-header", "X-Secret: ok", "--auth-header", "X-Other:  "}, "wahook: conform: --header: X-Other: the value is empty\n"},
	}
	for _, tt := range tests {
		got := runWahook(t, "", append([]string{"conform"}, tt.args...)...)
		assert.Equal(t, 2, got.code, tt.args)
		assert.Empty(t, got.stdout, tt.args)
		assert.Equal(t, tt.wantStderr, got.stderr, tt.args)
	}
}

// --list prints every case id and description and sends nothing.
func TestConformList(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := hooktest.Server(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	got := runWahook(t, "", "conform", "--list", "--target", srv.URL, "--provider", "itniotech")
	assert.Equal(t, 0, got.code)
	assert.Zero(t, hits.Load())
	lines := strings.Split(strings.TrimSuffix(got.stdout, "\n"), "\n")
	cases, err := conformance.Cases(conformance.Config{Target: mockprovider.Target{Provider: "itniotech"}, Seed: 1})
	require.NoError(t, err)
	require.Len(t, lines, len(cases))
	for i, c := range cases {
		assert.Regexp(t, `^`+regexp.QuoteMeta(c.ID)+` +`+regexp.QuoteMeta(c.Description), lines[i])
	}
	assert.Contains(t, got.stdout, "auth/itniotech/missing-credentials")
	assert.Contains(t, got.stdout, "[skipped: no credentials given")

	both := runWahook(t, "", "conform", "--list", "--run", "^reject/.*/invalid-json$")
	assert.Equal(t, 0, both.code)
	var want strings.Builder
	for _, p := range schemas.Providers() {
		want.WriteString(`reject/` + string(p) + `/invalid-json +a syntax error.*\n`)
	}
	assert.Regexp(t, `^`+want.String()+`$`, both.stdout, "every provider's, in order")
}

func TestConformRunFilter(t *testing.T) {
	t.Parallel()
	srv := hooktest.Server(t, reference.New(reference.Options{}))
	got := runWahook(t, "", "conform", "--target", srv.URL, "--provider", "innopaas", "--run", "^delivery/")
	assert.Equal(t, 0, got.code)
	assert.Contains(t, got.stdout, ", 3 cases in ")
	assert.True(t, strings.HasSuffix(got.stdout, "passed by group: delivery 3/3\n3 passed, 0 failed, 0 skipped\n"), got.stdout)
}

// --junit and --json write the report, atomically: JUnit XML with the right counts, and JSON that
// decodes to the same report and encodes to the same bytes.
func TestConformReportFiles(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	srv := hooktest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/json" { // a receiver that 500s what it does not expect
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	dir := t.TempDir()
	junit, jsonFile := filepath.Join(dir, "report.xml"), filepath.Join(dir, "report.json")
	got := runWahook(t, "", "conform", "--target", srv.URL, "--provider", "innopaas", "--run", "^(valid/innopaas/text/[0-9]|reject/innopaas/(non-json-content-type|invalid-json)$|tolerate/innopaas/content-type-charset/te|auth/)",
		"--junit", junit, "--json", jsonFile, "-q")
	require.Equal(t, 1, got.code, got.stdout+got.stderr)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 2, "no temporary files left behind")

	raw, err := os.ReadFile(junit)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(raw), `<?xml version="1.0" encoding="UTF-8"?>`))
	doc := hooktest.ReadJUnit(t, raw)
	assert.Equal(t, 9, doc.Tests)
	assert.Equal(t, 2, doc.Failures)
	assert.Equal(t, 3, doc.Skipped)
	type counts struct{ tests, failures, skipped int }
	got2 := map[string]counts{}
	for _, s := range doc.Suites {
		got2[s.Name] = counts{s.Tests, s.Failures, s.Skipped}
		for _, c := range s.Cases {
			assert.Equal(t, s.Name, c.ClassName)
			if c.Name == "reject/innopaas/non-json-content-type" {
				require.NotNil(t, c.Failure)
				assert.Equal(t, "expected 2xx or 4xx (no 5xx, no timeout), got 500 Internal Server Error", c.Failure.Message)
				assert.Contains(t, c.Failure.Text, "reproduce: curl -sS -i --max-time 10 -X POST -H 'Content-Type: text/plain' --data-binary @")
			}
			if s.Name == "auth" {
				require.NotNil(t, c.Skipped)
				assert.Contains(t, c.Skipped.Message, "no credentials given")
			}
		}
	}
	assert.Equal(t, map[string]counts{"valid": {3, 0, 0}, "tolerate": {1, 1, 0}, "reject": {2, 1, 0}, "auth": {3, 0, 3}}, got2)

	raw, err = os.ReadFile(jsonFile)
	require.NoError(t, err)
	var report conformance.Report
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&report))
	assert.Equal(t, 9, report.Summary.Total)
	var again bytes.Buffer
	enc := json.NewEncoder(&again)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(&report))
	assert.Equal(t, string(raw), again.String())
}

// The same seed sends the same bytes; another seed others.
func TestConformSeed(t *testing.T) {
	t.Parallel()
	var (
		mu     sync.Mutex
		bodies []string
	)
	ref := reference.New(reference.Options{})
	srv := hooktest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, fmt.Sprintf("%x", sha256.Sum256(body)))
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		ref.ServeHTTP(w, r)
	}))
	capture := func(seed string) []string {
		mu.Lock()
		bodies = nil
		mu.Unlock()
		got := runWahook(t, "", "conform", "--target", srv.URL, "--provider", "itniotech", "--seed", seed, "--run", "^(valid|documented|delivery)/", "-q")
		require.Equal(t, 0, got.code, got.stdout)
		mu.Lock()
		defer mu.Unlock()
		return slices.Sorted(slices.Values(bodies))
	}
	a, b, c := capture("7"), capture("7"), capture("8")
	assert.Equal(t, a, b)
	assert.Len(t, c, len(a))
	assert.NotEqual(t, a, c)
}

// The progress line is drawn only on a terminal, and not with --quiet.
func TestConformProgress(t *testing.T) {
	defer func(f func(io.Writer) bool) { isTerminal = f }(isTerminal)
	isTerminal = func(io.Writer) bool { return true }
	srv := hooktest.Server(t, reference.New(reference.Options{}))
	got := runWahook(t, "", "conform", "--target", srv.URL, "--provider", "innopaas", "--run", "^delivery/")
	assert.Equal(t, 0, got.code)
	assert.Equal(t, "\r\x1b[K[1/3] 0 failed  delivery/innopaas/retry-identical-bytes"+
		"\r\x1b[K[2/3] 0 failed  delivery/innopaas/burst-50"+
		"\r\x1b[K[3/3] 0 failed  delivery/innopaas/out-of-order\r\x1b[K\r\x1b[K", got.stderr)
	got = runWahook(t, "", "conform", "--target", srv.URL, "--provider", "innopaas", "--run", "^delivery/", "--quiet")
	assert.Equal(t, 0, got.code)
	assert.Empty(t, got.stderr)
	assert.Equal(t, "passed by group: delivery 3/3\n3 passed, 0 failed, 0 skipped\n", got.stdout)
}

func TestConformInterrupted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ref := reference.New(reference.Options{})
	srv := hooktest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") == "text/plain" { // the user presses ^C while this one hangs
			io.Copy(io.Discard, r.Body) // so that the server notices the client hanging up
			time.AfterFunc(50*time.Millisecond, cancel)
			<-r.Context().Done()
			return
		}
		ref.ServeHTTP(w, r)
	}))
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"conform", "--target", srv.URL, "--provider", "innopaas", "--run", "^(valid|reject)/"}, strings.NewReader(""), &stdout, &stderr)
	assert.Equal(t, 2, code)
	assert.Regexp(t, `^wahook: conform: interrupted after \d+ of \d+ cases: context canceled\n$`, stderr.String())
	assert.Regexp(t, `\n\d+ passed, 0 failed, 0 skipped\n$`, stdout.String())
}

// TestConformHTTPS runs the suite against a receiver behind a self-signed certificate: refused
// without trust (exit 2, one line), passed with --insecure or with the certificate as --ca-file.
func TestConformHTTPS(t *testing.T) {
	t.Parallel()
	srv := hooktest.TLSServer(t, reference.New(reference.Options{}))
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))

	got := runWahook(t, "", "conform", "--target", srv.URL, "--provider", "itniotech", "--run", "^valid/")
	assert.Equal(t, 2, got.code, got.stdout)
	assert.Equal(t, 1, strings.Count(got.stderr, "\n"), got.stderr)

	for _, trust := range [][]string{{"--insecure"}, {"--ca-file", caFile}} {
		args := append([]string{"conform", "--target", srv.URL, "--provider", "itniotech", "--run", "^valid/"}, trust...)
		got := runWahook(t, "", args...)
		assert.Equal(t, 0, got.code, "%v: %s%s", trust, got.stdout, got.stderr)
		assert.True(t, strings.HasSuffix(got.stdout, " passed, 0 failed, 0 skipped\n"), got.stdout)
	}
}

// Broken receivers of examples/receiver/broken make conform exit 1 and print the case that caught
// them, with its payload in --payload-dir. Every defect, for both providers, is run by conformance's
// TestBrokenReceivers through conformance.Execute, the runner conform calls; here a representative
// few go through the command line, one for each way the defect table reaches conform's flags and
// output: an ordinary failure (--run), credentials as --auth-user/--auth-token and as --auth-header,
// --profile strict, a receiver that dies (the skipped line), and one that wedges (--timeout).
func TestConformBrokenReceivers(t *testing.T) {
	defects := map[string]broken.Defect{}
	for _, d := range broken.Defects() {
		if _, dup := defects[d.Name]; !dup {
			defects[d.Name] = d
		}
	}
	for _, tt := range []struct {
		defect   string
		provider schemas.Provider
	}{
		{"500 on one message type", schemas.ITNIOTech},
		{"no auth check", schemas.InnoPaaS},
		{"no auth check", schemas.ITNIOTech},
		{"always 200, strict profile", schemas.InnoPaaS},
		{"dies on some input", schemas.ITNIOTech},
		{"answers bad JSON with 400, then wedges", schemas.InnoPaaS},
		{"drops captions", schemas.ITNIOTech},
	} {
		d, ok := defects[tt.defect]
		require.True(t, ok, "no defect %q in examples/receiver/broken", tt.defect)
		p := tt.provider
		t.Run(d.Name+"/"+string(p), func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewUnstartedServer(nil)
			srv.Config.Handler = d.New(srv)
			srv.Config.ErrorLog = log.New(io.Discard, "", 0)
			srv.Start()
			t.Cleanup(srv.Close)
			payloads := filepath.Join(t.TempDir(), "payloads")
			args := []string{"conform", "--target", srv.URL, "--provider", string(p), "--payload-dir", payloads}
			if d.Run != "" {
				args = append(args, "--run", d.Run)
			}
			if d.Profile != "" {
				args = append(args, "--profile", string(d.Profile))
			}
			if d.Timeout != 0 {
				args = append(args, "--timeout", d.Timeout.String())
			}
			if d.Credentials {
				_, creds := broken.Credentials(p)
				if creds.Credentials.User != "" {
					args = append(args, "--auth-user", creds.Credentials.User, "--auth-token", creds.Credentials.Token)
				}
				for name, values := range creds.Header {
					for _, v := range values {
						args = append(args, "--header", name+": "+v)
					}
				}
			}

			got := runWahook(t, "", args...)
			assert.Equal(t, 1, got.code, "%s\n%s", got.stdout, got.stderr)
			assert.Empty(t, got.stderr)
			id := d.Case(p)
			block := failBlock(got.stdout, id)
			require.NotEmpty(t, block, "no FAIL %s in:\n%s", id, got.stdout)
			observed := d.WantReason
			if i := strings.LastIndex(observed, "got "); i >= 0 {
				observed = observed[i+len("got "):]
			}
			assert.Contains(t, block, observed)
			assert.Contains(t, block, "    reproduce: ")
			assert.Contains(t, block, payloads+"/"+strings.ReplaceAll(id, "/", "_"))
			written, err := filepath.Glob(filepath.Join(payloads, strings.ReplaceAll(id, "/", "_")+"*"))
			require.NoError(t, err)
			assert.NotEmpty(t, written, "the payloads of %s in --payload-dir", id)
			if d.StopsAnswering {
				assert.Regexp(t, `\nskipped \d+: not run: the receiver stopped answering after `+regexp.QuoteMeta(id)+`\n`, got.stdout)
			}
			assert.Regexp(t, `\n\d+ passed, [1-9]\d* failed, \d+ skipped\n$`, got.stdout)
		})
	}
}

// failBlock returns the FAIL block of case id in conform's output: its header and indented lines.
func failBlock(out, id string) string {
	start := strings.Index(out, "\nFAIL "+id+"\n")
	if start < 0 {
		return ""
	}
	block := out[start+1:]
	if end := strings.Index(block, "\n\n"); end >= 0 {
		block = block[:end]
	}
	return block
}

// shellFields splits a command line printed by conform the way a POSIX shell would: words separated
// by spaces, with single-quoted parts. It is only as clever as shellQuote needs.
func shellFields(t *testing.T, line string) []string {
	t.Helper()
	var (
		fields []string
		word   strings.Builder
		inWord bool
	)
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == ' ':
			if inWord {
				fields, inWord = append(fields, word.String()), false
				word.Reset()
			}
		case c == '\'':
			end := strings.IndexByte(line[i+1:], '\'')
			require.GreaterOrEqual(t, end, 0, "unterminated quote in %s", line)
			word.WriteString(line[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case c == '\\' && i+1 < len(line):
			word.WriteByte(line[i+1])
			i++
			inWord = true
		default:
			require.NotContains(t, `"$&;|<>`, string(c), "a shell feature in %s", line)
			word.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		fields = append(fields, word.String())
	}
	return fields
}

// The printed `wahook send` command reproduces the failure: it reaches a self-signed https receiver
// as conform did, and gives up after conform's timeout, so it fails the same way instead of with a
// TLS error, or instead of succeeding after a longer wait.
func TestConformReproduceRuns(t *testing.T) {
	t.Parallel()
	ref := reference.New(reference.Options{})
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch broken.MessageType(broken.Peek(r)) {
		case "image":
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		case "video": // slower than the suite's timeout, but well within send's default
			select {
			case <-r.Context().Done():
				return
			case <-time.After(time.Second):
			}
		}
		ref.ServeHTTP(w, r)
	})
	srv := hooktest.TLSServer(t, handler)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))

	tests := []struct {
		name     string
		flags    []string
		id       string
		wantSent string // in send's output: the failed delivery, as conform saw it
	}{
		{"insecure", []string{"--insecure"}, "valid/itniotech/image/1", " 500 "},
		{"ca file", []string{"--ca-file", caFile}, "valid/itniotech/image/1", " 500 "},
		{"timeout", []string{"--insecure", "--timeout", "200ms"}, "valid/itniotech/video/1", "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"conform", "--target", srv.URL, "--provider", "itniotech", "--run", "^" + tt.id + "$", "--payload-dir", t.TempDir()}, tt.flags...)
			got := runWahook(t, "", args...)
			require.Equal(t, 1, got.code, got.stdout+got.stderr)
			line := regexp.MustCompile(`\n    reproduce: (.*)\n`).FindStringSubmatch(got.stdout)
			require.Len(t, line, 2, got.stdout)
			cmd := shellFields(t, line[1])
			require.Equal(t, []string{"wahook", "send"}, cmd[:2], line[1])

			again := runWahook(t, "", cmd[1:]...)
			assert.Equal(t, 1, again.code, "the delivery fails again: %s%s", again.stdout, again.stderr)
			assert.Contains(t, again.stdout, tt.wantSent)
			assert.NotContains(t, again.stdout, "tls")
			assert.NotContains(t, again.stdout, "certificate")
		})
	}
}

// --junit and --json are checked before any case runs: a path that cannot be written is a usage error
// (exit 2, one line) that sends nothing, and a run never leaves one report written and not the other.
func TestConformReportFilesChecked(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := hooktest.Server(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	dir := t.TempDir()
	missing := filepath.Join(dir, "no", "such", "dir")
	ok := filepath.Join(dir, "ok")
	tests := []struct {
		name       string
		flags      []string
		wantStderr string // a regular expression
	}{
		{"junit in a missing directory", []string{"--junit", missing + "/r.xml"}, `^wahook: --junit .*/no/such/dir/r\.xml: cannot write: no such file or directory\n$`},
		{"good junit, json in a missing directory", []string{"--junit", ok + ".xml", "--json", missing + "/r.json"}, `^wahook: --json .*/no/such/dir/r\.json: cannot write: no such file or directory\n$`},
		{"json is a directory", []string{"--json", dir}, `^wahook: --json .*: is a directory\n$`},
		{"the same file twice", []string{"--junit", ok + ".xml", "--json", dir + "/./ok.xml"}, `^wahook: --json .*/\./ok\.xml: the junit report is written there too\n$`},
	}
	for _, tt := range tests {
		args := append([]string{"conform", "--target", srv.URL, "--provider", "innopaas"}, tt.flags...)
		got := runWahook(t, "", args...)
		assert.Equal(t, 2, got.code, tt.name)
		assert.Empty(t, got.stdout, tt.name)
		assert.Regexp(t, tt.wantStderr, got.stderr, tt.name)
	}
	assert.Zero(t, hits.Load(), "no case ran")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "no report and no temporary file written")
}

// A target that answers a valid message with 404 is not the webhook: conform says so in one line,
// with the request and its answer, and runs no case.
func TestConformWrongPath(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := hooktest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.NotFound(w, r)
	}))
	for _, quiet := range []bool{false, true} {
		hits.Store(0)
		args := []string{"conform", "--target", srv.URL, "--provider", "itniotech", "--payload-dir", t.TempDir()}
		if quiet {
			args = append(args, "-q")
		}
		got := runWahook(t, "", args...)
		assert.Equal(t, 2, got.code)
		assert.Empty(t, got.stdout, "no case ran, nothing to report")
		assert.Regexp(t, `^wahook: conform: not a webhook URL: POST `+regexp.QuoteMeta(srv.URL)+` with a valid itniotech text message \(\d+ bytes\) got 404 Not Found: 404 page not found; is the path right, and does it take POST\?\n$`, got.stderr)
		assert.EqualValues(t, 1, hits.Load(), "the probe only")
	}
}

// TestConformWordsForTheCommandLine: a group skipped whole reads as skipped, not as 0 passed; skip
// reasons name flags, not Config fields; the note on credential variables comes only with a command
// that reads one.
func TestConformWordsForTheCommandLine(t *testing.T) {
	t.Parallel()
	srv := hooktest.Server(t, reference.New(reference.Options{}))
	got := runWahook(t, "", "conform", "--target", srv.URL, "--provider", "itniotech", "--run", "^(valid/itniotech/text/[0-9]$|auth/)")
	assert.Contains(t, got.stdout, "skipped 3: no credentials given (--auth-user/--auth-token, --app-secret or --header)\n")
	assert.Contains(t, got.stdout, "passed by group: valid 3/3, auth skipped (no credentials)\n")
	assert.NotContains(t, got.stdout, "Config.")

	// A receiver that checks nothing fails the auth cases, whose commands send no credential of
	// the user's, or a wrong one: no command reads $WAHOOK_X_HOOK_SECRET.
	got = runWahook(t, "", "conform", "--target", srv.URL, "--provider", "itniotech", "--run", "^auth/", "-H", "X-Hook-Secret: s3cret", "--payload-dir", t.TempDir())
	assert.Equal(t, 1, got.code, got.stdout)
	assert.NotContains(t, got.stdout, "$WAHOOK_")
	assert.NotContains(t, got.stdout, "note: the reproduce commands read the credentials")
}
