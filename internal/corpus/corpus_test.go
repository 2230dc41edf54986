package corpus_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/corpus"
	"github.com/wahook/wahook/internal/hooktest"
	"github.com/wahook/wahook/message"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// write writes a corpus into a new temporary directory.
func write(t testing.TB, opts corpus.Options) (string, corpus.Summary) {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = filepath.Join(t.TempDir(), "corpus")
	}
	sum, err := corpus.Write(t.Context(), opts)
	require.NoError(t, err)
	return opts.Dir, sum
}

// tree maps every file under dir, slash-separated, to the SHA-256 of its bytes.
func tree(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		sum := sha256.Sum256(b)
		out[filepath.ToSlash(rel)] = hex.EncodeToString(sum[:])
		return nil
	})
	require.NoError(t, err)
	return out
}

func TestWriteLayout(t *testing.T) {
	tests := []struct {
		name      string
		opts      corpus.Options
		wantFiles []string // every file, manifest included
		wantLines map[string]int
	}{
		{
			name: "files",
			opts: corpus.Options{Providers: []schemas.Provider{schemas.ITNIOTech}, Types: []string{"text", "image"}, Count: 5},
			wantFiles: []string{
				"itniotech/text/000000.json", "itniotech/image/000001.json", "itniotech/text/000002.json",
				"itniotech/image/000003.json", "itniotech/text/000004.json", "manifest.jsonl",
			},
		},
		{
			name: "jsonl",
			opts: corpus.Options{Providers: []schemas.Provider{schemas.InnoPaaS, schemas.ITNIOTech}, Types: []string{"text", "image"}, Count: 9, Format: corpus.JSONL},
			// pairs: innopaas text, innopaas image, itniotech text, itniotech image
			wantFiles: []string{"innopaas.jsonl", "itniotech.jsonl", "manifest.jsonl"},
			wantLines: map[string]int{"innopaas.jsonl": 5, "itniotech.jsonl": 4, "manifest.jsonl": 9},
		},
		{
			name: "malformed files in jsonl layout",
			opts: corpus.Options{
				Providers: []schemas.Provider{schemas.InnoPaaS}, Types: []string{"text"}, Count: 1, Format: corpus.JSONL,
				Malformed: true, SkipMutations: []string{"oversized-body"},
			},
			wantFiles: []string{"innopaas.jsonl", "manifest.jsonl", "innopaas/malformed/invalid-json/text.json", "innopaas/malformed/empty-body/text.json"},
			wantLines: map[string]int{"innopaas.jsonl": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, _ := write(t, tt.opts)
			got := tree(t, dir)
			for _, f := range tt.wantFiles {
				assert.Contains(t, got, f)
			}
			if !tt.opts.Malformed {
				assert.Len(t, got, len(tt.wantFiles), "files: %v", keys(got))
			}
			for name, n := range tt.wantLines {
				assert.Equal(t, n, countLines(t, filepath.Join(dir, name)), name)
			}
			assert.NoFileExists(t, filepath.Join(dir, corpus.ManifestFile+".tmp"))
		})
	}
}

func TestFileNames(t *testing.T) {
	tests := []struct {
		count uint64
		want  string // the last valid payload's file
	}{
		{1, "innopaas/text/000000.json"},
		{1_000_000, "innopaas/text/999999.json"},
		{1_000_001, "innopaas/text/1000000.json"},
		{12_345_678_901, "innopaas/text/12345678900.json"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, corpus.ValidFile(tt.count, tt.count-1), "count %d", tt.count)
	}
}

