package engine

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The engine speaks HTTP/1.1 on connections it owns, one request at a time on each, rather than through
// net/http's Transport, which spends per request about as much CPU again on its connection goroutines,
// channels and request copies (see BenchmarkRun). The sender's CPU is what bounds a run against a
// loopback receiver. The request is written here, byte for byte as the headers were spelled; the
// answer is read here too when its head is the plain kind nearly every receiver sends, and by
// net/http's ReadResponse otherwise (see readPlainHead).

const (
	// idleTimeout closes a connection unused this long, as net/http's IdleConnTimeout did.
	idleTimeout     = 90 * time.Second
	readBufferSize  = 4 << 10
	writeBufferSize = 4 << 10
	// maxResponseHead bounds what reading a response's status line and headers may read, as net/http's
	// MaxResponseHeaderBytes did; maxResponseRest bounds what reading the rest may: MaxResponseBody
	// bytes of body with room for their chunk framing, and a trailer.
	maxResponseHead = MaxResponseBody
	maxResponseRest = 16 * MaxResponseBody
	// max1xx is how many informational answers may come before the real one, as in net/http.
	max1xx = 5
	// handshakeTimeout bounds the TLS handshake, as net/http's TLSHandshakeTimeout did.
	handshakeTimeout = 10 * time.Second
	// dialTimeout bounds opening a connection, within Options.Timeout.
	dialTimeout = 5 * time.Second
)

// errPlainHTTP is a TLS handshake answered in plain HTTP, said as net/http says it.
var errPlainHTTP = errors.New("http: server gave HTTP response to HTTPS client (is the target http://?)")

// aLongTimeAgo is a deadline in the past: setting it makes a blocked read or write return at once.
var aLongTimeAgo = time.Unix(1, 0)

// conn is one connection slot of the engine: a connection to the target and its buffers, or none yet.
// Whoever took the slot from the pool owns it until putting it back.
type conn struct {
	nc  net.Conn     // nil when no connection is open
	raw *net.TCPConn // the TCP connection under nc, which is nc itself for http
	lim limitReader  // reads nc for br, within the bound of the response part being read
	br  *bufio.Reader
	bw  *bufio.Writer
	// idleSince is when the last response was read.
	idleSince time.Time
	num       []byte // scratch for Content-Length
	// body is scratch for response bodies, which are read here and copied out as far as the run's
	// body budget allows. It grows to MaxResponseBody+1 bytes at most.
	body []byte
	// fixed reads a body of known length, for readResponse.
	fixed fixedBody
}

// close closes the connection, if one is open. The slot stays usable: the next attempt dials again.
func (c *conn) close() {
	if c.nc == nil {
		return
	}
	c.nc.Close()
	c.nc, c.raw = nil, nil
}

// interrupt makes the request in flight on c fail at once. It may be called from another goroutine.
func (c *conn) interrupt() {
	if nc := c.nc; nc != nil {
		_ = nc.SetDeadline(aLongTimeAgo)
	}
}

// connPool holds the engine's Options.Workers connection slots. Taking a slot is what bounds the
// requests in flight to the target, across concurrent runs. Slots are made when first needed, so a
// large Workers costs nothing until that many requests are in flight at once. The slot used last is
// taken first, as net/http took idle connections: the connection most recently known good, while ones
// left over from a burst go idle and are closed. After a failed request, whose connection is closed,
// that slot goes first too, so the next request dials afresh instead of trying another connection of
// the same receiver.
type connPool struct {
	// inUse holds a token per slot taken: sending blocks while all Workers slots are in use.
	inUse chan struct{}
	mu    sync.Mutex
	// idle are the slots made and not in use, the last put back last. With the slots in use they are
	// never more than cap(inUse): a slot is made only when none is idle.
	idle []*conn
	// reaper closes connections idle for idleTimeout; nil when none is armed.
	reaper *time.Timer
	closed atomic.Bool
}

func newConnPool(n int) *connPool {
	return &connPool{inUse: make(chan struct{}, n)}
}

