package engine

import (
	"bytes"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzReadBody feeds the response-body reader whatever a receiver might answer, into a scratch buffer
// left over from an earlier body: it reads exactly the first MaxResponseBody bytes, flags anything
// longer as truncated, never grows the buffer past the cap, and never panics. What an attempt keeps
// of it is a copy, clipped once the run's budget is spent.
func FuzzReadBody(f *testing.F) {
	f.Add([]byte(""), uint32(0), uint16(0), int64(1<<20))
	f.Add([]byte("ok"), uint32(1), uint16(600), int64(0))
	f.Add([]byte{0xff, 0x00, '\n'}, uint32(MaxResponseBody), uint16(1), int64(-1))
	f.Fuzz(func(t *testing.T, chunk []byte, repeat uint32, scratch uint16, left int64) {
		if len(chunk) == 0 {
			chunk = []byte{0}
		}
		body := bytes.Repeat(chunk, int(repeat)%(2*MaxResponseBody/len(chunk)+2))
		buf := bytes.Repeat([]byte{'#'}, int(scratch)%(MaxResponseBody+2))
		buf, n, truncated, err := readBody(bytes.NewReader(body), buf)
		require.NoError(t, err)
		assert.Equal(t, len(body) > MaxResponseBody, truncated)
		assert.Equal(t, body[:min(len(body), MaxResponseBody)], buf[:n])
		assert.LessOrEqual(t, cap(buf), MaxResponseBody+1)

		var budget atomic.Int64
		budget.Store(left)
		kept, clipped := keepBody(buf[:n], &budget)
		wantClipped := left-int64(n) < 0 && n > clippedBody
		assert.Equal(t, wantClipped, clipped)
		if wantClipped {
			assert.Equal(t, body[:clippedBody], kept)
		} else {
			assert.Equal(t, body[:n], kept)
		}
		assert.Equal(t, len(kept), cap(kept), "a kept body holds no spare capacity")
		assert.Equal(t, left-int64(n), budget.Load(), "the whole body is charged")
	})
}
