package hostile_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/hostile"
)

// request is a small webhook POST, as a sender would write it.
const request = "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"

// exchange connects to srv over plain TCP, whatever its URL says, sends request and returns what it
// answers within a second, and the error that ended the reading.
func exchange(t *testing.T, srv *hostile.Server, limit int64) ([]byte, error) {
	t.Helper()
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	conn, err := net.Dial("tcp", u.Host)
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, request)
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(time.Second)))
	var got bytes.Buffer
	_, err = io.Copy(&got, io.LimitReader(conn, limit))
	return got.Bytes(), err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestBehaviours(t *testing.T) {
	tests := []struct {
		behaviour hostile.Behaviour
		opts      hostile.Options
		check     func(t *testing.T, srv *hostile.Server)
	}{
		{hostile.NeverReads, hostile.Options{}, func(t *testing.T, srv *hostile.Server) {
			got, err := exchange(t, srv, 1<<20)
			assert.Empty(t, got)
			assert.True(t, isTimeout(err), "no answer, not even a close: %v", err)
		}},
		{hostile.Slowloris, hostile.Options{Interval: time.Minute}, func(t *testing.T, srv *hostile.Server) {
			// The first byte comes at once; the second not for a minute.
			got, err := exchange(t, srv, 1<<20)
			assert.Equal(t, "H", string(got))
			assert.True(t, isTimeout(err), "%v", err)
		}},
		{hostile.Slowloris, hostile.Options{Interval: time.Millisecond}, func(t *testing.T, srv *hostile.Server) {
			resp := post(t, srv.URL)
			assert.Equal(t, http.StatusOK, resp.StatusCode, "slow, but HTTP")
		}},
		{hostile.EndlessBody, hostile.Options{}, func(t *testing.T, srv *hostile.Server) {
			resp := post(t, srv.URL)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, int64(-1), resp.ContentLength)
			n, err := io.CopyN(io.Discard, resp.Body, 4<<20)
			assert.NoError(t, err)
			assert.Equal(t, int64(4<<20), n)
		}},
		{hostile.EndlessChunked, hostile.Options{}, func(t *testing.T, srv *hostile.Server) {
			resp := post(t, srv.URL)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, []string{"chunked"}, resp.TransferEncoding)
			n, err := io.CopyN(io.Discard, resp.Body, 4<<20)
			assert.NoError(t, err)
			assert.Equal(t, int64(4<<20), n)
		}},
		{hostile.HugeHead, hostile.Options{}, func(t *testing.T, srv *hostile.Server) {
			got, err := exchange(t, srv, 2*hostile.HugeHeadBytes)
			head, _, complete := bytes.Cut(got, []byte("\r\n\r\n"))
			require.True(t, complete, "a head that ends, after %d bytes (%v)", len(got), err)
			assert.Greater(t, len(head), hostile.HugeHeadBytes)
			assert.True(t, bytes.HasPrefix(head, []byte("HTTP/1.1 200 OK\r\nX-Filler: ")))
		}},
		{hostile.InformationalStorm, hostile.Options{}, func(t *testing.T, srv *hostile.Server) {
			const continued = "HTTP/1.1 100 Continue\r\n\r\n"
			got, err := exchange(t, srv, 1000*int64(len(continued)))
			require.NoError(t, err)
			assert.Equal(t, strings.Repeat(continued, 1000), string(got), "only 1xx answers")
		}},
		{hostile.RedirectLoop, hostile.Options{}, func(t *testing.T, srv *hostile.Server) {
			resp := post(t, srv.URL)
			assert.Equal(t, http.StatusFound, resp.StatusCode)
			assert.Equal(t, srv.URL, resp.Header.Get("Location"), "to itself")
		}},
		{hostile.ResetAfterRead, hostile.Options{}, func(t *testing.T, srv *hostile.Server) {
			got, err := exchange(t, srv, 1<<20)
			assert.Empty(t, got)
			assert.ErrorIs(t, err, syscall.ECONNRESET)
		}},
		{hostile.Garbage, hostile.Options{}, func(t *testing.T, srv *hostile.Server) {
			got, err := exchange(t, srv, 1<<20)
			assert.NoError(t, err, "answered, then closed")
			assert.Equal(t, hostile.GarbageAnswer, string(got))
		}},
		{hostile.TLSForHTTP, hostile.Options{}, func(t *testing.T, srv *hostile.Server) {
			require.True(t, strings.HasPrefix(srv.URL, "http://"), srv.URL)
			got, err := exchange(t, srv, 1<<20)
			assert.Empty(t, got, "no answer in plain HTTP")
			assert.False(t, isTimeout(err), "the connection ends at once: %v", err)
			// Addressed as it should be, it answers.
			client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
			resp, err := client.Post(strings.Replace(srv.URL, "http:", "https:", 1), "application/json", strings.NewReader("{}"))
			require.NoError(t, err)
			defer resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode)
		}},
		{hostile.HTTPForTLS, hostile.Options{}, func(t *testing.T, srv *hostile.Server) {
			require.True(t, strings.HasPrefix(srv.URL, "https://"), srv.URL)
			u, err := url.Parse(srv.URL)
			require.NoError(t, err)
			_, err = tls.Dial("tcp", u.Host, &tls.Config{InsecureSkipVerify: true})
			var record tls.RecordHeaderError
			require.ErrorAs(t, err, &record)
			assert.Equal(t, "HTTP/", string(record.RecordHeader[:]), "a TLS hello is answered in plain HTTP")
			resp := post(t, strings.Replace(srv.URL, "https:", "http:", 1))
			assert.Equal(t, http.StatusOK, resp.StatusCode)
		}},
		{hostile.LateAck, hostile.Options{Delay: 50 * time.Millisecond}, func(t *testing.T, srv *hostile.Server) {
			u, err := url.Parse(srv.URL)
			require.NoError(t, err)
			conn, err := net.Dial("tcp", u.Host)
			require.NoError(t, err)
			defer conn.Close()
			br := bufio.NewReader(conn)
			for i := range 2 { // on one connection
				start := time.Now()
				_, err = io.WriteString(conn, request)
				require.NoError(t, err)
				resp, err := http.ReadResponse(br, nil)
				require.NoError(t, err, "request %d", i+1)
				assert.Equal(t, http.StatusOK, resp.StatusCode)
				assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond, "not before the delay")
			}
		}},
	}
	seen := map[hostile.Behaviour]bool{}
	for _, tt := range tests {
		seen[tt.behaviour] = true
		t.Run(string(tt.behaviour), func(t *testing.T) {
			t.Parallel()
			srv := hostile.Start(t, tt.behaviour, tt.opts)
			assert.Regexp(t, `^https?://127\.0\.0\.1:\d+/webhook$`, srv.URL, "loopback only")
			tt.check(t, srv)
		})
	}
	for _, b := range hostile.Behaviours() {
		assert.True(t, seen[b], "behaviour %s is not tested", b)
	}
}