// get takes a slot, waiting until deadline while all are in use.
func (p *connPool) get(ctx context.Context, deadline time.Time) (*conn, error) {
	select {
	case p.inUse <- struct{}{}:
		return p.pop(), nil
	default:
	}
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case p.inUse <- struct{}{}:
		return p.pop(), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, errNoConnection
	}
}

// pop takes the slot put back last, or makes one; the caller holds its token.
func (p *connPool) pop() *conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.idle)
	if n == 0 {
		return &conn{}
	}
	c := p.idle[n-1]
	p.idle[n-1] = nil
	p.idle = p.idle[:n-1]
	return c
}

var errNoConnection = timeoutError("timeout waiting for a free connection")

// timeoutError is an error that net.Error's Timeout reports as a timeout.
type timeoutError string

func (e timeoutError) Error() string { return string(e) }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// put returns a slot taken with get.
func (p *connPool) put(c *conn) {
	open := c.nc != nil
	p.mu.Lock()
	p.idle = append(p.idle, c)
	p.mu.Unlock()
	<-p.inUse
	// Checked after giving the slot back: a Close that came meanwhile may have missed it.
	if p.closed.Load() {
		p.closeIdle(0)
	} else if open {
		p.armReaper()
	}
}

// closeIdle closes the connections of the slots not in use that have been idle for at least idle, and
// reports whether any of those slots still has one open. The slots stay where they are, so their
// order is kept; the connections are closed after the lock is released, as closing a TLS connection
// writes to it.
func (p *connPool) closeIdle(idle time.Duration) (open bool) {
	var stale []net.Conn
	now := time.Now()
	p.mu.Lock()
	for _, c := range p.idle {
		if c.nc != nil && now.Sub(c.idleSince) >= idle {
			stale = append(stale, c.nc)
			c.nc, c.raw = nil, nil
		}
		open = open || c.nc != nil
	}
	p.mu.Unlock()
	for _, nc := range stale {
		nc.Close()
	}
	return open
}

// close closes the idle connections and marks the pool closed: the connections in use are closed as
// they come back.
func (p *connPool) close() {
	p.closed.Store(true)
	p.mu.Lock()
	if p.reaper != nil {
		p.reaper.Stop()
		p.reaper = nil
	}
	p.mu.Unlock()
	p.closeIdle(0)
}

// armReaper makes sure a timer will close connections left idle, so that a long-lived engine does not
// hold them open for ever. The timer costs no goroutine until it fires.
func (p *connPool) armReaper() {
	p.mu.Lock()
	if p.reaper == nil && !p.closed.Load() {
		p.reaper = time.AfterFunc(idleTimeout, p.reap)
	}
	p.mu.Unlock()
}

func (p *connPool) reap() {
	open := p.closeIdle(idleTimeout)
	p.mu.Lock()
	p.reaper = nil
	p.mu.Unlock()
	if p.closed.Load() {
		p.closeIdle(0)
	} else if open {
		p.armReaper()
	}
}

// usable reports whether c's open connection can carry a request: it has not been idle too long, and
// the receiver has not closed it or sent anything unasked. Receivers close idle connections, some after
// a second or two, and all of them when they shut down; a request sent on such a connection would fail
// although the receiver might be up again, and a POST that may have arrived is never resent. net/http
// noticed such a close at once, with a goroutine reading each idle connection; the engine looks, at
// the cost of a system call, just before reusing one.
func (c *conn) usable(now time.Time) bool {
	if now.Sub(c.idleSince) >= idleTimeout || c.br.Buffered() > 0 {
		return false
	}
	return c.stillOpen()
}

