//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package engine

import (
	"errors"
	"syscall"
	"time"
)

// stillOpen reports whether the receiver has left c's idle connection open. It peeks at the socket
// without blocking: nothing to read means open; the end of the stream, an error or bytes nobody asked
// for mean the connection cannot carry a request. Over TLS, bytes may be a session ticket the
// receiver sent after the handshake, so they are read, briefly, through TLS.
func (c *conn) stillOpen() bool {
	if c.raw == nil {
		return false
	}
	rc, err := c.raw.SyscallConn()
	if err != nil {
		return false
	}
	var (
		buf  [1]byte
		n    int
		rerr error
	)
	err = rc.Read(func(fd uintptr) bool {
		n, _, rerr = syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return true
	})
	switch {
	case err != nil:
		return false
	case errors.Is(rerr, syscall.EAGAIN), errors.Is(rerr, syscall.EWOULDBLOCK), errors.Is(rerr, syscall.EINTR):
		return true
	case rerr != nil || n == 0:
		return false
	case c.nc == c.raw:
		return false // plain HTTP: bytes before a request are a broken or closing receiver
	}
	// TLS records: handshake messages are consumed by the read and are fine; application data or an
	// alert (close_notify) is not.
	_ = c.nc.SetReadDeadline(time.Now().Add(time.Millisecond))
	c.lim.n = maxResponseHead
	_, err = c.br.Peek(1)
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}
