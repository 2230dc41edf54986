package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ReportFormat is a format a Report is written to a file in.
type ReportFormat string

// The report formats.
const (
	// JUnitReport is JUnit XML, as Report.WriteJUnit writes it.
	JUnitReport ReportFormat = "junit"
	// JSONReport is the whole Report as indented JSON.
	JSONReport ReportFormat = "json"
)

// write writes r in format f.
func (f ReportFormat) write(w io.Writer, r *Report) error {
	if f == JUnitReport {
		return r.WriteJUnit(w)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// ReportFile asks for a report in Format at Path.
type ReportFile struct {
	Format ReportFormat
	Path   string
}

// ReportFileError is returned for a report file that cannot be written.
type ReportFileError struct {
	ReportFile
	Err error
}

func (e *ReportFileError) Error() string {
	return fmt.Sprintf("%s report %s: %v", e.Format, e.Path, e.Err)
}

// Unwrap returns the cause, such as fs.ErrNotExist.
func (e *ReportFileError) Unwrap() error { return e.Err }

// ReportFiles are report files reserved before a run and written after it. Reserving creates a
// temporary file beside each, so that a path that cannot be written is found in a second, not after
// minutes of cases; Commit renames them into place only once every one is complete, so that a run
// never leaves one report written and another not, nor a half-written one.
type ReportFiles struct {
	pending []pendingFile
}

// pendingFile is a report being written: tmp, to become its path.
type pendingFile struct {
	ReportFile
	tmp *os.File
}

// ReserveReports reserves files, in order; one with an empty Path is left out. It refuses a path that
// is a directory, one whose directory cannot be written, and two reports at the same path. Call
// Discard when done, after Commit or instead of it.
func ReserveReports(files ...ReportFile) (*ReportFiles, error) {
	out := &ReportFiles{}
	for _, f := range files {
		if f.Path == "" {
			continue
		}
		if f.Format != JUnitReport && f.Format != JSONReport {
			out.Discard()
			return nil, &ReportFileError{f, fmt.Errorf("unknown format %q (want %s or %s)", f.Format, JUnitReport, JSONReport)}
		}
		for _, other := range out.pending {
			if samePath(other.Path, f.Path) {
				out.Discard()
				return nil, &ReportFileError{f, fmt.Errorf("the %s report is written there too", other.Format)}
			}
		}
		if info, err := os.Stat(f.Path); err == nil && info.IsDir() {
			out.Discard()
			return nil, &ReportFileError{f, errors.New("is a directory")}
		}
		tmp, err := os.CreateTemp(filepath.Dir(f.Path), "."+filepath.Base(f.Path)+".*.tmp")
		if err != nil {
			out.Discard()
			var pathErr *os.PathError
			if errors.As(err, &pathErr) { // the temporary file's name means nothing to the user
				err = pathErr.Err
			}
			return nil, &ReportFileError{f, fmt.Errorf("cannot write: %w", err)}
		}
		out.pending = append(out.pending, pendingFile{f, tmp})
	}
	return out, nil
}

// Commit writes r into every reserved file and, once all are complete, renames them into place.
func (o *ReportFiles) Commit(r *Report) error {
	for _, f := range o.pending {
		if err := f.finish(r); err != nil {
			return &ReportFileError{f.ReportFile, err}
		}
	}
	for _, f := range o.pending {
		if err := os.Rename(f.tmp.Name(), f.Path); err != nil {
			return &ReportFileError{f.ReportFile, err}
		}
	}
	o.pending = nil
	return nil
}

// finish writes the whole report into the temporary file and closes it.
func (f pendingFile) finish(r *Report) error {
	err := f.Format.write(f.tmp, r)
	if err == nil {
		err = f.tmp.Chmod(0o644) // CreateTemp's 0600 is for a file nobody else should read yet
	}
	if cerr := f.tmp.Close(); err == nil {
		err = cerr
	}
	return err
}

// Discard removes the temporary files that were not renamed into place: after a Commit that
// succeeded there are none.
func (o *ReportFiles) Discard() {
	for _, f := range o.pending {
		f.tmp.Close()
		os.Remove(f.tmp.Name())
	}
	o.pending = nil
}

// samePath reports whether a and b name the same file, one relative and the other absolute included.
func samePath(a, b string) bool {
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	if errA != nil || errB != nil {
		return filepath.Clean(a) == filepath.Clean(b)
	}
	return absA == absB
}
