package mockprovider

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/wahook/wahook/delivery"
)

// Delivery returns the payload as the delivery engine takes it.
func (p Payload) Delivery() delivery.Payload {
	return delivery.Payload{ID: p.ID, Provider: string(p.Provider), Type: p.Type, Body: p.Body, ContentType: p.ContentType}
}

// ParseRetries reads a retry schedule: "provider" (or "") for the provider's own, "none", or a
// comma-separated list of durations such as "1m,3m,5m".
func (p *Provider) ParseRetries(spec string) ([]time.Duration, error) {
	switch spec {
	case "", "provider":
		return slices.Clone(p.RetrySchedule), nil
	case "none":
		return nil, nil
	}
	var out []time.Duration
	for _, part := range strings.Split(spec, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil || d < 0 {
			return nil, fmt.Errorf("retries %q: %q is not a duration such as 1m or 30s", spec, part)
		}
		out = append(out, d)
	}
	return out, nil
}

// ParseHeader splits a "Name: value" header line, as curl's -H takes it, dropping the blanks around
// the name and the value. It checks the line's shape only: whether the header can be sent is checked
// once, with the other inputs of a send, by Target.Check. Its errors quote nothing of the line,
// which may hold a credential.
func ParseHeader(line string) (name, value string, err error) {
	name, value, ok := strings.Cut(line, ":")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	switch {
	case !ok:
		return "", "", errors.New("a line without ':': want 'Name: value'")
	case name == "":
		return "", "", errors.New("no name before ':': want 'Name: value'")
	}
	return name, value, nil
}

// ParseHeaders reads "Name: value" lines as ParseHeader does into one header, deterministically:
// names are compared case-insensitively, so a name given twice in any letter case is one header, kept
// under its first spelling, with every value in the order given. Spellings are otherwise kept as
// typed, because a receiver may compare a name byte for byte (InnoPaaS sends "UserName").
func ParseHeaders(lines []string) (http.Header, error) {
	h := http.Header{}
	for _, line := range lines {
		name, value, err := ParseHeader(line)
		if err != nil {
			return nil, err
		}
		key := name
		for k := range h {
			if strings.EqualFold(k, name) {
				key = k
				break
			}
		}
		h[key] = append(h[key], value)
	}
	return h, nil
}
