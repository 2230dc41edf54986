package corpus_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/corpus"
)

// Manifest lines as Write writes them.
const (
	acceptLine = `{"file":"innopaas/text/000000.json","provider":"innopaas","type":"text","index":0,"runSeed":1,"quirks":"mix","mediaBaseUrl":"http://127.0.0.1:8787","expect":"accept","schema":"valid","seed":14445349681843478652,"id":"a0f250261c2cd5c5cd76c405","contentType":"application/json","sha256":"8139a11ccdeed696c352286f94828efab47449e025ee4e419fe3304fb6eade3d"}`
	streamLine = `{"file":"itniotech.jsonl","line":3,"provider":"itniotech","type":"image","index":17,"runSeed":5,"quirks":"table","mediaBaseUrl":"http://media.test","expect":"accept","schema":"valid","seed":1,"id":"wamid.x","contentType":"application/json","sha256":"8139a11ccdeed696c352286f94828efab47449e025ee4e419fe3304fb6eade3d"}`
	rejectLine = `{"file":"itniotech/malformed/empty-body/text.json","provider":"itniotech","type":"text","index":2,"runSeed":0,"quirks":"example","mediaBaseUrl":"http://127.0.0.1:8787","mutation":"empty-body","expect":"reject","schema":"invalid","seed":9,"id":"","contentType":"application/json","sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}`
)

func TestReadManifest(t *testing.T) {
	edit := func(line, from, to string) string {
		require.Contains(t, line, from)
		return strings.Replace(line, from, to, 1)
	}
	tests := []struct {
		name    string
		input   string
		want    int    // entries read before the error, or in all
		wantErr string // "" for none
	}{
		{"empty", "", 0, ""},
		{"lines", acceptLine + "\n" + streamLine + "\n" + rejectLine + "\n", 3, ""},
		{"no final newline", acceptLine + "\n" + rejectLine, 2, ""},
		{"not JSON", acceptLine + "\nnope\n", 1, "manifest line 2: bad manifest: invalid character 'o'"},
		{"blank line", acceptLine + "\n\n" + acceptLine + "\n", 1, "manifest line 2: bad manifest: empty line"},
		{"two values", acceptLine + " {}\n", 0, "line 1: bad manifest: more than one JSON value"},
		{"array", "[]\n", 0, "line 1: bad manifest: json: cannot unmarshal array"},
		{"unknown field", edit(acceptLine, `"index":0`, `"index":0,"extra":1`), 0, `line 1: bad manifest: json: unknown field "extra"`},
		{"negative index", edit(acceptLine, `"index":0`, `"index":-1`), 0, "line 1: bad manifest: json: cannot unmarshal number -1"},
		{"no file", edit(acceptLine, `"file":"innopaas/text/000000.json"`, `"file":""`), 0, `line 1: bad manifest: file "": not a slash-separated path`},
		{"file outside", edit(acceptLine, `innopaas/text/000000.json`, `../etc/passwd`), 0, `file "../etc/passwd"`},
		{"absolute file", edit(acceptLine, `innopaas/text/000000.json`, `/etc/passwd`), 0, `file "/etc/passwd"`},
		{"unknown provider", edit(acceptLine, `"provider":"innopaas"`, `"provider":"no-such-provider"`), 0, `line 1: bad manifest: unknown provider "no-such-provider"`},
		{"no type", edit(acceptLine, `"type":"text"`, `"type":""`), 0, "no type"},
		{"unknown expectation", edit(acceptLine, `"expect":"accept"`, `"expect":"maybe"`), 0, `expect "maybe": want accept, reject or tolerate`},
		{"accepted mutation", edit(rejectLine, `"expect":"reject"`, `"expect":"accept"`), 0, `expect accept with mutation "empty-body"`},
		{"accepted invalid", edit(acceptLine, `"schema":"valid"`, `"schema":"invalid"`), 0, `expect accept with schema "invalid"`},
		{"rejected without mutation", edit(rejectLine, `"mutation":"empty-body",`, ``), 0, "expect reject without a mutation"},
		{"unknown schema verdict", edit(rejectLine, `"schema":"invalid"`, `"schema":"maybe"`), 0, `schema "maybe"`},
		{"unknown quirk mode", edit(acceptLine, `"quirks":"mix"`, `"quirks":"sometimes"`), 0, `quirks: unknown quirk mode "sometimes" (want mix, example, table)`},
		{"no quirk mode", edit(acceptLine, `"quirks":"mix",`, ``), 0, `quirks: unknown quirk mode "" (want mix, example, table)`},
		{"no media base URL", edit(acceptLine, `"mediaBaseUrl":"http://127.0.0.1:8787",`, ``), 0, "no mediaBaseUrl"},
		{"no content type", edit(acceptLine, `"contentType":"application/json"`, `"contentType":""`), 0, "no contentType"},
		{"short sha256", edit(acceptLine, `"sha256":"8139a11c`, `"sha256":"`), 0, "want 64 lowercase hex digits"},
		{"upper-case sha256", edit(acceptLine, `"sha256":"8139a11c`, `"sha256":"8139A11C`), 0, "want 64 lowercase hex digits"},
		{"line too long", acceptLine + "\n" + strings.Repeat(" ", 70<<10) + "\n", 1, "manifest line 2: bad manifest: line longer than 65536 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []corpus.Entry
			var err error
			for e, eerr := range corpus.ReadManifest(strings.NewReader(tt.input)) {
				if eerr != nil {
					err = eerr
					break
				}
				got = append(got, e)
			}
			assert.Len(t, got, tt.want)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			if !strings.Contains(tt.name, "long") {
				assert.ErrorIs(t, err, corpus.ErrBadManifest)
			}
		})
	}
}