func TestManifestDescribesPayloads(t *testing.T) {
	v, err := schemas.New(schemas.Options{})
	require.NoError(t, err)
	const seed = 42
	g, err := mockprovider.New(mockprovider.Options{Seed: seed})
	require.NoError(t, err)

	for _, format := range []corpus.Format{corpus.Files, corpus.JSONL} {
		t.Run(string(format), func(t *testing.T) {
			// Two types of each provider, the whole catalogue for them, oversized-body included.
			opts := corpus.Options{Types: []string{"text", "location"}, Count: 41, Seed: seed, Malformed: true, Format: format, Workers: 3}
			dir, sum := write(t, opts)

			var valid, malformed uint64
			perPair := map[string]int{}
			for p, err := range corpus.ReadPayloads(dir) { // checks that each file exists and matches its sha256
				require.NoError(t, err)
				if p.Mutation == "" {
					valid++
					perPair[string(p.Provider)+"/"+p.Type]++
					want, err := g.Generate(p.Provider, p.Type, p.Index)
					require.NoError(t, err)
					assert.Equal(t, string(want.Body), string(p.Body), "payload %d", p.Index)
					assert.Equal(t, want.Seed, p.Seed)
					assert.Equal(t, want.ID, p.ID)
				} else {
					malformed++
					want, m, err := g.GenerateMutated(p.Provider, p.Type, p.Index, p.Mutation)
					require.NoError(t, err)
					assert.Equal(t, want.Body, p.Body, "%s %s", p.Mutation, p.Type)
					assert.Equal(t, want.ContentType, p.ContentType)
					assert.Equal(t, m.Expect, p.Expect)
					assert.Equal(t, m.Schema, p.Schema)
					assert.Equal(t, "malformed", strings.Split(p.File, "/")[1])
					assert.Zero(t, p.Line, "a malformed payload is a file of its own")
				}
				switch p.Schema {
				case mockprovider.SchemaValid:
					report, err := v.Validate(p.Provider, p.Body)
					require.NoError(t, err)
					assert.True(t, report.Valid(), "%s: %v", p.File, report.Violations)
				case mockprovider.SchemaInvalid:
					report, err := v.Validate(p.Provider, p.Body)
					require.NoError(t, err)
					assert.False(t, report.Valid(), "%s", p.File)
				}
				if format == corpus.JSONL && p.Mutation == "" {
					assert.Equal(t, string(p.Provider)+".jsonl", p.File)
				}
			}
			assert.Equal(t, opts.Count, valid)
			// Dealt in turn to the six provider and type pairs: 41 = 6×7 - 1.
			assert.Equal(t, map[string]int{"innopaas/text": 7, "innopaas/location": 7, "itniotech/text": 7, "itniotech/location": 7,
				"meta/text": 7, "meta/location": 6}, perPair)

			var wantMalformed uint64
			for _, p := range mockprovider.Providers() {
				muts, err := mockprovider.Mutations(p.Name)
				require.NoError(t, err)
				for _, m := range muts {
					for _, typ := range opts.Types {
						if m.AppliesTo(typ) {
							wantMalformed++
						}
					}
				}
			}
			assert.Equal(t, wantMalformed, malformed+sum.Skipped, "the whole catalogue, systematic included")
			assert.Equal(t, corpus.Summary{Payloads: valid + malformed, Malformed: malformed, Skipped: sum.Skipped, Bytes: sum.Bytes}, sum)
		})
	}
}

