package conformance

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
)

// maxMarkdownFailures bounds the failed cases the summary lists: GitHub caps a step summary at 1 MiB,
// and the HTML report and JUnit hold every one.
const maxMarkdownFailures = 50

// WriteMarkdown writes a short summary of the run in GitHub-flavoured Markdown, as wahook conform
// --summary-md does for a CI job's summary page ($GITHUB_STEP_SUMMARY): the counts, a table of them
// by group, and the failed cases with why and how to reproduce them. What the receiver said is
// escaped, so that an answer cannot add markup or HTML to the page.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b bytes.Buffer
	verdict := "passed"
	if r.Summary.Failed > 0 {
		verdict = "failed"
	}
	fmt.Fprintf(&b, "## wahook conform %s: %d passed, %d failed, %d skipped\n\n", verdict, r.Summary.Passed, r.Summary.Failed, r.Summary.Skipped)
	fmt.Fprintf(&b, "Target `%s`, provider %s, profile %s, seed %d, %s.\n\n", codeSpan(r.Target), r.Provider, r.Profile, r.Seed, r.Duration.Round(time.Millisecond))
	b.WriteString("| group | passed | failed | skipped |\n|---|---:|---:|---:|\n")
	for _, g := range Groups() {
		var pass, fail, skip int
		for _, res := range r.Results {
			if res.Group != g {
				continue
			}
			switch res.Outcome {
			case Pass:
				pass++
			case Fail:
				fail++
			case Skip:
				skip++
			}
		}
		if pass+fail+skip > 0 {
			fmt.Fprintf(&b, "| %s | %d | %d | %d |\n", g, pass, fail, skip)
		}
	}
	failures := r.Failures()
	if len(failures) > 0 {
		b.WriteString("\n### Failed cases\n\n")
	}
	for i, res := range failures {
		if i == maxMarkdownFailures {
			fmt.Fprintf(&b, "\n…and %d more: see the HTML report or the JUnit file.\n", len(failures)-i)
			break
		}
		fmt.Fprintf(&b, "- `%s`: %s\n", codeSpan(res.ID), escapeMarkdown(res.Reason))
		for _, line := range res.Misread {
			fmt.Fprintf(&b, "  - misread: %s\n", escapeMarkdown(line))
		}
		if res.Reproduce != "" {
			fmt.Fprintf(&b, "\n  ```sh\n  %s\n  ```\n", strings.ReplaceAll(res.Reproduce, "```", "` ` `"))
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// escapeMarkdown makes s plain text in Markdown: no emphasis, links, code, tables or HTML, on one line.
func escapeMarkdown(s string) string {
	var b strings.Builder
	for _, c := range oneLine(s, 400) {
		switch c {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\\', '`', '*', '_', '[', ']', '|', '#', '~', '!':
			b.WriteByte('\\')
			b.WriteRune(c)
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// codeSpan makes s safe inside a single-backtick code span.
func codeSpan(s string) string { return strings.ReplaceAll(oneLine(s, 400), "`", "'") }
