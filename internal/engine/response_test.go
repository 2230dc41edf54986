package engine

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readOutcome is everything readResponse decides about an answer, and what it leaves unread.
type readOutcome struct {
	Code, Status       int
	StatusText         string
	Location           string
	Keep               bool
	Body               string
	Truncated, Clipped bool
	Err                string
	// Scratch is the size the connection's body scratch has grown to.
	Scratch int
}

// readAnswers reads the answers in raw, as split into reads by split, one after another on one
// connection, the way a run's attempts would, until one fails or ends the connection: with the fast
// head parser when wantHeader is false, through net/http's ReadResponse when it is true.
func readAnswers(raw []byte, split func(io.Reader) io.Reader, wantHeader bool) []readOutcome {
	c := &conn{}
	c.lim.r = split(bytes.NewReader(raw))
	c.br = bufio.NewReaderSize(&c.lim, readBufferSize)
	var budget atomic.Int64
	budget.Store(1 << 20)
	var outs []readOutcome
	for range 4 {
		var a Attempt
		r, keep, err := c.readResponse(&a, &budget, wantHeader)
		out := readOutcome{Code: r.code, Status: a.Status, StatusText: r.status, Location: r.location, Keep: keep,
			Body: string(a.Body), Truncated: a.BodyTruncated, Clipped: a.BodyClipped, Scratch: len(c.body)}
		if err != nil {
			out.Err = err.Error()
		}
		outs = append(outs, out)
		if !keep {
			break
		}
	}
	return outs
}

func whole(r io.Reader) io.Reader { return r }