// TestRegenerateFromManifestLine: each manifest line, read alone, is enough to regenerate its payload
// byte for byte with the public mockprovider API, for a run with non-default options.
func TestRegenerateFromManifestLine(t *testing.T) {
	const base = "http://media.example.test:9000/files"
	for _, format := range []corpus.Format{corpus.Files, corpus.JSONL} {
		t.Run(string(format), func(t *testing.T) {
			dir, sum := write(t, corpus.Options{
				Types: []string{"location", "image", "unknown"}, Count: 12, Seed: 5, Format: format,
				Quirks: mockprovider.QuirksTable, MediaBaseURL: base + "/", Malformed: true, SkipMutations: []string{"oversized-body"},
			})
			raw, err := os.ReadFile(filepath.Join(dir, corpus.ManifestFile))
			require.NoError(t, err)
			lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
			require.Len(t, lines, int(sum.Payloads))
			for _, line := range lines {
				var e corpus.Entry
				for got, err := range corpus.ReadManifest(strings.NewReader(line)) {
					require.NoError(t, err)
					e = got
				}
				assert.Equal(t, uint64(5), e.RunSeed)
				assert.Equal(t, mockprovider.QuirksTable, e.Quirks)
				assert.Equal(t, base, e.MediaBaseURL)

				g, err := mockprovider.New(mockprovider.Options{Seed: e.RunSeed, Quirks: e.Quirks, MediaBaseURL: e.MediaBaseURL})
				require.NoError(t, err)
				var p mockprovider.Payload
				if e.Mutation == "" {
					p, err = g.Generate(e.Provider, e.Type, e.Index)
				} else {
					p, _, err = g.GenerateMutated(e.Provider, e.Type, e.Index, e.Mutation)
				}
				require.NoError(t, err, line)
				sum := sha256.Sum256(p.Body)
				assert.Equal(t, e.SHA256, hex.EncodeToString(sum[:]), "%s: regenerated from the line alone", e.File)

				again, err := corpus.Regenerate(e)
				require.NoError(t, err)
				assert.Equal(t, p.Body, again.Body)
				if e.Mutation == "" && e.Type == "image" {
					assert.Contains(t, string(p.Body), `":"`+base+"/media/", "the media base URL is the run's")
				}
				if e.Mutation == "" && e.Type == "location" && e.Provider == schemas.InnoPaaS {
					assert.Contains(t, string(p.Body), `"latitude":"`, "the quirk mode is the run's")
				}
			}
		})
	}
	_, err := corpus.Regenerate(corpus.Entry{Provider: "innopaas", Type: "text", Quirks: "bogus", File: "x"})
	assert.ErrorIs(t, err, mockprovider.ErrUnknownQuirkMode)
	assert.ErrorContains(t, err, `corpus: regenerate x: unknown quirk mode "bogus"`)
}

func TestWholeCatalogue(t *testing.T) {
	dir, sum := write(t, corpus.Options{Malformed: true, SkipMutations: []string{"oversized-body"}})
	entries := hooktest.Manifest(t, dir)
	require.Len(t, entries, int(sum.Payloads))

	got := map[string]bool{}
	for _, e := range entries {
		got[string(e.Provider)+" "+e.Mutation+" "+e.Type] = true
	}
	for _, p := range mockprovider.Providers() {
		muts, err := mockprovider.Mutations(p.Name)
		require.NoError(t, err)
		for _, m := range muts {
			for _, typ := range p.Types() {
				key := string(p.Name) + " " + m.ID + " " + typ
				switch {
				case !m.AppliesTo(typ):
					assert.False(t, got[key], key)
				case m.ID == "oversized-body":
					assert.False(t, got[key], "skipped: %s", key)
				default:
					assert.True(t, got[key], key)
				}
			}
		}
	}
}

func TestSystematicFirstType(t *testing.T) {
	dir, _ := write(t, corpus.Options{Providers: []schemas.Provider{schemas.InnoPaaS}, Malformed: true, SkipMutations: []string{"oversized-body"}, SystematicFirstType: true})
	perMutation := map[string][]string{}
	for _, e := range hooktest.Manifest(t, dir) {
		perMutation[e.Mutation] = append(perMutation[e.Mutation], e.Type)
	}
	muts, err := mockprovider.Mutations(schemas.InnoPaaS)
	require.NoError(t, err)
	p, err := mockprovider.Lookup(schemas.InnoPaaS)
	require.NoError(t, err)
	for _, m := range muts {
		if m.ID == "oversized-body" {
			continue
		}
		applies := slices.DeleteFunc(p.Types(), func(t string) bool { return !m.AppliesTo(t) })
		if m.Systematic {
			assert.Equal(t, applies[:1], perMutation[m.ID], m.ID)
		} else {
			assert.Equal(t, applies, perMutation[m.ID], m.ID)
		}
	}
}

