package fuzz

import (
	"bytes"
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
	"time"

	"github.com/wahook/wahook/delivery"
	"github.com/wahook/wahook/internal/engine"
	"github.com/wahook/wahook/internal/jsoninput"
	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/schemas"
)

// record counts an input with a crash-class outcome. The first of each kind is confirmed and
// minimised (under minCtx: the run's deadline), unless its minimised payload shows it to be a finding
// already made, which it then joins as an example. Findings are written out when the run ends
// (finish), ranked, so that the ones kept are the ones most inputs hit.
func (f *fuzzer) record(ctx, minCtx context.Context, in fuzzInput, outcome Outcome, a delivery.Attempt) error {
	if outcome == OutcomeMisread {
		return f.recordMisread(ctx, minCtx, in, a)
	}
	body := parse(in.Body)
	trigger := triggerOf(in, body)
	if body.err == nil {
		trigger = f.keys.fold(body.doc, trigger)
	}
	status := a.Status
	// A notable trigger value (unusual characters, a long string) keeps two defects of one field
	// apart: a receiver that fails on U+202E in a text and on texts over 3000 bytes has two.
	key := signature(outcome, status, trigger, notableClassAt(body.leaves, trigger))
	if fd, ok := f.seen[key]; ok {
		fd.hit(in.Body)
		return nil
	}
	fd := &Finding{
		Outcome: outcome, Status: status, Trigger: trigger, Origin: in.Origin,
		Index: in.Index, Seed: f.opts.Seed, Hits: 1, ContentType: in.ContentType,
		Header: f.requestHeader(in.ContentType), Original: in.Body, Minimised: in.Body,
		Response: string(a.Body[:min(len(a.Body), 512)]),
	}
	f.seen[key] = fd
	f.confirm(ctx, minCtx, fd, "not confirmed: sent again, it got another answer (a defect that depends on timing or state?)")
	minimised := body
	if !bytes.Equal(fd.Minimised, in.Body) {
		minimised = parse(fd.Minimised)
	}
	fd.Trigger, fd.Class = retrigger(body, trigger, minimised)
	switch {
	case minimised.err != nil:
	case fd.Confirmed && fd.Class == "" && f.keys.hasUndocumented(minimised.doc):
		fd.Trigger = undocumentedKey // the minimiser kept a key the schema does not know: the defect needs it
	default:
		fd.Trigger = f.keys.fold(minimised.doc, fd.Trigger)
	}
	fd.Signature = signature(outcome, status, fd.Trigger, fd.Class)
	fd.essence = essenceOf(minimised)
	if other, ok := f.bySignature[fd.Signature]; ok {
		other.hit(in.Body) // minimised, it is a finding already made
		f.seen[key] = other
		return nil
	}
	for _, other := range f.report.Findings {
		if other.Outcome == fd.Outcome && other.Status == fd.Status && other.essence.overlaps(fd.essence) {
			other.hit(in.Body) // the same defect reached another way: one reproducer per defect
			f.seen[key] = other
			return nil
		}
	}
	return f.add(fd)
}

// add takes fd as a new finding. Its reproducer is written when the run ends; an Out that can no
// longer take one stops the run now, rather than let it go on finding what it cannot keep.
func (f *fuzzer) add(fd *Finding) error {
	fd.Found = time.Since(f.start)
	f.bySignature[fd.Signature] = fd
	f.report.Findings = append(f.report.Findings, fd)
	if err := checkOut(f.opts.Out); err != nil {
		return fmt.Errorf("reproducer: %w", err)
	}
	return nil
}

// maxExamples is how many distinct inputs a finding keeps besides its first.
const maxExamples = 3

// hit counts another input of the finding, and keeps it as an example while it has fewer than
// maxExamples distinct ones.
func (fd *Finding) hit(body []byte) {
	fd.Hits++
	if len(fd.examples) >= maxExamples || bytes.Equal(body, fd.Original) {
		return
	}
	for _, e := range fd.examples {
		if bytes.Equal(e, body) {
			return
		}
	}
	fd.examples = append(fd.examples, body)
}

