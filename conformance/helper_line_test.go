package conformance_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/wahook/wahook/internal/hooktest"
)

// TestRunReportsTheCallersLine: a failing case of conformance.Run is reported at the line of the
// user's test that called Run, not inside this package. The user's test runs as go test would run
// it, in a module of its own.
func TestRunReportsTheCallersLine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test in a scratch module: not in -short")
	}
	user := `package scratch

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
	out, err := hooktest.Module(t, "..", map[string]string{"user_test.go": user})("test", "./...")
	require.Error(t, err, "the user's test fails: %s", out)
	assert.Contains(t, string(out), "user_test.go:16: expected 2xx, got 500 Internal Server Error")
	assert.NotContains(t, string(out), "testing.go:")
}
