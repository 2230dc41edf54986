package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/wahook/wahook/delivery"
	"github.com/wahook/wahook/internal/engine"
)

// Row is a delivery as a line of the page's list: what a row shows and filters on, without the
// bodies and headers, which GET /v1/deliveries/{seq} gives.
type Row struct {
	Seq           uint64           `json:"seq"`
	Run           string           `json:"run"`
	Time          time.Time        `json:"time"`
	Provider      string           `json:"provider"`
	Type          string           `json:"type"`
	ID            string           `json:"id"`
	Duplicate     bool             `json:"duplicate,omitempty"`
	Target        string           `json:"target"`
	Mutation      string           `json:"mutation,omitempty"`
	State         engine.State     `json:"state"`
	Outcome       delivery.Outcome `json:"outcome,omitempty"`
	Status        int              `json:"status"`
	LatencyMs     float64          `json:"latencyMs"`
	Attempts      int              `json:"attempts"`
	Error         string           `json:"error,omitempty"`
	NextAttemptAt *time.Time       `json:"nextAttemptAt,omitempty"`
}

func rowOf(rec *Record) Row {
	r := Row{
		Seq: rec.Seq, Run: rec.Run, Time: rec.Time, Provider: rec.Provider, Type: rec.Type, ID: rec.ID,
		Duplicate: rec.Duplicate, Target: rec.Target, Mutation: rec.Mutation, State: rec.State, Outcome: rec.Outcome,
		Status: rec.Status, LatencyMs: rec.LatencyMs, Attempts: len(rec.Attempts), NextAttemptAt: rec.NextAttemptAt,
	}
	if n := len(rec.Attempts); n > 0 {
		r.Error = truncate(rec.Attempts[n-1].Error, 200)
	}
	return r
}

// Update is one event of GET /v1/events: what changed since the revision the client had.
type Update struct {
	// Rev is the revision this update brings the client to; the event's id.
	Rev uint64 `json:"rev"`
	// Reset is set when Rows and Runs are everything the server holds, not changes: the first update,
	// and one after the server restarted.
	Reset bool `json:"reset,omitempty"`
	// Rows are the deliveries that changed, newest first; Runs the runs that did.
	Rows []Row `json:"rows"`
	Runs []Run `json:"runs"`
	// Oldest is the Seq of the oldest delivery the history still holds (0: none): rows below it are
	// gone. Capacity is the history's size.
	Oldest   uint64 `json:"oldest"`
	Capacity int    `json:"capacity"`
	// Now is the server's clock, so that countdowns to NextAttemptAt do not depend on the browser's.
	Now time.Time `json:"now"`
}

// update collects what changed after rev.
func (h *history) update(rev uint64) Update {
	h.mu.Lock()
	defer h.mu.Unlock()
	u := Update{Rev: h.rev, Rows: []Row{}, Runs: []Run{}, Oldest: h.ring.oldest(), Capacity: len(h.ring.buf), Now: time.Now()}
	if rev == 0 || rev > h.rev {
		u.Reset, rev = true, 0
	}
	for i := 1; i <= h.ring.n; i++ {
		rec := &h.ring.buf[(h.ring.next-i+len(h.ring.buf))%len(h.ring.buf)]
		if rec.Rev > rev {
			u.Rows = append(u.Rows, rowOf(rec))
		}
	}
	for _, rs := range h.runs.all {
		if rs.view.Rev > rev {
			u.Runs = append(u.Runs, rs.view)
		}
	}
	return u
}

// Timing of GET /v1/events: changes are gathered for eventBatch before they are sent, so that a
// run of thousands of deliveries a second sends a few updates a second, not thousands; a comment
// every eventKeepAlive keeps proxies and the browser from dropping an idle stream.
const (
	eventBatch     = 100 * time.Millisecond
	eventKeepAlive = 15 * time.Second
)

// handleEvents serves GET /v1/events as server-sent events: one "update" event (an Update) at once,
// everything the history holds unless ?since= or Last-Event-ID names a revision, then one per batch
// of changes, until the client goes away or the server shuts down.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	var since uint64
	for _, v := range []string{r.Header.Get("Last-Event-ID"), r.URL.Query().Get("since")} {
		if v == "" {
			continue
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, "since: %q, want a revision (a non-negative integer)", truncate(v, 40))
			return
		}
		since = n
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	var buf bytes.Buffer
	keepAlive := time.NewTimer(eventKeepAlive)
	defer keepAlive.Stop()
	for first := true; ; first = false {
		if !first {
			select {
			case <-s.hist.changed(since):
			case <-keepAlive.C:
				keepAlive.Reset(eventKeepAlive)
				if _, err := w.Write([]byte(": keep-alive\n\n")); err != nil || rc.Flush() != nil {
					return
				}
				continue
			case <-r.Context().Done():
				return
			case <-s.work.Done():
				return
			}
			select {
			case <-time.After(eventBatch):
			case <-r.Context().Done():
				return
			case <-s.work.Done():
				return
			}
		}
		u := s.hist.update(since)
		since = u.Rev
		buf.Reset()
		buf.WriteString("id: " + strconv.FormatUint(u.Rev, 10) + "\nevent: update\ndata: ")
		// One line: JSON encodes newlines inside strings as \n, so the data field cannot break.
		if err := json.NewEncoder(&buf).Encode(u); err != nil {
			return
		}
		buf.WriteString("\n")
		if _, err := w.Write(buf.Bytes()); err != nil || rc.Flush() != nil {
			return
		}
	}
}
