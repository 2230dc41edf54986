package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/corpus"
	"github.com/wahook/wahook/internal/hooktest"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// skipAll is --skip-mutation with every mutation of p's catalogue.
func skipAll(t *testing.T, p schemas.Provider) []string {
	t.Helper()
	muts, err := mockprovider.Mutations(p)
	require.NoError(t, err)
	ids := make([]string, len(muts))
	for i, m := range muts {
		ids[i] = m.ID
	}
	return []string{"--skip-mutation", strings.Join(ids, ",")}
}

func TestGen(t *testing.T) {
	summary := func(n, malformed, dir string) *regexp.Regexp {
		return regexp.MustCompile(`^wrote ` + n + ` payloads \(` + malformed + ` malformed\) to ` + regexp.QuoteMeta(dir) + ` in \d+\.\ds\n$`)
	}
	tests := []struct {
		name        string
		args        []string // --out DIR is added
		wantCode    int
		wantStdout  func(dir string) *regexp.Regexp // nil: no output
		wantStderr  string                          // exact, DIR replaced by the directory
		wantEntries int
	}{
		{
			name:        "defaults: one payload per provider and type",
			wantStdout:  func(dir string) *regexp.Regexp { return summary(strconv.Itoa(allTypes()), "0", dir) },
			wantEntries: allTypes(),
		},
		{
			name:        "quiet",
			args:        []string{"--quiet", "--count", "3"},
			wantEntries: 3,
		},
		{
			name:        "one provider, some types, jsonl",
			args:        []string{"--provider", "itniotech", "--type", "text,image", "--count", "10", "--format", "jsonl", "-q"},
			wantEntries: 10,
		},
		{
			name:        "default count follows the selection",
			args:        []string{"--provider", "innopaas", "--type", "text", "--type", "order"},
			wantStdout:  func(dir string) *regexp.Regexp { return summary("2", "0", dir) },
			wantEntries: 2,
		},
		{
			name:        "malformed only",
			args:        []string{"--provider", "itniotech", "--type", "text", "--count", "0", "--malformed", "--skip-mutation", "oversized-body,deep-nesting"},
			wantStdout:  func(dir string) *regexp.Regexp { return summary(`(\d+)`, `(\d+)`, dir) },
			wantEntries: -1,
		},
		{"unknown provider", []string{"--provider", "no-such-provider"}, 2, nil, "wahook: --provider: unknown provider \"no-such-provider\" (want one of " + providerList + ")\n", 0},
		{"auto is no provider here", []string{"--provider", "auto"}, 2, nil, "wahook: --provider: unknown provider \"auto\" (want one of " + providerList + ")\n", 0},
		{"unknown type", []string{"--type", "text,bogus"}, 2, nil, "wahook: --type: unknown message type \"bogus\" for innopaas, itniotech, meta (want one of text, reaction, image, audio, video, sticker, document, unknown, location, contacts, button, interactive, order, system, unsupported)\n", 0},
		{"type of another provider", []string{"--provider", "itniotech", "--type", "order"}, 2, nil, "wahook: --type: unknown message type \"order\" for itniotech (want one of text, image, video, audio, document, location, sticker, unknown, unsupported, interactive, contacts)\n", 0},
		{"all among types", []string{"--type", "all,text"}, 2, nil, "wahook: --type: all cannot be combined with other types\n", 0},
		{"unknown format", []string{"--format", "xml"}, 2, nil, "wahook: --format: unknown format \"xml\" (want files, jsonl)\n", 0},
		{"nothing to write", []string{"--count", "0"}, 2, nil, "wahook: --count 0 writes nothing without --malformed\n", 0},
		{"unknown mutation", []string{"--malformed", "--skip-mutation", "nope"}, 2, nil, "wahook: --skip-mutation: unknown mutation \"nope\" for innopaas, itniotech, meta\n", 0},
		{"bad count", []string{"--count", "-1"}, 2, nil, "wahook: invalid argument \"-1\" for \"--count\" flag: strconv.ParseUint: parsing \"-1\": invalid syntax\n", 0},
		{"count too large", []string{"--count", "18446744073709551615"}, 2, nil, "wahook: --count: 18446744073709551615: at most 4611686018427387904\n", 0},
		{"unknown quirk mode", []string{"--quirks", "sometimes"}, 2, nil, "wahook: --quirks: unknown quirk mode \"sometimes\" (want mix, example, table)\n", 0},
		{"media base URL not http", []string{"--media-base-url", "ftp://x"}, 2, nil, "wahook: --media-base-url: \"ftp://x\": scheme must be http or https\n", 0},
		{"media base URL without host", []string{"--media-base-url", "http://"}, 2, nil, "wahook: --media-base-url: \"http://\" has no host\n", 0},
		{"media base URL with a query", []string{"--media-base-url", "http://h/?a=1"}, 2, nil, "wahook: --media-base-url: \"http://h/?a=1\": a query or fragment cannot prefix a path\n", 0},
		{"argument", []string{"extra"}, 2, nil, "wahook: unknown command \"extra\" for \"wahook gen\"\n", 0},
		{"empty out", []string{"--out", ""}, 2, nil, "wahook: --out: no directory given\n", 0},
		{"every mutation skipped", append([]string{"--provider", "itniotech", "--count", "0", "--malformed"}, skipAll(t, schemas.ITNIOTech)...), 2, nil,
			"wahook: --count 0 writes nothing when --skip-mutation leaves out every mutation\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			got := runWahook(t, "", append([]string{"gen", "--out", dir}, tt.args...)...)
			assert.Equal(t, tt.wantCode, got.code)
			assert.Equal(t, strings.ReplaceAll(tt.wantStderr, "DIR", dir), got.stderr)
			if tt.wantStdout == nil {
				assert.Empty(t, got.stdout)
			} else {
				assert.Regexp(t, tt.wantStdout(dir), got.stdout)
			}
			if tt.wantCode != 0 {
				assert.NoFileExists(t, filepath.Join(dir, corpus.ManifestFile))
				return
			}
			entries := hooktest.Manifest(t, dir)
			if tt.wantEntries >= 0 {
				assert.Len(t, entries, tt.wantEntries)
			} else {
				m := tt.wantStdout(dir).FindStringSubmatch(got.stdout)
				assert.Equal(t, m[1], m[2], "all malformed")
				assert.Equal(t, m[1], strconv.Itoa(len(entries)))
			}
		})
	}
}

