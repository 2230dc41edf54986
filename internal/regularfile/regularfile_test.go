package regularfile_test

import (
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/regularfile"
)

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "payload.json")
	require.NoError(t, os.WriteFile(regular, []byte(`{}`), 0o600))
	link := filepath.Join(dir, "link.json")
	require.NoError(t, os.Symlink(regular, link))
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	sock := filepath.Join(dir, "sock")
	l, err := net.Listen("unix", sock)
	require.NoError(t, err)
	defer l.Close()

	tests := []struct {
		name, path, wantErr string
	}{
		{"regular", regular, ""},
		{"link to regular", link, ""},
		{"named pipe", fifo, "open " + fifo + ": a named pipe, not a regular file"},
		{"socket", sock, "open " + sock + ": a socket, not a regular file"},
		{"device", "/dev/null", "open /dev/null: a device, not a regular file"},
		{"directory", dir, "open " + dir + ": a directory, not a regular file"},
		{"missing", filepath.Join(dir, "nope"), "stat " + filepath.Join(dir, "nope") + ": no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := regularfile.ReadFile(tt.path)
			if tt.wantErr != "" {
				assert.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, `{}`, string(b))
		})
	}
}
