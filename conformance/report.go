package conformance

import (
	"crypto/sha256"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/wahook/wahook/delivery"
	"github.com/wahook/wahook/schemas"
)

// Outcome is how a case ended.
type Outcome string

// The outcomes.
const (
	Pass Outcome = "pass"
	Fail Outcome = "fail"
	Skip Outcome = "skip"
)

// Observation is what the receiver answered to one request.
type Observation struct {
	// Status is the HTTP status, 0 when no answer came.
	Status int `json:"status"`
	// Class is the kind of failure, "" for a 2xx (see delivery.ErrorClass).
	Class delivery.ErrorClass `json:"class,omitempty"`
	// Error is the status line of a failed request, or what went wrong in it, in the delivery
	// engine's words (see delivery.Attempt.Err).
	Error string `json:"error,omitempty"`
	// Body is the start of the response body, at most 512 bytes, invalid UTF-8 replaced.
	Body string `json:"body,omitempty"`
	// Latency is how long the answer took.
	Latency time.Duration `json:"latency"`
	// noAnswer is the engine's verdict when no HTTP answer came (see delivery.Attempt.NoAnswer).
	noAnswer error

	// answer is the response body as the engine kept it, for deep verification.
	answer []byte
}

// Result is what became of one case.
type Result struct {
	ID          string           `json:"id"`
	Group       Group            `json:"group"`
	Provider    schemas.Provider `json:"provider"`
	Description string           `json:"description"`
	// Type, Mutation and Fixture are the case's: the message type, the catalogue mutation (tolerate
	// and reject) and the documented example (documented) it sends, where it has one.
	Type     string `json:"type,omitempty"`
	Mutation string `json:"mutation,omitempty"`
	Fixture  string `json:"fixture,omitempty"`
	// Payloads describe the bodies of the case's requests, in order, so that a reader of the report
	// can tell exactly what was sent, or find it in a corpus, without the bytes.
	Payloads []PayloadInfo `json:"payloads"`
	Outcome  Outcome       `json:"outcome"`
	// Expected is the answer the case asked for.
	Expected string `json:"expected"`
	// Observed is the answer the verdict rests on: the first that failed, else the last; nil for a
	// skipped case.
	Observed *Observation `json:"observed,omitempty"`
	// Canary is the answer to the liveness check after the case, when one was sent.
	Canary *Observation `json:"canary,omitempty"`
	// Witness, for a hostile case, is the next case run after it (skipped cases aside), whose
	// expected 2xx (or, when the probe was not acked, expected answer) showed the receiver alive in
	// place of a canary.
	Witness string `json:"witness,omitempty"`
	// Reason says in one line why the case failed or was skipped.
	Reason string `json:"reason,omitempty"`
	// Misread lists, one line per field, where the receiver's understanding of a message it
	// acknowledged differs from what was sent (see Config.Inspect).
	Misread []string `json:"misread,omitempty"`
	// Requests is how many requests the case sends, its canary not counted.
	Requests int `json:"requests"`
	// Duration is the case's wall time, its canary included.
	Duration time.Duration `json:"duration"`
	// Reproduce is a shell command that sends a failing case's requests again; Files are the payloads
	// it reads, written under Report.PayloadDir.
	Reproduce string   `json:"reproduce,omitempty"`
	Files     []string `json:"files,omitempty"`
	// overBudget marks a case skipped because Config.Budget ran out.
	overBudget bool
}

// PayloadInfo identifies one request body of a case.
type PayloadInfo struct {
	// MessageID is the id a receiver deduplicates on, when the body has one.
	MessageID   string `json:"messageId,omitempty"`
	ContentType string `json:"contentType"`
	// Size is the body's length in bytes, SHA256 its hex digest.
	Size   int    `json:"size"`
	SHA256 string `json:"sha256"`
}

func payloadInfos(reqs []Request) []PayloadInfo {
	out := make([]PayloadInfo, len(reqs))
	for i, req := range reqs {
		out[i] = PayloadInfo{MessageID: req.MessageID, ContentType: req.ContentType, Size: len(req.Body), SHA256: fmt.Sprintf("%x", sha256.Sum256(req.Body))}
	}
	return out
}

// Report is the record of one run of the suite.
type Report struct {
	Target   string           `json:"target"`
	Provider schemas.Provider `json:"provider"`
	Profile  Profile          `json:"profile"`
	Seed     uint64           `json:"seed"`
	// Version is wahook's, Config.Version.
	Version  string        `json:"version,omitempty"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration"`
	// Timeout is the per-request timeout the run used.
	Timeout time.Duration `json:"timeout"`
	// PayloadDir holds the payloads of the failing cases; "" when none failed.
	PayloadDir string `json:"payloadDir,omitempty"`
	// Hint, when set, is the likely cause of most failures, found before the cases ran: a valid
	// message answered 404, 405 or 501 means the URL is not the webhook's, and every case will fail
	// for that reason alone.
	Hint string `json:"hint,omitempty"`
	// Notes are remarks about the run as a whole.
	Notes   []string `json:"notes,omitempty"`
	Results []Result `json:"results"`
	Summary Summary  `json:"summary"`
}

// Summary counts the results.
type Summary struct {
	Total   int `json:"total"`
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
	// OverBudget counts the skipped cases that Config.Budget left no time for: a run with any is
	// incomplete, whatever the others' outcomes.
	OverBudget int `json:"overBudget,omitempty"`
}

