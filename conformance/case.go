package conformance

import (
	"fmt"
	"net/http"

	"github.com/wahook/wahook/internal/engine"
	"github.com/wahook/wahook/message"
	"github.com/wahook/wahook/schemas"
)

// Group is a family of cases; a case's id starts with its group.
type Group string

// The groups, in the order the suite runs them.
const (
	GroupValid      Group = "valid"
	GroupDocumented Group = "documented"
	// GroupRecorded runs with Config.Corpus: each delivery of a recorded corpus, replayed.
	GroupRecorded Group = "recorded"
	GroupTolerate Group = "tolerate"
	// GroupEquivalent runs with Config.Equivalent: each message in every provider's format.
	GroupEquivalent Group = "equivalent"
	GroupReject     Group = "reject"
	GroupDelivery   Group = "delivery"
	GroupAuth       Group = "auth"
	// GroupHandshake checks the verification handshake of a provider that has one (Meta's).
	GroupHandshake Group = "handshake"
)

// Groups returns the groups in the order the suite runs them.
func Groups() []Group {
	return []Group{GroupValid, GroupDocumented, GroupRecorded, GroupTolerate, GroupEquivalent, GroupReject, GroupDelivery, GroupAuth, GroupHandshake}
}

// Case is one check of the suite: what it sends and what answer it expects.
type Case struct {
	// ID is group/provider/name, stable across runs and seeds.
	ID       string           `json:"id"`
	Group    Group            `json:"group"`
	Provider schemas.Provider `json:"provider"`
	// Description says what the case sends, in one line.
	Description string `json:"description"`
	// Type is the message type the case is about, if one; Mutation the catalogue mutation it applies
	// (tolerate and reject); Fixture the documented example it replays (documented), or the corpus file (recorded).
	Type     string `json:"type,omitempty"`
	Mutation string `json:"mutation,omitempty"`
	Fixture  string `json:"fixture,omitempty"`
	// Requests are sent one after another, or all at once when Concurrent is set.
	Requests []Request `json:"requests"`
	// Handshake, for a case of the handshake group, is the GET it sends instead of Requests.
	Handshake  *Handshake `json:"handshake,omitempty"`
	Concurrent bool       `json:"concurrent,omitempty"`
	// Expect is the answer every request must get.
	Expect Expect `json:"expect"`
	// Hostile cases may kill or wedge the receiver: the first case of each named tolerate and reject
	// mutation, and the burst (the systematic ones only change a field, and a mutation that kills
	// does so on its first type). One runs with no other case in flight but those of a type the
	// receiver hangs on, and so does the case after it, whose expected answer (or else the hostile
	// case's canary) shows whether the receiver survived it.
	Hostile bool `json:"hostile,omitempty"`
	// Canary is a plain valid text message with an id of its own: after the case it must be acked, or
	// the receiver stopped answering because of this case.
	Canary Request `json:"canary"`
	// Skip, when set, says why the case is not run.
	Skip string `json:"skip,omitempty"`
}

// Request is one HTTP POST of a case.
type Request struct {
	// MessageID is the id a receiver deduplicates on, when the body has one.
	MessageID string `json:"messageId,omitempty"`
	// ContentType is the Content-Type header.
	ContentType string `json:"contentType"`
	// Header holds every other header, spelled as sent: the User-Agent and any credentials.
	Header http.Header `json:"-"`
	// Body is sent as is.
	Body []byte `json:"-"`
	// Message is what Body encodes, as the generator drew it, when it knows; deep verification reads
	// Body with the provider's parser otherwise.
	Message *message.Message `json:"-"`
	// Provider is the format of Body when it is not the suite's (the equivalent group); "" otherwise.
	Provider schemas.Provider `json:"provider,omitempty"`
}

func (r Request) payload() engine.Payload {
	return engine.Payload{ID: r.MessageID, Body: r.Body, ContentType: r.ContentType, Header: r.Header}
}

// Expect is the answer a case asks for.
type Expect string

// The expectations.
const (
	// ExpectAck: a 2xx.
	ExpectAck Expect = "2xx"
	// ExpectRefusal: a 4xx (reject cases in the Strict profile).
	ExpectRefusal Expect = "4xx"
	// ExpectNoServerError: a 2xx (ack and drop) or a 4xx, but no 5xx, other status or timeout (reject
	// cases in the Standard profile).
	ExpectNoServerError Expect = "2xx or 4xx"
	// ExpectAuthRefusal: 401 or 403.
	ExpectAuthRefusal Expect = "401 or 403"
	// ExpectChallenge: 200 with exactly the handshake's challenge as the body.
	ExpectChallenge Expect = "200 and the challenge"
	// ExpectNoChallenge: a 4xx (a refusal, not an error), and no challenge in the body.
	ExpectNoChallenge Expect = "a 4xx without the challenge"
)

// accepts reports whether an HTTP answer with status meets the expectation.
func (e Expect) accepts(status int) bool {
	switch e {
	case ExpectAck:
		return status >= 200 && status < 300
	case ExpectRefusal:
		return status >= 400 && status < 500
	case ExpectNoServerError:
		return status >= 200 && status < 300 || status >= 400 && status < 500
	case ExpectAuthRefusal:
		return status == http.StatusUnauthorized || status == http.StatusForbidden
	}
	return false
}

// String says what is expected, for reports.
func (e Expect) String() string {
	if e == ExpectNoServerError {
		return "2xx or 4xx (no 5xx, no timeout)"
	}
	return string(e)
}

// caseID builds group/provider/name.
func caseID(g Group, p schemas.Provider, name string) string {
	return fmt.Sprintf("%s/%s/%s", g, p, name)
}
