package conformance

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// WriteHTML writes the report as one self-contained HTML page, as wahook conform --html does: the run's
// header, a matrix of message types against groups whose cells link to their cases, each failed case
// with its payload (read from PayloadDir, the field a mutation changed highlighted), the answer and a
// reproduce command with a copy button, and a latency histogram per group. It needs no network: CSS
// and SVG are inline, and its one script, the copy button's, is allowed by hash in a
// Content-Security-Policy that lets no other run. Everything the receiver answered and every payload
// is escaped, as the hostile input it may be.
func (r *Report) WriteHTML(w io.Writer) error {
	var buf bytes.Buffer
	if err := htmlPage.Execute(&buf, r.htmlView()); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

//go:embed html/report.html
var htmlSource string

//go:embed html/copy.js
var copyScript string

var htmlPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"copyScript": func() template.JS { return template.JS(copyScript) },
	"barsWidth":  func(n int) int { return max(1, n) * 32 },
	"scriptHash": func() string {
		sum := sha256.Sum256([]byte(copyScript))
		return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
	},
}).Parse(htmlSource))

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
			row.Cells = append(row.Cells, htmlCell{Anchor: anchor("cell", string(g), t), Type: t, Group: g})
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
		hc := htmlCase{Result: res, Anchor: anchor("case", res.ID), Took: res.Duration.Round(time.Microsecond).String()}
		switch res.Outcome {
		case Pass:
			c.Pass++
		case Fail:
			c.Fail++
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
		v.Slowest = append(v.Slowest, htmlCase{Result: res, Anchor: anchor("case", res.ID), Took: res.Duration.Round(time.Microsecond).String()})
	}
	return v
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// anchor makes an id attribute from parts: letters, digits and dashes only, so that no case id or
// message type can break out of it, and unique for distinct parts.
func anchor(parts ...string) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteString("--")
		}
		for _, c := range []byte(p) {
			if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, "-%02x", c)
			}
		}
	}
	return b.String()
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
			p.Body, marked = prettyJSON(body, mark)
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

// prettyJSON lays body out indented, escaped for HTML, with the value at mark in a <mark>. A body that
// is not one JSON value is shown as it is (invalid UTF-8 replaced), escaped.
func prettyJSON(body []byte, mark string) (template.HTML, bool) {
	var b strings.Builder
	marked := false
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type frame struct {
		object bool
		n      int    // members so far
		key    string // the pending key of an object
		path   string
	}
	var stack []frame
	indent := func() { b.WriteString("\n" + strings.Repeat("  ", len(stack))) }
	esc := func(s string) { b.WriteString(template.HTMLEscapeString(s)) }
	writeValue := func(tok json.Token) {
		switch t := tok.(type) {
		case string:
			q, _ := json.Marshal(t)
			esc(string(q))
		case json.Number:
			esc(t.String())
		case bool:
			esc(fmt.Sprint(t))
		case nil:
			esc("null")
		}
	}
	fail := func() (template.HTML, bool) {
		return template.HTML(template.HTMLEscapeString(strings.ToValidUTF8(string(body), "\uFFFD"))), false
	}
	if !utf8.Valid(body) || !json.Valid(body) {
		return fail()
	}
	markDepth := -1
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail()
		}
		// Where the token sits: a key of an object, or a value.
		path := ""
		if n := len(stack); n > 0 {
			top := &stack[n-1]
			if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
				stack = stack[:n-1]
				if top.n > 0 {
					indent()
				}
				esc(string(d))
				if markDepth == len(stack) {
					b.WriteString("</mark>")
					markDepth = -1
				}
				continue
			}
			if top.object && top.key == "" {
				key, _ := tok.(string)
				if top.n > 0 {
					b.WriteString(",")
				}
				indent()
				q, _ := json.Marshal(key)
				esc(string(q) + ": ")
				top.key = key
				top.n++
				continue
			}
			if top.object {
				path = top.path + "/" + strings.ReplaceAll(strings.ReplaceAll(top.key, "~", "~0"), "/", "~1")
				top.key = ""
			} else {
				if top.n > 0 {
					b.WriteString(",")
				}
				indent()
				path = fmt.Sprintf("%s/%d", top.path, top.n)
				top.n++
			}
		}
		open := mark != "" && path == mark && !marked
		if open {
			b.WriteString(`<mark id="marked">`)
			marked = true
		}
		if d, ok := tok.(json.Delim); ok {
			esc(string(d))
			stack = append(stack, frame{object: d == '{', path: path})
			if open {
				markDepth = len(stack) - 1
			}
			continue
		}
		writeValue(tok)
		if open {
			b.WriteString("</mark>")
		}
	}
	return template.HTML(b.String()), marked
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
