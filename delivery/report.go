package delivery

import (
	"slices"
	"time"
)

// Outcome is how a delivery ended.
type Outcome string

// The outcomes. Every delivery of a run ends with exactly one of them.
const (
	// Acked: an attempt got a 2xx.
	Acked Outcome = "acked"
	// Failed: every attempt the retry schedule allows failed.
	Failed Outcome = "failed"
	// Cancelled: the run's context ended first, before the first attempt, during an attempt, or while
	// a retry was waiting.
	Cancelled Outcome = "cancelled"
)

// Result is what became of one delivery: a payload, or a duplicate copy of one.
type Result struct {
	// Delivery is the result's index in Report.Results, which is the order deliveries were scheduled in.
	Delivery int
	// Index is the payload's index in the slice passed to Run.
	Index int
	// PayloadID, Provider and Type are copied from the Payload.
	PayloadID string
	Provider  string
	Type      string
	// Duplicate marks the second copy of a payload the run delivered twice (see Options.Duplicates).
	// The copy scheduled first is the original.
	Duplicate bool
	// Outcome is how the delivery ended.
	Outcome Outcome
	// Attempts are the requests made, in order; empty for a delivery cancelled before its first.
	Attempts []Attempt
	// PendingRetry is set on a cancelled delivery that had failed and was waiting for a retry, which
	// would have been sent at RetryAt.
	PendingRetry bool
	RetryAt      time.Time
}

// Last returns the delivery's last attempt, and false when there was none.
func (r Result) Last() (Attempt, bool) {
	if len(r.Attempts) == 0 {
		return Attempt{}, false
	}
	return r.Attempts[len(r.Attempts)-1], true
}

// Report is the record of one run.
type Report struct {
	// Results holds one Result per scheduled delivery, in schedule order.
	Results []Result
	Summary Summary
}

// Summary counts a run's deliveries and attempts. Scheduled == Acked + Failed + Cancelled always.
type Summary struct {
	// Scheduled counts deliveries: every payload, plus every duplicate copy.
	Scheduled int
	// Duplicates counts the duplicate copies among Scheduled.
	Duplicates int
	// Acked, Failed and Cancelled count deliveries by Outcome.
	Acked     int
	Failed    int
	Cancelled int
	// Attempts counts the requests sent, retries and cancelled ones included.
	Attempts int
	// Errors counts failed attempts by class.
	Errors map[ErrorClass]int
	// Latency summarises the attempts that finished, acknowledged or failed; cancelled ones are left
	// out because their latency says when the run stopped, not how fast the receiver was.
	Latency LatencyStats
	// Duration is the run's wall time.
	Duration time.Duration
	// Rate is Attempts per second of Duration.
	Rate float64
}

// LatencyStats summarises a set of latencies. Its percentiles use the nearest-rank method, so each is one
// of the measured values.
type LatencyStats struct {
	// Count is how many latencies there were; with none, every other field is zero.
	Count int
	// Min, Mean and Max are the smallest, average and largest latency.
	Min  time.Duration
	Mean time.Duration
	Max  time.Duration
	// P50, P90 and P99 are the 50th, 90th and 99th percentiles.
	P50 time.Duration
	P90 time.Duration
	P99 time.Duration
}

// percentiles summarises latencies, which it does not modify. No latencies give zero stats.
func percentiles(latencies []time.Duration) LatencyStats {
	if len(latencies) == 0 {
		return LatencyStats{}
	}
	sorted := slices.Clone(latencies)
	slices.Sort(sorted)
	var sum time.Duration
	for _, l := range sorted {
		sum += l
	}
	rank := func(p int) time.Duration {
		// Nearest rank: the smallest value with at least p% of the values at or below it.
		i := (p*len(sorted)+99)/100 - 1
		return sorted[max(i, 0)]
	}
	return LatencyStats{
		Count: len(sorted),
		Min:   sorted[0],
		Mean:  sum / time.Duration(len(sorted)),
		P50:   rank(50),
		P90:   rank(90),
		P99:   rank(99),
		Max:   sorted[len(sorted)-1],
	}
}

// summarize counts results that took duration.
func summarize(results []Result, duration time.Duration) Summary {
	s := Summary{Scheduled: len(results), Duration: duration}
	var latencies []time.Duration
	for _, r := range results {
		if r.Duplicate {
			s.Duplicates++
		}
		switch r.Outcome {
		case Acked:
			s.Acked++
		case Failed:
			s.Failed++
		case Cancelled:
			s.Cancelled++
		}
		for _, a := range r.Attempts {
			s.Attempts++
			if a.Class != ClassNone {
				if s.Errors == nil {
					s.Errors = make(map[ErrorClass]int)
				}
				s.Errors[a.Class]++
			}
			if a.Class != ClassCancelled {
				latencies = append(latencies, a.Latency)
			}
		}
	}
	s.Latency = percentiles(latencies)
	if duration > 0 {
		s.Rate = float64(s.Attempts) / duration.Seconds()
	}
	return s
}
