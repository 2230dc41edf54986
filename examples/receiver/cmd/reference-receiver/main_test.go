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

	body, err := fixtures.Read("documented/itniotech/text.json")
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

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("no shutdown")
	}
}

func TestRunUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--provider", "meta"},
		{"--listen", "not an address"},
		{"--auth-header", "no colon"},
		{"extra"},
		{"--bogus"},
	} {
		var stdout, stderr bytes.Buffer
		assert.Equal(t, 2, run(t.Context(), args, &stdout, &stderr), args)
		assert.Empty(t, stdout.String(), args)
		assert.NotEmpty(t, stderr.String(), args)
	}
}
