package server

import (
	"sync"
	"time"

	"github.com/wahook/wahook/delivery"
	"github.com/wahook/wahook/internal/jsonrecord"
)

// Record is one settled delivery as the server reports it, in /v1/send answers, /v1/deliveries and
// on the page: the fields of `wahook send --output json`, and where and when it was delivered.
type Record struct {
	// Seq numbers the records of the server's lifetime from 1; a later record has a higher Seq.
	Seq uint64 `json:"seq"`
	// Run names what delivered it: "send-N" for the N-th /v1/send, "timer" for the timer.
	Run string `json:"run"`
	// Time is when the delivery settled.
	Time     time.Time `json:"time"`
	Provider string    `json:"provider"`
	// Status and LatencyMs are those of the last attempt; Status is 0 without a response.
	Status    int     `json:"status"`
	LatencyMs float64 `json:"latencyMs"`
	jsonrecord.Result
}

// MaxRecordBody is how much of a receiver's answer the records in the ring keep (GET /v1/deliveries
// and the page): the ring holds thousands of them. The answer to POST /v1/send carries what the
// engine kept, up to engine.MaxResponseBody per attempt (less once the run's delivery.BodyBudget
// is spent, which its bodyClipped says).
const MaxRecordBody = 1 << 10

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
	// PendingRetries counts the cancelled deliveries that were waiting for a retry.
	PendingRetries int `json:"pendingRetries"`
}

// newRecord makes the record of r, keeping at most maxBody bytes of each response body.
func newRecord(run string, r delivery.Result, at time.Time, maxBody int) Record {
	rec := Record{Run: run, Time: at, Provider: r.Provider, Result: jsonrecord.OfResult(r, maxBody)}
	if last, ok := r.Last(); ok {
		rec.Status, rec.LatencyMs = last.Status, jsonrecord.Milliseconds(last.Latency)
	}
	return rec
}

// ring keeps the most recent records, up to a fixed number.
type ring struct {
	mu   sync.Mutex
	buf  []Record
	next int // where the next record goes
	n    int // records held
	seq  uint64
}

func newRing(size int) *ring { return &ring{buf: make([]Record, size)} }

// add numbers rec, keeps it (dropping the oldest when full) and returns it numbered.
func (r *ring) add(rec Record) Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	rec.Seq = r.seq
	r.buf[r.next] = rec
	r.next = (r.next + 1) % len(r.buf)
	r.n = min(r.n+1, len(r.buf))
	return rec
}

// list returns up to limit records that keep accepts, newest first, and how many are held in all.
// The records share their Attempts with the ring: read them, do not change them.
func (r *ring) list(keep func(*Record) bool, limit int) (out []Record, held int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out = []Record{}
	for i := 1; i <= r.n && len(out) < limit; i++ {
		rec := &r.buf[(r.next-i+len(r.buf))%len(r.buf)]
		if keep == nil || keep(rec) {
			out = append(out, *rec)
		}
	}
	return out, r.n
}

func (r *ring) capacity() int { return len(r.buf) }
