package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/schemas"
)

// Inputs of this package's own, beside the documented fixtures.
const (
	badLatitude = "testdata/inputs/innopaas-bad-latitude.json" // latitude is a boolean
	extraField  = "testdata/inputs/innopaas-extra-field.json"  // body.text.translated is undocumented
	badType     = "testdata/inputs/itniotech-bad-type.json"    // message.type is "bogus"
	neither     = "testdata/inputs/neither.json"               // an object with neither envelope
)

func TestValidate(t *testing.T) {
	innoText := documented + "innopaas/text.json"
	itnioLocation := documented + "itniotech/location.json"
	itnioText, err := os.ReadFile(documented + "itniotech/text.json")
	require.NoError(t, err)

	tests := []struct {
		name       string
		stdin      string
		args       []string
		wantCode   int
		wantStdout []string // whole lines, in order
		wantStderr string
	}{
		{
			name:       "valid innopaas",
			args:       []string{innoText},
			wantStdout: []string{innoText + ": valid (innopaas)"},
		},
		{
			name:       "valid files of both providers",
			args:       []string{innoText, itnioLocation},
			wantStdout: []string{innoText + ": valid (innopaas)", itnioLocation + ": valid (itniotech)"},
		},
		{
			name:       "explicit provider",
			args:       []string{"--provider", "itniotech", itnioLocation},
			wantStdout: []string{itnioLocation + ": valid (itniotech)"},
		},
		{
			name:       "stdin",
			stdin:      string(itnioText),
			args:       []string{"-"},
			wantStdout: []string{"<stdin>: valid (itniotech)"},
		},
		{
			name:       "stdin among files",
			stdin:      string(itnioText),
			args:       []string{innoText, "-"},
			wantStdout: []string{innoText + ": valid (innopaas)", "<stdin>: valid (itniotech)"},
		},
		{
			name:       "invalid value",
			args:       []string{innoText, badLatitude},
			wantCode:   1,
			wantStdout: []string{innoText + ": valid (innopaas)", badLatitude + ": /body/location/latitude: expected string or number, got boolean"},
		},
		{
			name:       "verbatim document example is not JSON",
			args:       []string{documented + "innopaas/location.verbatim.json"},
			wantCode:   1,
			wantStdout: []string{documented + "innopaas/location.verbatim.json: not JSON: invalid character '}' looking for beginning of object key string at byte 713"},
		},
		{
			name:       "matches neither provider",
			args:       []string{neither},
			wantCode:   1,
			wantStdout: []string{neither + ": " + neitherMessage()},
		},
		{
			name:       "undocumented field accepted by default",
			args:       []string{extraField},
			wantStdout: []string{extraField + ": valid (innopaas)"},
		},
		{
			name:       "missing file is named, the others still checked",
			args:       []string{"nope.json", innoText},
			wantCode:   2,
			wantStdout: []string{innoText + ": valid (innopaas)"},
			wantStderr: "wahook: nope.json: no such file or directory\n",
		},
		{
			name:       "unreadable input outranks findings",
			args:       []string{badLatitude, "nope.json"},
			wantCode:   2,
			wantStdout: []string{badLatitude + ": /body/location/latitude: expected string or number, got boolean"},
			wantStderr: "wahook: nope.json: no such file or directory\n",
		},
		{
			name:       "directory",
			args:       []string{"testdata"},
			wantCode:   2,
			wantStderr: "wahook: testdata: a directory, not a regular file\n",
		},
		{
			name:       "no args",
			args:       nil,
			wantCode:   2,
			wantStderr: "wahook: validate: no files given (use - to read stdin)\n",
		},
		{
			name:       "stdin twice",
			args:       []string{"-", "-"},
			wantCode:   2,
			wantStderr: "wahook: validate: stdin (-) given 2 times\n",
		},
		{
			name:       "unknown provider",
			args:       []string{"--provider", "no-such-provider", innoText},
			wantCode:   2,
			wantStderr: "wahook: --provider: unknown provider \"no-such-provider\" (want one of " + autoProviderList + ")\n",
		},
		{
			name:       "unknown output format",
			args:       []string{"--output", "yaml", innoText},
			wantCode:   2,
			wantStderr: "wahook: --output: unknown format \"yaml\" (want text or json)\n",
		},
		{
			name:       "unknown flag",
			args:       []string{"--bogus", innoText},
			wantCode:   2,
			wantStderr: "wahook: unknown flag: --bogus\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runWahook(t, tt.stdin, append([]string{"validate"}, tt.args...)...)
			assert.Equal(t, tt.wantCode, got.code, "stdout:\n%s\nstderr:\n%s", got.stdout, got.stderr)
			assert.Equal(t, tt.wantStdout, lines(got.stdout))
			assert.Equal(t, tt.wantStderr, got.stderr)
		})
	}
}

