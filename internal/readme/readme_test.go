// Package readme holds the test that keeps README.md's Go snippets compiling.
package readme

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wahook/wahook/internal/hooktest"
)

// imports are the packages a snippet may name, by the name it uses.
var imports = map[string]string{
	"fmt": "fmt", "http": "net/http", "httptest": "net/http/httptest", "testing": "testing",
	"schemas": "github.com/wahook/wahook/schemas", "mockprovider": "github.com/wahook/wahook/mockprovider",
	"message": "github.com/wahook/wahook/message", "fixtures": "github.com/wahook/wahook/fixtures",
	"conformance": "github.com/wahook/wahook/conformance", "send": "github.com/wahook/wahook/send",
	"fuzz": "github.com/wahook/wahook/fuzz", "delivery": "github.com/wahook/wahook/delivery",
}

// TestGoSnippetsCompile type-checks every Go block of README.md as the body of a function that has
// what the README's prose gives it: a test (t), a webhook body, what the receiver stored, the
// receiver's handler and parsing function. A snippet that no longer compiles fails here.
func TestGoSnippetsCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a module: not in -short")
	}
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllSubmatch(readme, -1)
	require.NotEmpty(t, blocks)
	var src strings.Builder
	used := map[string]bool{"testing": true, "http": true, "message": true}
	for i, b := range blocks {
		body := string(b[1])
		for name := range imports {
			if strings.Contains(body, name+".") {
				used[name] = true
			}
		}
		fmt.Fprintf(&src, "\n// README.md, Go block %d\nfunc snippet%d(t *testing.T, body []byte, stored message.Message, myWebhookHandler http.Handler) error {\n%s\treturn nil\n}\n", i+1, i+1, body)
	}
	var head strings.Builder
	head.WriteString("package scratch\n\nimport (\n")
	names := make([]string, 0, len(used))
	for name := range used {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(&head, "\t%q\n", imports[name])
	}
	head.WriteString(")\n")
	goCmd := hooktest.Module(t, "../..", map[string]string{"snippets.go": head.String() + src.String()})
	out, err := goCmd("vet", "./...")
	require.NoError(t, err, "README.md's Go blocks do not compile:\n%s\n%s", out, head.String()+src.String())
}