// String is the summary line: "N passed, M failed, K skipped".
func (s Summary) String() string {
	return fmt.Sprintf("%d passed, %d failed, %d skipped", s.Passed, s.Failed, s.Skipped)
}

func summarize(results []Result) Summary {
	s := Summary{Total: len(results)}
	for _, r := range results {
		switch r.Outcome {
		case Pass:
			s.Passed++
		case Fail:
			s.Failed++
		case Skip:
			s.Skipped++
			if r.overBudget {
				s.OverBudget++
			}
		}
	}
	return s
}

// GroupLatency returns the median, 99th percentile (nearest rank) and longest wall time of the cases
// of group g that ran, canaries included; zeros when none ran.
func (r *Report) GroupLatency(g Group) (p50, p99, longest time.Duration) {
	var ds []time.Duration
	for _, res := range r.Results {
		if res.Group == g && res.Outcome != Skip {
			ds = append(ds, res.Duration)
		}
	}
	if len(ds) == 0 {
		return 0, 0, 0
	}
	slices.Sort(ds)
	rank := func(p int) time.Duration { return ds[max(0, (p*len(ds)+99)/100-1)] }
	return rank(50), rank(99), ds[len(ds)-1]
}

// Failures returns the failed results, in order.
func (r *Report) Failures() []Result {
	var out []Result
	for _, res := range r.Results {
		if res.Outcome == Fail {
			out = append(out, res)
		}
	}
	return out
}

// Details describes a failed result over a few lines: the case, what was expected, what came (and why
// that fails the case, when it is not just the status), and how to send it again.
func (r *Report) Details(res Result) string { return details(res) }

func details(res Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "case:      %s\n", res.Description)
	fmt.Fprintf(&b, "expected:  %s\n", res.Expected)
	if res.Observed != nil {
		fmt.Fprintf(&b, "observed:  %s\n", res.Observed.summary())
		if res.Reason != fmt.Sprintf("expected %s, got %s", res.Expected, res.Observed.describe()) {
			fmt.Fprintf(&b, "why:       %s\n", res.Reason)
		}
	}
	for _, line := range res.Misread {
		fmt.Fprintf(&b, "misread:   %s\n", line)
	}
	if res.Canary != nil && res.Canary.Class != delivery.ClassNone {
		fmt.Fprintf(&b, "canary:    %s\n", res.Canary.summary())
	}
	if res.Reproduce != "" {
		fmt.Fprintf(&b, "reproduce: %s\n", res.Reproduce)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// summary describes the answer and the start of its body on one line.
func (o Observation) summary() string {
	s := o.describe()
	if body := oneLine(o.Body, 160); body != "" {
		s += ": " + body
	}
	return s
}

// oneLine shortens s to at most n runes on one line.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// JUnit XML, as CI systems read it: one testsuite per group, one testcase per case.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Skipped  int          `xml:"skipped,attr"`
		Time     string       `xml:"time,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name       string          `xml:"name,attr"`
		Tests      int             `xml:"tests,attr"`
		Failures   int             `xml:"failures,attr"`
		Errors     int             `xml:"errors,attr"`
		Skipped    int             `xml:"skipped,attr"`
		Time       string          `xml:"time,attr"`
		Timestamp  string          `xml:"timestamp,attr,omitempty"`
		Properties []junitProperty `xml:"properties>property,omitempty"`
		Cases      []junitCase     `xml:"testcase"`
	}
	junitProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	junitCase struct {
		ClassName string        `xml:"classname,attr"`
		Name      string        `xml:"name,attr"`
		Time      string        `xml:"time,attr"`
		Failure   *junitFailure `xml:"failure,omitempty"`
		Skipped   *junitSkipped `xml:"skipped,omitempty"`
	}
	junitFailure struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
	junitSkipped struct {
		Message string `xml:"message,attr"`
	}
)

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// WriteJSON writes the whole report as indented JSON, as wahook conform --json does.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // reasons quote bodies and status lines, which read better unescaped
	return enc.Encode(r)
}

// WriteJUnit writes the report as JUnit XML: a testsuite per group with its counts, a testcase per
// case (classname the group, name the id), a failure with expected and observed, or a skipped.
func (r *Report) WriteJUnit(w io.Writer) error {
	doc := junitSuites{Name: fmt.Sprintf("wahook conform %s (%s)", r.Provider, r.Profile), Time: seconds(r.Duration)}
	for _, g := range Groups() {
		suite := junitSuite{
			Name:      string(g),
			Timestamp: r.Started.Format("2006-01-02T15:04:05"),
			Properties: []junitProperty{
				{"target", r.Target}, {"provider", string(r.Provider)}, {"profile", string(r.Profile)}, {"seed", fmt.Sprint(r.Seed)},
			},
		}
		var total time.Duration
		for _, res := range r.Results {
			if res.Group != g {
				continue
			}
			c := junitCase{ClassName: string(g), Name: res.ID, Time: seconds(res.Duration)}
			switch res.Outcome {
			case Fail:
				c.Failure = &junitFailure{Message: res.Reason, Type: "expected " + res.Expected, Text: r.Details(res)}
				suite.Failures++
			case Skip:
				c.Skipped = &junitSkipped{Message: res.Reason}
				suite.Skipped++
			}
			total += res.Duration
			suite.Tests++
			suite.Cases = append(suite.Cases, c)
		}
		if suite.Tests == 0 {
			continue
		}
		suite.Time = seconds(total)
		doc.Tests += suite.Tests
		doc.Failures += suite.Failures
		doc.Skipped += suite.Skipped
		doc.Suites = append(doc.Suites, suite)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}