// post sends a webhook with net/http, which does not follow redirects here, and returns the answer;
// its body is closed when the test ends.
func post(t *testing.T, target string) *http.Response {
	t.Helper()
	client := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Post(target, "application/json", strings.NewReader("{}"))
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// TestClose: Close ends the connections a behaviour holds open and returns, and the port stops
// taking new ones.
func TestClose(t *testing.T) {
	srv, err := hostile.New(hostile.NeverReads, hostile.Options{})
	require.NoError(t, err)
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	conn, err := net.Dial("tcp", u.Host)
	require.NoError(t, err)
	defer conn.Close()
	srv.Close()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	_, err = conn.Read(make([]byte, 1))
	assert.False(t, isTimeout(err), "closed by the server, not left hanging: %v", err)
	_, err = net.Dial("tcp", u.Host)
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)
	srv.Close() // again: harmless
}

func TestNewRefuses(t *testing.T) {
	tests := []struct {
		name      string
		behaviour hostile.Behaviour
		opts      hostile.Options
		wantErr   string
	}{
		{"an unknown behaviour", "polite", hostile.Options{}, `hostile: unknown behaviour "polite"`},
		{"a negative interval", hostile.Slowloris, hostile.Options{Interval: -time.Second}, "hostile slowloris: negative Interval or Delay"},
		{"a negative delay", hostile.LateAck, hostile.Options{Delay: -time.Second}, "hostile late-ack: negative Interval or Delay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := hostile.New(tt.behaviour, tt.opts)
			assert.Nil(t, srv)
			assert.EqualError(t, err, tt.wantErr)
		})
	}
}
