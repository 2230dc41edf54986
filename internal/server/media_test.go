package server_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/jsoninput"
	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/internal/media"
	"github.com/wahook/wahook/internal/server"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// mediaOf finds the attachment a webhook body announces, as a receiver would: the object with a
// sha256, its link (InnoPaaS "link", ITNIO "filePath", Meta "url") and MIME type (Meta's
// "mime_type"); all "" for other types.
func mediaOf(t testing.TB, body []byte) (link, mimeType, sum string) {
	t.Helper()
	var doc any
	require.NoError(t, json.Unmarshal(body, &doc))
	var walk func(v any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case map[string]any:
			if s, ok := v["sha256"].(string); ok {
				sum = s
				for _, key := range []string{"mimeType", "mime_type"} {
					if s, ok := v[key].(string); ok {
						mimeType = s
					}
				}
				for _, key := range []string{"link", "filePath", "url"} {
					if l, ok := v[key].(string); ok {
						link = l
					}
				}
				return true
			}
			for _, child := range v {
				if walk(child) {
					return true
				}
			}
		case []any:
			for _, child := range v {
				if walk(child) {
					return true
				}
			}
		}
		return false
	}
	walk(doc)
	return link, mimeType, sum
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

// mediaTypes are the message types that announce an attachment.
var mediaTypes = []string{"image", "sticker", "audio", "video", "document"}

func TestMediaOfSentPayloads(t *testing.T) {
	// End to end: the server sends every type of both providers; every attachment a payload announces
	// downloads from the server with the announced digest and MIME type.
	rec := newReceiver(t, nil)
	srv := start(t, server.Options{})
	c := client(t)
	for _, p := range schemas.Providers() {
		t.Run(string(p), func(t *testing.T) {
			before := len(rec.Hits())
			postSend(t, c, srv, mustJSON(t, map[string]any{"target": rec.URL, "provider": p, "count": 3 * len(schemas.Types(p)), "seed": 42}))
			var seen []string
			for _, h := range rec.Hits()[before:] {
				link, mimeType, want := mediaOf(t, h.Body)
				if link == "" {
					continue
				}
				prov, err := mockprovider.Lookup(p)
				require.NoError(t, err)
				doc, err := jsoninput.Decode(h.Body)
				require.NoError(t, err)
				typ, _ := jsonpointer.Get(doc, prov.MessagePointer+"/type")
				seen = append(seen, typ.(string))

				require.True(t, strings.HasPrefix(link, srv.URL()+"/media/"), "link %s points at the server", link)
				status, header, got := get(t, c, link)
				require.Equal(t, http.StatusOK, status, "%s: %s", link, got)
				assert.Equal(t, want, sha(got), "%s: sha256", link)
				assert.Equal(t, mimeType, header.Get("Content-Type"), "%s: Content-Type", link)
				assert.Equal(t, `"`+want+`"`, header.Get("ETag"))
			}
			for _, typ := range mediaTypes {
				assert.Contains(t, seen, typ, "a %s payload was downloaded", typ)
			}
		})
	}
}

// generated returns the attachment of a generated payload of p and typ whose links point at srv.
func generated(t testing.TB, srv *server.Server, p schemas.Provider, typ, fault string) *mockprovider.MediaRef {
	t.Helper()
	g, err := mockprovider.New(mockprovider.Options{Seed: 3, MediaBaseURL: srv.URL(), MediaFault: fault})
	require.NoError(t, err)
	pl, err := g.Generate(p, typ, 0)
	require.NoError(t, err)
	require.NotNil(t, pl.Media)
	link, mimeType, sum := mediaOf(t, pl.Body)
	require.Equal(t, pl.Media.URL, link)
	require.Equal(t, pl.Media.MIMEType, mimeType)
	require.Equal(t, pl.Media.SHA256, sum)
	return pl.Media
}

func TestMediaEveryKind(t *testing.T) {
	srv := start(t, server.Options{})
	c := client(t)
	for _, p := range schemas.Providers() {
		for _, typ := range mediaTypes {
			t.Run(string(p)+"/"+typ, func(t *testing.T) {
				m := generated(t, srv, p, typ, "")
				status, header, got := get(t, c, m.URL)
				require.Equal(t, http.StatusOK, status)
				assert.Equal(t, m.SHA256, sha(got))
				assert.Equal(t, m.MIMEType, header.Get("Content-Type"))
				assert.Equal(t, "nosniff", header.Get("X-Content-Type-Options"))
				assert.Contains(t, header.Get("Content-Disposition"), m.Filename)
				file, err := media.Generate(m.Kind, m.Seed)
				require.NoError(t, err)
				assert.Equal(t, file.Bytes, got)
			})
		}
	}
}