// TestPlainHeadMatchesReadResponse holds the fast head parser to net/http's: for every answer, read
// whole, a byte at a time or with the end of the stream coming with the last bytes, both make the same
// attempts of the answers that follow one another on a connection, and keep or drop it alike.
func TestPlainHeadMatchesReadResponse(t *testing.T) {
	long := strings.Repeat("x", MaxResponseBody+10)
	tests := []struct {
		name string
		raw  string
	}{
		{"ok", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"},
		{"ok then the next answer", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
		{"ok then a chunked answer", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"},
		{"a body as long as the scratch", "HTTP/1.1 200 OK\r\nContent-Length: 512\r\n\r\n" + strings.Repeat("y", 512)},
		{"no reason", "HTTP/1.1 202\r\nContent-Length: 0\r\n\r\n"},
		{"other reason", "HTTP/1.1 200 Fine thanks\r\ncontent-length:   3  \r\nX-A: b\r\n\r\nabc"},
		{"empty body", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
		{"leading zeros", "HTTP/1.1 200 OK\r\nContent-Length: 003\r\n\r\nabc"},
		{"connection close", "HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 2\r\n\r\nok"},
		{"connection close in capitals", "HTTP/1.1 200 OK\r\nConnection: CLOSE\r\nContent-Length: 2\r\n\r\nok"},
		{"connection close and a no-break space", "HTTP/1.1 200 OK\r\nConnection: close\u00a0\r\nContent-Length: 2\r\n\r\nok"},
		{"connection with a long s", "HTTP/1.1 200 OK\r\nConnection: clo\u017fe\r\nContent-Length: 2\r\n\r\nok"},
		{"connection keep-alive", "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok"},
		{"redirect", "HTTP/1.1 302 Found\r\nLocation:  /elsewhere \r\nLocation: /second\r\nContent-Length: 0\r\n\r\n"},
		{"empty location first", "HTTP/1.1 302 Found\r\nLocation: \r\nLocation: /x\r\nContent-Length: 0\r\n\r\n"},
		{"blank location first", "HTTP/1.1 302 Found\r\nLocation:  \t\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n"},
		{"location on a 200", "HTTP/1.1 200 OK\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n"},
		{"server error", "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops"},
		{"body cut short", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"},
		{"body longer than kept", "HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(len(long)) + "\r\n\r\n" + long},
		{"two lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok"},
		{"two different lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!"},
		{"bad length", "HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok"},
		{"huge length", "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\nok"},
		{"no length", "HTTP/1.1 200 OK\r\n\r\nuntil close"},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"},
		{"chunked and a length", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\n\r\n2\r\nok\r\n0\r\n\r\n"},
		{"no content", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"},
		{"not modified", "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n"},
		{"continue first", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"},
		{"switching protocols", "HTTP/1.1 101 Switching Protocols\r\nContent-Length: 0\r\n\r\n"},
		{"http/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"},
		{"status code of four digits", "HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok"},
		{"status code not digits", "HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\nok"},
		{"two spaces", "HTTP/1.1  200 OK\r\nContent-Length: 2\r\n\r\nok"},
		{"status 999", "HTTP/1.1 999 Odd\r\nContent-Length: 2\r\n\r\nok"},
		{"folded header", "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 2\r\n\r\nok"},
		{"space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok"},
		{"no colon", "HTTP/1.1 200 OK\r\nContent-Length 2\r\n\r\nok"},
		{"control in a value", "HTTP/1.1 200 OK\r\nX-A: a\x01b\r\nContent-Length: 2\r\n\r\nok"},
		{"bare line feeds", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok"},
		{"bare line feed in the head", "HTTP/1.1 200 OK\r\nX-A: a\nContent-Length: 2\r\n\r\nok"},
		{"utf-8 in a value", "HTTP/1.1 200 OK\r\nX-A: héllo\r\nContent-Length: 2\r\n\r\nok"},
		{"not http", "SSH-2.0-OpenSSH_9.6\r\n\r\n"},
		{"nothing", ""},
		{"head cut short", "HTTP/1.1 200 OK\r\nContent-Len"},
	}
	splits := map[string]func(io.Reader) io.Reader{"whole": whole, "a byte at a time": iotest.OneByteReader,
		"the end with the data": iotest.DataErrReader}
	for _, tt := range tests {
		for how, split := range splits {
			t.Run(tt.name+"/"+how, func(t *testing.T) {
				want := readAnswers([]byte(tt.raw), split, true)
				got := readAnswers([]byte(tt.raw), split, false)
				assert.Equal(t, want, got)
			})
		}
	}
}

// TestPlainHeadSkipsTheMap checks that the common answer takes the fast parser, which allocates
// nothing for it once the connection's scratch has grown, where ReadResponse allocates a header map,
// a Response and a body reader.
func TestPlainHeadSkipsTheMap(t *testing.T) {
	raw := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: Fri, 04 Dec 2026 01:00:00 GMT\r\nContent-Length: 2\r\n\r\nok")
	allocs := func(wantHeader bool) float64 {
		c := &conn{}
		src := bytes.NewReader(raw)
		c.lim.r = src
		c.br = bufio.NewReaderSize(&c.lim, readBufferSize)
		var (
			budget atomic.Int64
			a      Attempt
			keep   bool
			err    error
		)
		budget.Store(1 << 40)
		n := testing.AllocsPerRun(100, func() {
			src.Reset(raw)
			c.br.Reset(&c.lim)
			_, keep, err = c.readResponse(&a, &budget, wantHeader)
		})
		require.NoError(t, err)
		require.True(t, keep)
		require.Equal(t, "ok", string(a.Body))
		return n
	}
	// The one allocation left is the kept copy of the body.
	assert.Equal(t, 1.0, allocs(false))
	assert.Greater(t, allocs(true), 5.0)
}

// FuzzPlainHead holds the fast head parser to net/http's on whatever a receiver might answer.
func FuzzPlainHead(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), uint8(0))
	f.Add([]byte("HTTP/1.1 302 Found\r\nLocation: /x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"), uint8(1))
	f.Add([]byte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), uint8(2))
	splits := []func(io.Reader) io.Reader{whole, iotest.OneByteReader, iotest.DataErrReader}
	f.Fuzz(func(t *testing.T, raw []byte, how uint8) {
		split := splits[int(how)%len(splits)]
		assert.Equal(t, readAnswers(raw, split, true), readAnswers(raw, split, false))
	})
}

// BenchmarkReadResponse reads a typical receiver's answer with the fast head parser and, as the
// baseline in the same run, through net/http's ReadResponse (the path taken when headers are kept).
//
//	go test ./internal/engine -run '^$' -bench BenchmarkReadResponse
func BenchmarkReadResponse(b *testing.B) {
	raw := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nDate: Fri, 04 Dec 2026 01:00:00 GMT\r\nContent-Length: 2\r\n\r\nok")
	for _, bc := range []struct {
		name       string
		wantHeader bool
	}{{"plain-head", false}, {"net-http", true}} {
		b.Run(bc.name, func(b *testing.B) {
			c := &conn{}
			src := bytes.NewReader(raw)
			c.lim.r = src
			c.br = bufio.NewReaderSize(&c.lim, readBufferSize)
			var budget atomic.Int64
			budget.Store(1 << 62)
			b.ReportAllocs()
			for b.Loop() {
				src.Reset(raw)
				c.br.Reset(&c.lim)
				var a Attempt
				if _, _, err := c.readResponse(&a, &budget, bc.wantHeader); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestHasToken: a Connection header's tokens, in a request's headers or an answer's, are matched as
// net/http matches them, ASCII only.
func TestHasToken(t *testing.T) {
	tests := []struct {
		v    string
		want bool
	}{
		{"close", true},
		{"Keep-Alive, CLOSE", true},
		{" \tclose\t ", true},
		{"keep-alive", false},
		{"closed", false},
		{"", false},
		{",,", false},
		{"close\u00a0", false},
		{"clo\u017fe", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, hasToken(tt.v, "close"), "%q", tt.v)
	}
}
