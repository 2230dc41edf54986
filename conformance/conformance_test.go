package conformance_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"encoding/pem"
	"fmt"
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
	"github.com/wahook/wahook/delivery"
	"github.com/wahook/wahook/examples/receiver"
	"github.com/wahook/wahook/internal/hooktest"
	"github.com/wahook/wahook/internal/hostile"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

func execute(t *testing.T, cfg conformance.Config) *conformance.Report {
	t.Helper()
	if cfg.PayloadDir == "" {
		cfg.PayloadDir = t.TempDir()
	}
	report, err := conformance.Execute(t.Context(), cfg, nil)
	require.NoError(t, err)
	return report
}

// A receiver that acks everything passes the standard profile (and fails the strict one: see
// TestBrokenReceivers).
func TestAlways200PassesStandard(t *testing.T) {
	t.Parallel()
	srv := serve(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for _, p := range schemas.Providers() {
		cfg := conformance.Config{Target: mockprovider.Target{URL: srv.URL, Provider: p}}
		report := execute(t, cfg)
		assert.Zero(t, report.Summary.Failed, "%v", report.Failures())
		assert.Equal(t, skippedWithout(t, cfg), report.Summary.Skipped, "the auth (and handshake) cases, without credentials")
	}
}

// skippedWithout counts the cases of cfg's suite that are skipped for what cfg does not give:
// credentials, a verify token.
func skippedWithout(t *testing.T, cfg conformance.Config) int {
	t.Helper()
	cases, err := conformance.Cases(cfg)
	require.NoError(t, err)
	n := 0
	for _, c := range cases {
		if c.Skip != "" {
			n++
		}
	}
	require.Positive(t, n)
	return n
}

// Nothing passes whatever the receiver does: one that answers 500 to everything fails every case.
func TestEveryCaseCanFail(t *testing.T) {
	t.Parallel()
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) }))
	for _, p := range schemas.Providers() {
		for _, profile := range conformance.Profiles() {
			_, cfg := credentials(p)
			cfg.URL, cfg.Profile = srv.URL, profile
			if profile == conformance.Strict {
				cfg.Run = "^reject/" // the only cases the profile changes
			}
			report := execute(t, cfg)
			assert.Equal(t, report.Summary.Total, report.Summary.Failed, "%s %s: %s", p, profile, report.Summary)
			assert.NotEmpty(t, report.Notes, "a canary that was never acked is noted")
		}
	}
}

// A receiver that dies fails the case that killed it, by name, and the rest are skipped.
func TestDeadReceiverSkipsTheRest(t *testing.T) {
	t.Parallel()
	srv := start(t, func(srv *httptest.Server) http.Handler {
		ref := reference()
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if bytes.HasPrefix(peek(r), []byte(`{"nested":`)) {
				srv.Listener.Close()
				srv.CloseClientConnections()
				return
			}
			ref.ServeHTTP(w, r)
		})
	})
	report := execute(t, conformance.Config{Target: mockprovider.Target{URL: srv.URL, Provider: schemas.InnoPaaS}})
	failures := report.Failures()
	require.Len(t, failures, 1)
	killer := failures[0]
	assert.Equal(t, "reject/innopaas/deep-nesting", killer.ID)
	assert.Equal(t, "expected 2xx or 4xx (no 5xx, no timeout), got the connection closed without an answer (did the receiver crash?); "+
		"receiver stopped answering after this case: canary got connection refused", killer.Reason)
	require.NotNil(t, killer.Canary)
	assert.Equal(t, "refused", string(killer.Canary.Class))
	after := report.Results[slices.IndexFunc(report.Results, func(r conformance.Result) bool { return r.ID == killer.ID })+1:]
	require.NotEmpty(t, after)
	for _, r := range after {
		assert.Equal(t, conformance.Skip, r.Outcome, r.ID)
		if r.Group != conformance.GroupAuth {
			assert.Equal(t, "not run: the receiver stopped answering after reject/innopaas/deep-nesting", r.Reason)
		}
	}
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	target := "http://" + ln.Addr().String() + "/webhook"
	ln.Close()
	report, err := conformance.Execute(t.Context(), conformance.Config{Target: mockprovider.Target{URL: target, Provider: schemas.ITNIOTech}}, nil)
	assert.Nil(t, report)
	assert.ErrorIs(t, err, delivery.ErrUnreachable)
	assert.EqualError(t, err, "target unreachable: "+target+": connection refused")
}

