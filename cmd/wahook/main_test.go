package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/schemas"
)

// providerList and autoProviderList are the provider lists error messages name, from the registry.
var (
	providerList     = fmt.Sprint(schemas.Providers())
	autoProviderList = fmt.Sprint(append([]schemas.Provider{schemas.Auto}, schemas.Providers()...))
)

var update = flag.Bool("update", false, "rewrite golden files")

// documented is where the fixtures taken from the providers' documents live, relative to this package.
const documented = "../../fixtures/documented/"

// result is what one run of the command produced.
type result struct {
	code           int
	stdout, stderr string
}

// runWahook runs the command line as main would, with stdin as the standard input.
func runWahook(t testing.TB, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), args, strings.NewReader(stdin), &stdout, &stderr)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// completions runs shell completion for args and returns the offered words and cobra's directive line.
func completions(t *testing.T, args ...string) (words []string, directive string) {
	t.Helper()
	got := runWahook(t, "", append([]string{"__complete"}, args...)...)
	require.Equal(t, 0, got.code, got.stderr)
	lines := strings.Split(strings.TrimSpace(got.stdout), "\n")
	return lines[:len(lines)-1], lines[len(lines)-1]
}

// assertCompletes checks that completing args offers every word of want and none of wantNot.
func assertCompletes(t *testing.T, args, want, wantNot []string) {
	t.Helper()
	words, _ := completions(t, args...)
	for _, w := range want {
		assert.Contains(t, words, w)
	}
	for _, w := range wantNot {
		assert.NotContains(t, words, w)
	}
}

// golden compares got with testdata/<t.Name()>.golden, rewriting the file under -update.
func golden(t *testing.T, got string) {
	t.Helper()
	path := filepath.Join("testdata", filepath.FromSlash(t.Name())+".golden")
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create the golden file")
	assert.Equal(t, string(want), got, "mismatch with %s (rerun with -update if intended)", path)
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantCode   int
		wantStderr string
	}{
		{"success", nil, 0, ""},
		{"findings", errFindings, 1, ""},
		{"wrapped findings", errors.Join(errors.New("x"), errFindings), 1, ""},
		{"already reported", errReported, 2, ""},
		{"other error", errors.New("boom"), 2, "wahook: boom\n"},
		{"multi-line error keeps the first line", errors.New("boom\n\nDid you mean this?"), 2, "wahook: boom\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			assert.Equal(t, tt.wantCode, exitCode(tt.err, &stderr))
			assert.Equal(t, tt.wantStderr, stderr.String())
		})
	}
}

func TestRoot(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string // substring
		wantStderr string // exact
	}{
		{"version", []string{"--version"}, 0, "wahook dev\n", ""},
		{"help", []string{"--help"}, 0, "validate", ""},
		{"no command prints help", nil, 0, "Usage:", ""},
		{"unknown command", []string{"bogus"}, 2, "", "wahook: unknown command \"bogus\" for \"wahook\" (wahook --help lists the commands)\n"},
		{"unknown flag", []string{"--bogus"}, 2, "", "wahook: unknown flag: --bogus\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runWahook(t, "", tt.args...)
			assert.Equal(t, tt.wantCode, got.code)
			assert.Contains(t, got.stdout, tt.wantStdout)
			assert.Equal(t, tt.wantStderr, got.stderr)
		})
	}
}

func TestVersionString(t *testing.T) {
	defer func(v string) { version = v }(version)
	version = "v1.2.3"
	assert.Equal(t, "v1.2.3", versionString())
	assert.Equal(t, "wahook v1.2.3\n", runWahook(t, "", "--version").stdout)
}

func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	stdin := blockingReader(make(chan struct{}))
	t.Cleanup(func() { close(stdin) })
	time.AfterFunc(20*time.Millisecond, cancel)

	var stdout, stderr bytes.Buffer
	// stdin blocks until cleanup: only the cancelled context can stop the read.
	code := run(ctx, []string{"validate", "-"}, stdin, &stdout, &stderr)
	assert.Equal(t, 2, code)
	assert.Equal(t, "wahook: interrupted: context canceled\n", stderr.String())
	assert.Empty(t, stdout.String())
}

// blockingReader is an endless stdin: Read blocks until the channel is closed.
type blockingReader chan struct{}

func (r blockingReader) Read([]byte) (int, error) {
	<-r
	return 0, io.EOF
}

