package engine

import record "github.com/wahook/wahook/delivery"

// The engine's records are the public delivery package's; the aliases keep the engine's own code in
// its own words.
type (
	// Attempt is delivery.Attempt.
	Attempt = record.Attempt
	// ErrorClass is delivery.ErrorClass.
	ErrorClass = record.ErrorClass
	// Outcome is delivery.Outcome.
	Outcome = record.Outcome
	// Result is delivery.Result.
	Result = record.Result
	// Report is delivery.Report.
	Report = record.Report
	// Summary is delivery.Summary.
	Summary = record.Summary
	// LatencyStats is delivery.LatencyStats.
	LatencyStats = record.LatencyStats
)

// The outcomes and error classes, as package delivery names them.
const (
	Acked     = record.Acked
	Failed    = record.Failed
	Cancelled = record.Cancelled

	ClassNone       = record.ClassNone
	ClassTimeout    = record.ClassTimeout
	ClassRefused    = record.ClassRefused
	ClassReset      = record.ClassReset
	ClassTLS        = record.ClassTLS
	ClassRedirect   = record.ClassRedirect
	ClassHTTPStatus = record.ClassHTTPStatus
	ClassProtocol   = record.ClassProtocol
	ClassCancelled  = record.ClassCancelled
	ClassOther      = record.ClassOther
)

// The verdicts on an attempt that got no answer, as package delivery names them.
var (
	ErrUnreachable = record.ErrUnreachable
	ErrNoAnswer    = record.ErrNoAnswer
)
