package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/wahook/wahook/internal/media"
)

// handleMedia serves GET and HEAD /media/{key}[?fault=404|slow|corrupt]: the file media.Generate
// makes for the key's kind and seed, rebuilt on every request, with the MIME type the webhook
// announced. Any key media.ParseKey refuses is 404; an unknown fault is 400.
func (s *Server) handleMedia(w http.ResponseWriter, r *http.Request, key string) {
	kind, seed, err := media.ParseKey(key)
	if err != nil {
		writeError(w, http.StatusNotFound, "no media file here: %v", err)
		return
	}
	faults := r.URL.Query()["fault"]
	fault := ""
	switch {
	case len(faults) > 1:
		writeError(w, http.StatusBadRequest, "fault given %d times", len(faults))
		return
	case len(faults) == 1:
		fault = faults[0]
	}
	if !slices.Contains(media.Faults(), fault) {
		writeError(w, http.StatusBadRequest, "fault %q: want 404, slow or corrupt", truncate(fault, 40))
		return
	}
	if fault == media.FaultMissing {
		writeError(w, http.StatusNotFound, "media file %s: not found, as ?fault=404 asks", key)
		return
	}
	file, err := media.Generate(kind, seed)
	if err != nil { // unreachable: ParseKey accepts known kinds only
		writeError(w, http.StatusNotFound, "no media file here: %v", err)
		return
	}
	body := file.Bytes
	if fault == media.FaultCorrupt {
		corrupt(body)
	}
	sum := sha256.Sum256(body)
	h := w.Header()
	h.Set("Content-Type", file.MIMEType)
	h.Set("ETag", `"`+base64.StdEncoding.EncodeToString(sum[:])+`"`)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": file.Filename}))
	h.Set("X-Content-Type-Options", "nosniff")
	if fault == media.FaultNone {
		// The same key serves the same bytes forever.
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-store")
	}
	note := string(kind) + ", " + strconv.Itoa(len(body)) + " bytes"
	if fault != "" {
		note += ", fault=" + fault
	}
	setNote(w, note)
	if fault == media.FaultSlow {
		s.drip(w, r, body)
		return
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// corrupt changes the second half of b in place, keeping its length and its start (so that the file
// still looks like its type to a sniffer), which makes its sha256 differ from the announced one.
func corrupt(b []byte) {
	for i := len(b) / 2; i < len(b); i++ {
		b[i] ^= 0x5A
	}
}

// drip sends body DripChunk bytes every DripInterval, flushing each, until it is all sent, the
// client goes away or the server shuts down. Range requests get the whole body.
func (s *Server) drip(w http.ResponseWriter, r *http.Request, body []byte) {
	if !s.tasks.add() {
		writeError(w, http.StatusServiceUnavailable, "%v", ErrShutdown)
		return
	}
	defer s.tasks.done()
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	rc := http.NewResponseController(w)
	if rc.Flush() != nil {
		return
	}
	tick := time.NewTicker(s.opts.DripInterval)
	defer tick.Stop()
	for off := 0; off < len(body); {
		select {
		case <-r.Context().Done():
			return
		case <-s.work.Done():
			return
		case <-tick.C:
		}
		n := min(s.opts.DripChunk, len(body)-off)
		if _, err := w.Write(body[off : off+n]); err != nil {
			return
		}
		if rc.Flush() != nil {
			return
		}
		off += n
	}
}
