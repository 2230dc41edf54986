package jsonrecord_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/delivery"
	"github.com/wahook/wahook/internal/jsonrecord"
)

func TestRecords(t *testing.T) {
	retryAt := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := delivery.Result{
		Delivery: 3, Index: 1, PayloadID: "m1", Type: "text", Outcome: delivery.Cancelled,
		PendingRetry: true, RetryAt: retryAt,
		Attempts: []delivery.Attempt{{Attempt: 1, Status: 500, Latency: 1500 * time.Microsecond, Body: []byte("ab\xffcdef"), BodyClipped: true}},
	}
	rec := jsonrecord.OfResult(r, 4)
	require.Len(t, rec.Attempts, 1)
	assert.Equal(t, "ab\uFFFDc", rec.Attempts[0].Body, "cut at maxBody, invalid UTF-8 replaced")
	assert.True(t, rec.Attempts[0].BodyTruncated)
	assert.True(t, rec.Attempts[0].BodyClipped, "the run's body budget, as the engine said")
	assert.Equal(t, 1.5, rec.Attempts[0].LatencyMs)
	require.NotNil(t, rec.CancelledRetryAt)
	assert.Equal(t, retryAt, *rec.CancelledRetryAt)
	b, err := json.Marshal(rec)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "pendingRetry", "a cancelled delivery has nothing pending")
	assert.NotContains(t, string(b), `"retryAt"`)
	assert.Equal(t, "m1", rec.ID)

	s := jsonrecord.OfSummary(delivery.Summary{Scheduled: 2, Acked: 1, Cancelled: 1, Rate: 123.456, Duration: 2 * time.Second})
	b, err = json.Marshal(s)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"errors":{}`, "an empty map, never null")
	assert.Equal(t, 123.46, s.Rate)
	assert.Equal(t, 2000.0, s.DurationMs)
}
