package conformance

import (
	"cmp"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/wahook/wahook/internal/htmlreport"
)

// WriteHTML writes the report as one self-contained HTML page, as wahook conform --html does: the run's
// header, a matrix of message types against groups whose cells link to their cases, each failed case
// with its payload (read from PayloadDir, the field a mutation changed highlighted), the answer and a
// reproduce command with a copy button, and a latency histogram per group. It needs no network: CSS
// and SVG are inline, and its one script, the copy button's, is allowed by hash in a
// Content-Security-Policy that lets no other run. Everything the receiver answered and every payload
// is escaped, as the hostile input it may be.
func (r *Report) WriteHTML(w io.Writer) error {
	return htmlreport.Write(w, htmlPage, r.htmlView())
}

//go:embed html/report.html
var htmlSource string

var htmlPage = template.Must(template.New("report").Funcs(htmlreport.Funcs()).Parse(htmlSource))

// htmlView is what the page shows, worked out in Go so that the template only lays it out.
type htmlView struct {
	*Report
	Version   string
	Generated string
	Wall      string
	Groups    []Group
	Rows      []htmlRow
	Failed    []htmlCase
	Cells     []htmlCell // every non-empty cell, for its list of cases
	Latency   []htmlHistogram
	Slowest   []htmlCase
}

type htmlRow struct {
	Type  string
	Cells []htmlCell
}

type htmlCell struct {
	Anchor, Type     string
	Group            Group
	Pass, Fail, Skip int
	Misread          int    // failed cases whose receiver acked but misread the message
	Class            string // pass, fail, skip or empty
	Cases            []htmlCase
}

type htmlCase struct {
	Result
	Anchor   string
	Answer   string // what was observed, in the report's words
	Took     string
	Payloads []htmlPayload
}

type htmlPayload struct {
	File   string
	Body   template.HTML // escaped, with the highlighted field in a <mark>
	Marked string        // the pointer highlighted, "" for none
	Note   string
}

type htmlHistogram struct {
	Group Group
	Bars  []htmlBar
	Max   int
}

type htmlBar struct {
	X, Y, Height int
	Label        string
	Count        int
}

// envelopeRow names the matrix row of cases about no one message type.
const envelopeRow = "(envelope)"

