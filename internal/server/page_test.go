package server_test

import (
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/server"
)

// TestPage: the page and its files are served from the binary, under a CSP that allows no inline
// script, and nothing else is.
func TestPage(t *testing.T) {
	srv := start(t, server.Options{})
	c := client(t)
	tests := []struct {
		path, contentType, contains string
	}{
		{"/", "text/html; charset=utf-8", `<script src="/assets/app.js" defer></script>`},
		{"/assets/app.js", "text/javascript; charset=utf-8", "new EventSource(\"/v1/events\")"},
		{"/assets/app.css", "text/css; charset=utf-8", "@media (max-width: 900px)"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			status, h, body := get(t, c, srv.URL()+tt.path)
			require.Equal(t, http.StatusOK, status)
			assert.Equal(t, tt.contentType, h.Get("Content-Type"))
			assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
			csp := h.Get("Content-Security-Policy")
			assert.Contains(t, csp, "script-src 'self';")
			assert.NotContains(t, csp, "unsafe-inline")
			assert.Contains(t, string(body), tt.contains)
		})
	}
	for _, path := range []string{"/assets/", "/assets/nope.js", "/assets/../server.go"} {
		status, _, _ := get(t, c, srv.URL()+path)
		assert.Equal(t, http.StatusNotFound, status, path)
	}
}

// TestPageScriptWritesNoMarkup: the page's script never turns a string into markup, so that no
// byte a receiver or a payload sent can become an element or a script; it has no inline handler
// either (the CSP would refuse one).
func TestPageScriptWritesNoMarkup(t *testing.T) {
	for _, name := range []string{"assets/app.js", "assets/index.html"} {
		b, err := os.ReadFile(name)
		require.NoError(t, err)
		src := string(b)
		for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setAttribute(\"on"} {
			assert.NotContains(t, src, sink, "%s uses %s", name, sink)
		}
		assert.False(t, regexp.MustCompile(`<[a-z]+[^>]*\son[a-z]+=`).MatchString(src), "%s has an inline handler", name)
		if strings.HasSuffix(name, ".html") {
			assert.NotRegexp(t, `<script>[^<]`, src, "no inline script")
		}
	}
}
