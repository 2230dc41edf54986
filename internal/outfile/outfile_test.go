package outfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dirEntries lists the names in dir.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// writeName writes the file's name into it.
func writeName(f File, w io.Writer) error {
	_, err := io.WriteString(w, f.Name)
	return err
}

// Reserved files are written complete, with no temporary file left behind.
func TestCommit(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.xml"), filepath.Join(dir, "b.json")
	set, err := Reserve(File{"a report", a}, File{"b report", b}, File{"unasked", ""})
	require.NoError(t, err)
	defer set.Discard()
	assert.NoFileExists(t, a, "nothing in place before Commit")
	assert.Len(t, dirEntries(t, dir), 2, "the two temporary files")

	require.NoError(t, set.Commit(writeName))
	set.Discard() // after a Commit, nothing to remove
	assert.ElementsMatch(t, []string{"a.xml", "b.json"}, dirEntries(t, dir))
	for path, want := range map[string]string{a: "a report", b: "b report"} {
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, want, string(raw))
		info, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, fs.FileMode(0o644), info.Mode().Perm())
	}
}

// A file that cannot be written is refused when reserved, naming it and its path, and leaves
// nothing behind.
func TestReserveRefuses(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	tests := []struct {
		name       string
		files      []File
		wantFile   File
		wantErr    error
		wantReason string
	}{
		{"missing directory", []File{{"junit report", "ok.xml"}, {"json report", "no/such/r.json"}},
			File{"json report", "no/such/r.json"}, fs.ErrNotExist, "cannot write: no such file or directory"},
		{"a directory", []File{{"json report", dir}}, File{"json report", dir}, nil, "is a directory"},
		{"the same file, relative and absolute", []File{{"junit report", "r.xml"}, {"json report", dir + "/./r.xml"}},
			File{"json report", dir + "/./r.xml"}, nil, "the junit report is written there too"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := Reserve(tt.files...)
			require.Error(t, err)
			assert.Nil(t, set)
			var fileErr *Error
			require.True(t, errors.As(err, &fileErr), "%T", err)
			assert.Equal(t, tt.wantFile, fileErr.File)
			assert.EqualError(t, fileErr.Err, tt.wantReason)
			assert.EqualError(t, err, tt.wantFile.Name+" "+tt.wantFile.Path+": "+tt.wantReason)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			}
			assert.Empty(t, dirEntries(t, dir), "no temporary file left behind")
		})
	}
}

// When one file cannot be written, none is put in place.
func TestCommitAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	set, err := Reserve(File{"a", filepath.Join(dir, "r.xml")}, File{"b", filepath.Join(dir, "r.json")})
	require.NoError(t, err)
	require.NoError(t, set.pending[1].tmp.Close()) // the second file's write fails

	err = set.Commit(writeName)
	var fileErr *Error
	require.True(t, errors.As(err, &fileErr), "%v", err)
	assert.Equal(t, "b", fileErr.Name)
	assert.ErrorIs(t, err, os.ErrClosed)
	set.Discard()
	assert.Empty(t, dirEntries(t, dir), "neither file, and no temporary file")
}