// TestValidateBadInput feeds unusable bytes: each must give exit 1 and one short line naming the file.
func TestValidateBadInput(t *testing.T) {
	tests := []struct {
		name    string
		content []byte
		want    string // what follows "FILE: "
	}{
		{"empty", nil, "empty payload"},
		{"whitespace", []byte(" \n\t\n"), "empty payload"},
		{"binary garbage", []byte{0x00, 0xff, 0xfe, 0x1f, 0x8b, 0x08, 0x00}, "payload is not valid UTF-8"},
		{"NUL bytes", []byte{0, 0, 0, 0}, "not JSON: invalid character '\\x00' looking for beginning of value at byte 1"},
		{"BOM", append([]byte("\uFEFF"), mustRead(t, documented+"innopaas/text.json")...), "not JSON: starts with a UTF-8 byte order mark"},
		{"10000-deep nesting", []byte(strings.Repeat("[", 10000) + strings.Repeat("]", 10000)), "payload nested too deeply: deeper than 64 at byte 64"},
		{"truncated", []byte(`{"id": "x", "body": {`), "not JSON: unexpected end of input"},
		{"trailing data", []byte(`{} {}`), "not JSON: trailing data after the JSON value"},
		{"a JSON array", []byte(`[1, 2]`), "matches neither provider's envelope"},
		{"over the size cap", bytes.Repeat([]byte(" "), schemas.DefaultMaxBytes+1), "payload too large: more than 3145728 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "payload.json")
			require.NoError(t, os.WriteFile(file, tt.content, 0o644))

			got := runWahook(t, "", "validate", file)
			assert.Equal(t, 1, got.code)
			assert.Empty(t, got.stderr)
			out := lines(got.stdout)
			require.Len(t, out, 1, "one line, got:\n%s", got.stdout)
			assert.True(t, strings.HasPrefix(out[0], file+": "+tt.want), "got %q", out[0])
			assert.Less(t, len(out[0]), len(file)+300, "a short line")
		})
	}
}

// TestValidateEndlessStdin shows that stdin is read only up to the size cap.
func TestValidateEndlessStdin(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"validate", "-"}, endless('{'), &stdout, &stderr)
	assert.Equal(t, 1, code)
	assert.Equal(t, "<stdin>: payload too large: more than 3145728 bytes\n", stdout.String())
	assert.Empty(t, stderr.String())
}

// endless is a reader that never runs out of one byte.
type endless byte

func (e endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(e)
	}
	return len(p), nil
}

var _ io.Reader = endless(0)

// TestValidateAuto checks that --provider auto recognises a payload by its envelope even when it is broken
// further down, so the violations are reported against the right format.
func TestValidateAuto(t *testing.T) {
	tests := []struct {
		name         string
		file         string
		wantProvider schemas.Provider
		wantInstance string // one of the violations
	}{
		{"itniotech with a bad message type", badType, schemas.ITNIOTech, "/message/type"},
		{"innopaas with a bad latitude", badLatitude, schemas.InnoPaaS, "/body/location/latitude"},
		{"neither", neither, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runWahook(t, "", "validate", "--provider", "auto", "--output", "json", tt.file)
			assert.Equal(t, 1, got.code)
			var results []fileResult
			require.NoError(t, json.Unmarshal([]byte(got.stdout), &results), got.stdout)
			require.Len(t, results, 1)
			r := results[0]
			assert.Equal(t, tt.wantProvider, r.Provider)
			assert.False(t, r.Valid)
			require.NotEmpty(t, r.Violations)
			if tt.wantInstance != "" {
				assert.Contains(t, instances(r.Violations), tt.wantInstance)
			} else {
				assert.Equal(t, schemas.KeywordProvider, r.Violations[0].Keyword)
			}
		})
	}
}

