// Package htmlreport holds what wahook's HTML reports share: the page's style and its one script (a
// copy button) with the hash a Content-Security-Policy allows it by, JSON laid out for reading with one
// field marked, and anchors that no hostile string can break out of. The reports themselves are
// html/template pages of the conformance suite and the fuzzer, which escape everything they show.
package htmlreport

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
	"unicode/utf8"
)

//go:embed copy.js
var copyScript string

//go:embed style.css
var style string

// Write renders page with data into w whole or not at all: a template that fails part-way writes
// nothing.
func Write(w io.Writer, page *template.Template, data any) error {
	var buf bytes.Buffer
	if err := page.Execute(&buf, data); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// Funcs are the template functions a report page uses: copyScript and style (to inline), scriptHash
// (for its Content-Security-Policy), and barsWidth (an SVG histogram's width for n bars).
func Funcs() template.FuncMap {
	sum := sha256.Sum256([]byte(copyScript))
	hash := "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
	return template.FuncMap{
		"copyScript": func() template.JS { return template.JS(copyScript) },
		"style":      func() template.CSS { return template.CSS(style) },
		"scriptHash": func() string { return hash },
		"barsWidth":  func(n int) int { return max(1, n) * 32 },
	}
}

// Anchor makes an id attribute from parts: letters, digits and dashes only, so that no case id or
// message type can break out of it, and unique for distinct parts.
func Anchor(parts ...string) string {
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

// JSON lays body out indented, escaped for HTML, with the value at mark in a <mark>. A body that
// is not one JSON value is shown as it is (invalid UTF-8 replaced), escaped.
func JSON(body []byte, mark string) (template.HTML, bool) {
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
