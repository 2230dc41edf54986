package engine

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
)

// response is what an attempt keeps of an answer's head.
type response struct {
	code     int
	status   string // as net/http's Response.Status: "404 Not Found"
	location string
	header   http.Header // as net/http parsed it
}

// readResponse reads the answer to the request just sent into a: its status, and at most
// MaxResponseBody bytes of its body, of which it keeps what budget (the run's) allows. Informational
// (1xx) answers are skipped. keep reports whether the connection may carry another request: the body
// was read to its end and the receiver keeps the connection open.
//
// A failed read says where it failed and how much had come; a transport error under it (a timeout, a
// reset) wins over what net/http made of the bytes it had, since a status line cut short by a timeout
// is reported as "malformed".
func (c *conn) readResponse(a *Attempt, budget *atomic.Int64, wantHeader bool) (r response, keep bool, err error) {
	c.lim.err, c.lim.read = nil, 0
	c.lim.n = maxResponseHead
	r, body, closes, err := c.readHead(wantHeader)
	if err != nil {
		return r, false, err
	}
	a.Status = r.code
	c.lim.n = maxResponseRest
	var n int
	c.body, n, a.BodyTruncated, err = readBody(body, c.body)
	a.Body, a.BodyClipped = keepBody(c.body[:n], budget)
	if err != nil {
		if c.lim.err != nil {
			err = c.lim.err
		} else {
			err = protocolError{err} // the framing is broken, or the response too long
		}
		return r, false, &failure{stage: stageBody, got: n, err: err}
	}
	return r, !a.BodyTruncated && !closes, nil
}

// readHead reads the answer's final head, and returns it with the reader of its body and whether the
// connection ends with the body. A plain head is read by readPlainHead; any other, and every head
// when wantHeader asks for the header, by net/http's ReadResponse. The body reader is not closed by
// the caller: closing a body not read to its end would read the rest, however long. The connection
// is closed instead.
func (c *conn) readHead(wantHeader bool) (r response, body io.Reader, closes bool, err error) {
	if !wantHeader {
		r, length, closes, ok, err := c.readPlainHead()
		if err != nil {
			return r, nil, false, c.headFailure(err)
		}
		if ok {
			c.fixed = fixedBody{r: c.br, n: length}
			return r, &c.fixed, closes, nil
		}
	}
	var resp *http.Response
	for n := 0; ; n++ {
		if n > 0 {
			c.lim.n = maxResponseHead
		}
		resp, err = http.ReadResponse(c.br, nil)
		if err != nil {
			return r, nil, false, c.headFailure(err)
		}
		code := resp.StatusCode
		if code >= 200 || code == http.StatusSwitchingProtocols {
			break
		}
		if n == max1xx {
			err = protocolError{fmt.Errorf("more than %d 1xx informational responses", max1xx)}
			return r, nil, false, &failure{stage: stageHead, got: int(c.lim.read), err: err}
		}
	}
	r.code, r.status, r.header = resp.StatusCode, resp.Status, resp.Header
	if r.code >= 300 && r.code < 400 {
		r.location = resp.Header.Get("Location")
	}
	return r, resp.Body, resp.Close || r.code == http.StatusSwitchingProtocols, nil
}

// headFailure is the failure of reading a response head with err: a head too long, else the
// transport's error when there was one, else what the parser made of the bytes.
func (c *conn) headFailure(err error) error {
	switch {
	case c.lim.n <= 0:
		err = protocolError{fmt.Errorf("response head longer than %d bytes", maxResponseHead)}
	case c.lim.err != nil:
		err = c.lim.err
	default:
		err = protocolError{err}
	}
	return &failure{stage: stageHead, got: int(c.lim.read), err: err}
}

