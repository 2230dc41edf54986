package mockprovider

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

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
