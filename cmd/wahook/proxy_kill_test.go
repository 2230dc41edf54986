package main

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/corpus"
	"github.com/wahook/wahook/internal/hooktest"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
	"github.com/wahook/wahook/send"
)

// TestProxyRecordSurvivesSIGKILL kills wahook proxy --record (SIGKILL: nothing of its own runs)
// part-way through a 10,000-delivery run: the manifest it leaves lists only files that exist, and
// each of them whole (its SHA-256 is the manifest's).
func TestProxyRecordSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a proxy process and thousands of deliveries")
	}
	sink := hooktest.Server(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	dir := filepath.Join(t.TempDir(), "recorded")
	cmd := exec.Command(os.Args[0], "proxy", "--listen", "127.0.0.1:0", "--forward", sink.URL+"/webhook", "--record", dir, "--quiet")
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	lines := bufio.NewScanner(stdout)
	listening := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+),`)
	var url string
	for url == "" && lines.Scan() {
		if m := listening.FindStringSubmatch(lines.Text()); m != nil {
			url = m[1]
		}
	}
	require.NotEmpty(t, url, "the proxy said where it listens")

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	sent := make(chan error, 1)
	go func() {
		_, err := send.Stream(ctx, send.Options{
			Target: mockprovider.Target{URL: url + "/webhook", Provider: schemas.ITNIOTech, Timeout: 5 * time.Second},
			Count:  10_000, Workers: 8, Retries: "none",
		})
		sent <- err
	}()
	manifest := filepath.Join(dir, corpus.ManifestFile)
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(manifest)
		return err == nil && bytes.Count(b, []byte("\n")) > 1000
	}, 30*time.Second, 5*time.Millisecond, "the recording grows")
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	<-exited
	exited <- nil // for the cleanup
	cancel()
	<-sent

	n := 0
	for pl, err := range corpus.ReadPayloads(dir) {
		require.NoError(t, err, "after %d whole entries", n)
		assert.NotEmpty(t, pl.Body)
		n++
	}
	assert.Greater(t, n, 1000)
	assert.Less(t, n, 10_000, "the proxy was killed part-way")
}
