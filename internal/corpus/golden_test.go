package corpus_test

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/corpus"
	"github.com/wahook/wahook/internal/hooktest"
)

var update = flag.Bool("update", false, "rewrite the golden corpus in fixtures/generated")

// goldenDir is the committed corpus, written by `make fixtures`.
const goldenDir = "../../fixtures/generated"

// goldenOptions must say what the Makefile's fixtures target says: --seed 1 --count 75 --malformed
// --skip-mutation oversized-body --systematic-first-type, files format.
var goldenOptions = corpus.Options{
	Seed:                1,
	Count:               120, // 3 per (provider, type) pair
	Malformed:           true,
	SkipMutations:       []string{"oversized-body"},
	SystematicFirstType: true,
	Format:              corpus.Files,
}

// notGenerated are files of goldenDir that the generator does not write.
var notGenerated = []string{"README.md", ".gitattributes"}

// TestGoldenCorpus regenerates the golden corpus and compares it, file by file and byte for byte, with
// the committed one: any change to the generator's output shows here. Refresh with -update (or
// `make fixtures`) when the change is intended.
func TestGoldenCorpus(t *testing.T) {
	if *update {
		rewriteGolden(t)
	}
	got := t.TempDir()
	opts := goldenOptions
	opts.Dir = got
	sum, err := corpus.Write(t.Context(), opts)
	require.NoError(t, err)
	assert.Equal(t, uint64(3), opts.Count/uint64(countPairs(t, got)), "3 payloads per (provider, type) pair")

	wantFiles, gotFiles := listFiles(t, goldenDir), listFiles(t, got)
	require.NotEmpty(t, wantFiles, "no golden corpus in %s: run go test -update or make fixtures", goldenDir)
	for _, f := range wantFiles {
		if !slices.Contains(gotFiles, f) {
			t.Errorf("%s/%s is not generated any more: delete it, or rerun with -update", goldenDir, f)
		}
	}
	differ := 0
	for _, f := range gotFiles {
		if !slices.Contains(wantFiles, f) {
			t.Errorf("%s/%s is missing from the golden corpus: rerun with -update", goldenDir, f)
			continue
		}
		want, err := os.ReadFile(filepath.Join(goldenDir, f))
		require.NoError(t, err)
		have, err := os.ReadFile(filepath.Join(got, f))
		require.NoError(t, err)
		if bytes.Equal(want, have) {
			continue
		}
		if differ++; differ <= 5 {
			t.Errorf("%s: mismatch (-want +got):\n%s", f, firstDifference(want, have))
		}
	}
	if differ > 5 {
		t.Errorf("... and %d more files differ (rerun with -update if intended)", differ-5)
	}
	assert.Equal(t, int(sum.Payloads)+1, len(gotFiles), "one file per payload and the manifest")
}

// rewriteGolden replaces the generated files of goldenDir with a fresh corpus.
func rewriteGolden(t *testing.T) {
	t.Helper()
	entries, err := os.ReadDir(goldenDir)
	if err != nil && !os.IsNotExist(err) {
		require.NoError(t, err)
	}
	for _, e := range entries {
		if !slices.Contains(notGenerated, e.Name()) {
			require.NoError(t, os.RemoveAll(filepath.Join(goldenDir, e.Name())))
		}
	}
	opts := goldenOptions
	opts.Dir, opts.Force = goldenDir, true
	_, err = corpus.Write(t.Context(), opts)
	require.NoError(t, err)
}

// listFiles lists the files under dir, slash-separated and sorted, without those not generated.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err == nil && !slices.Contains(notGenerated, rel) {
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	})
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	slices.Sort(out)
	return out
}

// countPairs is the number of (provider, type) pairs the valid payloads of dir's corpus cover.
func countPairs(t *testing.T, dir string) int {
	pairs := map[string]bool{}
	for _, e := range hooktest.Manifest(t, dir) {
		if e.Mutation == "" {
			pairs[string(e.Provider)+"/"+e.Type] = true
		}
	}
	return len(pairs)
}

// firstDifference shows where want and got first differ: the line, and the bytes around the first
// differing one, quoted so that control bytes and broken UTF-8 show.
func firstDifference(want, got []byte) string {
	line := 1 + bytes.Count(want[:commonPrefix(want, got)], []byte("\n"))
	at := commonPrefix(want, got)
	from := max(0, at-60)
	window := func(b []byte) string {
		return fmt.Sprintf("%q", b[min(from, len(b)):min(at+80, len(b))])
	}
	return fmt.Sprintf("line %d, byte %d:\n-%s\n+%s", line, at, window(want), window(got))
}

func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}