func TestValidateStrict(t *testing.T) {
	got := runWahook(t, "", "validate", extraField)
	assert.Equal(t, 0, got.code, got.stdout)

	got = runWahook(t, "", "validate", "--strict", extraField)
	assert.Equal(t, 1, got.code, got.stdout)
	assert.True(t, slices.ContainsFunc(lines(got.stdout), func(l string) bool {
		return strings.HasPrefix(l, extraField+": /body/text/translated: ")
	}), "the undocumented field is reported:\n%s", got.stdout)

	got = runWahook(t, "", "validate", "--strict", documented+"innopaas/text.json", documented+"itniotech/text.json")
	assert.Equal(t, 0, got.code, "documented payloads pass strict mode:\n%s", got.stdout)
}

func TestValidateJSON(t *testing.T) {
	got := runWahook(t, `{"hello": "world"}`, "validate", "-o", "json",
		documented+"innopaas/text.json", badLatitude, "nope.json", "-")
	assert.Equal(t, 2, got.code)
	assert.Equal(t, "wahook: nope.json: no such file or directory\n", got.stderr)
	// Schema keyword paths follow the schema's layout: only check there is one.
	var results []fileResult
	require.NoError(t, json.Unmarshal([]byte(got.stdout), &results), got.stdout)
	for i := range results {
		for j := range results[i].Violations {
			assert.NotEmpty(t, results[i].Violations[j].Keyword)
			if !strings.HasPrefix(results[i].Violations[j].Keyword, "wahook:") {
				results[i].Violations[j].Keyword = "<schema>"
			}
		}
	}
	normalized, err := json.Marshal(results)
	require.NoError(t, err)
	assert.JSONEq(t, `[
		{"file": "`+documented+`innopaas/text.json", "provider": "innopaas", "valid": true, "violations": []},
		{"file": "`+badLatitude+`", "provider": "innopaas", "valid": false, "violations": [
			{"instance": "/body/location/latitude", "keyword": "<schema>",
			 "message": "expected string or number, got boolean"}
		]},
		{"file": "nope.json", "provider": "", "valid": false, "violations": [], "error": "no such file or directory"},
		{"file": "-", "provider": "", "valid": false, "violations": [
			{"instance": "", "keyword": "wahook:provider", "message": "`+jsonEscape(neitherMessage())+`"}
		]}
	]`, string(normalized))
}

func TestValidateJSONBadInput(t *testing.T) {
	got := runWahook(t, "", "validate", "--provider", "innopaas", "--output", "json", "-")
	assert.Equal(t, 1, got.code)
	assert.JSONEq(t, `[{"file": "-", "provider": "innopaas", "valid": false, "violations": [
		{"instance": "", "keyword": "wahook:input", "message": "empty payload"}
	]}]`, got.stdout)
}

func TestValidateGolden(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
	}{
		{"documented", []string{
			documented + "innopaas/text.json",
			documented + "innopaas/location.json",
			documented + "innopaas/location.verbatim.json",
			documented + "itniotech/location.json",
		}, 1},
		{"broken", []string{badLatitude, badType, extraField, neither}, 1},
		{"strict", []string{"--strict", extraField, documented + "itniotech/text.json"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runWahook(t, "", append([]string{"validate"}, tt.args...)...)
			assert.Equal(t, tt.wantCode, got.code)
			assert.Empty(t, got.stderr)
			golden(t, got.stdout)
		})
	}
}

