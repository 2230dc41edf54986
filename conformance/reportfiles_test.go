package conformance

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/schemas"
)

func sampleReport() *Report {
	results := []Result{
		{ID: "valid/itniotech/text/1", Group: GroupValid, Outcome: Pass, Expected: "2xx", Duration: time.Millisecond},
		{ID: "reject/itniotech/invalid-json", Group: GroupReject, Outcome: Fail, Expected: "2xx or 4xx", Reason: "got 500 <Internal> & more"},
	}
	return &Report{Target: "http://127.0.0.1:1/hook", Provider: schemas.ITNIOTech, Profile: Standard, Seed: 3, Results: results, Summary: summarize(results)}
}

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

// Reserved reports are written complete, in their formats, with no temporary file left behind.
func TestReportFilesCommit(t *testing.T) {
	dir := t.TempDir()
	junit, jsonFile := filepath.Join(dir, "r.xml"), filepath.Join(dir, "r.json")
	files, err := ReserveReports(ReportFile{JUnitReport, junit}, ReportFile{JSONReport, jsonFile}, ReportFile{JSONReport, ""})
	require.NoError(t, err)
	defer files.Discard()
	assert.NoFileExists(t, junit, "nothing in place before Commit")
	assert.Len(t, dirEntries(t, dir), 2, "the two temporary files")

	require.NoError(t, files.Commit(sampleReport()))
	files.Discard() // after a Commit, nothing to remove
	assert.ElementsMatch(t, []string{"r.xml", "r.json"}, dirEntries(t, dir))

	raw, err := os.ReadFile(junit)
	require.NoError(t, err)
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	require.NoError(t, xml.Unmarshal(raw, &doc))
	assert.Equal(t, 2, doc.Tests)
	assert.Equal(t, 1, doc.Failures)

	raw, err = os.ReadFile(jsonFile)
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"reason": "got 500 <Internal> & more"`, "indented, HTML left unescaped")
	var back Report
	require.NoError(t, json.Unmarshal(raw, &back))
	assert.Equal(t, *sampleReport(), back)
	info, err := os.Stat(jsonFile)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o644), info.Mode().Perm())
}

// A report that cannot be written is refused when reserved, naming its format and path, and leaves
// nothing behind.
func TestReserveReportsRefuses(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	tests := []struct {
		name       string
		files      []ReportFile
		wantFile   ReportFile
		wantErr    error
		wantReason string
	}{
		{"missing directory", []ReportFile{{JUnitReport, "ok.xml"}, {JSONReport, "no/such/r.json"}},
			ReportFile{JSONReport, "no/such/r.json"}, fs.ErrNotExist, "cannot write: no such file or directory"},
		{"a directory", []ReportFile{{JSONReport, dir}}, ReportFile{JSONReport, dir}, nil, "is a directory"},
		{"the same file, relative and absolute", []ReportFile{{JUnitReport, "r.xml"}, {JSONReport, dir + "/./r.xml"}},
			ReportFile{JSONReport, dir + "/./r.xml"}, nil, "the junit report is written there too"},
		{"unknown format", []ReportFile{{"html", "r.html"}}, ReportFile{"html", "r.html"}, nil, `unknown format "html" (want junit or json)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, err := ReserveReports(tt.files...)
			require.Error(t, err)
			assert.Nil(t, files)
			var fileErr *ReportFileError
			require.True(t, errors.As(err, &fileErr), "%T", err)
			assert.Equal(t, tt.wantFile, fileErr.ReportFile)
			assert.EqualError(t, fileErr.Err, tt.wantReason)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			}
			assert.Empty(t, dirEntries(t, dir), "no temporary file left behind")
		})
	}
}

// When one report cannot be written, none is put in place.
func TestReportFilesCommitAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	files, err := ReserveReports(ReportFile{JUnitReport, filepath.Join(dir, "r.xml")}, ReportFile{JSONReport, filepath.Join(dir, "r.json")})
	require.NoError(t, err)
	require.NoError(t, files.pending[1].tmp.Close()) // the JSON report's write fails

	err = files.Commit(sampleReport())
	var fileErr *ReportFileError
	require.True(t, errors.As(err, &fileErr), "%v", err)
	assert.Equal(t, JSONReport, fileErr.Format)
	assert.ErrorIs(t, err, os.ErrClosed)
	files.Discard()
	assert.Empty(t, dirEntries(t, dir), "neither report, and no temporary file")
}