func (r *Report) htmlView() htmlView {
	v := htmlView{Report: r, Version: cmp.Or(r.Version, "dev"), Generated: r.Started.Add(r.Duration).Format(time.RFC3339),
		Wall: r.Duration.Round(time.Millisecond).String()}
	var types []string
	for _, res := range r.Results {
		if t := cmp.Or(res.Type, envelopeRow); !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	slices.SortFunc(types, func(a, b string) int {
		return cmp.Or(cmp.Compare(boolInt(a == envelopeRow), boolInt(b == envelopeRow)), strings.Compare(a, b))
	})
	for _, g := range Groups() {
		if slices.ContainsFunc(r.Results, func(res Result) bool { return res.Group == g }) {
			v.Groups = append(v.Groups, g)
		}
	}
	cells := map[string]*htmlCell{}
	for _, t := range types {
		row := htmlRow{Type: t}
		for _, g := range v.Groups {
			row.Cells = append(row.Cells, htmlCell{Anchor: htmlreport.Anchor("cell", string(g), t), Type: t, Group: g})
		}
		v.Rows = append(v.Rows, row)
	}
	for i := range v.Rows {
		for j := range v.Rows[i].Cells {
			c := &v.Rows[i].Cells[j]
			cells[string(c.Group)+"\x00"+c.Type] = c
		}
	}
	for _, res := range r.Results {
		c := cells[string(res.Group)+"\x00"+cmp.Or(res.Type, envelopeRow)]
		hc := htmlCase{Result: res, Anchor: htmlreport.Anchor("case", res.ID), Took: res.Duration.Round(time.Microsecond).String()}
		switch res.Outcome {
		case Pass:
			c.Pass++
		case Fail:
			c.Fail++
			if len(res.Misread) > 0 {
				c.Misread++
			}
			hc.Answer = "nothing"
			if res.Observed != nil {
				hc.Answer = res.Observed.describe()
			}
			hc.Payloads = r.htmlPayloads(res)
			v.Failed = append(v.Failed, hc)
		case Skip:
			c.Skip++
		}
		c.Cases = append(c.Cases, hc)
	}
	for _, row := range v.Rows {
		for j := range row.Cells {
			c := &row.Cells[j]
			switch {
			case c.Fail > 0:
				c.Class = "fail"
			case c.Pass > 0:
				c.Class = "pass"
			case c.Skip > 0:
				c.Class = "skip"
			}
			if len(c.Cases) > 0 {
				v.Cells = append(v.Cells, *c)
			}
		}
	}
	for _, g := range v.Groups {
		v.Latency = append(v.Latency, r.histogram(g))
	}
	ran := slices.DeleteFunc(slices.Clone(r.Results), func(res Result) bool { return res.Outcome == Skip })
	slices.SortStableFunc(ran, func(a, b Result) int { return cmp.Compare(b.Duration, a.Duration) })
	for _, res := range ran[:min(10, len(ran))] {
		v.Slowest = append(v.Slowest, htmlCase{Result: res, Anchor: htmlreport.Anchor("case", res.ID), Took: res.Duration.Round(time.Microsecond).String()})
	}
	return v
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// maxShownPayload bounds the bytes of one payload the page shows: a 3 MiB body would make it unusable.
const maxShownPayload = 64 << 10

// htmlPayloads reads the payloads of a failed case from the report's payload directory.
func (r *Report) htmlPayloads(res Result) []htmlPayload {
	var out []htmlPayload
	mark := markedPointer(res.Mutation)
	for _, f := range res.Files {
		p := htmlPayload{File: f}
		name := f
		if !filepath.IsAbs(name) {
			name = filepath.Join(r.PayloadDir, f)
		}
		body, err := os.ReadFile(name)
		switch {
		case err != nil:
			p.Note = "not readable: " + err.Error()
		case len(body) > maxShownPayload:
			p.Note = fmt.Sprintf("%d bytes: the first %d shown", len(body), maxShownPayload)
			body = body[:maxShownPayload]
		}
		if err == nil {
			var marked bool
			p.Body, marked = htmlreport.JSON(body, mark)
			if marked {
				p.Marked = mark
			}
		}
		out = append(out, p)
	}
	return out
}

// markedPointer is the JSON pointer a mutation changed, where its id names one ("wrong-type.from.phone").
func markedPointer(mutation string) string {
	if rest, ok := strings.CutPrefix(mutation, "wrong-type."); ok {
		return "/" + strings.ReplaceAll(rest, ".", "/")
	}
	return ""
}

// histogram buckets the wall times of the cases of group g that ran, by powers of two from 1 ms.
func (r *Report) histogram(g Group) htmlHistogram {
	h := htmlHistogram{Group: g}
	var counts []int
	for _, res := range r.Results {
		if res.Group != g || res.Outcome == Skip {
			continue
		}
		b := 0
		if ms := float64(res.Duration) / float64(time.Millisecond); ms > 1 {
			b = int(math.Ceil(math.Log2(ms)))
		}
		for len(counts) <= b {
			counts = append(counts, 0)
		}
		counts[b]++
	}
	const barWidth, height = 28, 80
	for _, n := range counts {
		h.Max = max(h.Max, n)
	}
	for i, n := range counts {
		bar := htmlBar{X: i * (barWidth + 4), Count: n, Label: "≤" + (time.Duration(1<<i) * time.Millisecond).String()}
		if h.Max > 0 {
			bar.Height = n * height / h.Max
		}
		bar.Y = height - bar.Height
		h.Bars = append(h.Bars, bar)
	}
	return h
}