// TestNoAnswer: a target that takes the connection but gives no HTTP answer is not called
// unreachable; the suite refuses to run with the engine's account of what came instead.
func TestNoAnswer(t *testing.T) {
	t.Parallel()
	srv := hostile.Start(t, hostile.Slowloris, hostile.Options{Interval: 100 * time.Millisecond})
	report, err := conformance.Execute(t.Context(), conformance.Config{Target: mockprovider.Target{URL: srv.URL, Provider: schemas.ITNIOTech, Timeout: 500 * time.Millisecond}}, nil)
	assert.Nil(t, report)
	assert.ErrorIs(t, err, delivery.ErrNoAnswer)
	assert.NotErrorIs(t, err, delivery.ErrUnreachable)
	assert.Regexp(t, `^no answer from the target: `+regexp.QuoteMeta(srv.URL)+`: timeout after 500ms while reading the response head: got [1-9]\d* bytes$`, err.Error())
}

func TestCredentialsRefused(t *testing.T) {
	t.Parallel()
	opts, _ := credentials(schemas.InnoPaaS)
	srv := serve(t, receiver.New(opts))
	_, err := conformance.Execute(t.Context(), conformance.Config{Target: mockprovider.Target{URL: srv.URL, Provider: schemas.InnoPaaS}}, nil)
	assert.ErrorIs(t, err, conformance.ErrAuthRefused)
	assert.ErrorContains(t, err, "401 Unauthorized")
	_, err = conformance.Execute(t.Context(), conformance.Config{Target: mockprovider.Target{URL: srv.URL, Provider: schemas.InnoPaaS, Credentials: mockprovider.Credentials{User: "wahook", Token: "wrong"}}}, nil)
	assert.ErrorIs(t, err, conformance.ErrAuthRefused)
	assert.ErrorContains(t, err, "check the credentials given")
}

func TestNoCaseMatches(t *testing.T) {
	_, err := conformance.Execute(t.Context(), conformance.Config{Target: mockprovider.Target{URL: "http://127.0.0.1:1", Provider: schemas.InnoPaaS}, Run: "^nothing$"}, nil)
	assert.ErrorIs(t, err, conformance.ErrBadConfig)
}

// recorder remembers every body it is sent, then acts as the reference receiver.
type recorder struct {
	mu     sync.Mutex
	bodies []string
	ref    http.Handler
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sum := sha256.Sum256(peek(r))
	rec.mu.Lock()
	rec.bodies = append(rec.bodies, fmt.Sprintf("%x", sum))
	rec.mu.Unlock()
	rec.ref.ServeHTTP(w, r)
}

func (rec *recorder) sorted() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Sorted(slices.Values(rec.bodies))
}

// The same seed sends the same bytes, another seed other bytes.
func TestSeedRepeatable(t *testing.T) {
	t.Parallel()
	run := func(seed uint64) []string {
		rec := &recorder{ref: reference()}
		srv := serve(t, rec)
		report := execute(t, conformance.Config{Target: mockprovider.Target{URL: srv.URL, Provider: schemas.InnoPaaS}, Seed: seed})
		require.Zero(t, report.Summary.Failed)
		return rec.sorted()
	}
	a, b, c := run(42), run(42), run(43)
	assert.Equal(t, a, b)
	assert.Len(t, c, len(a))
	assert.NotEqual(t, a, c)
}

