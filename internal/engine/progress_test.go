package engine_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/engine"
)

// TestProgress: OnProgress sees each delivery go sending, waiting (with the retry's due time),
// sending again and settled, always with the same payload, and the header lines it reports are the
// ones the receiver got, in the order written; KeepHeader keeps the answer's header.
func TestProgress(t *testing.T) {
	rec := &recorder{respond: func(w http.ResponseWriter, _ *http.Request, _ hit, seen int) {
		w.Header().Set("X-Answer", "a&b")
		if seen == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}}
	var (
		states []engine.State
		nextAt time.Time
		lines  []engine.HeaderLine
		last   engine.Progress
	)
	payload := engine.Payload{ID: "m1", Body: []byte(`{"a":1}`), Header: http.Header{"X-Extra": {"e"}}}
	_, err := engine.Run(context.Background(), engine.Options{
		Target: serve(t, rec).URL + "/hook", Header: http.Header{"User-Agent": {"wahook/test"}},
		Retries: []time.Duration{time.Hour}, TimeScale: 1e-6, KeepHeader: true,
		OnProgress: func(p engine.Progress) {
			states = append(states, p.State)
			if p.State == engine.StateWaiting {
				nextAt = p.NextAt
			}
			if lines == nil {
				lines = p.RequestHeader()
			}
			if last.Payload != nil {
				assert.Same(t, last.Payload, p.Payload, "one payload pointer per delivery")
			}
			last = p
		},
	}, []engine.Payload{payload})
	require.NoError(t, err)

	assert.Equal(t, []engine.State{engine.StateSending, engine.StateWaiting, engine.StateSending, engine.StateSettled}, states)
	require.Len(t, last.Result.Attempts, 2)
	first := last.Result.Attempts[0]
	assert.Equal(t, first.Start.Add(first.Latency).Add(3600*time.Microsecond), nextAt, "due one scaled hour after the failure")
	assert.Equal(t, engine.Acked, last.Result.Outcome)
	for _, a := range last.Result.Attempts {
		assert.Equal(t, "a&b", a.Header.Get("X-Answer"), "the answer's header is kept")
	}

	hits := rec.Hits()
	require.Len(t, hits, 2)
	var names []string
	for _, l := range lines {
		names = append(names, l.Name)
		switch l.Name {
		case "Host":
			assert.Equal(t, hits[0].Host, l.Value)
		case "Content-Length":
			assert.Equal(t, "7", l.Value)
		default:
			assert.Equal(t, hits[0].Header.Get(l.Name), l.Value, "%s as received", l.Name)
		}
	}
	assert.Equal(t, "Host User-Agent Content-Length Content-Type X-Extra", strings.Join(names, " "), "the order written")
}

// TestProgressOff: without KeepHeader no answer header is kept, and a payload whose headers cannot
// be sent has no request header to show.
func TestProgressOff(t *testing.T) {
	var lines []engine.HeaderLine
	called := false
	report, err := engine.Run(context.Background(), engine.Options{
		Target:     serve(t, &recorder{}).URL,
		OnProgress: func(p engine.Progress) { called, lines = true, p.RequestHeader() },
	}, []engine.Payload{{ID: "m1", Body: []byte("x"), Header: http.Header{"Bad Name": {"v"}}}})
	require.NoError(t, err, "a failed delivery is no error of the run")
	require.True(t, called)
	assert.Nil(t, lines, "unsendable headers")
	require.Len(t, report.Results, 1)
	require.Len(t, report.Results[0].Attempts, 1)
	assert.Nil(t, report.Results[0].Attempts[0].Header)

	report, err = engine.Run(context.Background(), engine.Options{Target: serve(t, &recorder{}).URL}, makePayloads(1))
	require.NoError(t, err)
	assert.Nil(t, report.Results[0].Attempts[0].Header, "kept only when asked for")
}
