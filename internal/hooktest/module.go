package hooktest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// Module writes files into a scratch Go module that requires github.com/wahook/wahook from the
// checkout at root (with its go.sum, so nothing is fetched), for a test to build as a user's code
// would be built, and returns a function that runs go with args in it, with its combined output.
func Module(t testing.TB, root string, files map[string]string) (goCmd func(args ...string) ([]byte, error)) {
	t.Helper()
	root, err := filepath.Abs(root)
	require.NoError(t, err)
	dir := t.TempDir()
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	files["go.mod"] = fmt.Sprintf("module scratch\n\ngo 1.25.0\n\nrequire github.com/wahook/wahook v0.0.0\n\nreplace github.com/wahook/wahook => %s\n", root)
	files["go.sum"] = string(sum)
	for name, body := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	return func(args ...string) ([]byte, error) {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
		return cmd.CombinedOutput()
	}
}
