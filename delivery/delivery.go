// Package delivery is the record of webhook deliveries: what became of each one (Result, Outcome),
// every HTTP request it took (Attempt, ErrorClass), and a run's counts and latencies (Report,
// Summary). send.Run returns a Report, the conformance suite and the fuzzer judge Attempts; the
// engine that makes them is wahook's own, and knows no provider.
package delivery

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// ErrorClass says what kind of failure an attempt met, so reports can group failures without parsing
// error strings.
type ErrorClass string

// The error classes. ClassNone marks a successful attempt.
const (
	ClassNone       ErrorClass = ""
	ClassTimeout    ErrorClass = "timeout"     // no complete answer within the attempt's timeout
	ClassRefused    ErrorClass = "refused"     // nothing listening at the target
	ClassReset      ErrorClass = "reset"       // the connection closed or reset before a full answer
	ClassTLS        ErrorClass = "tls"         // handshake or certificate verification failed
	ClassRedirect   ErrorClass = "redirect"    // a 3xx, which providers do not follow
	ClassHTTPStatus ErrorClass = "http-status" // an answer that is neither 2xx nor 3xx
	ClassProtocol   ErrorClass = "protocol"    // an answer that is not HTTP/1.1 the engine can read
	ClassCancelled  ErrorClass = "cancelled"   // the run's context ended during the attempt
	ClassOther      ErrorClass = "other"       // anything else, such as a DNS failure
)

// The verdicts on an attempt that got no HTTP answer, for the tools that check a target with one
// request before testing it: see Attempt.NoAnswer.
var (
	// ErrUnreachable means nothing at the target's address took a connection: it was refused, the
	// name does not resolve, or no connection came within the timeout.
	ErrUnreachable = errors.New("target unreachable")
	// ErrNoAnswer means a connection was made but no HTTP answer came on it: the receiver reset or
	// closed it, was too slow, answered something that is not HTTP, or failed the TLS handshake.
	ErrNoAnswer = errors.New("no answer from the target")
)

// Attempt records one HTTP request of a delivery.
type Attempt struct {
	// Delivery is the index of the delivery's Result in Report.Results.
	Delivery int
	// PayloadID, Provider and Type name the payload delivered.
	PayloadID string
	Provider  string
	Type      string
	// Attempt counts the delivery's attempts from 1.
	Attempt int
	// Duplicate is set on every attempt of a duplicate copy (send.Options.Duplicates).
	Duplicate bool
	// RequestBytes is the length of the request body.
	RequestBytes int
	// Status is the response's status code, 0 when no response came.
	Status int
	// Start is when the request was sent, Latency how long until the response body was read.
	Start   time.Time
	Latency time.Duration
	// Body holds the start of the response body, at most 64 KiB.
	Body []byte
	// BodyTruncated is set when the response body was longer than 64 KiB. The rest was never
	// read and the connection was closed.
	BodyTruncated bool
	// BodyClipped is set when Body holds only the first bytes of what was read, because the run had
	// already kept its budget of response bodies (a run of millions keeps bounded memory).
	BodyClipped bool
	// Class is ClassNone for a 2xx, else the kind of failure.
	Class ErrorClass
	// Err describes the failure for people: the status line, or what the engine was doing when the
	// exchange failed and how much of the answer had come ("timeout after 2s while reading the
	// response head: got 2 bytes"). It is "" for a 2xx.
	Err string
	// RetryAt is when the delivery's next attempt is due, after this one failed; zero when none
	// follows (it succeeded, was the last the schedule allows, or the run ended).
	RetryAt time.Time
	// Unreached is set when the attempt failed before any connection to the target was open.
	Unreached bool
	// Header is the answer's header as the receiver sent it, kept only for callers that show it
	// (wahook serve's page asks the engine for it); nil otherwise, or when no answer came.
	Header http.Header
}

// OK reports whether the attempt was acknowledged with a 2xx.
func (a Attempt) OK() bool { return a.Class == ClassNone }

// NoAnswer returns nil when the attempt got an HTTP answer, whatever its status. Otherwise it returns
// an error wrapping ErrUnreachable, when nothing at target took a connection, or ErrNoAnswer, and
// saying why in the attempt's words: "target unreachable: http://127.0.0.1:9/: connection refused".
// A cancelled attempt gets one wrapping ErrNoAnswer too: check the run's context first.
func (a Attempt) NoAnswer(target string) error {
	switch {
	case a.Status != 0:
		return nil
	case a.Unreached:
		return fmt.Errorf("%w: %s: %s", ErrUnreachable, target, a.Err)
	}
	return fmt.Errorf("%w: %s: %s", ErrNoAnswer, target, a.Err)
}

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
	// Index is the payload's index in the run's order of payloads.
	Index int
	// PayloadID, Provider and Type name the payload delivered.
	PayloadID string
	Provider  string
	Type      string
	// Duplicate marks the second copy of a payload the run delivered twice (send.Options.Duplicates).
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
// 65,536 latencies each is one of the measured values; past that the latencies go into a
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