// TestGenRecordsRunOptions: the quirk mode and media base URL are the generator's, each manifest line
// records them with the run seed, and from a line alone the payload regenerates byte for byte.
func TestGenRecordsRunOptions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	got := runWahook(t, "", "gen", "--out", dir, "--provider", "innopaas", "--type", "location,image", "--count", "4",
		"--seed", "17", "--quirks", "table", "--media-base-url", "https://cdn.example.test/wa/", "--malformed",
		"--skip-mutation", "oversized-body", "--systematic-first-type", "-q")
	require.Equal(t, 0, got.code, got.stderr)
	entries := hooktest.Manifest(t, dir)
	require.NotEmpty(t, entries)
	for _, e := range entries {
		assert.Equal(t, uint64(17), e.RunSeed)
		assert.Equal(t, mockprovider.QuirksTable, e.Quirks)
		assert.Equal(t, "https://cdn.example.test/wa", e.MediaBaseURL)
		want, err := corpus.Regenerate(e)
		require.NoError(t, err)
		body, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(e.File)))
		require.NoError(t, err)
		assert.Equal(t, string(want.Body), string(body), e.File)
		if e.Mutation == "" {
			switch e.Type {
			case "image":
				assert.Contains(t, string(body), `"link":"https://cdn.example.test/wa/media/`)
			case "location":
				assert.Regexp(t, `"latitude":"-?[0-9.]+"`, string(body), "the table's form")
			}
		}
	}
}

// ctxCancelledOnceExists is a context that reports itself cancelled as soon as file exists: a signal
// that arrives right after gen renamed its manifest into place.
type ctxCancelledOnceExists struct {
	context.Context
	file string
}

func (c ctxCancelledOnceExists) Err() error {
	if _, err := os.Stat(c.file); err == nil {
		return context.Canceled
	}
	return nil
}

