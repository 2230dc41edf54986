package fuzz_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/fuzz"
	"github.com/wahook/wahook/internal/hooktest"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// TestMisreadFinding: a receiver that acks everything and stores media without their captions has
// one misread finding with --inspect, named by the field, confirmed and minimised; without
// --inspect it has none.
func TestMisreadFinding(t *testing.T) {
	p := schemas.ITNIOTech
	srv := hooktest.Server(t, &hooktest.Misreader{Provider: p, Spoil: hooktest.DropCaptions})
	opts := fuzz.Options{Target: mockprovider.Target{URL: srv.URL, Provider: p}, Seed: 5, Count: 400, Workers: 2, Out: t.TempDir()}

	rep, err := fuzz.Run(t.Context(), opts)
	require.NoError(t, err)
	assert.Empty(t, rep.Findings, "status alone cannot see it")

	opts.InspectURL = srv.URL + "/inspect/{id}"
	opts.Out = t.TempDir()
	rep, err = fuzz.Run(t.Context(), opts)
	require.NoError(t, err)
	require.Len(t, rep.Findings, 1, "one field misread, one finding")
	fd := rep.Findings[0]
	assert.Equal(t, fuzz.OutcomeMisread, fd.Outcome)
	assert.Equal(t, "misread/200//media/caption", fd.Signature)
	assert.True(t, fd.Confirmed, fd.Note)
	assert.Less(t, len(fd.Minimised), len(fd.Original), "minimised")
	require.NotEmpty(t, fd.Misread)
	assert.Regexp(t, `^/media/caption: sent ".*", receiver has nothing$`, fd.Misread[0])
	minimised, err := mockprovider.Parse(p, fd.Minimised)
	require.NoError(t, err, "the minimised payload is one the provider could send")
	assert.NotEmpty(t, minimised.Media.Caption, "and it still has the caption the receiver drops")
	script, err := os.ReadFile(filepath.Join(fd.Dir, "reproduce.sh"))
	require.NoError(t, err)
	assert.Contains(t, string(script), "/media/caption")

	opts.Ignore, opts.Out = []string{"/media/caption"}, t.TempDir()
	rep, err = fuzz.Run(t.Context(), opts)
	require.NoError(t, err)
	assert.Empty(t, rep.Findings, "an ignored field is not judged")
}
