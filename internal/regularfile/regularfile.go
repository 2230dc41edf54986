// Package regularfile opens the files wahook reads input from, refusing anything but a regular file
// before it is opened: opening a named pipe blocks until a writer comes, which no signal interrupts,
// and reading a device such as /dev/zero never ends.
package regularfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
)

// Open opens name for reading if it is a regular file (or a link to one). Anything else is an
// error naming the file and what it is: "/tmp/f is a named pipe, not a regular file".
func Open(name string) (*os.File, error) {
	info, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "open", Path: name, Err: notRegular(info.Mode())}
	}
	return os.Open(name)
}

// ReadFile is os.ReadFile for a regular file only (see Open).
func ReadFile(name string) ([]byte, error) {
	f, err := Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// notRegular says what a file of mode m is instead of a regular file.
func notRegular(m fs.FileMode) error {
	var kind string
	switch {
	case m&fs.ModeNamedPipe != 0:
		kind = "a named pipe"
	case m&fs.ModeSocket != 0:
		kind = "a socket"
	case m&fs.ModeDevice != 0:
		kind = "a device"
	case m.IsDir():
		kind = "a directory"
	default:
		return errors.New("not a regular file")
	}
	return errors.New(kind + ", not a regular file")
}