func TestValidateCompletion(t *testing.T) {
	tests := []struct {
		flag string
		want []string
	}{
		{"--provider", append([]string{"auto"}, providerNames()...)},
		{"--output", []string{"text", "json"}},
	}
	for _, tt := range tests {
		t.Run(tt.flag, func(t *testing.T) {
			got := runWahook(t, "", "__complete", "validate", tt.flag, "")
			assert.Equal(t, 0, got.code)
			// candidates, then the directive: 4 is ShellCompDirectiveNoFileComp
			assert.Equal(t, append(tt.want, ":4"), lines(got.stdout))
		})
	}
}

func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func instances(vs []schemas.Violation) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Instance)
	}
	return out
}

func neitherMessage() string {
	var each []string
	for _, p := range schemas.Providers() {
		each = append(each, string(p)+": "+strings.Join(schemas.EnvelopeKeys(p), ", "))
	}
	return "matches neither provider's envelope (" + strings.Join(each, "; ") + ")"
}

func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// TestValidateMaxViolations: a payload with more violations than --max-violations lists that many, then
// one line with how many more were found.
func TestValidateMaxViolations(t *testing.T) {
	var doc map[string]any
	require.NoError(t, json.Unmarshal(mustRead(t, documented+"itniotech/contacts.json"), &doc))
	cards := make([]any, 12) // few enough to be checked whole: every violation is counted
	for i := range cards {
		cards[i] = map[string]any{"birthday": "2000-01-01"}
	}
	doc["message"].(map[string]any)["contacts"] = cards
	nameless, err := json.Marshal(doc)
	require.NoError(t, err)
	dir := t.TempDir()
	namelessFile := filepath.Join(dir, "nameless.json")
	require.NoError(t, os.WriteFile(namelessFile, nameless, 0o644))

	// 3 bytes a card: 200,000 empty cards, 200,000 violations; checking stops soon after the cap.
	inno := string(mustRead(t, documented+"innopaas/contacts.json"))
	i, j := strings.Index(inno, `"contact": [`), strings.Index(inno, `"customerProfile"`)
	require.Positive(t, i)
	require.Positive(t, j)
	hostileFile := filepath.Join(dir, "hostile.json")
	require.NoError(t, os.WriteFile(hostileFile,
		[]byte(inno[:i]+`"contact": [`+strings.Repeat("{},", 199_999)+"{}], "+inno[j:]), 0o644))

	t.Run("counted", func(t *testing.T) {
		got := runWahook(t, "", "validate", "--max-violations", "5", namelessFile)
		assert.Equal(t, 1, got.code)
		want := []string{}
		for n := range 5 {
			want = append(want, fmt.Sprintf("%s: /message/contacts/%d/name: required property is missing", namelessFile, n))
		}
		want = append(want, namelessFile+": ... and 7 more (--max-violations 5)")
		assert.Equal(t, want, lines(got.stdout))
		assert.Empty(t, got.stderr)
	})
	t.Run("stopped at the cap", func(t *testing.T) {
		got := runWahook(t, "", "validate", hostileFile)
		assert.Equal(t, 1, got.code)
		out := lines(got.stdout)
		require.Len(t, out, schemas.DefaultMaxViolations+1, "the cap, then one line")
		assert.Equal(t, hostileFile+": /body/contact/0/name: required property is missing", out[0])
		assert.Equal(t, hostileFile+": /body/contact/99/name: required property is missing", out[99])
		assert.Regexp(t, `^`+regexp.QuoteMeta(hostileFile)+`: \.\.\. and at least [0-9]+ more \(checking stopped at --max-violations 100\)$`, out[100])
	})
	t.Run("json", func(t *testing.T) {
		got := runWahook(t, "", "validate", "--max-violations", "5", "-o", "json", namelessFile, hostileFile)
		assert.Equal(t, 1, got.code)
		var results []fileResult
		require.NoError(t, json.Unmarshal([]byte(got.stdout), &results))
		require.Len(t, results, 2)
		assert.Len(t, results[0].Violations, 5)
		assert.Equal(t, 7, results[0].Omitted)
		assert.False(t, results[0].Truncated)
		assert.Len(t, results[1].Violations, 5)
		assert.Positive(t, results[1].Omitted)
		assert.True(t, results[1].Truncated)
	})
	for _, bad := range []string{"0", "-3", "many"} {
		t.Run("bad value "+bad, func(t *testing.T) {
			got := runWahook(t, "", "validate", "--max-violations", bad, namelessFile)
			assert.Equal(t, 2, got.code)
			assert.Empty(t, got.stdout)
			assert.Contains(t, got.stderr, "--max-violations")
			assert.Equal(t, 1, strings.Count(got.stderr, "\n"), "one line: %q", got.stderr)
		})
	}
}

