package delivery

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzReadBody feeds the response-body reader whatever a receiver might answer: it keeps exactly the
// first MaxResponseBody bytes, flags anything longer as truncated, and never panics.
func FuzzReadBody(f *testing.F) {
	f.Add([]byte(""), uint32(0))
	f.Add([]byte("ok"), uint32(1))
	f.Add([]byte{0xff, 0x00, '\n'}, uint32(MaxResponseBody))
	f.Fuzz(func(t *testing.T, chunk []byte, repeat uint32) {
		if len(chunk) == 0 {
			chunk = []byte{0}
		}
		body := bytes.Repeat(chunk, int(repeat)%(2*MaxResponseBody/len(chunk)+2))
		got, truncated, err := readBody(bytes.NewReader(body))
		require.NoError(t, err)
		assert.Equal(t, len(body) > MaxResponseBody, truncated)
		assert.Equal(t, body[:min(len(body), MaxResponseBody)], got)
		assert.LessOrEqual(t, cap(got), MaxResponseBody+1)
	})
}
