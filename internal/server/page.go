package server

import (
	"embed"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// assets are the page's files: one HTML page, its script and its style, plain and small, embedded
// so that the page works offline and needs no build step.
//
//go:embed assets
var assets embed.FS

// pageCSP is the page's Content-Security-Policy: its own script and style only, no inline script,
// no inline handler, no frame, no form posted anywhere, connections to this server only. Receivers'
// answers and payloads are put in the page as text; this is the second wall, should one ever become
// markup.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// handlePage serves GET / (assets/index.html) and GET /assets/{file}.
func (s *Server) handlePage(w http.ResponseWriter, r *http.Request) {
	name := "assets/index.html"
	if r.URL.Path != "/" {
		name = path.Join("assets", strings.TrimPrefix(r.URL.Path, "/assets/"))
	}
	b, err := assets.ReadFile(name)
	if err != nil || !strings.HasPrefix(name, "assets/") {
		writeError(w, http.StatusNotFound, "no such file %q", truncate(r.URL.Path, 200))
		return
	}
	h := w.Header()
	h.Set("Content-Type", mime.TypeByExtension(path.Ext(name)))
	if strings.HasSuffix(name, ".html") {
		h.Set("Content-Type", "text/html; charset=utf-8")
	}
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("Referrer-Policy", "no-referrer")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(b)
}

// formatMs prints a latency in milliseconds the way people read it.
func formatMs(v float64) string {
	if v == 0 {
		return "–"
	}
	return (time.Duration(v * float64(time.Millisecond))).Round(time.Microsecond * 10).String()
}
