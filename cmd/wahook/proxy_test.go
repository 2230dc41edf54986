package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	reference "github.com/wahook/wahook/examples/receiver"
	"github.com/wahook/wahook/internal/hooktest"
)

// TestProxyCommand: wahook send through wahook proxy to the reference receiver: every delivery acked
// as if sent straight, a line per delivery, and the drift summary on stopping.
func TestProxyCommand(t *testing.T) {
	rec := hooktest.Server(t, reference.New(reference.Options{}))
	ctx, cancel := context.WithCancel(t.Context())
	stdout, stderr := &hooktest.Buffer{}, &hooktest.Buffer{}
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"proxy", "--listen", "127.0.0.1:0", "--forward", rec.URL + "/webhook"}, strings.NewReader(""), stdout, stderr)
	}()
	var url string
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		m := regexp.MustCompile(`wahook proxy: listening on (http://127\.0\.0\.1:\d+), forwarding to `).FindStringSubmatch(stdout.String())
		if assert.NotNil(c, m, "%q %q", stdout.String(), stderr.String()) {
			url = m[1]
		}
	}, 10*time.Second, 5*time.Millisecond)

	got := runWahook(t, "", "send", "--target", url, "--provider", "itniotech", "--type", "text,image", "--count", "4", "--retries", "none")
	assert.Equal(t, 0, got.code, got.stdout+got.stderr)
	assert.Contains(t, got.stdout, "4 acked")

	cancel()
	select {
	case c := <-code:
		assert.Equal(t, 0, c, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("wahook proxy did not stop")
	}
	out := stdout.String()
	lines := regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d\.\d{3} itniotech +(text|image) +\S+ 200 \S+  valid$`).FindAllString(out, -1)
	assert.Len(t, lines, 4, out)
	assert.Contains(t, out, "\ndrift: 4 deliveries, 4 valid, 0 matching neither provider\n")
}
