package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/fixtures"
)

// The first line on stdout is the URL to POST to; the receiver serves there until the context ends.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stdoutR, stdoutW := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--auth-user", "u", "--auth-token", "t"}, stdoutW, &stderr)
		stdoutW.Close()
	}()
	url, err := bufio.NewReader(stdoutR).ReadString('\n')
	require.NoError(t, err)
	url = strings.TrimSpace(url)
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+/webhook$`, url)

	body, err := fixtures.Read("documented/innopaas/text.json")
	require.NoError(t, err)
	post := func(user, token string) int {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header["UserName"] = []string{user}
		req.Header["Authorization"] = []string{token}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusOK, post("u", "t"))
	assert.Equal(t, http.StatusUnauthorized, post("u", "x"))

	// As a real receiver: its webhook path and a health check, and 404 elsewhere.
	base := strings.TrimSuffix(url, "/webhook")
	for path, want := range map[string]int{"/healthz": http.StatusOK, "/": http.StatusNotFound, "/hook": http.StatusNotFound} {
		resp, err := http.Get(base + path)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, want, resp.StatusCode, path)
	}
	resp, err := http.Post(base+"/other", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "a webhook POSTed to another path")

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("no shutdown")
	}
}

func TestRunUsage(t *testing.T) {
	for _, tt := range []struct {
		args       []string
		wantStderr string // "" for any
	}{
		{[]string{"--provider", "no-such-provider"}, ""},
		{[]string{"--listen", "not an address"}, ""},
		{[]string{"--auth-header", "no colon"}, "reference-receiver: --auth-header: a line without ':': want 'Name: value'\n"},
		{[]string{"--auth-header", "X(bad: v"}, "reference-receiver: --auth-header: name \"X(bad\" is not a token: use letters, digits and !#$%&'*+-.^_`|~\n"},
		{[]string{"--auth-header", "X-Secret: s3cret\x01"}, "reference-receiver: --auth-header: X-Secret: control character 0x01 at byte 6 of the value\n"},
		{[]string{"extra"}, ""},
		{[]string{"--bogus"}, ""},
		{[]string{"--defect", "hangs"}, ""}, // not a silent one
		{[]string{"--defect", "drops captions", "--auth-user", "u"}, "reference-receiver: --defect serves the receiver without credentials: leave out --auth-user, --auth-token, --app-secret and --auth-header\n"},
	} {
		var stdout, stderr bytes.Buffer
		assert.Equal(t, 2, run(t.Context(), tt.args, &stdout, &stderr), tt.args)
		assert.Empty(t, stdout.String(), tt.args)
		assert.NotEmpty(t, stderr.String(), tt.args)
		if tt.wantStderr != "" {
			assert.Equal(t, tt.wantStderr, stderr.String(), tt.args)
		}
	}
}
