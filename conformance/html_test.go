package conformance_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/wahook/wahook/conformance"
	"github.com/wahook/wahook/internal/hooktest"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// hostileAnswer is what a receiver under test may answer: markup that would run if the report did
// not escape it, a line separator, and bytes that are not UTF-8.
const hostileAnswer = "</script><script>window.pwned=1</script><img src=x onerror=\"window.pwned=1\">\u2028\xff\xfe"

// failingRun is a report of a receiver that answers 500 with hostileAnswer to every text message and
// acks the rest, over the valid and reject cases of text and image messages.
func failingRun(t *testing.T) *conformance.Report {
	t.Helper()
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body bytes.Buffer
		_, _ = body.ReadFrom(r.Body)
		if bytes.Contains(body.Bytes(), []byte(`"type":"text"`)) {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(hostileAnswer))
		}
	}))
	return execute(t, conformance.Config{Target: mockprovider.Target{URL: srv.URL, Provider: schemas.ITNIOTech},
		Run: `^valid/itniotech/(text|image)/[0-9]$|^documented/itniotech/(text|image)|^reject/itniotech/wrong-type\.message\.(text\.body|image\.id)`})
}

// TestHTMLReport parses the HTML report of a failing run: its matrix (against a golden file of its
// cells, the structure and not the bytes), the failed cases with the highlighted field, no script
// but the report's own, no event handler, and the receiver's hostile answer as text.
func TestHTMLReport(t *testing.T) {
	report := failingRun(t)
	require.NotZero(t, report.Summary.Failed)
	var page bytes.Buffer
	require.NoError(t, report.WriteHTML(&page))
	doc, err := html.Parse(bytes.NewReader(page.Bytes()))
	require.NoError(t, err)

	var cells, failed []string
	scripts, marks := 0, 0
	var answers []string
	walk(doc, func(n *html.Node) {
		for _, a := range n.Attr {
			assert.False(t, strings.HasPrefix(strings.ToLower(a.Key), "on"), "no event handler attribute: <%s %s=%q>", n.Data, a.Key, a.Val)
		}
		switch {
		case n.Data == "script":
			scripts++
		case n.Data == "img":
			t.Errorf("an <img> element from the receiver's answer")
		case n.Data == "td" && attr(n, "data-group") != "":
			cells = append(cells, fmt.Sprintf("%s %s: %s passed, %s failed, %s skipped (%s)", attr(n, "data-type"), attr(n, "data-group"),
				attr(n, "data-pass"), attr(n, "data-fail"), attr(n, "data-skip"), attr(n, "class")))
		case n.Data == "section" && attr(n, "class") == "case":
			failed = append(failed, text(n.FirstChild.NextSibling))
		case n.Data == "mark":
			marks++
		case n.Data == "pre" && attr(n, "class") == "answer":
			answers = append(answers, text(n))
		}
	})
	assert.Equal(t, 1, scripts, "the copy button's script alone")
	assert.Positive(t, marks, "the field a wrong-type mutation changed is highlighted")
	require.NotEmpty(t, answers)
	assert.Contains(t, answers[0], "</script><script>window.pwned=1</script>", "the answer shows as text")
	golden(t, "html_report.golden", strings.Join(cells, "\n")+"\n\nfailed:\n"+strings.Join(failed, "\n")+"\n")
}

// TestMarkdownSummary checks the summary of the failing run against a golden file, with the run's
// temporary paths and durations taken out; the hostile answer cannot add markup.
func TestMarkdownSummary(t *testing.T) {
	report := failingRun(t)
	var md bytes.Buffer
	require.NoError(t, report.WriteMarkdown(&md))
	out := strings.ReplaceAll(md.String(), report.PayloadDir, "PAYLOADS")
	out = strings.ReplaceAll(out, report.Target, "TARGET")
	out = strings.Replace(out, report.Duration.Round(time.Millisecond).String()+".", "DURATION.", 1)
	assert.NotContains(t, out, "<script>")
	golden(t, "summary.golden.md", out)
}

// TestHTMLReportInBrowser opens the report of a failing run from disk in headless Chromium and reads
// the matrix through the DOM: its cells say what the report says, the failures are listed, and no
// script from the receiver's answers or the payloads ran.
func TestHTMLReportInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("SKIPPED, not passed: no chromium on PATH (.ci/run installs Debian's chromium; apt-get install chromium)")
	}
	report := failingRun(t)
	file := filepath.Join(t.TempDir(), "report.html")
	var page bytes.Buffer
	require.NoError(t, report.WriteHTML(&page))
	require.NoError(t, os.WriteFile(file, page.Bytes(), 0o644))

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1100, 1000))
	actx, cancel := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// The first call starts the browser and must not carry a timeout, which would stop it.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("file://"+file)))
	ctx, cancel = context.WithTimeout(ctx, time.Minute)
	defer cancel()
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible("#matrix")))
	failedCells, err := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll("#matrix td[data-fail]")].reduce((n, td) => n + Number(td.dataset.fail), 0)`))
	require.NoError(t, err)
	failedCases, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("section.case").length`))
	require.NoError(t, err)
	pwned, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.pwned === 1`))
	require.NoError(t, err)
	failedText, err := chromedp.Run(ctx, chromedp.Text("#failed"))
	require.NoError(t, err)
	if *update {
		shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		require.NoError(t, err)
		require.NoError(t, os.WriteFile("../docs/conform-report.png", shot, 0o644))
	}
	assert.Equal(t, report.Summary.Failed, failedCells, "the matrix's cells count every failure")
	assert.Equal(t, report.Summary.Failed, failedCases, "a section per failed case")
	assert.Equal(t, fmt.Sprintf("%d failed", report.Summary.Failed), failedText)
	assert.False(t, pwned, "no script from the receiver's answer ran")
}

func walk(n *html.Node, f func(*html.Node)) {
	if n.Type == html.ElementNode {
		f(n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func text(n *html.Node) string {
	var b strings.Builder
	var rec func(*html.Node)
	rec = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			rec(c)
		}
	}
	rec(n)
	return b.String()
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run %s -update to write it", t.Name())
	assert.Equal(t, string(want), got)
}

// TestHTMLReportMisread: a cell counts the cases whose receiver acked and misread the message, which
// a status alone would pass.
func TestHTMLReportMisread(t *testing.T) {
	rec := &hooktest.Misreader{Provider: schemas.ITNIOTech, Spoil: hooktest.DropCaptions, AckBody: true}
	report := execute(t, conformance.Config{Target: mockprovider.Target{URL: serve(t, rec).URL, Provider: schemas.ITNIOTech}, Run: "^documented/itniotech/(image|text)$"})
	var page bytes.Buffer
	require.NoError(t, report.WriteHTML(&page))
	doc, err := html.Parse(&page)
	require.NoError(t, err)
	misread := map[string]string{}
	walk(doc, func(n *html.Node) {
		if n.Data == "td" && attr(n, "data-group") != "" {
			misread[attr(n, "data-type")] = attr(n, "data-misread") + " " + text(n)
		}
	})
	assert.Equal(t, map[string]string{"image": "1 1 failed (1 misread)", "text": "0 1 passed"}, misread)
}