// recordMisread records an acknowledged input the receiver misread. Its trigger is the first model
// field it got wrong ("/media/caption"), so that each field misread is one finding, however many
// inputs show it. Minimising keeps the inputs on which that field is still misread.
func (f *fuzzer) recordMisread(ctx, minCtx context.Context, in fuzzInput, a delivery.Attempt) error {
	lines := f.misread(ctx, in)
	if len(lines) == 0 {
		return nil // the receiver has caught up since
	}
	field, _, _ := strings.Cut(lines[0], ": ")
	key := signature(OutcomeMisread, a.Status, field, "")
	if fd, ok := f.seen[key]; ok {
		fd.hit(in.Body)
		return nil
	}
	fd := &Finding{
		Outcome: OutcomeMisread, Status: a.Status, Trigger: field, Origin: in.Origin,
		Index: in.Index, Seed: f.opts.Seed, Hits: 1, ContentType: in.ContentType,
		Header: f.requestHeader(in.ContentType), Original: in.Body, Minimised: in.Body,
		Response: string(a.Body[:min(len(a.Body), 512)]), Misread: lines, Signature: key,
	}
	f.seen[key] = fd
	f.confirm(ctx, minCtx, fd, "not confirmed: sent again with a fresh id, it was understood")
	return f.add(fd)
}

// confirm sends fd's input again and, when the outcome repeats, minimises it within minCtx; when
// it does not, or cannot be sent, fd's note says why, unconfirmed says how it went otherwise.
func (f *fuzzer) confirm(ctx, minCtx context.Context, fd *Finding, unconfirmed string) {
	switch {
	case f.dead:
		fd.Note = "not confirmed: the receiver died before it could be sent again"
	case ctx.Err() != nil:
		fd.Note = "not confirmed: the run ended before it could be sent again"
	case f.reproduces(ctx, fd, fd.Original):
		fd.Confirmed = true
		fd.Minimised = minimise(fd.Original, func(body []byte) bool { return f.reproduces(minCtx, fd, body) }, f.budget(fd.Outcome))
	default:
		fd.Note = unconfirmed
	}
}

// withFreshID returns body with a message id never sent before, so that a deduplicating receiver
// processes it again instead of keeping what it understood of the first copy.
func (f *fuzzer) withFreshID(body []byte) []byte {
	doc, err := jsoninput.Decode(body)
	if err != nil {
		return body
	}
	f.freshIDs++
	if jsonpointer.Set(doc, f.prov.IDPointer, fmt.Sprintf("wahook-reproduce-%d-%d", f.opts.Seed, f.freshIDs)) != nil {
		return body
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return body
	}
	return b
}

func signature(outcome Outcome, status int, trigger, class string) string {
	sig := fmt.Sprintf("%s/%d/%s", outcome, status, trigger)
	if class != "" {
		sig += " (" + class + ")"
	}
	return sig
}

// retrigger names a finding by its minimised payload, which may no longer be about what the first
// input (original) varied: an input that was not UTF-8 may minimise to valid JSON whose long text is
// the real trigger; a catalogue mutation that added unknown fields everywhere, or an edit of a field
// the schema requires, may minimise to a payload whose long text is what the receiver refuses. The
// second result is the class of the value named when it is notable.
func retrigger(original parsed, trigger string, minimised parsed) (string, string) {
	if minimised.err != nil {
		return decodeTrigger(minimised.err), ""
	}
	if _, ok := minimised.doc.(map[string]any); !ok {
		return "input:not-an-object", ""
	}
	field := strings.HasPrefix(trigger, "/")
	if class := notableClassAt(minimised.leaves, trigger); field && class != "" {
		return trigger, class // the defect needs the trigger's value
	}
	best, hasLeaf := bestLeaf(minimised.leaves, belowRoot)
	if hasLeaf && best.notable {
		return best.pointer, best.class // it needs a notable value elsewhere
	}
	if field && stillThere(minimised.doc, trigger) {
		return trigger, "" // the field, or the object that had it, is still there: its absence may be the point
	}
	if field && (original.err != nil || !hasPath(original.doc, trigger)) {
		return trigger, "" // a field the input lacked: its absence cannot show in the payload
	}
	if !field && !strings.HasPrefix(trigger, "input:") {
		return trigger, "" // a mutation or a byte operation, with nothing notable left to name it by
	}
	if !hasLeaf {
		return "input:" + schemas.JSONType(minimised.doc), ""
	}
	return best.pointer, "" // the payload's most telling leaf, as nothing better is left
}

