package server

import (
	"cmp"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wahook/wahook/internal/dispatch"
	"github.com/wahook/wahook/internal/engine"
	"github.com/wahook/wahook/internal/jsonrecord"
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
	run      *runState
	// verification is the provider's handshake, nil when it has none.
	verification *mockprovider.Verification

	// indexes maps the payload ids in flight to their index, for the records: the engine runs each
	// payload alone, as payload 0.
	mu      sync.Mutex
	indexes map[string]int
}

// newTimer checks the timer's options and makes its engine, whose deliveries are recorded as those
// of the run "timer".
func (s *Server) newTimer(opts Options) (*timer, error) {
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
	if opts.VerifyToken != "" && prov.Verification == nil {
		return bad("verify token: %s has no verification handshake", prov.Name)
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
	t := &timer{provider: prov.Name, types: types, every: every, indexes: map[string]int{}, verification: prov.Verification}
	spec := newSpec(target, prov, opts.Retries, 0, "")
	ro := RunOptions{
		Target: spec.maskedURL(), Provider: string(prov.Name), Types: types, Seed: opts.Seed, Retries: opts.Retries,
		Header: maskHeader(spec, target.Header), Every: every.String(),
	}
	ro.maskCredentials(target.Credentials)
	if target.Timeout != 0 {
		ro.Timeout = target.Timeout.String()
	}
	t.run = s.newRun("timer", "timer", spec, ro, 0)
	t.run.index = func(p engine.Progress) int {
		t.mu.Lock()
		defer t.mu.Unlock()
		return t.indexes[p.Result.PayloadID]
	}
	dopts := plan.Options
	dopts.Workers = timerMaxInFlight
	eng, err := s.engine(t.run, dopts)
	if err != nil {
		return bad("%w", err)
	}
	t.engine = eng
	return t, nil
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
	s.setState(s.timer.run, RunRunning)
	go s.runTimer()
	return nil
}

// runTimer delivers payload 0 at once and one more every period, until shutdown; with a verify
// token, only once the target has passed the provider's handshake.
func (s *Server) runTimer() {
	defer s.tasks.done()
	t := s.timer
	tick := time.NewTicker(t.every)
	defer tick.Stop()
	verified := s.opts.VerifyToken == "" || t.verification == nil
	for index := uint64(0); ; {
		if !verified {
			verified = s.timerVerify()
		}
		if verified {
			s.timerDeliver(index)
			index++
		}
		select {
		case <-s.work.Done():
			return
		case <-tick.C:
		}
	}
}

// timerVerify performs the provider's verification handshake against the timer's target, with a
// challenge of its own, and logs how it went.
func (s *Server) timerVerify() bool {
	t := s.timer
	client := engine.GetClient(cmp.Or(s.opts.Timeout, engine.DefaultTimeout), s.opts.TLS.RootCAs, s.opts.TLS.Insecure)
	defer client.CloseIdleConnections()
	challenge := strconv.FormatInt(time.Now().UnixNano()%9_000_000_000+1_000_000_000, 10)
	if err := t.verification.Verify(s.work, client, s.opts.URL, s.opts.VerifyToken, challenge); err != nil {
		if s.work.Err() == nil {
			s.logf("timer: %s verification of the target failed, delivering nothing until it passes: %v", t.provider, err)
		}
		return false
	}
	s.logf("timer: %s verification of the target passed: it echoed the challenge", t.provider)
	return true
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
	t.mu.Lock()
	t.indexes[p.ID] = int(index)
	t.mu.Unlock()
	go func() {
		defer s.tasks.done()
		defer t.inFlight.Add(-1)
		report, _ := t.engine.Run(s.work, []engine.Payload{dispatch.Payload(p)})
		t.mu.Lock()
		delete(t.indexes, p.ID)
		t.mu.Unlock()
		for _, res := range report.Results {
			last, _ := res.Last()
			attempts := "attempts"
			if len(res.Attempts) == 1 {
				attempts = "attempt"
			}
			s.logf("timer: %s %s #%d %s: %s, status %d, %d %s, %s", res.Provider, res.Type, index, res.PayloadID,
				res.Outcome, last.Status, len(res.Attempts), attempts, formatMs(jsonrecord.Milliseconds(last.Latency)))
		}
	}()
}
