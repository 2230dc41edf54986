package fuzz

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/wahook/wahook/mockprovider/delivery"
	"github.com/wahook/wahook/schemas"
)

// record counts an input with a crash-class outcome; the first of each signature is confirmed,
// minimised and written out.
func (f *fuzzer) record(ctx context.Context, in Input, outcome Outcome, a delivery.Attempt) {
	trigger := triggerOf(in)
	status := a.Status
	sig := fmt.Sprintf("%s/%d/%s", outcome, status, trigger)
	if fd, ok := f.seen[sig]; ok {
		fd.Hits++
		return
	}
	fd := &Finding{
		Signature: sig, Outcome: outcome, Status: status, Trigger: trigger, Origin: in.Origin,
		Index: in.Index, Seed: f.opts.Seed, Hits: 1, ContentType: in.ContentType,
		Header: f.requestHeader(in.ContentType), Original: in.Body, Minimised: in.Body,
		Response: string(a.Body[:min(len(a.Body), 512)]),
	}
	f.seen[sig] = fd
	if outcome != OutcomeDied && ctx.Err() == nil {
		reproduces := func(body []byte) bool { return f.reproduces(ctx, fd, body) }
		fd.Confirmed = reproduces(in.Body)
		if fd.Confirmed {
			fd.Minimised = minimise(in.Body, reproduces, f.budget(outcome))
		}
	}
	fd.essence = essenceOf(fd)
	for _, other := range f.report.Findings {
		if other.Outcome == fd.Outcome && other.Status == fd.Status && other.essence.overlaps(fd.essence) {
			other.Hits++ // the same defect reached another way: one reproducer per defect
			f.seen[sig] = other
			return
		}
	}
	f.report.Findings = append(f.report.Findings, fd)
	if err := f.write(fd); err != nil {
		fd.Dir = "not written: " + err.Error()
	}
}

// essence is what makes two findings with different triggers one defect, judged on their minimised
// payloads: the same leaf values (a receiver that crashes on a character wherever it appears), or the
// same shape (a receiver that refuses a quirk form whatever else the payload varies).
type essence struct {
	leaves string // the minimised payload's scalar values, sorted
	shape  string // the minimised payload's keys and value types
}

func (e essence) overlaps(o essence) bool {
	return e.leaves != "" && e.leaves == o.leaves || e.shape != "" && e.shape == o.shape
}

func essenceOf(fd *Finding) essence {
	doc, err := schemas.Decode(fd.Minimised)
	if err != nil {
		return essence{}
	}
	var leaves []string
	collectLeaves(doc, &leaves)
	sort.Strings(leaves)
	return essence{leaves: strings.Join(leaves, "\x00"), shape: shapeOf(doc)}
}

func collectLeaves(doc any, out *[]string) {
	switch d := doc.(type) {
	case map[string]any:
		for _, v := range d {
			collectLeaves(v, out)
		}
	case []any:
		for _, v := range d {
			collectLeaves(v, out)
		}
	default:
		if b, err := json.Marshal(d); err == nil {
			*out = append(*out, string(b))
		}
	}
}

