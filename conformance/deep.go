package conformance

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"

	"github.com/wahook/wahook/internal/inspect"
	"github.com/wahook/wahook/message"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// understanding is where the suite learns what the receiver made of a message it acknowledged:
// Config.Inspect, else Config.InspectURL, else the acknowledgement's own body when it is the model's
// JSON. ok is false when the receiver does not say: the case is then judged on its status alone.
func (r *runner) understanding(ctx context.Context, req Request, answer []byte) (got []byte, ok bool, err error) {
	switch {
	case r.s.Inspect != nil:
		ctx, cancel := context.WithTimeout(ctx, r.s.InspectTimeout)
		defer cancel()
		m, err := r.s.Inspect(ctx, req.MessageID)
		if err != nil {
			return nil, false, fmt.Errorf("inspect %s: %w", req.MessageID, err)
		}
		b, err := json.Marshal(m)
		return b, true, err
	case r.inspector != nil:
		b, err := r.inspector.Get(ctx, req.MessageID)
		return b, err == nil, err
	}
	if inspect.IsModel(answer) {
		return answer, true, nil
	}
	return nil, false, nil
}

// deepCheck compares what the receiver understood of each acknowledged request of c with what was
// sent. It returns one line per differing field, and the error of an inspect that did not answer.
func (r *runner) deepCheck(ctx context.Context, c Case, obs []Observation) ([]string, error) {
	switch c.Group {
	case GroupValid, GroupDocumented, GroupTolerate, GroupEquivalent, GroupDelivery:
	default:
		return nil, nil
	}
	var (
		lines       []string
		understood  = make([]*message.Message, len(c.Requests))
		prefix      = func(i int) string { return "" }
		sameMessage = c.Group == GroupEquivalent
	)
	if len(c.Requests) > 1 {
		prefix = func(i int) string { return fmt.Sprintf("request %d: ", i+1) }
	}
	for i, req := range c.Requests {
		if obs[i].Status/100 != 2 || req.MessageID == "" {
			continue
		}
		sent, err := truth(cmp.Or(req.Provider, c.Provider), req)
		if err != nil {
			continue // not a message of the schema's: nothing to understand
		}
		got, ok, err := r.understanding(ctx, req, obs[i].answer)
		if err != nil {
			return lines, err
		}
		if !ok {
			continue
		}
		diffs, err := message.DiffJSON(sent, got, r.s.Ignore)
		if err != nil {
			return lines, err
		}
		for _, d := range diffs {
			lines = append(lines, prefix(i)+d.String())
		}
		if sameMessage {
			var m message.Message
			if json.Unmarshal(got, &m) == nil {
				understood[i] = &m
			}
		}
	}
	if sameMessage {
		lines = append(lines, differences(c, understood, r.s.Ignore)...)
	}
	return lines, nil
}

// differences compares what the receiver understood of each request of an equivalent case with what
// it understood of the first: one message in several formats must come to the same content.
func differences(c Case, understood []*message.Message, ignore []string) []string {
	if understood[0] == nil {
		return nil
	}
	first := understood[0].Content()
	var lines []string
	for i, m := range understood[1:] {
		if m == nil {
			continue
		}
		other, seen := m.Content(), map[string]bool{}
		line := func(path, a, b string) {
			if !seen[path] {
				seen[path] = true
				lines = append(lines, fmt.Sprintf("%s: understood %s from %s, %s from %s",
					path, cmp.Or(a, "nothing"), c.Provider, cmp.Or(b, "nothing"), c.Requests[i+1].Provider))
			}
		}
		for _, d := range message.Diff(first, other, ignore) {
			line(d.Path, d.Sent, d.Got)
		}
		for _, d := range message.Diff(other, first, ignore) {
			line(d.Path, d.Got, d.Sent)
		}
	}
	return lines
}

// truth is the message req encodes: the generator's, or else what the provider's parser reads.
func truth(p schemas.Provider, req Request) (message.Message, error) {
	if req.Message != nil {
		return *req.Message, nil
	}
	return mockprovider.Parse(p, req.Body)
}
