package server

import (
	"sync"
	"time"

	"github.com/wahook/wahook/delivery"
	"github.com/wahook/wahook/internal/engine"
	"github.com/wahook/wahook/internal/jsonrecord"
)

// Record is one delivery as the server reports it, in /v1/send answers, /v1/deliveries and on the
// page: the fields of `wahook send --output json`, where it went, what it was, and, while it is under
// way, what it is doing.
type Record struct {
	// Seq numbers the records of the server's lifetime from 1, in the order their deliveries started;
	// a later delivery has a higher Seq.
	Seq uint64 `json:"seq"`
	// Rev changes each time the record does; GET /v1/events?since= sends the records whose Rev is
	// above the one given.
	Rev uint64 `json:"rev"`
	// Run names what delivered it: "send-N" for the N-th run of /v1/send (or of a resend), "timer"
	// for the timer.
	Run string `json:"run"`
	// Time is when the delivery settled, or, while it is under way, when it last changed.
	Time     time.Time `json:"time"`
	Provider string    `json:"provider"`
	// Target is the receiver's URL, its user info (if any) masked.
	Target string `json:"target"`
	// Mutation is the id of the mutation the payload carries, Pointer the JSON pointer it edits when
	// the catalogue names one.
	Mutation string `json:"mutation,omitempty"`
	Pointer  string `json:"pointer,omitempty"`
	// State is sending (an attempt is out), waiting (for the retry due at NextAttemptAt) or settled
	// (Outcome says how it ended). A settled delivery never has a NextAttemptAt.
	State         engine.State `json:"state"`
	NextAttemptAt *time.Time   `json:"nextAttemptAt,omitempty"`
	// RetryDelaysMs is the run's retry schedule, time scale applied: the wait after attempt N before
	// attempt N+1.
	RetryDelaysMs []float64 `json:"retryDelaysMs,omitempty"`
	// Status and LatencyMs are those of the last attempt; Status is 0 without a response.
	Status    int     `json:"status"`
	LatencyMs float64 `json:"latencyMs"`
	jsonrecord.Result

	// sent is what the delivery sent, for its detail, resend and commands; nil for records made
	// without one (AddRecord in tests).
	sent *sentRequest
}

// MaxRecordBody is how much of a receiver's answer the records in the history keep (GET
// /v1/deliveries and the page): the history holds a thousand of them. The answer to POST /v1/send
// carries what the engine kept, up to engine.MaxResponseBody per attempt (less once the run's
// delivery.BodyBudget is spent, which its bodyClipped says).
const MaxRecordBody = 1 << 10

// MaxKeptRequest is the largest request body the history keeps, to show it and to resend it. A
// larger one (such as the oversized-body mutation's 3 MiB) is counted but not kept: a full history
// of them would hold gigabytes.
const MaxKeptRequest = 64 << 10

// SendResponse is the answer to POST /v1/send: one record per scheduled delivery, in schedule order,
// each with the response bodies as the engine kept them.
type SendResponse struct {
	Run     string  `json:"run"`
	Summary Summary `json:"summary"`
	// Results are the records of the first MaxAnswerResults deliveries to settle, in schedule order;
	// ResultsOmitted counts the rest.
	Results        []Record `json:"results"`
	ResultsOmitted int      `json:"resultsOmitted,omitempty"`
	// Interrupted says why the run stopped early, such as "server shutting down"; the deliveries it
	// cut short are in Results as cancelled.
	Interrupted string `json:"interrupted,omitempty"`
}

// Summary counts a run's deliveries and attempts; Scheduled == Acked + Failed + Cancelled.
type Summary struct {
	jsonrecord.Summary
	// CancelledRetries counts the cancelled deliveries that had failed and were waiting for a retry,
	// which was cancelled with them.
	CancelledRetries int `json:"cancelledRetries"`
}