// readPlainHead reads the head of the answer the way ReadResponse would, when it is the kind nearly
// every receiver sends and it came whole in the first read: HTTP/1.1, a final status other than 204
// and 304, one Content-Length and no Transfer-Encoding, every line a plain "Name: value". That skips
// building a header map, a Response and its body reader per request. Anything else, it leaves where it
// is for ReadResponse (ok false), which then reads the same bytes. An error before the first byte is
// returned as ReadResponse returns it: the reader reports an error once, which may be one it kept
// from reading the last answer. length is the body's, and closes whether the receiver will close the
// connection after it.
func (c *conn) readPlainHead() (r response, length int64, closes, ok bool, err error) {
	if _, err := c.br.Peek(1); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF // an answer that never began, in ReadResponse's words
		}
		return r, 0, false, false, err
	}
	buf, _ := c.br.Peek(c.br.Buffered())
	end := bytes.Index(buf, crlf2)
	if end < 0 {
		return r, 0, false, false, nil
	}
	head := buf[:end+2]
	statusLine, head, _ := bytes.Cut(head, crlf)
	// "HTTP/1.1 200" and an optional reason phrase.
	status, found := bytes.CutPrefix(statusLine, []byte("HTTP/1.1 "))
	if !found || len(status) < 3 || len(status) > 3 && status[3] != ' ' || !plainValue(status) {
		return r, 0, false, false, nil
	}
	code := 0
	for _, b := range status[:3] {
		if b < '0' || b > '9' {
			return r, 0, false, false, nil
		}
		code = 10*code + int(b-'0')
	}
	if code < 200 || code > 599 || code == http.StatusNoContent || code == http.StatusNotModified {
		return r, 0, false, false, nil
	}
	length = -1
	location := false // whether a Location header came: the first one is the one, even if empty
	for len(head) > 0 {
		var line []byte
		line, head, _ = bytes.Cut(head, crlf)
		colon := bytes.IndexByte(line, ':')
		if colon < 0 || !validName(string(line[:colon])) {
			return r, 0, false, false, nil
		}
		name, value := line[:colon], bytes.Trim(line[colon+1:], " \t")
		if !plainValue(value) {
			return r, 0, false, false, nil
		}
		switch {
		case bytes.EqualFold(name, headerContentLength):
			if length >= 0 || len(value) == 0 || len(value) > 18 {
				return r, 0, false, false, nil
			}
			length = 0
			for _, b := range value {
				if b < '0' || b > '9' {
					return r, 0, false, false, nil
				}
				length = 10*length + int64(b-'0')
			}
		case bytes.EqualFold(name, headerTransferEncoding):
			return r, 0, false, false, nil
		case bytes.EqualFold(name, headerConnection):
			closes = closes || hasToken(string(value), "close")
		case bytes.EqualFold(name, headerLocation):
			if !location && code >= 300 && code < 400 {
				r.location = string(value)
			}
			location = true
		}
	}
	if length < 0 {
		return r, 0, false, false, nil
	}
	r.code = code
	if r.status = "200 OK"; string(status) != r.status {
		r.status = string(status)
	}
	_, _ = c.br.Discard(end + 4)
	return r, length, closes, true, nil
}

var (
	crlf                   = []byte("\r\n")
	crlf2                  = []byte("\r\n\r\n")
	headerContentLength    = []byte("Content-Length")
	headerTransferEncoding = []byte("Transfer-Encoding")
	headerConnection       = []byte("Connection")
	headerLocation         = []byte("Location")
)

// plainValue reports whether v holds no control character but tab: a header value, or status line,
// that ReadResponse takes as it is.
func plainValue(v []byte) bool {
	for _, b := range v {
		if b < ' ' && b != '\t' || b == 0x7f {
			return false
		}
	}
	return true
}

// fixedBody reads a body of n bytes from r, as net/http's body reader does for a Content-Length: the
// receiver closing the connection before the last byte is io.ErrUnexpectedEOF, not the end.
type fixedBody struct {
	r io.Reader
	n int64
}

func (f *fixedBody) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > f.n {
		p = p[:f.n]
	}
	n, err := f.r.Read(p)
	f.n -= int64(n)
	switch {
	case err == io.EOF && f.n > 0:
		err = io.ErrUnexpectedEOF
	case err == nil && f.n == 0:
		err = io.EOF // with the last byte, so that a reader does not grow its buffer for one more read
	}
	return n, err
}

// limitReader reads r until n bytes have been read, then fails: an answer that goes on for ever must
// not make the engine read, or keep, more than a bounded amount. It counts the bytes read and keeps
// the first error of r, which the parser reading through it may have replaced with one of its own.
type limitReader struct {
	r    io.Reader
	n    int64
	read int64
	err  error
}

var errResponseTooLong = errors.New("response too long")

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errResponseTooLong
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	l.read += int64(n)
	if err != nil && l.err == nil {
		l.err = err
	}
	return n, err
}
