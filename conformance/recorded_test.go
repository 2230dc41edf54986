package conformance_test

import (
	"bytes"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/conformance"
	"github.com/wahook/wahook/examples/receiver"
	"github.com/wahook/wahook/internal/corpus"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// TestRecordedGroup replays a recording as the recorded group: one case per delivery of the suite's
// provider, sent with fresh ids (the recording's own ids are not sent again), each expected 2xx; a
// receiver that refuses one of the recorded types fails exactly those cases.
func TestRecordedGroup(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "recorded")
	rec, err := corpus.NewRecorder(dir, false)
	require.NoError(t, err)
	g, err := mockprovider.New(mockprovider.Options{Seed: 9})
	require.NoError(t, err)
	var ids []string
	for i, typ := range []string{"text", "image", "location", "text"} {
		pl, err := g.Generate(schemas.ITNIOTech, typ, uint64(i))
		require.NoError(t, err)
		ids = append(ids, pl.ID)
		_, err = rec.Record(corpus.Recording{Provider: schemas.ITNIOTech, Type: typ, ID: pl.ID, Schema: mockprovider.SchemaValid,
			ContentType: "application/json", Body: pl.Body, Recorded: corpus.Recorded{Time: time.Now(), Method: "POST", Path: "/", Status: 200}})
		require.NoError(t, err)
	}
	other, err := g.Generate(schemas.InnoPaaS, "text", 0)
	require.NoError(t, err)
	_, err = rec.Record(corpus.Recording{Provider: schemas.InnoPaaS, Type: "text", Schema: mockprovider.SchemaValid, Body: other.Body, Recorded: corpus.Recorded{Status: 200}})
	require.NoError(t, err)
	require.NoError(t, rec.Close())

	ref := receiver.New(receiver.Options{})
	var sent [][]byte
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if bytes.Contains(body, []byte(`"type":"location"`)) {
			w.WriteHeader(http.StatusUnprocessableEntity)
			return
		}
		sent = append(sent, body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		ref.ServeHTTP(w, r)
	}))
	report := execute(t, conformance.Config{Target: mockprovider.Target{URL: srv.URL, Provider: schemas.ITNIOTech}, Corpus: dir, Run: "^recorded/", Concurrency: 1})
	var got []string
	for _, r := range report.Results {
		got = append(got, r.ID+" "+string(r.Outcome))
	}
	assert.Equal(t, []string{
		"recorded/itniotech/text/000000 pass", "recorded/itniotech/image/000001 pass",
		"recorded/itniotech/location/000002 fail", "recorded/itniotech/text/000003 pass",
	}, got, "one case per delivery of the provider, in the recording's order")
	for _, body := range sent {
		for _, id := range ids {
			assert.False(t, strings.Contains(string(body), id), "the recording's ids are not sent again")
		}
	}

	_, err = conformance.Cases(conformance.Config{Target: mockprovider.Target{Provider: schemas.ITNIOTech}, Corpus: filepath.Join(dir, "missing")})
	assert.ErrorContains(t, err, "missing")
}