// A failing case's reproduce command reads its payload from a file and its credentials from the
// environment: a CI log never shows a secret.
func TestReproduce(t *testing.T) {
	t.Parallel()
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) }))
	dir := t.TempDir()
	report := execute(t, conformance.Config{Target: mockprovider.Target{URL: srv.URL, Provider: schemas.InnoPaaS}, Run: "^valid/innopaas/text/1$|^delivery/", PayloadDir: dir})
	require.Equal(t, 4, report.Summary.Failed)
	assert.Equal(t, dir, report.PayloadDir)
	res := report.Results[0]
	assert.Equal(t, "wahook send --target "+srv.URL+" --provider innopaas --retries none --file "+dir+"/valid_innopaas_text_1.json", res.Reproduce)
	assert.Equal(t, []string{dir + "/valid_innopaas_text_1.json"}, res.Files)
	assert.Equal(t, "expected 2xx, got 502 Bad Gateway", res.Reason)
	assert.Contains(t, report.Details(res), "observed:  502 Bad Gateway")

	retry := report.Results[1]
	assert.Len(t, retry.Files, 1, "a retry's two copies are one file")
	assert.Equal(t, 2, strings.Count(retry.Reproduce, "curl "))
	burst := report.Results[2]
	assert.Len(t, burst.Files, 50)
	assert.Contains(t, burst.Reproduce, "& done; wait")
	assert.Equal(t, "50 of 50 concurrent deliveries failed; the first: expected 2xx, got 502 Bad Gateway", burst.Reason)

	_, cfg := credentials(schemas.InnoPaaS)
	cfg.URL, cfg.Run, cfg.PayloadDir = srv.URL, "^valid/innopaas/text/1$", t.TempDir()
	report = execute(t, cfg)
	res = report.Results[0]
	assert.NotContains(t, res.Reproduce, "s3cret-token")
	assert.Contains(t, res.Reproduce, `-H 'Authorization: '"$WAHOOK_AUTHORIZATION" -H 'UserName: '"$WAHOOK_USERNAME"`)
	assert.Contains(t, report.Notes, "the reproduce commands read the credentials from $WAHOOK_AUTHORIZATION, $WAHOOK_USERNAME")
}

// A report survives JSON, and its JUnit form is XML with the right counts.
func TestReportFormats(t *testing.T) {
	t.Parallel()
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if messageType(peek(r)) == "video" {
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte("<html>\x01 \xff boom</html>")) // not XML-safe, not UTF-8
		}
	}))
	report := execute(t, conformance.Config{Target: mockprovider.Target{URL: srv.URL, Provider: schemas.ITNIOTech}, Profile: conformance.Strict, Run: "^(valid|reject|auth)/"})
	require.Positive(t, report.Summary.Failed)
	require.Positive(t, report.Summary.Skipped)

	raw, err := json.Marshal(report)
	require.NoError(t, err)
	var back conformance.Report
	require.NoError(t, json.Unmarshal(raw, &back))
	assert.Equal(t, *report, back)

	var buf bytes.Buffer
	require.NoError(t, report.WriteJUnit(&buf))
	doc := hooktest.ReadJUnit(t, buf.Bytes())
	assert.Equal(t, report.Summary.Total, doc.Tests)
	assert.Equal(t, report.Summary.Failed, doc.Failures)
	assert.Equal(t, report.Summary.Skipped, doc.Skipped)
	var names []string
	for _, s := range doc.Suites {
		names = append(names, s.Name)
		failures, skipped := 0, 0
		for _, c := range s.Cases {
			assert.Equal(t, s.Name, c.ClassName)
			assert.True(t, strings.HasPrefix(c.Name, s.Name+"/itniotech/"), c.Name)
			if c.Failure != nil {
				failures++
				assert.NotEmpty(t, c.Failure.Message)
				assert.Contains(t, c.Failure.Text, "expected:")
				assert.Contains(t, c.Failure.Text, "reproduce:")
			}
			if c.Skipped != nil {
				skipped++
			}
		}
		assert.Len(t, s.Cases, s.Tests, s.Name)
		assert.Equal(t, failures, s.Failures, s.Name)
		assert.Equal(t, skipped, s.Skipped, s.Name)
	}
	assert.Equal(t, []string{"valid", "reject", "auth"}, names)
}

