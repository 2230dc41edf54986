package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wahook/wahook/message"
	"github.com/wahook/wahook/mockprovider"
)

// defaultInspectTimeout is Config.InspectTimeout when it is 0.
const defaultInspectTimeout = 5 * time.Second

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
	case r.s.InspectURL != "":
		b, err := r.inspectURL(ctx, req.MessageID)
		return b, err == nil, err
	}
	if isModel(answer) {
		return answer, true, nil
	}
	return nil, false, nil
}

// isModel tells an acknowledgement that reports the message in the model's JSON form from any other
// body: it is an object with the model's provider, type and kind members.
func isModel(b []byte) bool {
	var probe struct {
		Provider *string `json:"provider"`
		Type     *string `json:"type"`
		Kind     *string `json:"kind"`
	}
	return json.Unmarshal(b, &probe) == nil && probe.Provider != nil && probe.Type != nil && probe.Kind != nil
}

// inspectURL GETs Config.InspectURL for id until it answers 2xx with the model's JSON, polling, or
// InspectTimeout runs out: a receiver that acknowledges first and processes later has the message
// a little after the 2xx.
func (r *runner) inspectURL(ctx context.Context, id string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, r.s.InspectTimeout)
	defer cancel()
	target := strings.ReplaceAll(r.s.InspectURL, "{id}", url.PathEscape(id))
	last := "no answer"
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return nil, fmt.Errorf("inspect %s: %w", target, err)
		}
		resp, err := r.inspector.Do(req)
		if err == nil {
			b, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			switch {
			case rerr != nil:
				last = rerr.Error()
			case resp.StatusCode/100 == 2 && isModel(b):
				return b, nil
			case resp.StatusCode/100 == 2:
				last = "a 2xx that is not the message model's JSON"
			default:
				last = resp.Status
			}
		} else if ctx.Err() == nil {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			if errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
				return nil, fmt.Errorf("inspect %s: no model of the message within %v (last answer: %s)", target, r.s.InspectTimeout, last)
			}
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
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
		sent, err := mockprovider.Parse(c.Provider, req.Body)
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
