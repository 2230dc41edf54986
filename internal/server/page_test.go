package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/delivery"
	"github.com/wahook/wahook/internal/jsonrecord"
	"github.com/wahook/wahook/internal/server"
)

func TestPage(t *testing.T) {
	srv := start(t, server.Options{})
	c := client(t)

	status, h, body := get(t, c, srv.URL()+"/")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "text/html; charset=utf-8", h.Get("Content-Type"))
	assert.Contains(t, string(body), "No deliveries yet.")
	assert.Contains(t, string(body), `<meta http-equiv="refresh"`)

	const (
		hostileType = `<script>alert("type")</script>`
		hostileID   = `"><img src=x onerror=alert(1)>`
		hostileErr  = `500 <b>bold</b>`
	)
	srv.AddRecord(server.Record{
		Run: "send-1", Time: time.Now(), Provider: "innopaas", Status: 500, LatencyMs: 12.5,
		Result: jsonrecord.Result{
			ID: hostileID, Type: hostileType, Outcome: delivery.Failed,
			Attempts: []jsonrecord.Attempt{{Attempt: 1, Status: 500, Error: hostileErr, Class: delivery.ClassHTTPStatus}},
		},
	})
	srv.AddRecord(server.Record{Run: "timer", Time: time.Now(), Provider: "itniotech", Status: 200,
		Result: jsonrecord.Result{ID: "wamid.ok", Type: "text", Outcome: delivery.Acked}})

	status, _, body = get(t, c, srv.URL()+"/")
	require.Equal(t, http.StatusOK, status)
	page := string(body)
	for _, raw := range []string{hostileType, hostileID, hostileErr, "<script>", "<img", "<b>"} {
		assert.NotContains(t, page, raw, "escaped")
	}
	assert.Contains(t, page, "&lt;script&gt;alert(&#34;type&#34;)&lt;/script&gt;")
	assert.Contains(t, page, "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;")
	assert.Contains(t, page, "500 &lt;b&gt;bold&lt;/b&gt;")
	assert.Less(t, strings.Index(page, "wamid.ok"), strings.Index(page, "onerror"), "newest first")
	assert.NotContains(t, page, "No deliveries yet.")
}
