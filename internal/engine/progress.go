package engine

import (
	"bytes"
	"strconv"
	"time"
)

// State is what a delivery is doing, as Progress reports it.
type State string

// The states of a delivery. Each delivery goes Sending, then Waiting and Sending again for each
// retry, then Settled; one the run never reached is Settled (cancelled) at once.
const (
	// StateSending: an attempt has been handed to a worker and has not finished.
	StateSending State = "sending"
	// StateWaiting: an attempt failed and the next is due at Progress.NextAt.
	StateWaiting State = "waiting"
	// StateSettled: the delivery has its Outcome; nothing more will be sent for it.
	StateSettled State = "settled"
)

// Progress is one change of a delivery's state, reported to Options.OnProgress.
type Progress struct {
	// Result is the delivery so far: its attempts, and its Outcome once Settled ("" before). Its
	// Attempts are the engine's own: copy what is kept past the call.
	Result Result
	// State is what the delivery is doing now.
	State State
	// NextAt is when the next attempt is due, in StateWaiting; zero otherwise.
	NextAt time.Time
	// Payload is what is delivered: the same pointer in every call about one delivery (and about its
	// duplicate copy, which shares the payload), so callers can tell concurrent deliveries apart.
	// Its Body is sent as is and never changed: it may be kept, but not modified.
	Payload *Payload

	head *head
}

// HeaderLine is one line of a request's header, as the engine writes it.
type HeaderLine struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// RequestHeader returns the header lines every attempt of the delivery writes, in the order written
// and spelled as written, Content-Length included; nil when its headers cannot be sent (the
// attempt's error says why). It lays the lines out on each call: call it once per delivery.
func (p Progress) RequestHeader() []HeaderLine {
	if p.head == nil || p.head.err != nil {
		return nil
	}
	var out []HeaderLine
	add := func(lines []byte) {
		for len(lines) > 0 {
			end := bytes.Index(lines, []byte("\r\n"))
			if end < 0 {
				end = len(lines)
			}
			name, value, _ := bytes.Cut(lines[:end], []byte(": "))
			out = append(out, HeaderLine{Name: string(name), Value: string(value)})
			lines = lines[min(end+2, len(lines)):]
		}
	}
	add(p.head.pre)
	out = append(out, HeaderLine{Name: "Content-Length", Value: strconv.Itoa(len(p.Payload.Body))})
	add(p.head.rest)
	return out
}

// progress reports d's new state to Options.OnProgress.
func (e *Engine) progress(d *delivery, s State) {
	if e.opts.OnProgress == nil {
		return
	}
	p := Progress{Result: d.res, State: s, Payload: d.payload, head: d.head}
	if s == StateWaiting {
		p.NextAt = d.retryAt
	}
	e.opts.OnProgress(p)
}
