package fuzz

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/wahook/wahook/internal/htmlreport"
)

// WriteHTML writes the report as one self-contained HTML page, as wahook fuzz --html does: the run's
// totals, a timeline of inputs per second with the moment of each finding, and every finding with its
// minimised payload (the field it turns on marked), the first input that hit it and the receiver's
// answer. Like conformance's report it needs no network and runs no script but its copy button's,
// and escapes every payload and answer.
func (r *Report) WriteHTML(w io.Writer) error {
	return htmlreport.Write(w, fuzzPage, r.htmlView())
}

//go:embed html/report.html
var fuzzSource string

var fuzzPage = template.Must(template.New("fuzz").Funcs(htmlreport.Funcs()).Parse(fuzzSource))

type fuzzView struct {
	*Report
	Elapsed  string
	Rate     string
	Findings []fuzzFinding
	// Timeline is an SVG polyline of inputs per second; Marks are the findings on it.
	Width, Height int
	Points        string
	Peak          uint64
	Marks         []fuzzMark
}

type fuzzFinding struct {
	*Finding
	Number              int
	Anchor              string
	Minimised, Original template.HTML
	Marked              string
	Reproduce           string
	FoundAt             string
}

type fuzzMark struct {
	X      int
	Anchor string
	Label  string
}

func (r *Report) htmlView() fuzzView {
	v := fuzzView{Report: r, Elapsed: r.Elapsed.Round(time.Millisecond).String(), Rate: fmt.Sprintf("%.0f", r.Rate), Height: 100}
	for i, fd := range r.Findings {
		f := fuzzFinding{Finding: fd, Number: i + 1, Anchor: htmlreport.Anchor("finding", fmt.Sprint(i+1)), FoundAt: fd.Found.Round(time.Millisecond).String()}
		mark := ""
		if strings.HasPrefix(fd.Trigger, "/") {
			mark = fd.Trigger
		}
		var marked bool
		minimised := fd.Minimised
		if minimised == nil {
			minimised = fd.Original
		}
		f.Minimised, marked = htmlreport.JSON(minimised, mark)
		if marked {
			f.Marked = mark
		}
		f.Original, _ = htmlreport.JSON(fd.Original, "")
		if fd.Dir != "" {
			f.Reproduce = "sh " + filepath.Join(fd.Dir, "reproduce.sh")
		}
		v.Findings = append(v.Findings, f)
	}
	// Inputs per second, from the running totals; the last second may be part of one. A short run
	// is stretched to a readable width, a long one squeezed to at least 2 px a second.
	step := min(60, max(2, 600/max(1, len(r.Timeline))))
	var prev uint64
	var pts []string
	rates := make([]uint64, len(r.Timeline))
	for i, t := range r.Timeline {
		rates[i] = t.Sent - prev
		prev = t.Sent
		v.Peak = max(v.Peak, rates[i])
	}
	for i, t := range r.Timeline {
		y := v.Height
		if v.Peak > 0 {
			y = v.Height - int(rates[i]*uint64(v.Height)/v.Peak)
		}
		pts = append(pts, fmt.Sprintf("%d,%d", t.Second*step, y))
	}
	v.Points = strings.Join(pts, " ")
	v.Width = max(len(r.Timeline)*step, 60)
	for i, fd := range r.Findings {
		v.Marks = append(v.Marks, fuzzMark{X: int(fd.Found/time.Second) * step, Anchor: v.Findings[i].Anchor, Label: fd.Signature})
	}
	return v
}