// TestNewcomerHints: the mistakes a newcomer makes get a one-line hint at what was meant.
func TestNewcomerHints(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"sned"}, `wahook: unknown command "sned" for "wahook" (did you mean send?)` + "\n"},
		{[]string{"xyzzy"}, `wahook: unknown command "xyzzy" for "wahook" (wahook --help lists the commands)` + "\n"},
		{[]string{"send", "--target", "http://127.0.0.1:9/", "--provider", "innopaas", "--mutation", "empty-bod"},
			`wahook: bad send options: unknown mutation "empty-bod" for innopaas (did you mean "empty-body"?); wahook list mutations lists them` + "\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			got := runWahook(t, "", tt.args...)
			assert.Equal(t, 2, got.code)
			assert.Equal(t, tt.want, got.stderr)
		})
	}
}

// TestHelpExamplesPass: the first example of validate's help, run from the repository, passes.
func TestHelpExamplesPass(t *testing.T) {
	t.Chdir("../..")
	got := runWahook(t, "", "validate", "fixtures/documented/innopaas/text.json", "fixtures/documented/itniotech/image.json")
	assert.Equal(t, 0, got.code, got.stdout+got.stderr)
	help := runWahook(t, "", "validate", "--help")
	assert.Contains(t, help.stdout, "  wahook validate fixtures/documented/innopaas/text.json fixtures/documented/itniotech/image.json\n")
}

// TestAddressHints: a URL without its scheme, or a port for a listen address, gets one message for
// every command and flag, naming the flag and the likely fix.
func TestAddressHints(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"send", "--target", "127.0.0.1:8080/webhook", "--provider", "innopaas"}, `--target: "127.0.0.1:8080/webhook" has no scheme: did you mean http://127.0.0.1:8080/webhook?`},
		{[]string{"send", "--target", "localhost:8080/webhook", "--provider", "innopaas"}, `--target: "localhost:8080/webhook" has no scheme: did you mean http://localhost:8080/webhook?`},
		{[]string{"conform", "--target", "127.0.0.1:8080/webhook", "--provider", "innopaas"}, `--target: "127.0.0.1:8080/webhook" has no scheme: did you mean http://127.0.0.1:8080/webhook?`},
		{[]string{"conform", "--target", "http://127.0.0.1:9/", "--provider", "innopaas", "--inspect", "127.0.0.1:8080/m/{id}"}, `--inspect: "127.0.0.1:8080/m/{id}" has no scheme: did you mean http://127.0.0.1:8080/m/{id}?`},
		{[]string{"serve", "--listen", "8787"}, `--listen 8787: "8787" is not host:port: did you mean 127.0.0.1:8787?`},
		{[]string{"serve", "--listen", "http://127.0.0.1:8787/"}, `"http://127.0.0.1:8787/" is not host:port: did you mean 127.0.0.1:8787?`},
		{[]string{"gen", "--out", "corpus", "--media-base-url", "127.0.0.1:8787"}, `--media-base-url: "127.0.0.1:8787" has no scheme: did you mean http://127.0.0.1:8787?`},
		{[]string{"serve", "--media-base-url", "127.0.0.1:8787"}, `--media-base-url: "127.0.0.1:8787" has no scheme: did you mean http://127.0.0.1:8787?`},
		{[]string{"serve", "--target", "127.0.0.1:8080/webhook", "--every", "1s"}, `--target: "127.0.0.1:8080/webhook" has no scheme: did you mean http://127.0.0.1:8080/webhook?`},
		{[]string{"proxy", "--forward", "127.0.0.1:8080/webhook"}, `--forward: "127.0.0.1:8080/webhook" has no scheme: did you mean http://127.0.0.1:8080/webhook?`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Chdir(t.TempDir())
			got := runWahook(t, "", tt.args...)
			assert.Equal(t, 2, got.code)
			assert.Equal(t, 1, strings.Count(got.stderr, "\n"), got.stderr)
			assert.Contains(t, got.stderr, tt.want)
		})
	}
}

func TestInvokedAs(t *testing.T) {
	for arg0, want := range map[string]string{
		"wahook":                           "wahook",
		"bin/wahook":                       "bin/wahook",
		"/usr/local/bin/wahook":            "/usr/local/bin/wahook",
		"/tmp/go-build123/b001/exe/wahook": "wahook",
		"/tmp/x/wahook.test":               "wahook",
	} {
		assert.Equal(t, want, invokedAs(arg0), arg0)
	}
}
