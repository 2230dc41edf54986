package delivery

import (
	"math"
	"strings"
	"time"
)

// ResultRecord is a Result as wahook reports it in JSON (wahook send --output json, wahook serve):
// durations in milliseconds, the response body as text.
type ResultRecord struct {
	// Delivery is the result's index in the run's schedule, Index the payload's index in the input.
	Delivery  int             `json:"delivery"`
	Index     int             `json:"index"`
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	Duplicate bool            `json:"duplicate"`
	Outcome   Outcome         `json:"outcome"`
	Attempts  []AttemptRecord `json:"attempts"`
	// PendingRetry marks a delivery cancelled while it waited for a retry due at RetryAt.
	PendingRetry bool       `json:"pendingRetry,omitempty"`
	RetryAt      *time.Time `json:"retryAt,omitempty"`
}

// AttemptRecord is one Attempt as wahook reports it in JSON.
type AttemptRecord struct {
	Attempt      int        `json:"attempt"`
	Start        time.Time  `json:"start"`
	LatencyMs    float64    `json:"latencyMs"`
	RequestBytes int        `json:"requestBytes"`
	Status       int        `json:"status"`
	Class        ErrorClass `json:"class,omitempty"`
	Error        string     `json:"error,omitempty"`
	// Body is the start of the receiver's answer, as UTF-8 text. BodyTruncated says there was more
	// (past MaxResponseBody, or past the maxBody of Result.Record); BodyClipped says the run's body
	// budget was spent, so only the first clippedBody bytes were kept (see Options.BodyBudget).
	Body          string `json:"body"`
	BodyTruncated bool   `json:"bodyTruncated,omitempty"`
	BodyClipped   bool   `json:"bodyClipped,omitempty"`
}

// SummaryRecord is a Summary as wahook reports it in JSON.
type SummaryRecord struct {
	Scheduled  int                `json:"scheduled"`
	Duplicates int                `json:"duplicates"`
	Acked      int                `json:"acked"`
	Failed     int                `json:"failed"`
	Cancelled  int                `json:"cancelled"`
	Attempts   int                `json:"attempts"`
	Errors     map[ErrorClass]int `json:"errors"`
	LatencyMs  LatencyRecord      `json:"latencyMs"`
	DurationMs float64            `json:"durationMs"`
	// Rate is attempts per second.
	Rate float64 `json:"rate"`
}

// LatencyRecord is LatencyStats in milliseconds.
type LatencyRecord struct {
	Count int     `json:"count"`
	Min   float64 `json:"min"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

// Record returns r for JSON, keeping at most maxBody bytes of each response body.
func (r Result) Record(maxBody int) ResultRecord {
	rec := ResultRecord{
		Delivery: r.Delivery, Index: r.Index, ID: r.PayloadID, Type: r.Type, Duplicate: r.Duplicate,
		Outcome: r.Outcome, PendingRetry: r.PendingRetry, Attempts: make([]AttemptRecord, len(r.Attempts)),
	}
	if r.PendingRetry {
		retryAt := r.RetryAt
		rec.RetryAt = &retryAt
	}
	for i, a := range r.Attempts {
		body, truncated := a.Body, a.BodyTruncated
		if len(body) > maxBody {
			body, truncated = body[:maxBody], true
		}
		rec.Attempts[i] = AttemptRecord{
			Attempt: a.Attempt, Start: a.Start, LatencyMs: Milliseconds(a.Latency), RequestBytes: a.RequestBytes,
			Status: a.Status, Class: a.Class, Error: a.Err,
			Body: strings.ToValidUTF8(string(body), "\uFFFD"), BodyTruncated: truncated, BodyClipped: a.BodyClipped,
		}
	}
	return rec
}

// Record returns s for JSON.
func (s Summary) Record() SummaryRecord {
	out := SummaryRecord{
		Scheduled: s.Scheduled, Duplicates: s.Duplicates, Acked: s.Acked, Failed: s.Failed,
		Cancelled: s.Cancelled, Attempts: s.Attempts, Errors: s.Errors,
		LatencyMs: LatencyRecord{
			Count: s.Latency.Count, Min: Milliseconds(s.Latency.Min), Mean: Milliseconds(s.Latency.Mean),
			P50: Milliseconds(s.Latency.P50), P90: Milliseconds(s.Latency.P90), P99: Milliseconds(s.Latency.P99),
			Max: Milliseconds(s.Latency.Max),
		},
		DurationMs: Milliseconds(s.Duration), Rate: math.Round(s.Rate*100) / 100,
	}
	if out.Errors == nil {
		out.Errors = map[ErrorClass]int{}
	}
	return out
}

// Milliseconds is d in milliseconds, to the microsecond.
func Milliseconds(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}