// A receiver that takes longer than the timeout fails with a timeout, not a hang of the suite.
func TestTimeout(t *testing.T) {
	t.Parallel()
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if messageType(peek(r)) == "sticker" {
			<-r.Context().Done()
		}
	}))
	start := time.Now()
	report := execute(t, conformance.Config{Target: mockprovider.Target{URL: srv.URL, Provider: schemas.ITNIOTech, Timeout: 200 * time.Millisecond}, Run: "^valid/.*/[0-9]$"})
	assert.Less(t, time.Since(start), 5*time.Second)
	require.Equal(t, 3, report.Summary.Failed)
	canaries := 0
	for _, r := range report.Failures() {
		assert.Contains(t, r.ID, "/sticker/")
		assert.Equal(t, "expected 2xx, got timeout after 200ms while reading the response head: got 0 bytes", r.Reason)
		if r.Canary != nil {
			canaries++
		}
	}
	// The first timeout is followed by the canary; once it has shown the receiver alive, the other
	// sticker cases' timeouts are theirs alone.
	assert.GreaterOrEqual(t, canaries, 1, "a case without an answer is followed by the canary")
}

// The reproduce commands connect and wait as the suite did: the same trust in an https target's
// certificate, the same timeout. (cmd/wahook's TestConformReproduceRuns runs the wahook send form.)
func TestReproduceConnection(t *testing.T) {
	t.Parallel()
	srv := hooktest.TLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) }))
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))
	wd, err := os.Getwd()
	require.NoError(t, err)
	relCA, err := filepath.Rel(wd, caFile) // a relative --ca-file becomes absolute in the commands
	require.NoError(t, err)

	tests := []struct {
		name             string
		cfg              conformance.Config
		wantSend         string // the flags of the wahook send form, between --retries none and --file
		wantCurlContains []string
	}{
		{"insecure", conformance.Config{Target: mockprovider.Target{TLS: mockprovider.TLS{Insecure: true}}}, " --insecure", []string{" --max-time 10 -k -X POST "}},
		{"ca file", conformance.Config{Target: mockprovider.Target{TLS: mockprovider.TLS{CAFile: relCA}}}, " --ca-file " + caFile, []string{" --max-time 10 --cacert " + caFile + " -X POST "}},
		{"timeout and insecure", conformance.Config{Target: mockprovider.Target{Timeout: 2500 * time.Millisecond, TLS: mockprovider.TLS{Insecure: true}}}, " --timeout 2.5s --insecure", []string{" --max-time 2.5 -k -X POST "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.URL, cfg.Provider, cfg.Run, cfg.PayloadDir = srv.URL, schemas.InnoPaaS, "^valid/innopaas/text/1$|^delivery/innopaas/retry", t.TempDir()
			report := execute(t, cfg)
			require.Equal(t, 2, report.Summary.Failed)
			single, retry := report.Results[0], report.Results[1]
			assert.Equal(t, "wahook send --target "+srv.URL+" --provider innopaas --retries none"+tt.wantSend+" --file "+single.Files[0], single.Reproduce)
			for _, want := range tt.wantCurlContains {
				assert.Equal(t, 2, strings.Count(retry.Reproduce, want), retry.Reproduce)
			}
		})
	}
}

