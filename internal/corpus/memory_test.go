package corpus_test

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/corpus"
)

// TestFlatMemory writes a large JSONL corpus and compares the live heap early in the run with the
// live heap at its end: memory must not grow with the count. A leak of even 100 bytes a payload
// would add more than the bound over the run.
func TestFlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 100,000 payloads")
	}
	count := uint64(100_000)
	if raceEnabled {
		count = 20_000
	}
	live := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	var early, late uint64
	_, err := corpus.Write(t.Context(), corpus.Options{
		Dir: filepath.Join(t.TempDir(), "corpus"), Count: count, Format: corpus.JSONL,
		Progress: func(done, total uint64) {
			switch {
			case early == 0 && done >= total/10:
				early = live()
			case late == 0 && done == total:
				late = live()
			}
		},
	})
	require.NoError(t, err)
	require.NotZero(t, early)
	require.NotZero(t, late)
	const bound = 4 << 20
	growth := int64(late) - int64(early)
	t.Logf("live heap %d KiB at 10%%, %d KiB at the end of %d payloads", early>>10, late>>10, count)
	assert.Less(t, growth, int64(bound), "live heap grew by %d KiB over %d payloads", growth>>10, count*9/10)
}