func TestMediaFaults(t *testing.T) {
	const interval = 10 * time.Millisecond
	srv := start(t, server.Options{DripInterval: interval, DripChunk: 64})
	c := client(t)

	t.Run("404", func(t *testing.T) {
		m := generated(t, srv, schemas.InnoPaaS, "image", media.FaultMissing)
		assert.True(t, strings.HasSuffix(m.URL, "?fault=404"))
		status, header, _ := get(t, c, m.URL)
		assert.Equal(t, http.StatusNotFound, status)
		assert.Equal(t, "application/json", header.Get("Content-Type"))
	})
	t.Run("corrupt", func(t *testing.T) {
		for _, typ := range mediaTypes {
			m := generated(t, srv, schemas.ITNIOTech, typ, media.FaultCorrupt)
			file, err := media.Generate(m.Kind, m.Seed)
			require.NoError(t, err)
			status, header, got := get(t, c, m.URL)
			require.Equal(t, http.StatusOK, status)
			assert.Len(t, got, len(file.Bytes), "%s: same length", typ)
			assert.NotEqual(t, m.SHA256, sha(got), "%s: the receiver's sha256 check fails", typ)
			assert.Equal(t, m.MIMEType, header.Get("Content-Type"))
			assert.Equal(t, "no-store", header.Get("Cache-Control"))
		}
	})
	t.Run("slow", func(t *testing.T) {
		m := generated(t, srv, schemas.InnoPaaS, "document", media.FaultSlow)
		file, err := media.Generate(m.Kind, m.Seed)
		require.NoError(t, err)
		chunks := (len(file.Bytes) + 63) / 64
		require.Greater(t, chunks, 3)

		began := time.Now()
		resp, err := c.Get(m.URL)
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, m.MIMEType, resp.Header.Get("Content-Type"))
		assert.Equal(t, int64(len(file.Bytes)), resp.ContentLength)
		var (
			got   []byte
			reads int
			buf   = make([]byte, 4096)
		)
		for {
			n, err := resp.Body.Read(buf)
			if n > 0 {
				reads++
				got = append(got, buf[:n]...)
			}
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
		}
		elapsed := time.Since(began)
		assert.Equal(t, m.SHA256, sha(got), "complete and correct")
		assert.GreaterOrEqual(t, elapsed, time.Duration(chunks-1)*interval, "dripped, not sent at once")
		assert.Greater(t, reads, 1, "arrived in pieces")
	})
	t.Run("slow HEAD", func(t *testing.T) {
		m := generated(t, srv, schemas.InnoPaaS, "audio", media.FaultSlow)
		resp, err := c.Head(m.URL)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, m.MIMEType, resp.Header.Get("Content-Type"))
	})
}

func TestMediaRequests(t *testing.T) {
	srv := start(t, server.Options{})
	c := client(t)
	key := media.Key(media.Image, 77)
	tests := []struct {
		name       string
		path       string
		wantStatus int
	}{
		{"valid", "/media/" + key, http.StatusOK},
		{"empty key", "/media/", http.StatusNotFound},
		{"no key", "/media", http.StatusNotFound},
		{"dot dot", "/media/../x", http.StatusNotFound},
		{"escaped dot dot", "/media/..%2f..%2fetc%2fpasswd", http.StatusNotFound},
		{"absolute path", "/media//etc/passwd", http.StatusNotFound},
		{"extension", "/media/" + key + ".jpg", http.StatusNotFound},
		{"sub-path", "/media/" + key + "/x", http.StatusNotFound},
		{"uppercase hex", "/media/image-00000000000000AB", http.StatusNotFound},
		{"short seed", "/media/image-1", http.StatusNotFound},
		{"unknown kind", "/media/gif-0000000000000001", http.StatusNotFound},
		{"huge key", "/media/" + strings.Repeat("a", 8000), http.StatusNotFound},
		{"NUL", "/media/image-000000000000000%00", http.StatusNotFound},
		{"unknown fault", "/media/" + key + "?fault=500", http.StatusBadRequest},
		{"two faults", "/media/" + key + "?fault=slow&fault=404", http.StatusBadRequest},
		{"other parameters are ignored", "/media/" + key + "?token=abc", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL()+tt.path, nil)
			require.NoError(t, err)
			resp, err := c.Do(req)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Equal(t, tt.wantStatus, resp.StatusCode, "answer: %.200s", body)
		})
	}

	t.Run("HEAD", func(t *testing.T) {
		resp, err := c.Head(srv.URL() + "/media/" + key)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		file, _ := media.Generate(media.Image, 77)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, int64(len(file.Bytes)), resp.ContentLength)
		assert.Empty(t, body)
	})
	t.Run("If-None-Match", func(t *testing.T) {
		_, h, _ := get(t, c, srv.URL()+"/media/"+key)
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL()+"/media/"+key, nil)
		require.NoError(t, err)
		req.Header.Set("If-None-Match", h.Get("ETag"))
		resp, err := c.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusNotModified, resp.StatusCode)
	})
	t.Run("Range", func(t *testing.T) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL()+"/media/"+key, nil)
		require.NoError(t, err)
		req.Header.Set("Range", "bytes=0-3")
		resp, err := c.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		file, _ := media.Generate(media.Image, 77)
		assert.Equal(t, http.StatusPartialContent, resp.StatusCode)
		assert.Equal(t, file.Bytes[:4], body)
	})
}
