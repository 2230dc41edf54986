//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package engine

import (
	"errors"
	"time"
)

// stillOpen reports whether the receiver has left c's idle connection open. Without a way to peek at a
// socket here, a connection idle for a second or more is read for a millisecond: a timeout means open.
// One used more recently is taken as open.
func (c *conn) stillOpen() bool {
	if time.Since(c.idleSince) < time.Second {
		return true
	}
	_ = c.nc.SetReadDeadline(time.Now().Add(time.Millisecond))
	c.lim.n = maxResponseHead
	_, err := c.br.Peek(1)
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}
