// Package jsonrecord is how wahook writes the delivery engine's results in JSON (wahook send --output
// json and jsonl, wahook serve's API): durations in milliseconds, response bodies as text.
package jsonrecord

import (
	"math"
	"strings"
	"time"

	"github.com/wahook/wahook/delivery"
)

// Result is a delivery.Result as wahook reports it in JSON.
type Result struct {
	// Delivery is the result's index in the run's schedule, Index the payload's index in the input.
	Delivery  int    `json:"delivery"`
	Index     int    `json:"index"`
	ID        string `json:"id"`
	Type      string `json:"type"`
	Duplicate bool   `json:"duplicate"`
	// Outcome is how the delivery ended; "" (left out) only in wahook serve's records of deliveries
	// still under way.
	Outcome  delivery.Outcome `json:"outcome,omitempty"`
	Attempts []Attempt        `json:"attempts"`
	// CancelledRetryAt is set on a cancelled delivery that had failed and was waiting for a retry:
	// when that retry was due. It was never sent and never will be: a record of a cancelled delivery
	// says nothing is pending.
	CancelledRetryAt *time.Time `json:"cancelledRetryAt,omitempty"`
}

// Attempt is one delivery.Attempt as wahook reports it in JSON.
type Attempt struct {
	Attempt      int                 `json:"attempt"`
	Start        time.Time           `json:"start"`
	LatencyMs    float64             `json:"latencyMs"`
	RequestBytes int                 `json:"requestBytes"`
	Status       int                 `json:"status"`
	Class        delivery.ErrorClass `json:"class,omitempty"`
	Error        string              `json:"error,omitempty"`
	// Body is the start of the receiver's answer, as UTF-8 text. BodyTruncated says there was more
	// (past engine.MaxResponseBody, or past the maxBody of OfResult); BodyClipped says the run's
	// body budget was spent, so only the start was kept (see engine.Options.BodyBudget).
	Body          string `json:"body"`
	BodyTruncated bool   `json:"bodyTruncated,omitempty"`
	BodyClipped   bool   `json:"bodyClipped,omitempty"`
	// Header is the answer's header, when the engine kept it (wahook serve's records).
	Header map[string][]string `json:"header,omitempty"`
}

// Summary is a delivery.Summary as wahook reports it in JSON.
type Summary struct {
	Scheduled  int                         `json:"scheduled"`
	Duplicates int                         `json:"duplicates"`
	Acked      int                         `json:"acked"`
	Failed     int                         `json:"failed"`
	Cancelled  int                         `json:"cancelled"`
	Attempts   int                         `json:"attempts"`
	Errors     map[delivery.ErrorClass]int `json:"errors"`
	LatencyMs  Latency                     `json:"latencyMs"`
	DurationMs float64                     `json:"durationMs"`
	// Rate is attempts per second.
	Rate float64 `json:"rate"`
}

// Latency is delivery.LatencyStats in milliseconds.
type Latency struct {
	Count int     `json:"count"`
	Min   float64 `json:"min"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

// OfResult returns r for JSON, keeping at most maxBody bytes of each response body.
func OfResult(r delivery.Result, maxBody int) Result {
	rec := Result{
		Delivery: r.Delivery, Index: r.Index, ID: r.PayloadID, Type: r.Type, Duplicate: r.Duplicate,
		Outcome: r.Outcome, Attempts: make([]Attempt, len(r.Attempts)),
	}
	if r.PendingRetry {
		retryAt := r.RetryAt
		rec.CancelledRetryAt = &retryAt
	}
	for i, a := range r.Attempts {
		body, truncated := a.Body, a.BodyTruncated
		if len(body) > maxBody {
			body, truncated = body[:maxBody], true
		}
		rec.Attempts[i] = Attempt{
			Attempt: a.Attempt, Start: a.Start, LatencyMs: Milliseconds(a.Latency), RequestBytes: a.RequestBytes,
			Status: a.Status, Class: a.Class, Error: a.Err,
			Body: strings.ToValidUTF8(string(body), "\uFFFD"), BodyTruncated: truncated, BodyClipped: a.BodyClipped,
			Header: a.Header,
		}
	}
	return rec
}

// OfSummary returns s for JSON.
func OfSummary(s delivery.Summary) Summary {
	out := Summary{
		Scheduled: s.Scheduled, Duplicates: s.Duplicates, Acked: s.Acked, Failed: s.Failed,
		Cancelled: s.Cancelled, Attempts: s.Attempts, Errors: s.Errors,
		LatencyMs: Latency{
			Count: s.Latency.Count, Min: Milliseconds(s.Latency.Min), Mean: Milliseconds(s.Latency.Mean),
			P50: Milliseconds(s.Latency.P50), P90: Milliseconds(s.Latency.P90), P99: Milliseconds(s.Latency.P99),
			Max: Milliseconds(s.Latency.Max),
		},
		DurationMs: Milliseconds(s.Duration), Rate: math.Round(s.Rate*100) / 100,
	}
	if out.Errors == nil {
		out.Errors = map[delivery.ErrorClass]int{}
	}
	return out
}

// Milliseconds is d in milliseconds, to the microsecond.
func Milliseconds(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}
