package conformance

import (
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
	case GroupValid, GroupDocumented, GroupTolerate, GroupDelivery:
	default:
		return nil, nil
	}
	var lines []string
	for i, req := range c.Requests {
		if obs[i].Status/100 != 2 || req.MessageID == "" {
			continue
		}
		sent, err := truth(c.Provider, req)
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
			line := d.String()
			if len(c.Requests) > 1 {
				line = fmt.Sprintf("request %d: %s", i+1, line)
			}
			lines = append(lines, line)
		}
	}
	return lines, nil
}

// truth is the message req encodes: the generator's, or else what the provider's parser reads.
func truth(p schemas.Provider, req Request) (message.Message, error) {
	if req.Message != nil {
		return *req.Message, nil
	}
	return mockprovider.Parse(p, req.Body)
}
