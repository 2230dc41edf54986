package server

import (
	"math"
	"strings"
	"sync"
	"time"

	"github.com/wahook/wahook/mockprovider/delivery"
)

// Record is one settled delivery as the server reports it, in /v1/send answers, /v1/deliveries and
// on the page. Its names follow `wahook send --output json`; durations are milliseconds.
type Record struct {
	// Seq numbers the records of the server's lifetime from 1; a later record has a higher Seq.
	Seq uint64 `json:"seq"`
	// Run names what delivered it: "send-N" for the N-th /v1/send, "timer" for the timer.
	Run string `json:"run"`
	// Time is when the delivery settled.
	Time time.Time `json:"time"`
	// Delivery is the result's index in its run's schedule, Index the payload's generation index.
	Delivery  int              `json:"delivery"`
	Index     int              `json:"index"`
	ID        string           `json:"id"`
	Provider  string           `json:"provider"`
	Type      string           `json:"type"`
	Duplicate bool             `json:"duplicate"`
	Outcome   delivery.Outcome `json:"outcome"`
	// Status and LatencyMs are those of the last attempt; Status is 0 without a response.
	Status    int       `json:"status"`
	LatencyMs float64   `json:"latencyMs"`
	Attempts  []Attempt `json:"attempts"`
	// PendingRetry marks a delivery cancelled while it waited for a retry due at RetryAt.
	PendingRetry bool       `json:"pendingRetry,omitempty"`
	RetryAt      *time.Time `json:"retryAt,omitempty"`
}

// Attempt is one HTTP request of a delivery.
type Attempt struct {
	Attempt      int                 `json:"attempt"`
	Start        time.Time           `json:"start"`
	LatencyMs    float64             `json:"latencyMs"`
	RequestBytes int                 `json:"requestBytes"`
	Status       int                 `json:"status"`
	Class        delivery.ErrorClass `json:"class,omitempty"`
	Error        string              `json:"error,omitempty"`
	// Body is the start of the receiver's answer, at most MaxRecordBody bytes.
	Body          string `json:"body"`
	BodyTruncated bool   `json:"bodyTruncated,omitempty"`
}

// MaxRecordBody is how much of a receiver's answer a record keeps: the ring holds thousands of them.
const MaxRecordBody = 1 << 10

// SendResponse is the answer to POST /v1/send: one record per scheduled delivery, in schedule order.
type SendResponse struct {
	Run     string   `json:"run"`
	Summary Summary  `json:"summary"`
	Results []Record `json:"results"`
	// Interrupted says why the run stopped early, such as "server shutting down"; the deliveries it
	// cut short are in Results as cancelled.
	Interrupted string `json:"interrupted,omitempty"`
}

// Summary counts a run's deliveries and attempts; Scheduled == Acked + Failed + Cancelled.
type Summary struct {
	Scheduled  int `json:"scheduled"`
	Duplicates int `json:"duplicates"`
	Acked      int `json:"acked"`
	Failed     int `json:"failed"`
	Cancelled  int `json:"cancelled"`
	// PendingRetries counts the cancelled deliveries that were waiting for a retry.
	PendingRetries int                         `json:"pendingRetries"`
	Attempts       int                         `json:"attempts"`
	Errors         map[delivery.ErrorClass]int `json:"errors"`
	LatencyMs      Latency                     `json:"latencyMs"`
	DurationMs     float64                     `json:"durationMs"`
	// Rate is attempts per second.
	Rate float64 `json:"rate"`
}

// Latency summarises attempt latencies in milliseconds.
type Latency struct {
	Count int     `json:"count"`
	Min   float64 `json:"min"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

// ms is d in milliseconds, to the microsecond.
func ms(d time.Duration) float64 { return math.Round(float64(d)/float64(time.Microsecond)) / 1000 }

func newRecord(run string, r delivery.Result, at time.Time) Record {
	rec := Record{
		Run: run, Time: at, Delivery: r.Delivery, Index: r.Index, ID: r.PayloadID, Provider: r.Provider,
		Type: r.Type, Duplicate: r.Duplicate, Outcome: r.Outcome, PendingRetry: r.PendingRetry,
		Attempts: make([]Attempt, len(r.Attempts)),
	}
	if r.PendingRetry {
		retryAt := r.RetryAt
		rec.RetryAt = &retryAt
	}
	for i, a := range r.Attempts {
		body, truncated := a.Body, a.BodyTruncated
		if len(body) > MaxRecordBody {
			body, truncated = body[:MaxRecordBody], true
		}
		rec.Attempts[i] = Attempt{
			Attempt: a.Attempt, Start: a.Start, LatencyMs: ms(a.Latency), RequestBytes: a.RequestBytes,
			Status: a.Status, Class: a.Class, Error: a.Err,
			Body: strings.ToValidUTF8(string(body), "\uFFFD"), BodyTruncated: truncated,
		}
	}
	if last, ok := r.Last(); ok {
		rec.Status, rec.LatencyMs = last.Status, ms(last.Latency)
	}
	return rec
}

func newSummary(s delivery.Summary, results []delivery.Result) Summary {
	out := Summary{
		Scheduled: s.Scheduled, Duplicates: s.Duplicates, Acked: s.Acked, Failed: s.Failed,
		Cancelled: s.Cancelled, Attempts: s.Attempts, Errors: s.Errors,
		LatencyMs: Latency{
			Count: s.Latency.Count, Min: ms(s.Latency.Min), Mean: ms(s.Latency.Mean), P50: ms(s.Latency.P50),
			P90: ms(s.Latency.P90), P99: ms(s.Latency.P99), Max: ms(s.Latency.Max),
		},
		DurationMs: ms(s.Duration), Rate: math.Round(s.Rate*100) / 100,
	}
	if out.Errors == nil {
		out.Errors = map[delivery.ErrorClass]int{}
	}
	for _, r := range results {
		if r.PendingRetry {
			out.PendingRetries++
		}
	}
	return out
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