// shapeOf writes a document's structure with its leaves replaced by their JSON types.
func shapeOf(doc any) string {
	switch d := doc.(type) {
	case map[string]any:
		keys := make([]string, 0, len(d))
		for k := range d {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = strconv.Quote(k) + ":" + shapeOf(d[k])
		}
		return "{" + strings.Join(parts, ",") + "}"
	case []any:
		parts := make([]string, len(d))
		for i, v := range d {
			parts[i] = shapeOf(v)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	return schemas.JSONType(doc)
}

func (f *fuzzer) budget(o Outcome) int {
	if o == OutcomeTimeout { // each try costs a whole timeout
		return min(f.opts.MinimiseBudget, 8)
	}
	return f.opts.MinimiseBudget
}

// reproduces sends body as the finding's input was sent and reports whether the outcome is the same.
func (f *fuzzer) reproduces(ctx context.Context, fd *Finding, body []byte) bool {
	if ctx.Err() != nil {
		return false
	}
	rep, _ := f.engine.Run(ctx, []delivery.Payload{{ID: "reproduce", Body: body, ContentType: fd.ContentType}})
	if len(rep.Results) == 0 {
		return false
	}
	a, ok := rep.Results[0].Last()
	if !ok || a.Class == delivery.ClassCancelled {
		return false
	}
	outcome, crash := f.classify(Input{Body: body, ContentType: fd.ContentType}, a)
	return crash && outcome == fd.Outcome && a.Status == fd.Status
}

func (f *fuzzer) requestHeader(contentType string) map[string][]string {
	h := map[string][]string{}
	for k, v := range f.header {
		h[k] = slices.Clone(v)
	}
	if contentType == "" {
		contentType = delivery.DefaultContentType
	}
	h["Content-Type"] = []string{contentType}
	return h
}

// triggerOf names what an input varied in terms that do not depend on how it was made: a payload
// that does not decode is classed by why (so every broken-JSON input of a receiver that 500s on bad
// JSON shares one signature); one that decodes is named by the first JSON path where it departs from
// its valid base, with array indices normalised.
func triggerOf(in Input) string {
	doc, err := schemas.Decode(in.Body)
	if err != nil {
		for _, e := range []error{schemas.ErrEmpty, schemas.ErrTooLarge, schemas.ErrTooDeep, schemas.ErrNotUTF8, schemas.ErrDuplicateKey} {
			if errors.Is(err, e) {
				return "input:" + strings.ReplaceAll(e.Error(), " ", "-")
			}
		}
		return "input:not-json"
	}
	if _, ok := doc.(map[string]any); !ok {
		return "input:not-an-object"
	}
	if in.Base == nil { // a catalogue mutation: its id, or the field it edits, names it
		return in.Trigger
	}
	base, err := schemas.Decode(in.Base)
	if err != nil {
		return in.Trigger
	}
	if ptr, differs := firstDifference(base, doc, ""); differs {
		return normalise(ptr)
	}
	return in.Trigger // same document, other headers (such as a Content-Type mutation)
}

// firstDifference returns the pointer of the first place, in key order, where b departs from a.
func firstDifference(a, b any, ptr string) (string, bool) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := make([]string, 0, len(am)+len(bm))
		for k := range am {
			keys = append(keys, k)
		}
		for k := range bm {
			if _, ok := am[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			av, inA := am[k]
			bv, inB := bm[k]
			child := ptr + "/" + strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
			if inA != inB {
				return child, true
			}
			if p, differs := firstDifference(av, bv, child); differs {
				return p, true
			}
		}
		return "", false
	}
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if aok && bok {
		for i := range max(len(as), len(bs)) {
			child := fmt.Sprintf("%s/%d", ptr, i)
			if i >= len(as) || i >= len(bs) {
				return child, true
			}
			if p, differs := firstDifference(as[i], bs[i], child); differs {
				return p, true
			}
		}
		return "", false
	}
	if reflect.DeepEqual(a, b) {
		return "", false
	}
	return ptr, true
}

// write saves the finding's reproducer under Out, in a directory named after its signature.
func (f *fuzzer) write(fd *Finding) error {
	name := fmt.Sprintf("%02d-%s-%s", len(f.report.Findings), fd.Outcome, slug(fd.Trigger))
	dir := filepath.Join(f.opts.Out, name)
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return fmt.Errorf("reproducer: %w", err)
	}
	meta, err := json.MarshalIndent(fd, "", "  ")
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"payload.json":  fd.Minimised,
		"original.json": fd.Original,
		"headers.txt":   []byte(headerLines(fd.Header)),
		"reproduce.sh":  []byte(curlScript(f.opts.Target, fd)),
		"finding.json":  append(meta, '\n'),
	}
	for file, b := range files {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(file, ".sh") {
			mode = 0o755
		}
		if err := os.WriteFile(filepath.Join(tmp, file), b, mode); err != nil {
			return fmt.Errorf("reproducer: %w", err)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("reproducer: %w", err)
	}
	fd.Dir = dir
	return nil
}

func headerLines(h map[string][]string) string {
	var lines []string
	for k, vs := range h {
		for _, v := range vs {
			lines = append(lines, k+": "+v)
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

// curlScript is a ready command that sends the minimised payload with the same headers and prints
// the status.
func curlScript(target string, fd *Finding) string {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	fmt.Fprintf(&b, "# %s: %s (trigger %s)\n", fd.Outcome, describeOutcome(fd), fd.Trigger)
	b.WriteString("cd \"$(dirname \"$0\")\" || exit 2\n")
	fmt.Fprintf(&b, "curl -sS -o /dev/null -w '%%{http_code}\\n' --max-time 30 -X POST %s", shellQuote(target))
	keys := make([]string, 0, len(fd.Header))
	for k := range fd.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range fd.Header[k] {
			fmt.Fprintf(&b, " \\\n  -H %s", shellQuote(k+": "+v))
		}
	}
	b.WriteString(" \\\n  --data-binary @payload.json\n")
	return b.String()
}

func describeOutcome(fd *Finding) string {
	switch fd.Outcome {
	case Outcome5xx:
		return fmt.Sprintf("the receiver answered %d", fd.Status)
	case OutcomeRejectedValid:
		return fmt.Sprintf("the receiver answered %d to a payload the provider can send", fd.Status)
	case OutcomeTimeout:
		return "no answer within the timeout"
	case OutcomeDropped:
		return "the connection closed without an answer"
	}
	return "the receiver stopped answering"
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func slug(s string) string {
	out := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '_'
	}, strings.TrimPrefix(s, "/"))
	if len(out) > 60 {
		out = out[:60]
	}
	if out == "" {
		out = "root"
	}
	return out
}