// TestValidateKeysStayOnOneLine: a key holding a newline is reported with the newline escaped, and the
// JSON report keeps the exact RFC 6901 pointer.
func TestValidateKeysStayOnOneLine(t *testing.T) {
	var doc map[string]any
	require.NoError(t, json.Unmarshal(mustRead(t, documented+"itniotech/text.json"), &doc))
	doc["message"].(map[string]any)["text"].(map[string]any)["x\ny"] = 1
	doc["message"].(map[string]any)["text"].(map[string]any)["名 字"] = 2
	payload, err := json.Marshal(doc)
	require.NoError(t, err)

	got := runWahook(t, string(payload), "validate", "--strict", "-")
	assert.Equal(t, 1, got.code)
	assert.Equal(t, []string{
		`<stdin>: /message/text/x\ny: property is not documented (strict mode)`,
		`<stdin>: /message/text/名 字: property is not documented (strict mode)`,
	}, lines(got.stdout))

	got = runWahook(t, string(payload), "validate", "--strict", "-o", "json", "-")
	var results []fileResult
	require.NoError(t, json.Unmarshal([]byte(got.stdout), &results))
	require.Len(t, results, 1)
	assert.Equal(t, []string{"/message/text/x\ny", "/message/text/名 字"}, instances(results[0].Violations))
}

// TestInputNotRegular: a named pipe, a device or a directory given where a payload file is expected is
// refused at once, naming it, instead of blocking in open (a pipe) or reading for ever (a device).
func TestInputNotRegular(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "payload.json")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	rec := newReceiver(t, nil)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"validate fifo", []string{"validate", fifo}, "wahook: " + fifo + ": a named pipe, not a regular file\n"},
		{"validate device", []string{"validate", "/dev/zero"}, "wahook: /dev/zero: a device, not a regular file\n"},
		{"send fifo", []string{"send", "--target", rec.url, "--provider", "itniotech", "--file", fifo}, "wahook: --file " + fifo + ": a named pipe, not a regular file\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan result, 1)
			go func() { done <- runWahook(t, "", tt.args...) }()
			select {
			case got := <-done:
				assert.Equal(t, 2, got.code)
				assert.Equal(t, tt.want, got.stderr)
			case <-time.After(5 * time.Second):
				t.Fatal("the command blocked")
			}
		})
	}
}

// TestInterruptWhileReadingStdin: an interrupt while a command waits for stdin ends it within a
// second, exit 2.
func TestInterruptWhileReadingStdin(t *testing.T) {
	rec := newReceiver(t, nil)
	for _, args := range [][]string{
		{"validate", "-"},
		{"send", "--target", rec.url, "--provider", "itniotech", "--file", "-"},
	} {
		t.Run(args[0], func(t *testing.T) {
			stdin, w := io.Pipe() // never written: the read waits until the interrupt
			defer w.Close()
			ctx, cancel := context.WithCancel(t.Context())
			var interrupted time.Time
			time.AfterFunc(100*time.Millisecond, func() { interrupted = time.Now(); cancel() })
			var stdout, stderr bytes.Buffer
			code := run(ctx, args, stdin, &stdout, &stderr)
			assert.Less(t, time.Since(interrupted), time.Second, "the interrupt acts within a second")
			assert.Equal(t, 2, code)
			assert.Contains(t, stderr.String(), "interrupted")
		})
	}
}
