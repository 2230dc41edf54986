package conformance

import (
	"fmt"
	"testing"

	"github.com/wahook/wahook/message"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// CheckParser runs the suite for provider straight through a receiver's own parsing function, with
// no HTTP in between: the fastest loop a receiver's author can have. Every case is a subtest named
// by its id. A body the suite expects acknowledged must parse into the message it encodes (the
// generator's, or what mockprovider.Parse reads from a body the generator did not draw), field by
// field: each differing field fails the subtest with its own line, such as
// `/media/caption: sent "Graceful", receiver has ""`, unless its pointer is in ignore (for a
// receiver that deliberately keeps less). A body the Strict profile expects refused must make parse
// return an error, unless the refusal is for a header, which a parser does not see. A panic in parse fails the case, not the test binary.
//
//	func TestParse(t *testing.T) {
//		conformance.CheckParser(t, schemas.ITNIOTech, myreceiver.ParseWebhook)
//	}
func CheckParser(t *testing.T, provider schemas.Provider, parse func(body []byte) (message.Message, error), ignore ...string) {
	t.Helper()
	cases, err := Cases(Config{Target: mockprovider.Target{Provider: provider}, Profile: Strict})
	if err != nil {
		t.Fatalf("conformance: %v", err)
	}
	for _, c := range cases {
		if c.Skip != "" || c.Group == GroupAuth {
			continue // a parser sees no headers
		}
		t.Run(c.ID, func(t *testing.T) {
			for i, req := range c.Requests {
				if err := checkParse(c, req, parse, ignore); err != nil {
					t.Errorf("request %d of %d: %s", i+1, len(c.Requests), err)
				}
			}
		})
	}
}

// checkParse judges parse on one request of case c, the differing fields one per line.
func checkParse(c Case, req Request, parse func([]byte) (message.Message, error), ignore []string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("parse panicked: %v", p)
		}
	}()
	got, parseErr := parse(req.Body)
	want, wantErr := truth(c.Provider, req)
	switch {
	case c.Expect == ExpectRefusal && wantErr == nil:
		return nil // refused for what the parser does not see: a header, the Content-Type
	case c.Expect == ExpectRefusal:
		if parseErr == nil {
			return fmt.Errorf("parsed a payload the %s schema refuses (%v)", c.Provider, wantErr)
		}
		return nil
	case wantErr != nil:
		// Acknowledged without being a message of the schema's (a type it does not know yet): any
		// answer but a panic will do.
		return nil
	case parseErr != nil && c.Expect == ExpectAck:
		return fmt.Errorf("refused a valid %s %s message: %v", c.Provider, want.Type, parseErr)
	case parseErr != nil:
		return nil // a tolerated form may be refused
	}
	diffs := message.Diff(want, got, ignore)
	if len(diffs) == 0 {
		return nil
	}
	msg := fmt.Sprintf("%d fields differ:", len(diffs))
	for _, d := range diffs {
		msg += "\n\t" + d.String()
	}
	return fmt.Errorf("%s", msg)
}