// dial opens c's connection to the target: TCP, then TLS for https. ctx aborts it.
func (e *Engine) dial(ctx context.Context, c *conn, deadline time.Time) error {
	d := net.Dialer{Timeout: min(e.opts.Timeout, dialTimeout), Deadline: deadline, KeepAlive: 30 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", e.addr)
	if err != nil {
		return &failure{stage: stageConnect, err: err}
	}
	raw, _ := nc.(*net.TCPConn)
	if e.tls != nil {
		_ = nc.SetDeadline(earliest(deadline, time.Now().Add(handshakeTimeout)))
		tc := tls.Client(nc, e.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			var re tls.RecordHeaderError
			if errors.As(err, &re) && string(re.RecordHeader[:]) == "HTTP/" {
				err = errPlainHTTP
			}
			return &failure{stage: stageHandshake, err: err}
		}
		nc = tc
	}
	c.nc, c.raw = nc, raw
	c.lim.r = nc
	if c.br == nil {
		c.br = bufio.NewReaderSize(&c.lim, readBufferSize)
		c.bw = bufio.NewWriterSize(nc, writeBufferSize)
	} else {
		c.br.Reset(&c.lim)
		c.bw.Reset(nc)
	}
	return nil
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// writeRequest sends the request for a payload with head h and body.
func (c *conn) writeRequest(reqLine []byte, h *head, body []byte) error {
	bw := c.bw
	bw.Write(reqLine)
	bw.Write(h.pre)
	bw.WriteString("Content-Length: ")
	c.num = strconv.AppendInt(c.num[:0], int64(len(body)), 10)
	bw.Write(c.num)
	bw.WriteString("\r\n")
	bw.Write(h.rest)
	bw.WriteString("\r\n")
	bw.Write(body)
	return bw.Flush()
}

// checkHost reports a Host value that is not host[:port] (RFC 9110 section 7.2): a registered name or
// IPv4 address (letters, digits, -._~, sub-delimiters, percent-encoding), or an IPv6 literal in
// brackets, then optionally a colon and a decimal port.
func checkHost(host string) error {
	bad := func() error { return fmt.Errorf("Host %q is not host[:port]", host) }
	if host == "" {
		return errors.New("empty Host")
	}
	name, port := host, ""
	if strings.HasPrefix(host, "[") {
		end := strings.IndexByte(host, ']')
		if end < 0 {
			return bad()
		}
		if ip := host[1:end]; !strings.Contains(ip, ":") || net.ParseIP(ip) == nil {
			return bad()
		}
		switch rest := host[end+1:]; {
		case rest == "":
		case rest[0] == ':':
			port = rest[1:]
		default:
			return bad()
		}
	} else {
		if i := strings.LastIndexByte(host, ':'); i >= 0 {
			name, port = host[:i], host[i+1:]
		}
		if name == "" {
			return bad()
		}
		for i := 0; i < len(name); i++ {
			if b := name[i]; b >= 0x80 || !regNameByte[b] {
				return bad()
			}
		}
	}
	for i := 0; i < len(port); i++ {
		// An empty port is allowed, as RFC 3986 and url.Parse allow "host:".
		if port[i] < '0' || port[i] > '9' {
			return bad()
		}
	}
	return nil
}

// regNameByte marks the bytes of a registered name or an IPv4 address (RFC 3986 reg-name: unreserved,
// pct-encoded, sub-delims).
var regNameByte = func() (t [128]bool) {
	for b := '0'; b <= '9'; b++ {
		t[b] = true
	}
	for b := 'a'; b <= 'z'; b++ {
		t[b], t[b-'a'+'A'] = true, true
	}
	for _, b := range "-._~%!$&'()*+,;=" {
		t[b] = true
	}
	return t
}()

// removeZone removes the zone of an IPv6 literal from host, as net/http did for the Host header:
// "[fe80::1%en0]:8080" becomes "[fe80::1]:8080". The zone means something only to the sender.
func removeZone(host string) string {
	if !strings.HasPrefix(host, "[") {
		return host
	}
	i := strings.LastIndex(host, "]")
	if i < 0 {
		return host
	}
	j := strings.LastIndex(host[:i], "%")
	if j < 0 {
		return host
	}
	return host[:j] + host[i:]
}