// stillThere reports whether doc has the field at the normalised pointer ptr, or the object that
// had it.
func stillThere(doc any, ptr string) bool {
	parent, _, err := jsonpointer.Parent(ptr)
	return hasPath(doc, ptr) || err == nil && parent != "" && hasPath(doc, parent)
}

// essence is what makes two findings with different triggers one defect, judged on their minimised
// payloads: the same notable leaves (a receiver that crashes on a character wherever it appears), or
// the same shape, notable leaves' classes included (a receiver that refuses a quirk form whatever else
// the payload varies, but not one that fails on a character and on a length in one field).
type essence struct {
	leaves string // the minimised payload's notable leaves' classes, sorted; "" when it has none
	shape  string // the minimised payload's keys, and its leaves' types or notable classes
}

func (e essence) overlaps(o essence) bool {
	return e.leaves != "" && e.leaves == o.leaves || e.shape != "" && e.shape == o.shape
}

func essenceOf(minimised parsed) essence {
	if minimised.err != nil {
		return essence{}
	}
	var classes []string
	for _, l := range minimised.leaves {
		if l.notable {
			classes = append(classes, l.class)
		}
	}
	sort.Strings(classes)
	return essence{leaves: strings.Join(classes, "\x00"), shape: shapeOf(minimised.doc)}
}

// shapeOf writes a document's structure with its leaves replaced by their JSON types, or their class
// when notable, and the fields the fuzzer added folded into one name.
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
			parts[i] = strconv.Quote(foldKey(k)) + ":" + shapeOf(d[k])
		}
		return "{" + strings.Join(parts, ",") + "}"
	case []any:
		parts := make([]string, len(d))
		for i, v := range d {
			parts[i] = shapeOf(v)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	if class, notable := leafClass(doc); notable {
		return "<" + class + ">"
	}
	return schemas.JSONType(doc)
}

func (f *fuzzer) budget(o Outcome) int {
	switch o {
	case OutcomeTimeout: // each try costs a whole timeout
		return min(f.opts.MinimiseBudget, 8)
	case OutcomeMisread: // each try is a delivery and an inspection, which may wait for its timeout
		return min(f.opts.MinimiseBudget, 40)
	}
	return f.opts.MinimiseBudget
}

// reproduces sends body as the finding's input was sent and reports whether the outcome is the same.
func (f *fuzzer) reproduces(ctx context.Context, fd *Finding, body []byte) bool {
	if ctx.Err() != nil {
		return false
	}
	if fd.Outcome == OutcomeRejectedValid && !f.sendable(body, fd.ContentType) {
		return false // no request needed: a payload the provider cannot send is not this finding
	}
	if fd.Outcome == OutcomeMisread {
		if !f.sendable(body, fd.ContentType) {
			return false // the finding is about a message the provider sends
		}
		body = f.withFreshID(body)
	}
	rep, _ := f.engine.Run(ctx, []engine.Payload{{ID: "reproduce", Body: body, ContentType: fd.ContentType}})
	if len(rep.Results) == 0 {
		return false
	}
	a, ok := rep.Results[0].Last()
	if !ok || a.Class == delivery.ClassCancelled {
		return false
	}
	in := fuzzInput{Body: body, ContentType: fd.ContentType}
	if fd.Outcome == OutcomeMisread {
		if !a.OK() {
			return false
		}
		lines := f.misread(ctx, in)
		return len(lines) > 0 && strings.HasPrefix(lines[0], fd.Trigger+": ")
	}
	outcome, crash := f.classify(ctx, in, a)
	return crash && outcome == fd.Outcome && a.Status == fd.Status
}

