package message

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Difference is one field where a receiver's understanding differs from the message sent: Path is
// its JSON pointer in the model's JSON form, Sent and Got the two values as JSON text; Got is ""
// when the receiver has nothing there.
type Difference struct {
	Path string
	Sent string
	Got  string
}

// String is the failure line: `/media/caption: sent "Graceful", receiver has ""`.
func (d Difference) String() string {
	got := d.Got
	if got == "" {
		got = "nothing"
	}
	return fmt.Sprintf("%s: sent %s, receiver has %s", d.Path, d.Sent, got)
}

// Diff compares what a receiver understood (got) with the message sent, field by field, and returns
// one Difference per field that differs, in the model's field order. Instants are compared as
// instants, numbers as numbers (a number written as a string too), strings exactly, with no Unicode
// normalisation. A field the message has and got lacks differs, unless its pointer is in ignore or
// under one there ("/media/caption", "/contacts"). Of the fields got has beyond the message's, only a
// true flag is judged: the model leaves a false flag out, so a receiver that reports one true has
// read false (or "false") as true; other extra fields are not judged.
func Diff(sent, got Message, ignore []string) []Difference {
	g, err := json.Marshal(got)
	if err != nil {
		return []Difference{{Path: "", Sent: "a message", Got: "one that does not encode: " + err.Error()}}
	}
	ds, _ := DiffJSON(sent, g, ignore)
	return ds
}

// DiffJSON is Diff for a receiver's report in the model's JSON form, as an inspect endpoint answers
// it. Its error says got is not a JSON object.
func DiffJSON(sent Message, got []byte, ignore []string) ([]Difference, error) {
	var g map[string]any
	if err := json.Unmarshal(got, &g); err != nil {
		return nil, fmt.Errorf("the receiver's report is not the model's JSON: %w", err)
	}
	s, err := json.Marshal(sent)
	if err != nil {
		return nil, fmt.Errorf("encode the message sent: %w", err)
	}
	var want map[string]any
	if err := json.Unmarshal(s, &want); err != nil {
		return nil, fmt.Errorf("decode the message sent: %w", err)
	}
	d := differ{ignore: ignore}
	d.object("", want, g, fieldOrder(s))
	return d.out, nil
}

type differ struct {
	ignore []string
	out    []Difference
}

func (d *differ) ignored(path string) bool {
	return slices.ContainsFunc(d.ignore, func(p string) bool {
		p = strings.TrimSuffix(p, "/")
		return path == p || strings.HasPrefix(path, p+"/")
	})
}

func (d *differ) add(path string, sent, got any, present bool) {
	g := ""
	if present {
		g = text(got)
	}
	d.out = append(d.out, Difference{Path: path, Sent: text(sent), Got: g})
}

// object compares the members of want, in order, with those of got.
func (d *differ) object(path string, want, got map[string]any, order []string) {
	for _, k := range order {
		w, ok := want[k]
		if !ok {
			continue
		}
		p := path + "/" + escape(k)
		g, present := got[k]
		d.value(p, w, g, present)
	}
	for _, k := range sortedKeys(got) {
		if _, sent := want[k]; !sent && got[k] == true && !d.ignored(path+"/"+escape(k)) {
			d.add(path+"/"+escape(k), false, true, true)
		}
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (d *differ) value(path string, want, got any, present bool) {
	if d.ignored(path) {
		return
	}
	if !present || got == nil {
		d.add(path, want, got, present && got != nil)
		return
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			d.add(path, want, got, true)
			return
		}
		b, _ := json.Marshal(w)
		d.object(path, w, g, fieldOrder(b))
	case []any:
		g, ok := got.([]any)
		if !ok {
			d.add(path, want, got, true)
			return
		}
		if len(g) != len(w) {
			d.out = append(d.out, Difference{Path: path, Sent: items(len(w)), Got: items(len(g))})
		}
		for i := range min(len(w), len(g)) {
			d.value(path+"/"+strconv.Itoa(i), w[i], g[i], true)
		}
	case float64:
		if !sameNumber(w, got) {
			d.add(path, want, got, true)
		}
	case string:
		if path == "/sentAt" && sameInstant(w, got) {
			return
		}
		if g, ok := got.(string); !ok || g != w {
			d.add(path, want, got, true)
		}
	default: // bool
		if got != want {
			d.add(path, want, got, true)
		}
	}
}

func sameNumber(want float64, got any) bool {
	switch g := got.(type) {
	case float64:
		return g == want
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(g), 64)
		return err == nil && f == want
	}
	return false
}

func sameInstant(want string, got any) bool {
	g, ok := got.(string)
	if !ok {
		return false
	}
	a, err1 := time.Parse(time.RFC3339Nano, want)
	b, err2 := time.Parse(time.RFC3339Nano, g)
	return err1 == nil && err2 == nil && a.Equal(b)
}

func items(n int) string {
	if n == 1 {
		return "1 item"
	}
	return strconv.Itoa(n) + " items"
}

// text is v as JSON text, for failure lines.
func text(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 80 {
		b = append(b[:77:77], "..."...)
	}
	return string(b)
}

// escape writes a member name as a JSON pointer token.
func escape(k string) string {
	return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}

// fieldOrder lists the member names of the JSON object b in the order written, so that differences
// come in the model's field order rather than a map's.
func fieldOrder(b []byte) []string {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return keys
		}
		k, _ := t.(string) // a member name, always, in an object
		keys = append(keys, k)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return keys
		}
	}
	return keys
}
