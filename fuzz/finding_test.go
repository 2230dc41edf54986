package fuzz

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/wahook/wahook/delivery"
)

func TestLeafClass(t *testing.T) {
	tests := []struct {
		value   any
		class   string
		notable bool
	}{
		{"", "string, empty", false},
		{"location", "string, 8-63 bytes", false},
		{strings.Repeat("a", 1001), "string, 512-4095 bytes", true},
		{strings.Repeat("a", 5000), "string, 4096-32767 bytes", true},
		{"\u202e", "string, 1-7 bytes, format U+202E", true},
		{"a\u200db\u202ec", "string, 8-63 bytes, format U+200D U+202E", true},
		{"😀", "string, 1-7 bytes, non-BMP", true},
		{"é", "string, 1-7 bytes, non-ASCII", true},
		{"line\n", "string, 1-7 bytes, control U+000A", true},
		{"\ufffd", "string, 1-7 bytes, replacement U+FFFD", true},
		{"\uffff", "string, 1-7 bytes, noncharacter U+FFFF", true},
		{"e\u0301", "string, 1-7 bytes, combining U+0301", true},
		{float64(0), "number, 0", false},
		{float64(-1), "number, negative integer below 2^31", true},
		{float64(2147483648), "number, integer below 2^53", true},
		{float64(1700000000), "number, integer below 2^31", false},
		{1.5, "number, fraction", true},
		{1e308, "number, beyond float64", true},
		{true, "boolean", false},
		{nil, "null", false},
		{map[string]any{}, "object", false},
	}
	for _, tt := range tests {
		class, notable := leafClass(tt.value)
		assert.Equal(t, tt.class, class, "%#v", tt.value)
		assert.Equal(t, tt.notable, notable, "%#v", tt.value)
	}
}

// TestRetrigger checks that a finding is named by its minimised payload when the first input's
// trigger is no longer in it, and keeps its trigger otherwise.
func TestRetrigger(t *testing.T) {
	long := `{"message":{"type":"text","text":{"body":"` + strings.Repeat("a", 1001) + `"}}}`
	tests := []struct {
		name      string
		in        fuzzInput
		trigger   string
		minimised string
		want      string
		class     string
	}{
		{
			name: "not UTF-8 at first, a long text once minimised", in: fuzzInput{Body: []byte("{\"a\":\"\xff\"}")},
			trigger: "input:payload-is-not-valid-UTF-8", minimised: long,
			want: "/message/text/body", class: "string, 512-4095 bytes",
		},
		{
			name: "unknown fields at first, a long text once minimised", in: fuzzInput{Body: []byte(long)},
			trigger: "mutation:unknown-fields", minimised: long,
			want: "/message/text/body", class: "string, 512-4095 bytes",
		},
		{
			name: "a mutation with nothing notable left keeps its id", in: fuzzInput{Body: []byte(`{"message":{"text":{}}}`)},
			trigger: "mutation:missing-message-type", minimised: `{"message":{"text":{"body":"a"}}}`,
			want: "mutation:missing-message-type",
		},
		{
			name: "the trigger is still there", in: fuzzInput{Body: []byte(`{"message":{"location":{"latitude":"x","longitude":1}}}`)},
			trigger: "/message/location/latitude", minimised: `{"message":{"location":{"latitude":""}}}`,
			want: "/message/location/latitude",
		},
		{
			name: "a removed field cannot be in the payload", in: fuzzInput{Body: []byte(`{"message":{"text":{"body":"hi"}}}`)},
			trigger: "/message/type", minimised: `{"message":{"text":{"body":"h"}}}`,
			want: "/message/type",
		},
		{
			name: "an edited field the defect does not need", in: fuzzInput{Body: []byte(`{"id":"","message":{"text":{"body":"x` + "\u202e" + `"}}}`)},
			trigger: "/id", minimised: `{"message":{"text":{"body":"` + "\u202e" + `"}}}`,
			want: "/message/text/body", class: "string, 1-7 bytes, format U+202E",
		},
		{
			name: "a fuzz-added field, under any name", in: fuzzInput{Body: []byte(`{"body":{"x_fuzz_1a2b":null}}`)},
			trigger: "/body/x_fuzz_*", minimised: `{"body":{"x_fuzz_1a2b":null}}`,
			want: "/body/x_fuzz_*",
		},
		{
			name: "a required field edited, a long text refused", in: fuzzInput{Body: []byte(`{"appId":"-1","message":{"text":{"body":"a"}}}`)},
			trigger: "/appId", minimised: `{"appId":"-","timestamp":1,"message":{"text":{"body":"` + strings.Repeat("a", 1001) + `"}}}`,
			want: "/message/text/body", class: "string, 512-4095 bytes",
		},
		{
			name: "a field whose absence is the point", in: fuzzInput{Body: []byte(`{"message":{"location":{"latitude":true}}}`)},
			trigger: "/message/location/latitude", minimised: `{"message":{"location":{}}}`,
			want: "/message/location/latitude",
		},
		{
			name: "a top-level field dropped, nothing notable left", in: fuzzInput{Body: []byte(`{"id":"x","message":{"type":"location"}}`)},
			trigger: "/id", minimised: `{"message":{"type":"location"}}`,
			want: "/message/type",
		},
		{
			name: "a number the defect needs", in: fuzzInput{Body: []byte(`{"timestamp":2147483648}`)},
			trigger: "/timestamp", minimised: `{"timestamp":2147483648}`,
			want: "/timestamp", class: "number, integer below 2^53",
		},
		{
			name: "not JSON at first, nothing notable once minimised", in: fuzzInput{Body: []byte(`{"message":`)},
			trigger: "input:not-json", minimised: `{"message":{"type":"location"}}`,
			want: "/message/type",
		},
		{
			name: "not JSON at first, an empty object once minimised", in: fuzzInput{Body: []byte(`{`)},
			trigger: "input:not-json", minimised: `{}`,
			want: "input:object",
		},
		{
			name: "JSON but not an object", in: fuzzInput{Body: []byte(`[1,`)},
			trigger: "input:not-json", minimised: `[1]`,
			want: "input:not-an-object",
		},
		{
			name: "still not JSON, for another reason", in: fuzzInput{Body: []byte("{\"a\":\"\xff")},
			trigger: "input:payload-is-not-valid-UTF-8", minimised: `{"a":`,
			want: "input:not-json",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, class := retrigger(parse(tt.in.Body), tt.trigger, parse([]byte(tt.minimised)))
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.class, class)
		})
	}
}

