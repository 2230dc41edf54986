package corpus_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/corpus"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// TestRecorder records deliveries from many goroutines and reads them back: every body under its
// own number, in the layout gen writes, with the request's record in the manifest.
func TestRecorder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rec")
	r, err := corpus.NewRecorder(dir, false)
	require.NoError(t, err)
	recordings := []corpus.Recording{
		{Provider: schemas.ITNIOTech, Type: "text", ID: "m1", Schema: mockprovider.SchemaValid},
		{Provider: schemas.InnoPaaS, Type: "image", ID: "m2", Schema: mockprovider.SchemaInvalid},
		{Provider: schemas.ITNIOTech, Type: "../../etc", Schema: mockprovider.SchemaValid}, // a type no file may be named
		{Schema: mockprovider.NotChecked}, // of no known provider
	}
	const copies = 25
	var wg sync.WaitGroup
	for i := range copies {
		for j, rec := range recordings {
			wg.Go(func() {
				rec.Body = fmt.Appendf(nil, `{"n":%d}`, i*len(recordings)+j)
				rec.ContentType = "application/json"
				rec.Recorded = corpus.Recorded{Time: time.Unix(1700000000, 0).UTC(), Method: "POST", Path: "/webhook?x=1",
					Header: map[string][]string{"User-Agent": {"test"}}, Status: 200 + j}
				_, err := r.Record(rec)
				assert.NoError(t, err)
			})
		}
	}
	wg.Wait()
	require.NoError(t, r.Close())
	_, err = r.Record(recordings[0])
	assert.ErrorIs(t, err, os.ErrClosed, "no recording after Close")

	seen := map[string]bool{}
	n := 0
	for pl, err := range corpus.ReadPayloads(dir) {
		require.NoError(t, err)
		n++
		require.NotNil(t, pl.Recorded)
		assert.Equal(t, "/webhook?x=1", pl.Recorded.Path)
		assert.Equal(t, []string{"test"}, pl.Recorded.Header["User-Agent"])
		assert.False(t, seen[string(pl.Body)], "each body once")
		seen[string(pl.Body)] = true
		switch pl.Provider {
		case "":
			assert.Regexp(t, `^unrecognised/\d{6}\.json$`, pl.File)
		case schemas.ITNIOTech:
			assert.Regexp(t, `^itniotech/(text|unknown)/\d{6}\.json$`, pl.File)
		default:
			assert.Regexp(t, `^innopaas/image/\d{6}\.json$`, pl.File)
			assert.Equal(t, mockprovider.SchemaInvalid, pl.Schema)
		}
		_, err = corpus.Regenerate(pl.Entry)
		assert.ErrorIs(t, err, corpus.ErrRecorded)
	}
	assert.Equal(t, copies*len(recordings), n)

	_, err = corpus.NewRecorder(dir, false)
	assert.ErrorIs(t, err, corpus.ErrDirNotEmpty, "a recording is not written over")
	r, err = corpus.NewRecorder(dir, true)
	require.NoError(t, err, "unless forced")
	require.NoError(t, r.Close())
}
