package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// ServeHTTP routes a request. The routing is by hand rather than by http.ServeMux, which would
// answer a media path such as /media/../x with a redirect instead of letting media.ParseKey refuse it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rw := &responseWriter{ResponseWriter: w}
	start := time.Now()
	path := r.URL.Path
	logged := true
	switch {
	case path == "/" || strings.HasPrefix(path, "/assets/"):
		logged = false // the page and its files: a line each would drown the deliveries
		if allow(rw, r, http.MethodGet, http.MethodHead) {
			s.handlePage(rw, r)
		}
	case path == "/healthz":
		logged = false
		if allow(rw, r, http.MethodGet, http.MethodHead) {
			writeJSON(rw, http.StatusOK, map[string]string{"status": "ok"})
		}
	case path == "/v1/send":
		if allow(rw, r, http.MethodPost) {
			s.handleSend(rw, r)
		}
	case strings.HasPrefix(path, "/v1/") && !s.sameHost(rw, r):
	case path == "/v1/deliveries":
		if allow(rw, r, http.MethodGet, http.MethodHead) {
			s.handleDeliveries(rw, r)
		}
	case strings.HasPrefix(path, "/v1/deliveries/"):
		seq, action, err := deliveryPath(path)
		switch {
		case err != nil:
			badRequest(rw, err)
		case action == "":
			if allow(rw, r, http.MethodGet, http.MethodHead) {
				s.handleDelivery(rw, seq)
			}
		case action == "resend":
			if allow(rw, r, http.MethodPost) {
				s.handleResend(rw, r, seq)
			}
		default:
			writeError(rw, http.StatusNotFound, "no such endpoint %q: try GET /v1/deliveries/{seq} or POST /v1/deliveries/{seq}/resend", truncate(path, 200))
		}
	case path == "/v1/runs":
		if allow(rw, r, http.MethodGet, http.MethodHead) {
			s.handleRuns(rw, r)
		}
	case strings.HasPrefix(path, "/v1/runs/"):
		if id, ok := runPath(path); !ok {
			writeError(rw, http.StatusNotFound, "no such endpoint %q: try GET or DELETE /v1/runs/{id}", truncate(path, 200))
		} else if allow(rw, r, http.MethodGet, http.MethodHead, http.MethodDelete) {
			s.handleRun(rw, r, id)
		}
	case path == "/v1/events":
		logged = false // it lasts as long as the page is open
		if allow(rw, r, http.MethodGet) {
			s.handleEvents(rw, r)
		}
	case path == "/v1/catalogue":
		if allow(rw, r, http.MethodGet, http.MethodHead) {
			s.handleCatalogue(rw)
		}
	case strings.HasPrefix(path, "/media/"):
		if allow(rw, r, http.MethodGet, http.MethodHead) {
			s.handleMedia(rw, r, strings.TrimPrefix(path, "/media/"))
		}
	default:
		writeError(rw, http.StatusNotFound, "no such endpoint %q: try POST /v1/send, GET /v1/runs, GET /v1/deliveries, GET /v1/events, GET /v1/catalogue, GET /media/{key}, GET /healthz or GET /", truncate(path, 200))
	}
	if logged {
		line := fmt.Sprintf("%s %s %d %dB %s", r.Method, truncate(r.URL.RequestURI(), 200), rw.status(), rw.written, time.Since(start).Round(time.Microsecond))
		if rw.note != "" {
			line += " " + rw.note
		}
		s.logf("%s", line)
	}
}

// allow answers 405 with an Allow header unless r's method is one of methods.
func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeError(w, http.StatusMethodNotAllowed, "method %s not allowed: use %s", truncate(r.Method, 20), strings.Join(methods, " or "))
	return false
}

// errorBody is every error answer of the server.
type errorBody struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, errorBody{Error: fmt.Sprintf(format, args...)})
}

// badRequest answers 400 with err, less the ErrBadRequest prefix the status already says.
func badRequest(w http.ResponseWriter, err error) {
	writeError(w, http.StatusBadRequest, "%s", strings.TrimPrefix(err.Error(), ErrBadRequest.Error()+": "))
}

// writeJSON answers v as indented JSON, readable from curl. HTML is not escaped: the answer is
// served as JSON with nosniff, and receivers' answers in it stay readable.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // unreachable for the server's own types
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":"encoding the answer failed"}` + "\n")
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// truncate shortens untrusted text before it is echoed or logged.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// responseWriter records the status and size of an answer for the log. Unwrap lets
// http.ResponseController reach the connection's Flush.
type responseWriter struct {
	http.ResponseWriter
	code    int
	written int64
	note    string // added to the request's log line
}

func (w *responseWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.written += int64(n)
	return n, err
}

func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *responseWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// setNote adds text to the request's log line.
func setNote(w http.ResponseWriter, note string) {
	if rw, ok := w.(*responseWriter); ok {
		rw.note = note
	}
}