// TestEssence checks which minimised payloads count as one defect: the same shape and leaf classes,
// or the same notable leaves anywhere; not one field failing on a character and on a length.
func TestEssence(t *testing.T) {
	text := func(s string) string { return `{"message":{"text":{"body":"` + s + `"}}}` }
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{"a character and a length in one field", text("\u202e"), text(strings.Repeat("a", 3001)), false},
		{"two characters of one kind", text("\u202e"), text("\u200d"), false},
		{"one character in two fields", text("\u202e"), `{"message":{"location":{"name":"` + "\u202e" + `"}}}`, true},
		{"a quirk form, however it was reached", `{"body":{"contact":[]}}`, `{"body":{"contact":[]}}`, true},
		{"plain values of one shape", text("a"), text("b"), true},
		{"plain values of two shapes", text("a"), `{"message":{"location":{"name":"a"}}}`, false},
		{"made-up fields under two names", `{"body":{"x_fuzz_1":{}}}`, `{"body":{"x_fuzz_2":{}}}`, true},
		{"lengths of one class", text(strings.Repeat("a", 3001)), text(strings.Repeat("b", 3050)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.same, essenceOf(parse([]byte(tt.a))).overlaps(essenceOf(parse([]byte(tt.b)))))
		})
	}
}

// TestDeathCandidates checks which inputs are blamed for a death: those the receiver left without an
// answer when it died, not those it answered or refused, nor one it dropped while it lived on.
func TestDeathCandidates(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	attempt := func(start, took int, status int, class delivery.ErrorClass) delivery.Result {
		return delivery.Result{Attempts: []delivery.Attempt{{Start: t0.Add(ms(start)), Latency: ms(took), Status: status, Class: class}}}
	}
	tests := []struct {
		name     string
		results  []delivery.Result
		want     []int
		inFlight bool
	}{
		{
			name: "a crash with three in flight, then refusals",
			results: []delivery.Result{
				attempt(0, 1, 200, delivery.ClassNone),
				attempt(5, 5, 0, delivery.ClassReset), // in flight
				attempt(3, 7, 0, delivery.ClassReset), // in flight, sent first
				attempt(6, 4, 0, delivery.ClassReset), // in flight
				attempt(11, 0, 0, delivery.ClassRefused),
				attempt(11, 0, 0, delivery.ClassRefused),
			},
			want: []int{2, 1, 3}, inFlight: true,
		},
		{
			name: "a drop the receiver lived through is not blamed",
			results: []delivery.Result{
				attempt(0, 1, 0, delivery.ClassReset), // dropped, then the receiver answered #1
				attempt(2, 1, 200, delivery.ClassNone),
				attempt(4, 2, 0, delivery.ClassReset), // the killer
				attempt(7, 0, 0, delivery.ClassRefused),
			},
			want: []int{2}, inFlight: true,
		},
		{
			name: "a connection accepted as the receiver died is not blamed",
			results: []delivery.Result{
				attempt(0, 1, 200, delivery.ClassNone),
				attempt(2, 3, 0, delivery.ClassReset), // the killer
				attempt(6, 0, 0, delivery.ClassReset), // sent after the death, reset rather than refused
				attempt(7, 0, 0, delivery.ClassRefused),
			},
			want: []int{1}, inFlight: true,
		},
		{
			name: "a hang: those sent after the first timeout are not blamed",
			results: []delivery.Result{
				attempt(0, 1, 200, delivery.ClassNone),
				attempt(2, 1000, 0, delivery.ClassTimeout),
				attempt(3, 1000, 0, delivery.ClassTimeout),
				attempt(1003, 1000, 0, delivery.ClassTimeout),
			},
			want: []int{1, 2}, inFlight: true,
		},
		{
			name: "a death between requests blames the last answered",
			results: []delivery.Result{
				attempt(0, 1, 200, delivery.ClassNone),
				attempt(1, 3, 200, delivery.ClassNone),
				attempt(2, 1, 200, delivery.ClassNone),
				attempt(5, 0, 0, delivery.ClassRefused),
			},
			want: []int{1, 2}, inFlight: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, inFlight := deathCandidates(tt.results, 2)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.inFlight, inFlight)
		})
	}
}

