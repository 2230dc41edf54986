package engine

import "time"

// Timeout is the bound the engine puts on each attempt, Options.Timeout after New's default.
func (e *Engine) Timeout() time.Duration { return e.opts.Timeout }

// RetryDelays are the waits before attempts 2, 3, ...: Options.Retries scaled by Options.TimeScale.
func (e *Engine) RetryDelays() []time.Duration { return e.delays }

// LimiterSlots returns when a limiter for rate lets send callers arriving at the given times, in
// order: the arithmetic of Options.Rate, without waiting.
func LimiterSlots(rate float64, arrivals ...time.Time) []time.Time {
	l := newLimiter(rate)
	out := make([]time.Time, len(arrivals))
	for i, now := range arrivals {
		if l == nil {
			out[i] = now
			continue
		}
		out[i] = l.reserve(now)
	}
	return out
}

// Limits and helpers the package keeps to itself, named for its external tests.
const (
	CAFileLimit       = caFileLimit
	ClippedBody       = clippedBody
	DefaultBodyBudget = defaultBodyBudget
)

var (
	ErrClosed       = errClosed
	CheckHeaderName = checkHeaderName
	Percentiles     = percentiles
)