func TestReadManifestEntry(t *testing.T) {
	for e, err := range corpus.ReadManifest(strings.NewReader(streamLine)) {
		require.NoError(t, err)
		assert.Equal(t, corpus.Entry{
			File: "itniotech.jsonl", Line: 3, Provider: "itniotech", Type: "image", Index: 17,
			RunSeed: 5, Quirks: "table", MediaBaseURL: "http://media.test", Expect: "accept", Schema: "valid",
			Seed: 1, ID: "wamid.x", ContentType: "application/json", SHA256: "8139a11ccdeed696c352286f94828efab47449e025ee4e419fe3304fb6eade3d",
		}, e)
	}
}

func TestReadManifestStopsWhenAsked(t *testing.T) {
	n := 0
	for range corpus.ReadManifest(strings.NewReader(acceptLine + "\n" + acceptLine + "\nbroken\n")) {
		n++
		break
	}
	assert.Equal(t, 1, n)
}

// FuzzReadManifest feeds arbitrary bytes to the manifest reader: it must never panic, and whatever it
// accepts must survive a round trip through JSON.
func FuzzReadManifest(f *testing.F) {
	for _, seed := range []string{acceptLine, streamLine, rejectLine, acceptLine + "\n" + rejectLine + "\n", "", "\n", "{}", "[]", "null"} {
		f.Add([]byte(seed))
	}
	// Real lines of every kind from the golden corpus's manifest.
	if file, err := os.Open(filepath.Join(goldenDir, corpus.ManifestFile)); err == nil {
		sc := bufio.NewScanner(file)
		seen := map[string]bool{}
		for sc.Scan() {
			var e corpus.Entry
			if json.Unmarshal(sc.Bytes(), &e) == nil && !seen[string(e.Expect)+string(e.Schema)] {
				seen[string(e.Expect)+string(e.Schema)] = true
				f.Add(bytes.Clone(sc.Bytes()))
			}
		}
		file.Close()
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for e, err := range corpus.ReadManifest(bytes.NewReader(data)) {
			if err != nil {
				require.ErrorContains(t, err, "manifest line ")
				return
			}
			line, err := json.Marshal(e)
			require.NoError(t, err)
			var again []corpus.Entry
			for e2, err := range corpus.ReadManifest(bytes.NewReader(line)) {
				require.NoError(t, err, "re-encoded entry %s", line)
				again = append(again, e2)
			}
			require.Equal(t, []corpus.Entry{e}, again)
		}
	})
}

func TestAppendEntryIsJSON(t *testing.T) {
	entries := []corpus.Entry{
		{File: "a/b.json", Provider: "innopaas", Type: "text", Expect: "accept", Schema: "valid", ContentType: "application/json", SHA256: strings.Repeat("a", 64)},
		{File: "x.jsonl", Line: 18446744073709551615, Provider: "itniotech", Type: "t", Index: 18446744073709551615, Mutation: "m.x_y-z",
			RunSeed: 18446744073709551615, Quirks: "table", MediaBaseURL: "http://h/<&>?q=\"é\"",
			Expect: "reject", Schema: "not-checked", Seed: 1, ID: "wamid.\"<&>\"\\\x01\x7fé😀\xff", ContentType: "text/plain; charset=\"x\"", SHA256: "0"},
		{File: "innopaas/text/000000.json", Provider: "innopaas", Type: "text", SameMessage: true, Expect: "accept"},
		{},
	}
	for _, e := range entries {
		want, err := json.Marshal(e)
		require.NoError(t, err)
		assert.Equal(t, string(want)+"\n", string(corpus.AppendEntry(nil, &e)))
	}
}
