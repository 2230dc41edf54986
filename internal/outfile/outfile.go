// Package outfile reserves the output files of a long run before it starts and puts them all in
// place, or none, after it. Reserving creates a temporary file beside each, so that a path that cannot
// be written is found in a second, not after minutes of work; Commit renames them into place only
// once every one is complete, so that a run never leaves one output written and another not, nor a
// half-written one.
package outfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// File is one output: what it is, for messages ("junit report"), and where it goes.
type File struct {
	Name string
	Path string
}

// Error is returned for a file that cannot be written.
type Error struct {
	File
	Err error
}

func (e *Error) Error() string { return fmt.Sprintf("%s %s: %v", e.Name, e.Path, e.Err) }

// Unwrap returns the cause, such as fs.ErrNotExist.
func (e *Error) Unwrap() error { return e.Err }

// Set is the files of one run, reserved and not yet in place.
type Set struct {
	pending []pending
}

// pending is a file being written: tmp, to become its path.
type pending struct {
	File
	tmp *os.File
}

// Reserve reserves files, in order; one with an empty Path is left out. It refuses a path that is a
// directory, one whose directory cannot be written, and two files at the same path. Call Discard
// when done, after Commit or instead of it.
func Reserve(files ...File) (*Set, error) {
	s := &Set{}
	refuse := func(f File, err error) (*Set, error) {
		s.Discard()
		return nil, &Error{f, err}
	}
	for _, f := range files {
		if f.Path == "" {
			continue
		}
		for _, other := range s.pending {
			if samePath(other.Path, f.Path) {
				return refuse(f, fmt.Errorf("the %s is written there too", other.Name))
			}
		}
		if info, err := os.Stat(f.Path); err == nil && info.IsDir() {
			return refuse(f, errors.New("is a directory"))
		}
		tmp, err := os.CreateTemp(filepath.Dir(f.Path), "."+filepath.Base(f.Path)+".*.tmp")
		if err != nil {
			var pathErr *os.PathError
			if errors.As(err, &pathErr) { // the temporary file's name means nothing to the user
				err = pathErr.Err
			}
			return refuse(f, fmt.Errorf("cannot write: %w", err))
		}
		s.pending = append(s.pending, pending{f, tmp})
	}
	return s, nil
}

// Commit has write fill every reserved file and, once all are complete, renames them into place.
func (s *Set) Commit(write func(f File, w io.Writer) error) error {
	for _, p := range s.pending {
		if err := p.finish(write); err != nil {
			return &Error{p.File, err}
		}
	}
	for _, p := range s.pending {
		if err := os.Rename(p.tmp.Name(), p.Path); err != nil {
			return &Error{p.File, err}
		}
	}
	s.pending = nil
	return nil
}

// finish writes the whole file into the temporary one and closes it.
func (p pending) finish(write func(f File, w io.Writer) error) error {
	err := write(p.File, p.tmp)
	if err == nil {
		err = p.tmp.Chmod(0o644) // CreateTemp's 0600 is for a file nobody else should read yet
	}
	if cerr := p.tmp.Close(); err == nil {
		err = cerr
	}
	return err
}

// Discard removes the temporary files that were not renamed into place: after a Commit that
// succeeded there are none.
func (s *Set) Discard() {
	for _, p := range s.pending {
		p.tmp.Close()
		os.Remove(p.tmp.Name())
	}
	s.pending = nil
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
