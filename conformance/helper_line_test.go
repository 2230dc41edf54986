package conformance_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunReportsTheCallersLine: a failing case of conformance.Run is reported at the line of the
// user's test that called Run, not inside this package. The user's test runs as go test would run
// it, in a module of its own.
func TestRunReportsTheCallersLine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test in a scratch module: not in -short")
	}
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	dir := t.TempDir()
	mod := fmt.Sprintf("module usercheck\n\ngo 1.25.0\n\nrequire github.com/wahook/wahook v0.0.0\n\nreplace github.com/wahook/wahook => %s\n", root)
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	user := `package usercheck

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wahook/wahook/conformance"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

func TestMyReceiver(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) }))
	defer srv.Close()
	conformance.Run(t, conformance.Config{Target: mockprovider.Target{URL: srv.URL, Provider: schemas.ITNIOTech}, Run: "^valid/itniotech/text/1$"}) // line 16
}
`
	for name, b := range map[string][]byte{"go.mod": []byte(mod), "go.sum": sum, "user_test.go": []byte(user)} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
	cmd := exec.Command("go", "test", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "the user's test fails: %s", out)
	assert.Contains(t, string(out), "user_test.go:16: expected 2xx, got 500 Internal Server Error")
	assert.NotContains(t, string(out), "testing.go:")
}
