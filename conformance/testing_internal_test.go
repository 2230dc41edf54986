package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/hooktest"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// recorder is a testingT that records what Run does to a test instead of doing it, so that a test can
// check that a failing case fails its subtest.
type recorder struct {
	ctx      context.Context
	name     string
	errors   []string
	fatals   []string
	skips    []string
	logs     []string
	children []*recorder
}

func (r *recorder) Helper()                  {}
func (r *recorder) Context() context.Context { return r.ctx }
func (r *recorder) Error(args ...any)        { r.errors = append(r.errors, fmt.Sprint(args...)) }
func (r *recorder) Fatalf(format string, args ...any) {
	r.fatals = append(r.fatals, fmt.Sprintf(format, args...))
}
func (r *recorder) Skip(args ...any) { r.skips = append(r.skips, fmt.Sprint(args...)) }
func (r *recorder) Logf(format string, args ...any) {
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}
func (r *recorder) Name() string { return r.name }
func (r *recorder) Run(name string, f func(testingT)) bool {
	child := &recorder{ctx: r.ctx, name: r.name + "/" + name}
	r.children = append(r.children, child)
	f(child)
	return len(child.errors)+len(child.fatals) == 0
}

// Run fails the subtest of every failing case, with the reason and the reproduce command, passes the
// others and skips the skipped ones, each subtest named by its case id.
func TestRunFailsSubtests(t *testing.T) {
	t.Parallel()
	// 500 on image messages, 200 to everything else.
	srv := hooktest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var doc struct {
			Message struct{ Type string } `json:"message"`
		}
		if json.NewDecoder(r.Body).Decode(&doc) == nil && doc.Message.Type == "image" {
			http.Error(w, "boom", http.StatusInternalServerError)
		}
	}))
	rec := &recorder{ctx: t.Context(), name: "TestReceiver"}
	report := runTests(rec, Config{Target: mockprovider.Target{URL: srv.URL, Provider: schemas.ITNIOTech}, Run: "^(valid/itniotech/(image|text)/[0-9]$|auth/)", PayloadDir: t.TempDir()})
	require.NotNil(t, report)
	assert.Empty(t, rec.fatals)
	assert.Empty(t, rec.errors, "the failures belong to the subtests")

	var names []string
	for _, c := range rec.children {
		c.name = strings.TrimPrefix(c.name, "TestReceiver/")
		names = append(names, c.name)
		switch {
		case strings.Contains(c.name, "/image/"):
			require.Len(t, c.errors, 1, c.name)
			assert.True(t, strings.HasPrefix(c.errors[0], "expected 2xx, got 500 Internal Server Error\n"), c.errors[0])
			// The receiver's port is the test's: the case is sent again by running it.
			assert.Contains(t, c.errors[0], "reproduce: go test -run '^TestReceiver$/^valid$/^itniotech$/^image$/^")
			assert.Contains(t, c.errors[0], "(payloads: ")
			assert.NotContains(t, c.errors[0], srv.URL)
			assert.Empty(t, c.skips, c.name)
		case strings.HasPrefix(c.name, "auth/"):
			assert.Empty(t, c.errors, c.name)
			require.Len(t, c.skips, 1, c.name)
			assert.Contains(t, c.skips[0], "no credentials given")
		default:
			assert.Empty(t, c.errors, c.name)
			assert.Empty(t, c.skips, c.name)
		}
	}
	assert.Equal(t, []string{
		"valid/itniotech/text/1", "valid/itniotech/text/2", "valid/itniotech/text/3",
		"valid/itniotech/image/1", "valid/itniotech/image/2", "valid/itniotech/image/3",
		"auth/itniotech/missing-credentials", "auth/itniotech/wrong-credentials", "auth/itniotech/valid-credentials",
	}, names)
	assert.Equal(t, Summary{Total: 9, Passed: 3, Failed: 3, Skipped: 3}, report.Summary)
	require.NotEmpty(t, rec.logs)
	assert.Contains(t, rec.logs[len(rec.logs)-1], "3 passed, 3 failed, 3 skipped")
}

// A config error or a target that does not answer fails the test itself, before any subtest.
func TestRunFailsOnSetup(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + ln.Addr().String() + "/webhook"
	ln.Close()
	notFound := hooktest.Server(t, http.NotFoundHandler())
	tests := []struct {
		name      string
		cfg       Config
		wantFatal string
		wantLog   string
	}{
		{name: "bad config", cfg: Config{Target: mockprovider.Target{URL: "ftp://x", Provider: schemas.InnoPaaS}}, wantFatal: "conformance: bad conformance config: URL: "},
		{name: "unreachable", cfg: Config{Target: mockprovider.Target{URL: closed, Provider: schemas.InnoPaaS}}, wantFatal: "conformance: target unreachable: " + closed + ": connection refused"},
		{name: "not the webhook", cfg: Config{Target: mockprovider.Target{URL: notFound.URL, Provider: schemas.InnoPaaS}, Run: "^valid/innopaas/text/1$", PayloadDir: t.TempDir()},
			wantFatal: "conformance: not a webhook URL: POST " + notFound.URL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{ctx: t.Context()}
			report := runTests(rec, tt.cfg)
			if tt.wantFatal != "" {
				assert.Nil(t, report)
				require.Len(t, rec.fatals, 1)
				assert.True(t, strings.HasPrefix(rec.fatals[0], tt.wantFatal), rec.fatals[0])
				assert.Empty(t, rec.children)
				return
			}
			assert.Empty(t, rec.fatals)
			require.NotEmpty(t, rec.logs)
			assert.True(t, strings.HasPrefix(rec.logs[0], tt.wantLog), rec.logs[0])
			require.Len(t, rec.children, 1)
			assert.Len(t, rec.children[0].errors, 1)
		})
	}
}