func TestTypeSelection(t *testing.T) {
	tests := []struct {
		name  string
		types []string
		want  map[string]int // provider/type -> payloads
	}{
		{"type of one provider only", []string{"order"}, map[string]int{"innopaas/order": 4}},
		{"types of each", []string{"order", "unsupported"}, map[string]int{"innopaas/order": 2, "itniotech/unsupported": 2}},
		{"shared type", []string{"text"}, map[string]int{"innopaas/text": 2, "itniotech/text": 2}},
		{"duplicates count once", []string{"text", "text"}, map[string]int{"innopaas/text": 2, "itniotech/text": 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Two of the providers: the types told apart are theirs.
			dir, _ := write(t, corpus.Options{Providers: []schemas.Provider{schemas.InnoPaaS, schemas.ITNIOTech}, Types: tt.types, Count: 4})
			got := map[string]int{}
			for _, e := range hooktest.Manifest(t, dir) {
				got[string(e.Provider)+"/"+e.Type]++
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestDeterministic(t *testing.T) {
	for _, format := range []corpus.Format{corpus.Files, corpus.JSONL} {
		t.Run(string(format), func(t *testing.T) {
			opts := corpus.Options{Count: 300, Seed: 7, Format: format, Malformed: true, Types: []string{"contacts", "text"}, SkipMutations: []string{"oversized-body"}}
			opts.Workers = 1
			a, _ := write(t, opts)
			opts.Workers = 5
			b, _ := write(t, opts)
			require.Equal(t, tree(t, a), tree(t, b), "same seed, other worker count")

			opts.Seed = 8
			c, _ := write(t, opts)
			ta, tc := tree(t, a), tree(t, c)
			assert.Equal(t, keys(ta), keys(tc), "same layout")
			assert.NotEqual(t, ta["manifest.jsonl"], tc["manifest.jsonl"], "another seed, other payloads")
		})
	}
}

func TestSeedZeroIsASeed(t *testing.T) {
	a, _ := write(t, corpus.Options{Count: 5, Seed: 0})
	b, _ := write(t, corpus.Options{Count: 5, Seed: 0})
	assert.Equal(t, tree(t, a), tree(t, b))
}

func TestNonEmptyDir(t *testing.T) {
	dir := t.TempDir()
	user := filepath.Join(dir, "notes.txt")
	require.NoError(t, os.WriteFile(user, []byte("mine"), 0o644))
	stale := filepath.Join(dir, corpus.ManifestFile)
	require.NoError(t, os.WriteFile(stale, []byte("stale\n"), 0o644))

	_, err := corpus.Write(t.Context(), corpus.Options{Dir: dir, Count: 3})
	require.ErrorIs(t, err, corpus.ErrDirNotEmpty)
	assert.Contains(t, err.Error(), dir)
	assert.Equal(t, "stale\n", readFile(t, stale), "refused: nothing touched")

	sum, err := corpus.Write(t.Context(), corpus.Options{Dir: dir, Count: 3, Force: true})
	require.NoError(t, err)
	assert.Equal(t, uint64(3), sum.Payloads)
	assert.Equal(t, "mine", readFile(t, user), "other files are kept")
	assert.Len(t, hooktest.Manifest(t, dir), 3, "the stale manifest is replaced")

	// Forced again over its own output: the same corpus.
	before := tree(t, dir)
	_, err = corpus.Write(t.Context(), corpus.Options{Dir: dir, Count: 3, Force: true})
	require.NoError(t, err)
	assert.Equal(t, before, tree(t, dir))
}

func TestManyWorkers(t *testing.T) {
	dir, sum := write(t, corpus.Options{Count: 10, Workers: 1 << 62})
	assert.Equal(t, uint64(10), sum.Payloads)
	assert.Len(t, hooktest.Manifest(t, dir), 10)
}

func TestCreatesDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	_, err := corpus.Write(t.Context(), corpus.Options{Dir: dir, Count: 1})
	require.NoError(t, err)
	assert.FileExists(t, filepath.Join(dir, corpus.ManifestFile))
}

func TestInterrupted(t *testing.T) {
	for _, format := range []corpus.Format{corpus.Files, corpus.JSONL} {
		t.Run(string(format), func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			dir := t.TempDir()
			var calls int
			_, err := corpus.Write(ctx, corpus.Options{
				Dir: dir, Count: 5000, Format: format, Malformed: true, Workers: 4,
				Progress: func(done, total uint64) {
					calls++
					assert.LessOrEqual(t, done, total)
					if done >= 300 {
						cancel()
					}
				},
			})
			require.ErrorIs(t, err, context.Canceled)
			assert.Contains(t, err.Error(), "interrupted")
			assert.Positive(t, calls)
			assert.NoFileExists(t, filepath.Join(dir, corpus.ManifestFile))
			assert.NoFileExists(t, filepath.Join(dir, corpus.ManifestFile+".tmp"))
		})
	}
	t.Run("cancelled on the last batch", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		dir := t.TempDir()
		_, err := corpus.Write(ctx, corpus.Options{Dir: dir, Count: 10, Progress: func(done, total uint64) {
			if done == total {
				cancel()
			}
		}})
		require.ErrorIs(t, err, context.Canceled)
		assert.NoFileExists(t, filepath.Join(dir, corpus.ManifestFile))
		assert.NoFileExists(t, filepath.Join(dir, corpus.ManifestFile+".tmp"))
	})
	t.Run("cancelled before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		dir := filepath.Join(t.TempDir(), "never")
		_, err := corpus.Write(ctx, corpus.Options{Dir: dir, Count: 10})
		require.ErrorIs(t, err, context.Canceled)
		assert.NoDirExists(t, dir)
	})
}

// TestSameMessage: a same-message corpus holds each message once per provider under the same number,
// all saying the same, each regenerated from its manifest line alone.
func TestSameMessage(t *testing.T) {
	dir, sum := write(t, corpus.Options{SameMessage: true, Count: 20, Seed: 3, Types: []string{"text", "location", "contacts", "image", "reaction"}})
	assert.Equal(t, uint64(20*len(schemas.Providers())), sum.Payloads, "20 messages, each for every provider")
	messages := map[string][]message.Message{}
	for p, err := range corpus.ReadPayloads(dir) {
		require.NoError(t, err)
		assert.True(t, p.SameMessage)
		assert.NotEqual(t, "reaction", p.Type, "ITNIO Tech has no reactions")
		m, err := mockprovider.Parse(p.Provider, p.Body)
		require.NoError(t, err, p.File)
		number := p.Type + "/" + filepath.Base(p.File)
		assert.Equal(t, string(p.Provider)+"/"+number, p.File)
		messages[number] = append(messages[number], m)
		again, err := corpus.Regenerate(p.Entry)
		require.NoError(t, err)
		assert.Equal(t, string(p.Body), string(again.Body), "%s regenerated from its line", p.File)
	}
	require.Len(t, messages, 20)
	for number, ms := range messages {
		require.Len(t, ms, len(schemas.Providers()), number)
		for i := 1; i < len(ms); i++ {
			assert.Empty(t, message.Diff(ms[i-1].Content(), ms[i].Content(), nil), "%s says the same for %s and %s", number, ms[i-1].Provider, ms[i].Provider)
			assert.NotEqual(t, ms[i-1].Provider, ms[i].Provider)
		}
	}
}

func TestBadOptions(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	tests := []struct {
		name      string
		opts      corpus.Options
		wantErr   error
		wantField string // the OptionError's field, "" when the error is no OptionError
		wantMsg   string
	}{
		{"no dir", corpus.Options{Count: 1}, nil, "Dir", "corpus: Dir: no directory given"},
		{"dir is a file", corpus.Options{Dir: file, Count: 1}, nil, "", "not a directory"},
		{"unknown format", corpus.Options{Count: 1, Format: "xml"}, nil, "Format", `corpus: Format: unknown format "xml" (want files, jsonl)`},
		{"nothing to write", corpus.Options{}, corpus.ErrNothingToWrite, "", "Count is 0"},
		{"unknown provider", corpus.Options{Count: 1, Providers: []schemas.Provider{"no-such-provider"}}, schemas.ErrUnknownProvider, "", `"no-such-provider"`},
		{"auto is no provider", corpus.Options{Count: 1, Providers: []schemas.Provider{schemas.Auto}}, schemas.ErrUnknownProvider, "", `"auto"`},
		{"provider twice", corpus.Options{Count: 1, Providers: []schemas.Provider{schemas.InnoPaaS, schemas.InnoPaaS}}, nil, "", "twice"},
		{"no provider", corpus.Options{Count: 1, Providers: []schemas.Provider{}}, nil, "", "no provider"},
		{"no type", corpus.Options{Count: 1, Types: []string{}}, nil, "", "no message type"},
		{"unknown type", corpus.Options{Count: 1, Types: []string{"text", "bogus"}}, mockprovider.ErrUnknownType, "Types", `corpus: Types: unknown message type "bogus" for innopaas, itniotech, meta`},
		{"type of no selected provider", corpus.Options{Count: 1, Providers: []schemas.Provider{schemas.ITNIOTech}, Types: []string{"order"}}, mockprovider.ErrUnknownType, "Types", `"order" for itniotech`},
		{"count too large", corpus.Options{Count: 1<<63 + 5}, nil, "Count", "corpus: Count: 9223372036854775813: at most 4611686018427387904"},
		{"unknown quirk mode", corpus.Options{Count: 1, Quirks: "sometimes"}, mockprovider.ErrUnknownQuirkMode, "Quirks", `corpus: Quirks: unknown quirk mode "sometimes" (want mix, example, table)`},
		{"media base URL not http", corpus.Options{Count: 1, MediaBaseURL: "ftp://x"}, nil, "MediaBaseURL", `corpus: MediaBaseURL: "ftp://x": scheme must be http or https`},
		{"same message of one provider", corpus.Options{Count: 1, SameMessage: true, Providers: []schemas.Provider{schemas.ITNIOTech}}, nil, "SameMessage", "corpus: SameMessage: needs two providers or more, got itniotech"},
		{"same message as jsonl", corpus.Options{Count: 1, SameMessage: true, Format: corpus.JSONL}, nil, "Format", "corpus: Format: a same-message corpus is written as files"},
		{"same message of no shared type", corpus.Options{Count: 1, SameMessage: true, Types: []string{"reaction"}}, nil, "Types", "corpus: Types: no selected type can be written the same"},
		{"unknown skipped mutation", corpus.Options{Malformed: true, SkipMutations: []string{"nope"}}, mockprovider.ErrUnknownMutation, "SkipMutations", `corpus: SkipMutations: unknown mutation "nope" for innopaas, itniotech, meta`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.opts.Dir == "" && tt.name != "no dir" {
				tt.opts.Dir = filepath.Join(t.TempDir(), "corpus")
			}
			var err error
			require.NotPanics(t, func() { _, err = corpus.Write(t.Context(), tt.opts) })
			require.Error(t, err)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			}
			var optErr *corpus.OptionError
			if assert.Equal(t, tt.wantField != "", errors.As(err, &optErr), "an OptionError: %v", err) && optErr != nil {
				assert.Equal(t, tt.wantField, optErr.Field)
			}
			assert.Contains(t, err.Error(), tt.wantMsg)
			assert.True(t, strings.HasPrefix(err.Error(), "corpus: "), err.Error())
			if tt.opts.Dir != "" && tt.opts.Dir != file {
				assert.NoDirExists(t, tt.opts.Dir, "bad options touch nothing")
			}
		})
	}
}

func TestReadPayloadsDetectsChanges(t *testing.T) {
	dir, _ := write(t, corpus.Options{Count: 4, Types: []string{"text"}, Format: corpus.JSONL})
	require.NoError(t, os.WriteFile(filepath.Join(dir, "itniotech.jsonl"), []byte("{}\n"), 0o644))
	var err error
	for _, err = range corpus.ReadPayloads(dir) {
		if err != nil {
			break
		}
	}
	require.ErrorIs(t, err, corpus.ErrChecksum)
	assert.Contains(t, err.Error(), "itniotech.jsonl:1")
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func countLines(t testing.TB, name string) int {
	t.Helper()
	f, err := os.Open(name)
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 4<<20)
	n := 0
	for sc.Scan() {
		n++
	}
	require.NoError(t, sc.Err())
	return n
}

func readFile(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	return string(b)
}
