package engine

import (
	"math/bits"
	"slices"
	"time"
)

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