// TestCurlScript checks that the reproducer waits as long as the run did and says what output means
// reproduced.
func TestCurlScript(t *testing.T) {
	tests := []struct {
		fd      Finding
		timeout time.Duration
		want    []string
	}{
		{Finding{Outcome: OutcomeTimeout, Trigger: "/a"}, 1500 * time.Millisecond, []string{"--max-time 1.5 ", "prints 000", "exit status 28"}},
		{Finding{Outcome: Outcome5xx, Status: 502, Trigger: "/a"}, 10 * time.Second, []string{"--max-time 10 ", "prints 502."}},
		{Finding{Outcome: OutcomeDropped, Trigger: "/a"}, time.Second, []string{"--max-time 1 ", "prints 000", "exit status 52"}},
		{Finding{Outcome: OutcomeDied, Trigger: "/a", Candidates: make([]Candidate, 2)}, time.Second, []string{"candidates/02.json", `@"${1:-payload.json}"`}},
	}
	for _, tt := range tests {
		script := curlScript("http://127.0.0.1:1/webhook", tt.timeout, &tt.fd)
		for _, want := range tt.want {
			assert.Contains(t, script, want)
		}
	}
}

// TestNormalise checks that signatures do not depend on which array element or which made-up field
// name an input happened to use.
func TestNormalise(t *testing.T) {
	tests := map[string]string{
		"/body/document/x_fuzz_73fa3c63":     "/body/document/x_fuzz_*",
		"/body/contact/12/phones/3/phone":    "/body/contact/0/phones/0/phone",
		"/message/x_fuzz/0":                  "/message/x_fuzz_*/0",
		"/body/text/body":                    "/body/text/body",
		"/a~1b/x_fuzz_1/c":                   "/a~1b/x_fuzz_*/c",
		"/message/interactive/list_reply/id": "/message/interactive/list_reply/id",
	}
	for in, want := range tests {
		assert.Equal(t, want, normalise(in), in)
	}
}
