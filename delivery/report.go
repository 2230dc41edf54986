package delivery

import (
	"math/bits"
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

// LatencyStats summarises a set of latencies. Its percentiles use the nearest-rank method. Up to
// exactLatencies latencies each is one of the measured values; past that the latencies go into a
// histogram of bounded size, and each percentile is within 1% above the value it stands for (never
// past Max), so that a run of any length summarises in constant memory.
type LatencyStats struct {
	// Count is how many latencies there were; with none, every other field is zero.
	Count int
	// Min, Mean and Max are the smallest, average and largest latency, exact at any count.
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
	var c latencyCounter
	for _, l := range latencies {
		c.add(l)
	}
	return c.stats()
}

// exactLatencies is how many latencies a latencyCounter keeps as they are before it switches to its
// histogram: 512 KiB of them, as much as the histogram itself takes.
const exactLatencies = 1 << 16

// latencyCounter collects latencies for LatencyStats in bounded memory: the values themselves while
// they are few, then a log-linear histogram (as HdrHistogram lays one out) whose buckets are at most
// 1/128 of their value wide.
type latencyCounter struct {
	count    int
	sum      float64 // in nanoseconds; float, so that a long run cannot overflow it
	min, max time.Duration
	exact    []time.Duration
	buckets  []uint64 // nil while exact holds every value
}

// Histogram layout: values below 2*subBuckets have a bucket each; above, each power of two is split
// into subBuckets buckets, by the 7 bits after the leading one.
const (
	subBucketBits = 7
	subBuckets    = 1 << subBucketBits
	numBuckets    = 2*subBuckets + (63-subBucketBits-1)*subBuckets
)

func (c *latencyCounter) add(d time.Duration) {
	d = max(d, 0)
	if c.count == 0 || d < c.min {
		c.min = d
	}
	c.max = max(c.max, d)
	c.count++
	c.sum += float64(d)
	if c.buckets == nil {
		if len(c.exact) < exactLatencies {
			c.exact = append(c.exact, d)
			return
		}
		c.buckets = make([]uint64, numBuckets)
		for _, e := range c.exact {
			c.buckets[bucketOf(e)]++
		}
		c.exact = nil
	}
	c.buckets[bucketOf(d)]++
}

// bucketOf is the histogram bucket of d >= 0.
func bucketOf(d time.Duration) int {
	v := uint64(d)
	if v < 2*subBuckets {
		return int(v)
	}
	shift := bits.Len64(v) - subBucketBits - 1 // >= 1: v>>shift is in [subBuckets, 2*subBuckets)
	return 2*subBuckets + (shift-1)*subBuckets + int(v>>shift) - subBuckets
}

// bucketTop is the largest value in bucket b.
func bucketTop(b int) time.Duration {
	if b < 2*subBuckets {
		return time.Duration(b)
	}
	shift := (b-2*subBuckets)/subBuckets + 1
	m := uint64((b-2*subBuckets)%subBuckets + subBuckets)
	return time.Duration((m+1)<<shift - 1)
}

func (c *latencyCounter) stats() LatencyStats {
	if c.count == 0 {
		return LatencyStats{}
	}
	s := LatencyStats{Count: c.count, Min: c.min, Max: c.max, Mean: time.Duration(c.sum / float64(c.count))}
	// Nearest rank: the smallest value with at least p% of the values at or below it.
	rank := func(p int) int { return max((p*c.count+99)/100, 1) }
	if c.buckets == nil {
		sorted := slices.Clone(c.exact)
		slices.Sort(sorted)
		s.P50, s.P90, s.P99 = sorted[rank(50)-1], sorted[rank(90)-1], sorted[rank(99)-1]
		return s
	}
	at := func(p int) time.Duration {
		want, seen := uint64(rank(p)), uint64(0)
		for b, n := range c.buckets {
			if seen += n; seen >= want {
				return min(max(bucketTop(b), c.min), c.max)
			}
		}
		return c.max
	}
	s.P50, s.P90, s.P99 = at(50), at(90), at(99)
	return s
}

// tally adds up a run's results as they settle, for its Summary.
type tally struct {
	Summary
	latency latencyCounter
}

func (t *tally) add(r *Result) {
	if r.Duplicate {
		t.Duplicates++
	}
	switch r.Outcome {
	case Acked:
		t.Acked++
	case Failed:
		t.Failed++
	case Cancelled:
		t.Cancelled++
	}
	for _, a := range r.Attempts {
		t.Attempts++
		if a.Class != ClassNone {
			if t.Errors == nil {
				t.Errors = make(map[ErrorClass]int)
			}
			t.Errors[a.Class]++
		}
		if a.Class != ClassCancelled {
			t.latency.add(a.Latency)
		}
	}
}

// summary is the run's Summary once it has taken duration.
func (t *tally) summary(duration time.Duration) Summary {
	s := t.Summary
	s.Latency, s.Duration = t.latency.stats(), duration
	if duration > 0 {
		s.Rate = float64(s.Attempts) / duration.Seconds()
	}
	return s
}
