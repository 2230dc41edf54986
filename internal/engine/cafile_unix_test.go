//go:build unix

package engine_test

import (
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/engine"
)

// TestCAFileNotRegular: a named pipe or a device given as the CA file is refused at once, rather than
// blocking on open or being read for ever.
func TestCAFileNotRegular(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	for _, path := range []string{fifo, "/dev/zero"} {
		done := make(chan error, 1)
		go func() {
			_, err := engine.New(engine.Options{Target: "https://127.0.0.1:1/", CAFile: path})
			done <- err
		}()
		select {
		case err := <-done:
			require.ErrorIs(t, err, engine.ErrBadOptions)
			assert.Regexp(t, regexp.QuoteMeta(path)+": a (named pipe|device), not a regular file", err.Error())
		case <-time.After(5 * time.Second):
			t.Fatalf("New with CA file %s did not return", path)
		}
	}
}