// A report says what each case sent: its type, mutation or fixture, and each payload's id, size and
// digest, matching the catalogue's bytes.
func TestReportIdentifiesPayloads(t *testing.T) {
	t.Parallel()
	srv := serve(t, reference())
	cfg := conformance.Config{Target: mockprovider.Target{URL: srv.URL, Provider: schemas.InnoPaaS}, Run: "^(valid/innopaas/image/1|documented/innopaas/text|tolerate/innopaas/unknown-fields/video|reject/innopaas/invalid-json|delivery/innopaas/burst-50)$"}
	report := execute(t, cfg)
	catalogue := byID(cases(t, cfg))
	require.Len(t, report.Results, 5)
	for _, res := range report.Results {
		c := catalogue[res.ID]
		require.Len(t, res.Payloads, len(c.Requests), res.ID)
		for i, req := range c.Requests {
			assert.Equal(t, conformance.PayloadInfo{
				MessageID: req.MessageID, ContentType: req.ContentType, Size: len(req.Body),
				SHA256: fmt.Sprintf("%x", sha256.Sum256(req.Body)),
			}, res.Payloads[i], "%s #%d", res.ID, i)
		}
	}
	type ident struct{ typ, mutation, fixture string }
	got := map[string]ident{}
	for _, res := range report.Results {
		got[res.ID] = ident{res.Type, res.Mutation, res.Fixture}
	}
	assert.Equal(t, map[string]ident{
		"valid/innopaas/image/1":                 {"image", "", ""},
		"documented/innopaas/text":               {"text", "", "documented/innopaas/text.json"},
		"tolerate/innopaas/unknown-fields/video": {"video", "unknown-fields", ""},
		"reject/innopaas/invalid-json":           {catalogue["reject/innopaas/invalid-json"].Type, "invalid-json", ""},
		"delivery/innopaas/burst-50":             {"", "", ""},
	}, got)
	assert.Len(t, report.Results[4].Payloads, 50)
}

// A target that answers a valid message with 404, 405 or 501 is most likely the wrong URL: the report
// says so up front. Other answers are the receiver's business.
func TestProbeHint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status   int
		wantStop string // the error that stops the suite before any case
		wantHint string
	}{
		{http.StatusNotFound, "not a webhook URL: POST %s with a valid itniotech text message", ""},
		{http.StatusMethodNotAllowed, "got 405 Method Not Allowed; is the path right, and does it take POST?", ""},
		{http.StatusNotImplemented, "got 501 Not Implemented", ""},
		{http.StatusPermanentRedirect, "", "answered 308 Permanent Redirect (providers do not follow redirects) to a valid text message"},
		{http.StatusOK, "", ""},
		{http.StatusInternalServerError, "", ""},
		{http.StatusBadRequest, "", ""},
	}
	for _, tt := range tests {
		srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(tt.status) }))
		cfg := conformance.Config{Target: mockprovider.Target{URL: srv.URL, Provider: schemas.ITNIOTech}, Run: "^valid/itniotech/text/1$", PayloadDir: t.TempDir()}
		if tt.wantStop != "" {
			report, err := conformance.Execute(t.Context(), cfg, nil)
			assert.Nil(t, report)
			assert.ErrorIs(t, err, conformance.ErrNotWebhook, tt.status)
			want := tt.wantStop
			if strings.Contains(want, "%s") {
				want = fmt.Sprintf(want, srv.URL)
			}
			assert.ErrorContains(t, err, want)
			continue
		}
		report := execute(t, cfg)
		if tt.wantHint == "" {
			assert.Empty(t, report.Hint, tt.status)
			continue
		}
		assert.True(t, strings.HasPrefix(report.Hint, srv.URL+" "+tt.wantHint), "%d: %q", tt.status, report.Hint)
	}
}

// A payload directory that cannot be made is a config error, found before anything is sent.
func TestPayloadDirChecked(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := serve(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	_, err := conformance.Execute(t.Context(), conformance.Config{Target: mockprovider.Target{URL: srv.URL, Provider: schemas.InnoPaaS}, PayloadDir: filepath.Join(file, "payloads")}, nil)
	assert.ErrorIs(t, err, conformance.ErrBadConfig)
	assert.ErrorContains(t, err, "payload dir: ")
	assert.Zero(t, hits.Load())

	dir := filepath.Join(t.TempDir(), "new", "payloads")
	report := execute(t, conformance.Config{Target: mockprovider.Target{URL: srv.URL, Provider: schemas.InnoPaaS}, Run: "^valid/innopaas/text/1$", PayloadDir: dir})
	assert.Zero(t, report.Summary.Failed)
	assert.DirExists(t, dir, "made up front")
}
