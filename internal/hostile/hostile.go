// Package hostile starts webhook receivers that misbehave on purpose, one way each, for tests of the
// tools that deliver to them: a receiver that never reads, one that answers a byte at a time, one
// whose body never ends, one that resets the connection, one that speaks TLS where http was said, ...
//
// Each Behaviour is a small server of its own, written on raw TCP so that it can break HTTP in ways a
// net/http server never would. It listens on 127.0.0.1 only, on a port of its own, and Close ends every
// connection it holds and waits for its goroutines:
//
//	srv := hostile.Start(t, hostile.Slowloris, hostile.Options{Interval: 300 * time.Millisecond})
//	// deliver to srv.URL; Start closes the server when the test ends
//
// The behaviours that answer anything read the whole request first, as a receiver would, so that a
// sender sees the answer and not a connection closed on its request.
package hostile

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Behaviour is one way a receiver misbehaves.
type Behaviour string

// The behaviours.
const (
	// NeverReads accepts connections and then does nothing: it never reads a request or answers one.
	NeverReads Behaviour = "never-reads"
	// Slowloris reads the request, then writes a valid 200 answer one byte per Options.Interval.
	Slowloris Behaviour = "slowloris"
	// EndlessBody answers 200 with no Content-Length and a body that never ends.
	EndlessBody Behaviour = "endless-body"
	// EndlessChunked answers 200 with a chunked body whose chunks never end.
	EndlessChunked Behaviour = "endless-chunked"
	// HugeHead answers 200 with HugeHeadBytes of header lines before the body.
	HugeHead Behaviour = "huge-head"
	// InformationalStorm answers with 1xx informational answers, one after another, and never a final
	// one.
	InformationalStorm Behaviour = "1xx-storm"
	// RedirectLoop answers every request with a 302 to its own URL.
	RedirectLoop Behaviour = "redirect-loop"
	// ResetAfterRead reads the request, then resets the connection (TCP RST) without answering.
	ResetAfterRead Behaviour = "reset-after-read"
	// Garbage reads the request, then answers GarbageAnswer, which is not HTTP, and closes.
	Garbage Behaviour = "garbage"
	// TLSForHTTP is a TLS port (a self-signed certificate, then 200 to every request) whose URL says
	// http: the mistake of a sender told the wrong scheme.
	TLSForHTTP Behaviour = "tls-for-http"
	// HTTPForTLS is a plain HTTP port (200 to every request, 400 to what is not HTTP) whose URL says
	// https.
	HTTPForTLS Behaviour = "http-for-tls"
	// LateAck reads the request and answers 200 after Options.Delay, on a connection kept open for the
	// next request.
	LateAck Behaviour = "late-ack"
)

// Behaviours returns every behaviour, in the order of the constants.
func Behaviours() []Behaviour {
	return []Behaviour{NeverReads, Slowloris, EndlessBody, EndlessChunked, HugeHead, InformationalStorm,
		RedirectLoop, ResetAfterRead, Garbage, TLSForHTTP, HTTPForTLS, LateAck}
}

// HugeHeadBytes is how many bytes of header lines HugeHead sends: far more than any sender should
// read of a response head.
const HugeHeadBytes = 1 << 20

// GarbageAnswer is what Garbage answers instead of HTTP: the banner of another protocol, as a port
// mix-up would give.
const GarbageAnswer = "SSH-2.0-OpenSSH_9.6 not a web server\r\n"

// Options tune the behaviours that take a time.
type Options struct {
	// Interval is the pause between the bytes of Slowloris's answer and between InformationalStorm's
	// answers; 0 means one second, and nothing for InformationalStorm.
	Interval time.Duration
	// Delay is how long LateAck waits before each answer.
	Delay time.Duration
}

// Server is a running hostile receiver.
type Server struct {
	// URL is the address to deliver to, a path included. For TLSForHTTP and HTTPForTLS its scheme is
	// the wrong one on purpose.
	URL string

	behaviour Behaviour
	opts      Options
	ln        net.Listener
	tls       *tls.Config // TLSForHTTP's
	done      chan struct{}
	wg        sync.WaitGroup
	mu        sync.Mutex
	conns     map[net.Conn]struct{}
	closed    bool
}