// fill sets rec's delivery fields from r, keeping at most maxBody bytes of each response body. A
// settled record has no next attempt; one under way has no outcome.
func (rec *Record) fill(r delivery.Result, state engine.State, next time.Time, at time.Time, maxBody int) {
	rec.Time, rec.Provider, rec.State = at, r.Provider, state
	rec.Result = jsonrecord.OfResult(r, maxBody)
	rec.NextAttemptAt = nil
	if state == engine.StateWaiting {
		rec.NextAttemptAt = &next
	}
	if state != engine.StateSettled {
		rec.Outcome, rec.CancelledRetryAt = "", nil
	}
	rec.Status, rec.LatencyMs = 0, 0
	if last, ok := r.Last(); ok {
		rec.Status, rec.LatencyMs = last.Status, jsonrecord.Milliseconds(last.Latency)
	}
}

// history is what the server remembers: the most recent records, in a ring of fixed size, and the
// runs. One lock and one revision counter cover both, so that a reader of changes (the page's event
// stream) sees records and runs at one consistent revision.
type history struct {
	mu   sync.Mutex
	rev  uint64
	wake chan struct{} // closed at the next change; nil while nobody waits
	ring ring
	runs runList
}

func newHistory(size int) *history { return &history{ring: ring{buf: make([]Record, size)}} }

// bump gives the next revision and wakes those waiting for a change. h.mu must be held.
func (h *history) bump() uint64 {
	h.rev++
	if h.wake != nil {
		close(h.wake)
		h.wake = nil
	}
	return h.rev
}

// changed returns a channel closed at the next change after rev, at once if there was one.
func (h *history) changed(rev uint64) <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.rev > rev {
		ch := make(chan struct{})
		close(ch)
		return ch
	}
	if h.wake == nil {
		h.wake = make(chan struct{})
	}
	return h.wake
}

// add numbers rec, keeps it (dropping the oldest when full) and returns it numbered.
func (h *history) add(rec Record) Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.addLocked(rec)
}

func (h *history) addLocked(rec Record) Record {
	rec.Rev = h.bump()
	return h.ring.add(rec)
}

// get returns the record numbered seq, if the ring still holds it.
func (h *history) get(seq uint64) (Record, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	rec := h.ring.at(seq)
	if rec == nil {
		return Record{}, false
	}
	return *rec, true
}

// list returns up to limit records that keep accepts, newest first, and how many are held in all.
func (h *history) list(keep func(*Record) bool, limit int) ([]Record, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ring.list(keep, limit), h.ring.n
}

func (h *history) capacity() int { return len(h.ring.buf) }

// ring keeps the most recent records, up to a fixed number. Record Seq lives at slot (Seq-1) mod
// size, so a record is found by its number without an index. The history's lock guards it.
type ring struct {
	buf  []Record
	next int // where the next record goes
	n    int // records held
	seq  uint64
}

func (r *ring) add(rec Record) Record {
	r.seq++
	rec.Seq = r.seq
	r.buf[r.next] = rec
	r.next = (r.next + 1) % len(r.buf)
	r.n = min(r.n+1, len(r.buf))
	return rec
}

// at returns the record numbered seq, or nil once it has been dropped.
func (r *ring) at(seq uint64) *Record {
	if seq == 0 || seq > r.seq || r.seq-seq >= uint64(r.n) {
		return nil
	}
	return &r.buf[(seq-1)%uint64(len(r.buf))]
}

// oldest is the Seq of the oldest record held, or 0 when none is.
func (r *ring) oldest() uint64 {
	if r.n == 0 {
		return 0
	}
	return r.seq - uint64(r.n) + 1
}

// list returns up to limit records that keep accepts, newest first. They share their Attempts with
// the ring: read them, do not change them.
func (r *ring) list(keep func(*Record) bool, limit int) []Record {
	out := []Record{}
	for i := 1; i <= r.n && len(out) < limit; i++ {
		rec := &r.buf[(r.next-i+len(r.buf))%len(r.buf)]
		if keep == nil || keep(rec) {
			out = append(out, *rec)
		}
	}
	return out
}
