package server

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/wahook/wahook/internal/dispatch"
	"github.com/wahook/wahook/internal/engine"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
	"github.com/wahook/wahook/send"
)

// timerMaxInFlight bounds the timer's deliveries in flight (sending or waiting for a retry): a tick
// that finds this many is skipped, so a receiver that hangs or fails cannot pile them up.
const timerMaxInFlight = 8

// timer delivers one generated payload every period to Options.Target.
type timer struct {
	provider schemas.Provider
	types    []string
	every    time.Duration
	engine   *engine.Engine
	gen      *mockprovider.Generator // made when the server binds, once its URL is known
	inFlight atomic.Int32
}

func newTimer(opts Options) (*timer, error) {
	bad := func(format string, args ...any) (*timer, error) {
		return nil, fmt.Errorf("%w: timer: %w", ErrBadOptions, fmt.Errorf(format, args...))
	}
	if opts.URL == "" {
		return bad("every %v without a target", opts.Every)
	}
	every := opts.Every
	switch {
	case every == 0:
		every = DefaultEvery
	case every < MinEvery:
		return bad("every %v: at least %v", every, MinEvery)
	}
	target := opts.Target
	if target.Provider == "" {
		target.Provider = schemas.InnoPaaS
	}
	target.TLS = mockprovider.TLS{} // the server's trust is applied below, to every delivery alike
	prov, err := target.Check(true)
	if err != nil {
		return nil, fmt.Errorf("%w: timer: %w", ErrBadOptions, err)
	}
	types, err := prov.CheckTypes(opts.Types)
	if err != nil {
		return bad("types: %v", err)
	}
	// send.Prepare turns the provider's name, retries and headers into engine options, as for a
	// send; it generates nothing.
	plan, err := send.Prepare(send.Options{
		Target: target, Types: types[:1], Count: 1, Seed: opts.Seed,
		Version: opts.Version, Retries: opts.Retries,
	})
	if err != nil {
		return bad("%w", err) // the cause stays in the chain: a caller may name its setting for the field
	}
	dopts := plan.Options
	dopts.Workers = timerMaxInFlight
	opts.trust(&dopts)
	eng, err := engine.New(dopts)
	if err != nil {
		return bad("%w", err)
	}
	return &timer{provider: prov.Name, types: types, every: every, engine: eng}, nil
}

// startTimer makes the timer's generator, its links pointing at the server, and starts its loop.
// Called by bind, with s.mu held.
func (s *Server) startTimer() error {
	base := s.opts.MediaBaseURL
	if base == "" {
		base = s.url
	}
	gen, err := mockprovider.New(mockprovider.Options{Seed: s.opts.Seed, MediaBaseURL: base})
	if err != nil {
		return fmt.Errorf("timer: %w", err)
	}
	s.timer.gen = gen
	if !s.tasks.add() {
		return ErrShutdown
	}
	go s.runTimer()
	return nil
}

// runTimer delivers payload 0 at once and one more every period, until shutdown.
func (s *Server) runTimer() {
	defer s.tasks.done()
	t := s.timer
	tick := time.NewTicker(t.every)
	defer tick.Stop()
	for index := uint64(0); ; index++ {
		s.timerDeliver(index)
		select {
		case <-s.work.Done():
			return
		case <-tick.C:
		}
	}
}

// timerDeliver starts the delivery of payload index, unless too many are in flight.
func (s *Server) timerDeliver(index uint64) {
	t := s.timer
	typ := t.types[index%uint64(len(t.types))]
	if n := t.inFlight.Load(); n >= timerMaxInFlight {
		s.logf("timer: %s %s #%d skipped: %d deliveries still in flight", t.provider, typ, index, n)
		return
	}
	p, err := t.gen.Generate(t.provider, typ, index)
	if err != nil { // unreachable: provider and type were checked by New
		s.logf("timer: %s %s #%d: %v", t.provider, typ, index, err)
		return
	}
	if !s.tasks.add() {
		return
	}
	t.inFlight.Add(1)
	go func() {
		defer s.tasks.done()
		defer t.inFlight.Add(-1)
		report, _ := t.engine.Run(s.work, []engine.Payload{dispatch.Payload(p)})
		for _, res := range report.Results {
			res.Index = int(index)
			rec := s.ring.add(newRecord("timer", res, time.Now(), MaxRecordBody))
			s.cut(s.work, res)
			attempts := "attempts"
			if len(rec.Attempts) == 1 {
				attempts = "attempt"
			}
			s.logf("timer: %s %s #%d %s: %s, status %d, %d %s, %s", rec.Provider, rec.Type, index, rec.ID,
				rec.Outcome, rec.Status, len(rec.Attempts), attempts, formatMs(rec.LatencyMs))
		}
	}()
}