func TestGenSignalAfterTheManifest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	ctx := ctxCancelledOnceExists{t.Context(), filepath.Join(dir, corpus.ManifestFile)}
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"gen", "--out", dir, "--count", "30"}, strings.NewReader(""), &stdout, &stderr)
	assert.Equal(t, 0, code, "the corpus is complete: complete wins")
	assert.Empty(t, stderr.String())
	assert.Contains(t, stdout.String(), "wrote 30 payloads")
	assert.Len(t, hooktest.Manifest(t, dir), 30)
}

func TestGenHelpListsTypes(t *testing.T) {
	got := runWahook(t, "", "gen", "--help")
	require.Equal(t, 0, got.code, got.stderr)
	for _, p := range mockprovider.Providers() {
		assert.Contains(t, got.stdout, string(p.Name)+": "+strings.Join(p.Types(), ","), "--type's help lists %s's types", p.Name)
	}
	assert.Contains(t, got.stdout, "--quirks string")
	assert.Contains(t, got.stdout, "--media-base-url string")
}

func TestGenRequiresOut(t *testing.T) {
	got := runWahook(t, "", "gen")
	assert.Equal(t, 2, got.code)
	assert.Equal(t, "wahook: required flag(s) \"out\" not set\n", got.stderr)
}

func TestGenNonEmptyDir(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644))

	got := runWahook(t, "", "gen", "--out", dir, "--count", "2")
	assert.Equal(t, 2, got.code)
	assert.Equal(t, "wahook: corpus: "+dir+": directory is not empty (use --force to write into it)\n", got.stderr)
	assert.Empty(t, got.stdout)

	got = runWahook(t, "", "gen", "--out", dir, "--count", "2", "--force", "--quiet")
	assert.Equal(t, 0, got.code, got.stderr)
	assert.Empty(t, got.stdout+got.stderr)
	assert.Len(t, hooktest.Manifest(t, dir), 2)
	assert.FileExists(t, filepath.Join(dir, "notes.txt"))
}

// TestGenLeftovers: the temporary manifest of a killed run is named with its size when the next run
// refuses the directory; a run that fails part-way (here a full disk: a stream linked to /dev/full)
// removes what it wrote and leaves the files that were there.
func TestGenLeftovers(t *testing.T) {
	t.Run("killed run", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, corpus.ManifestFile+".tmp"), make([]byte, 189_000), 0o644))
		got := runWahook(t, "", "gen", "--out", dir, "--count", "2")
		assert.Equal(t, 2, got.code)
		assert.Equal(t, "wahook: corpus: "+dir+": directory is not empty: it holds manifest.jsonl.tmp (189.0 kB), left by a run that was killed before it finished (--force starts over)\n", got.stderr)
		got = runWahook(t, "", "gen", "--out", dir, "--count", "2", "--force", "--quiet")
		assert.Equal(t, 0, got.code, got.stderr)
		assert.NoFileExists(t, filepath.Join(dir, corpus.ManifestFile+".tmp"))
		assert.Len(t, hooktest.Manifest(t, dir), 2)
	})
	t.Run("full disk", func(t *testing.T) {
		if _, err := os.Stat("/dev/full"); err != nil {
			t.Skip("no /dev/full")
		}
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644))
		require.NoError(t, os.Symlink("/dev/full", filepath.Join(dir, "itniotech.jsonl")))
		got := runWahook(t, "", "gen", "--out", dir, "--count", "600", "--format", "jsonl", "--force", "--quiet")
		assert.Equal(t, 2, got.code)
		assert.Contains(t, got.stderr, "itniotech.jsonl: no space left on device")
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		assert.Equal(t, []string{"notes.txt"}, names, "only what was there before")
	})
	t.Run("interrupted into a new directory", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		dir := filepath.Join(t.TempDir(), "out")
		var stdout, stderr bytes.Buffer
		time.AfterFunc(50*time.Millisecond, cancel)
		code := run(ctx, []string{"gen", "--out", dir, "--count", "10000000", "--quiet"}, strings.NewReader(""), &stdout, &stderr)
		assert.Equal(t, 2, code)
		assert.NoDirExists(t, dir, "the directory the run made is gone")
	})
}