// New starts a server that behaves as b on 127.0.0.1, on a free port. Close it when done.
func New(b Behaviour, opts Options) (*Server, error) {
	if opts.Interval < 0 || opts.Delay < 0 {
		return nil, fmt.Errorf("hostile %s: negative Interval or Delay", b)
	}
	if opts.Interval == 0 && b == Slowloris {
		opts.Interval = time.Second
	}
	known := false
	for _, k := range Behaviours() {
		known = known || k == b
	}
	if !known {
		return nil, fmt.Errorf("hostile: unknown behaviour %q", b)
	}
	s := &Server{behaviour: b, opts: opts, done: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	if b == TLSForHTTP {
		cert, err := selfSigned()
		if err != nil {
			return nil, fmt.Errorf("hostile %s: %w", b, err)
		}
		s.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("hostile %s: %w", b, err)
	}
	s.ln = ln
	scheme := "http"
	if b == HTTPForTLS {
		scheme = "https"
	}
	s.URL = scheme + "://" + ln.Addr().String() + "/webhook"
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Start is New for a test: it fails the test if the server cannot start, and closes the server when
// the test ends.
func Start(tb testing.TB, b Behaviour, opts Options) *Server {
	tb.Helper()
	s, err := New(b, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Close stops listening, closes every connection and waits until the server's goroutines have ended.
// Closing twice is harmless.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return // closed
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			s.serve(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			c.Close()
		}()
	}
}

// serve misbehaves on one connection until it is done or the server closes.
func (s *Server) serve(c net.Conn) {
	if s.behaviour == NeverReads {
		<-s.done
		return
	}
	if s.tls != nil {
		tc := tls.Server(c, s.tls)
		if err := tc.Handshake(); err != nil {
			// As crypto/tls leaves it: the connection is closed with the plain request unread, which
			// the kernel answers with a reset.
			return
		}
		c = tc
	}
	br := bufio.NewReader(c)
	for {
		if first, err := br.Peek(1); err == nil && first[0] == tlsHandshakeRecord {
			// A TLS hello on a plain port, answered as net/http answers what is not HTTP. (Read as a
			// request line, it might never end.)
			_, _ = io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
			return
		}
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			return
		}
		if !s.answer(c) {
			return
		}
	}
}

// answer answers one request that has been read, and reports whether the connection may carry
// another.
func (s *Server) answer(c net.Conn) (keepOpen bool) {
	const ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
	switch s.behaviour {
	case Slowloris:
		for i := range len(ok) {
			if _, err := io.WriteString(c, ok[i:i+1]); err != nil || !s.sleep(s.opts.Interval) {
				return false
			}
		}
		return true
	case EndlessBody:
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n")
		s.endless(c, "")
	case EndlessChunked:
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
		s.endless(c, fmt.Sprintf("%x\r\n", endlessChunk))
	case HugeHead:
		bw := bufio.NewWriter(c)
		bw.WriteString("HTTP/1.1 200 OK\r\n")
		line := "X-Filler: " + strings.Repeat("f", 1000) + "\r\n"
		for n := 0; n < HugeHeadBytes; n += len(line) {
			if _, err := bw.WriteString(line); err != nil {
				return false
			}
		}
		bw.WriteString("Content-Length: 0\r\n\r\n")
		return bw.Flush() == nil
	case InformationalStorm:
		storm := "HTTP/1.1 100 Continue\r\n\r\n"
		if s.opts.Interval == 0 {
			storm = strings.Repeat(storm, 4<<10/len(storm)) // as fast as it is read, in few writes
		}
		for {
			if _, err := io.WriteString(c, storm); err != nil || !s.sleep(s.opts.Interval) {
				return false
			}
		}
	case RedirectLoop:
		_, err := io.WriteString(c, "HTTP/1.1 302 Found\r\nLocation: "+s.URL+"\r\nContent-Length: 0\r\n\r\n")
		return err == nil
	case ResetAfterRead:
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // closing now sends a reset
		}
	case Garbage:
		_, _ = io.WriteString(c, GarbageAnswer)
	case TLSForHTTP, HTTPForTLS:
		_, err := io.WriteString(c, ok)
		return err == nil
	case LateAck:
		if !s.sleep(s.opts.Delay) {
			return false
		}
		_, err := io.WriteString(c, ok)
		return err == nil
	}
	return false
}

// tlsHandshakeRecord is the first byte of a TLS client's first record.
const tlsHandshakeRecord = 0x16

// endlessChunk is the size of each write of an endless body.
const endlessChunk = 16 << 10

// endless writes body bytes until the reader goes away or the server closes, each write prefixed with
// prefix (a chunk header, for a chunked body) and followed by CRLF if prefix is set.
func (s *Server) endless(c net.Conn, prefix string) {
	chunk := prefix + strings.Repeat("x", endlessChunk)
	if prefix != "" {
		chunk += "\r\n"
	}
	for {
		select {
		case <-s.done:
			return
		default:
		}
		if _, err := io.WriteString(c, chunk); err != nil {
			return
		}
	}
}

// sleep waits d, and reports false if the server closed meanwhile.
func (s *Server) sleep(d time.Duration) bool {
	if d <= 0 {
		select {
		case <-s.done:
			return false
		default:
			return true
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.done:
		return false
	}
}

// selfSigned makes a certificate for 127.0.0.1 and localhost, valid for a day.
func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "wahook hostile receiver"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