func (f *fuzzer) requestHeader(contentType string) map[string][]string {
	h := map[string][]string{}
	for k, v := range f.header {
		h[k] = slices.Clone(v)
	}
	if contentType == "" {
		contentType = engine.DefaultContentType
	}
	h["Content-Type"] = []string{contentType}
	return h
}

// triggerOf names what an input varied in terms that do not depend on how it was made: a payload
// that does not decode is classed by why (so every broken-JSON input of a receiver that 500s on bad
// JSON shares one signature); one that decodes is named by the first JSON path where it departs from
// its valid base, with array indices normalised. body is in.Body parsed.
func triggerOf(in fuzzInput, body parsed) string {
	if body.err != nil {
		return decodeTrigger(body.err)
	}
	if _, ok := body.doc.(map[string]any); !ok {
		return "input:not-an-object"
	}
	if in.Base == nil { // a catalogue mutation: its id, or the field it edits, names it
		return in.Trigger
	}
	base, err := jsoninput.Decode(in.Base)
	if err != nil {
		return in.Trigger
	}
	if ptr, differs := firstDifference(base, body.doc, ""); differs {
		return normalise(ptr)
	}
	return in.Trigger // same document, other headers (such as a Content-Type mutation)
}

// decodeTrigger names a payload that does not decode by why, in terms shared by every such payload.
func decodeTrigger(err error) string {
	for _, e := range []error{jsoninput.ErrEmpty, jsoninput.ErrTooLarge, jsoninput.ErrTooDeep, jsoninput.ErrNotUTF8, jsoninput.ErrDuplicateKey} {
		if errors.Is(err, e) {
			return "input:" + strings.ReplaceAll(e.Error(), " ", "-")
		}
	}
	return "input:not-json"
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

// recordDeath records the receiver's death. The input that killed it cannot be confirmed on a dead
// receiver, and with several workers it need not be the first failure in the batch: the candidates
// are the inputs it left without an answer when it died, all written out, the first sent as
// payload.json. Exactly one candidate is the killer.
func (f *fuzzer) recordDeath(b batch, results []delivery.Result) error {
	idx, inFlight := deathCandidates(results, f.opts.Workers)
	if len(idx) == 0 {
		return nil // nothing was sent in this batch: nothing to blame
	}
	cands := make([]Candidate, len(idx))
	for i, ri := range idx {
		a, _ := results[ri].Last()
		in := b.inputs[results[ri].Index]
		ended := string(a.Class)
		if a.Status > 0 {
			ended = fmt.Sprintf("answered %d", a.Status)
		}
		cands[i] = Candidate{
			File: fmt.Sprintf("candidates/%02d.json", i+1), Index: in.Index, Origin: in.Origin,
			ContentType: in.ContentType, Sent: a.Start, Ended: ended, body: in.Body,
		}
	}
	first := b.inputs[results[idx[0]].Index]
	a, _ := results[idx[0]].Last()
	trigger := triggerOf(first, parse(first.Body))
	fd := &Finding{
		Signature: signature(OutcomeDied, 0, trigger, ""), Outcome: OutcomeDied, Trigger: trigger,
		Origin: first.Origin, Index: first.Index, Seed: f.opts.Seed, Hits: 1, ContentType: first.ContentType,
		Header: f.requestHeader(first.ContentType), Original: first.Body, Minimised: first.Body,
		Response: a.Err, Candidates: cands,
	}
	switch {
	case !inFlight:
		fd.Note = fmt.Sprintf("no request was left without an answer when the receiver died: it died between "+
			"requests, perhaps after acking the input that killed it; the %d candidates are the inputs answered last, "+
			"and payload.json is the first of them sent", len(cands))
	case len(cands) == 1:
		fd.Note = "1 input was in flight when the receiver died: it is payload.json, and candidates/01.json"
	default:
		fd.Note = fmt.Sprintf("%d inputs were in flight when the receiver died, and one of them killed it: all are "+
			"in candidates/, in the order they were sent; payload.json is the first sent", len(cands))
	}
	return f.add(fd)
}

// deathCandidates picks, from a batch during which the receiver died, the results of the inputs that
// may have killed it, ordered by when they were sent. The killer was sent before the death and got no
// answer: its attempt ended reset, in a timeout or in some other transport error, not refused (nothing
// was listening any more) and not cancelled. It ended after the receiver last began answering a
// request (an answer means the receiver was alive when that request came) and started before the first
// refusal. All inputs in flight at the moment of death were in flight together: of the attempts that
// fit, the candidates are the largest set that overlap in time, the earliest such set on a tie. That
// leaves out an attempt that started just after the death and was reset rather than refused (the last
// connection a dying listener accepted); the price is that a drop just before the death, with no
// answer between, would be blamed in the killer's place, on a receiver with two such defects. When no
// attempt fits, the receiver died between requests, perhaps after acking its killer: the candidates
// are then the workers' last answered inputs, and inFlight is false.
func deathCandidates(results []delivery.Result, workers int) (idx []int, inFlight bool) {
	last := func(i int) delivery.Attempt { a, _ := results[i].Last(); return a }
	start := func(i int) time.Time { return last(i).Start }
	end := func(i int) time.Time { a := last(i); return a.Start.Add(a.Latency) }
	var lastAnswered, firstRefused time.Time
	for _, res := range results {
		a, ok := res.Last()
		switch {
		case !ok:
		case a.Status > 0 && a.Start.After(lastAnswered):
			lastAnswered = a.Start
		case a.Class == delivery.ClassRefused && (firstRefused.IsZero() || a.Start.Before(firstRefused)):
			firstRefused = a.Start
		}
	}
	var unanswered []int
	for i, res := range results {
		a, ok := res.Last()
		switch {
		case !ok || a.Status != 0 || a.Class != delivery.ClassReset && a.Class != delivery.ClassTimeout && a.Class != delivery.ClassProtocol && a.Class != delivery.ClassOther:
		case end(i).Before(lastAnswered): // the receiver answered a request sent after this one ended: it lived on
		case !firstRefused.IsZero() && !a.Start.Before(firstRefused): // sent to a port already closed
		default:
			unanswered = append(unanswered, i)
		}
	}
	sort.SliceStable(unanswered, func(x, y int) bool { return start(unanswered[x]).Before(start(unanswered[y])) })
	// The largest set in flight together is found at some attempt's start: there, count the attempts
	// that had started and not yet ended.
	for _, at := range unanswered {
		var together []int
		for _, j := range unanswered {
			if !start(j).After(start(at)) && !end(j).Before(start(at)) {
				together = append(together, j)
			}
		}
		if len(together) > len(idx) {
			idx = together
		}
	}
	if len(idx) > 0 {
		return idx, true
	}
	for i, res := range results {
		if a, ok := res.Last(); ok && a.Status > 0 {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(x, y int) bool { return end(idx[x]).After(end(idx[y])) })
	idx = idx[:min(len(idx), max(workers, 1))]
	sort.SliceStable(idx, func(x, y int) bool { return start(idx[x]).Before(start(idx[y])) })
	return idx, false
}

// write saves the finding's reproducer under Out, in a directory named after its rank and signature.
// The directory appears whole or not at all; Dir is set once it has.
func (f *fuzzer) write(rank int, fd *Finding) (err error) {
	name := fmt.Sprintf("%02d-%s-%s", rank, fd.Outcome, slug(fd.Trigger))
	dir := filepath.Join(f.opts.Out, name)
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("reproducer: %w", err)
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return fmt.Errorf("reproducer: %w", err)
	}
	fd.Dir = dir
	defer func() {
		if err != nil {
			fd.Dir = ""
		}
	}()
	meta, err := json.MarshalIndent(fd, "", "  ")
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"payload.json":  fd.Minimised,
		"original.json": fd.Original,
		"headers.txt":   []byte(headerLines(fd.Header)),
		"reproduce.sh":  []byte(curlScript(f.opts.URL, f.opts.Timeout, fd)),
		"finding.json":  append(meta, '\n'),
	}
	if len(fd.Candidates) > 0 {
		if err := os.Mkdir(filepath.Join(tmp, "candidates"), 0o755); err != nil {
			return fmt.Errorf("reproducer: %w", err)
		}
		for _, c := range fd.Candidates {
			files[c.File] = c.body
		}
	}
	if len(fd.examples) > 0 {
		if err := os.Mkdir(filepath.Join(tmp, "examples"), 0o755); err != nil {
			return fmt.Errorf("reproducer: %w", err)
		}
		for i, e := range fd.examples {
			files[fmt.Sprintf("examples/%02d.json", i+1)] = e
		}
	}
	for file, b := range files {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(file, ".sh") {
			mode = 0o755
		}
		if err := os.WriteFile(filepath.Join(tmp, filepath.FromSlash(file)), b, mode); err != nil {
			return fmt.Errorf("reproducer: %w", err)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("reproducer: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("reproducer: %w", err)
	}
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

// curlScript is a ready command that sends the minimised payload (or the file given as its argument)
// with the same headers and prints the status, waiting as long as the run did: a receiver that
// answers after the run's timeout then shows as curl's 000, as the run saw it.
func curlScript(target string, timeout time.Duration, fd *Finding) string {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	fmt.Fprintf(&b, "# %s: %s (trigger %s)\n", fd.Outcome, describeOutcome(fd), fd.Trigger)
	fmt.Fprintf(&b, "# Reproduced when this prints %s.\n", expectedOutput(fd))
	if len(fd.Candidates) > 1 {
		b.WriteString("# Restart the receiver before each try; to send another candidate: sh reproduce.sh candidates/02.json\n")
	}
	b.WriteString("cd \"$(dirname \"$0\")\" || exit 2\n")
	fmt.Fprintf(&b, "curl -sS -o /dev/null -w '%%{http_code}\\n' --max-time %s -X POST %s",
		strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64), shellQuote(target))
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
	b.WriteString(" \\\n  --data-binary @\"${1:-payload.json}\"\n")
	return b.String()
}

// expectedOutput says what reproduce.sh prints when the defect reproduces.
func expectedOutput(fd *Finding) string {
	switch fd.Outcome {
	case Outcome5xx, OutcomeRejectedValid:
		return strconv.Itoa(fd.Status)
	case OutcomeMisread:
		return strconv.Itoa(fd.Status) + ", and then the inspect URL, for the message id, shows " + fd.Misread[0]
	case OutcomeTimeout:
		return "000 after curl's \"Operation timed out\" (exit status 28)"
	case OutcomeDropped:
		return "000 after curl's \"Empty reply from server\" or \"Connection reset by peer\" (exit status 52 or 56)"
	}
	return "000 (curl exit status 52 or 56) and the receiver stops answering: run again, curl cannot connect (exit status 7)"
}

func describeOutcome(fd *Finding) string {
	switch fd.Outcome {
	case Outcome5xx:
		return fmt.Sprintf("the receiver answered %d", fd.Status)
	case OutcomeRejectedValid:
		return fmt.Sprintf("the receiver answered %d to a payload the provider can send", fd.Status)
	case OutcomeMisread:
		return fmt.Sprintf("the receiver answered %d but misread it: %s", fd.Status, fd.Misread[0])
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