func TestGenSameSeedSameCorpus(t *testing.T) {
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	for _, dir := range []string{a, b} {
		got := runWahook(t, "", "gen", "--out", dir, "--seed", "99", "--count", "30", "-q")
		require.Equal(t, 0, got.code, got.stderr)
	}
	ma, err := os.ReadFile(filepath.Join(a, corpus.ManifestFile))
	require.NoError(t, err)
	mb, err := os.ReadFile(filepath.Join(b, corpus.ManifestFile))
	require.NoError(t, err)
	assert.Equal(t, string(ma), string(mb))
}

func TestGenInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	dir := filepath.Join(t.TempDir(), "out")
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"gen", "--out", dir, "--count", "100"}, strings.NewReader(""), &stdout, &stderr)
	assert.Equal(t, 2, code)
	assert.Equal(t, "wahook: interrupted: context canceled\n", stderr.String())
	assert.Empty(t, stdout.String())
	assert.NoFileExists(t, filepath.Join(dir, corpus.ManifestFile))
}

func TestGenProgressBar(t *testing.T) {
	defer func(f func(io.Writer) bool) { isTerminal = f }(isTerminal)
	isTerminal = func(io.Writer) bool { return true }

	dir := filepath.Join(t.TempDir(), "out")
	got := runWahook(t, "", "gen", "--out", dir, "--count", "500")
	assert.Equal(t, 0, got.code)
	assert.Contains(t, got.stderr, "generating")
	assert.Contains(t, got.stdout, "wrote 500 payloads (0 malformed)")

	got = runWahook(t, "", "gen", "--out", dir, "--count", "500", "--force", "--quiet")
	assert.Equal(t, 0, got.code)
	assert.Empty(t, got.stdout+got.stderr, "--quiet draws no bar either")
}

// TestGenTypeCompletion: --type completes from the catalogue of the provider --provider selects, and
// after a comma, from the types not yet given.
func TestGenTypeCompletion(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    []string
		notWant []string
	}{
		{"every provider", []string{"gen", "--type", ""}, []string{"all", "text", "order", "unsupported"}, nil},
		{"one provider", []string{"gen", "--provider", "itniotech", "--type", ""}, []string{"all", "text", "unsupported"}, []string{"order", "reaction", "system"}},
		{"prefix", []string{"gen", "--provider", "innopaas", "--type", "s"}, []string{"sticker", "system"}, []string{"all", "text"}},
		{"after a comma", []string{"gen", "--type", "text,"}, []string{"text,image", "text,order"}, []string{"text,text", "text,all", "all"}},
		{"after a comma, prefix", []string{"gen", "--provider", "itniotech", "--type", "text,image,un"}, []string{"text,image,unknown", "text,image,unsupported"}, []string{"text,image,order"}},
		{"nothing after all", []string{"gen", "--type", "all,"}, nil, []string{"all,text"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertCompletes(t, tt.args, tt.want, tt.notWant)
			_, directive := completions(t, tt.args...)
			assert.Equal(t, ":6", directive, "no files, no space after a type")
		})
	}
}

func TestGenCompletion(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"gen", "--type", ""}, []string{"all", "text", "order", "unsupported"}},
		{[]string{"gen", "--quirks", ""}, []string{"mix", "example", "table"}},
		{[]string{"gen", "--provider", ""}, []string{"all", "innopaas", "itniotech"}},
		{[]string{"gen", "--format", ""}, []string{"files", "jsonl"}},
		{[]string{"gen", "--skip-mutation", ""}, []string{"oversized-body", "deep-nesting"}},
		{[]string{"list", ""}, []string{"types", "mutations"}},
		{[]string{"list", "types", "--provider", ""}, []string{"all", "innopaas"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			assertCompletes(t, tt.args, tt.want, nil)
		})
	}
}

// allTypes counts the message types of every provider: gen's default writes one payload of each.
func allTypes() int {
	n := 0
	for _, p := range schemas.Providers() {
		n += len(schemas.Types(p))
	}
	return n
}
