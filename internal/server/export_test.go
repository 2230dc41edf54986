package server

import "github.com/wahook/wahook/internal/engine"

// AddRecord puts rec in the history as a settled delivery would, for tests of what the server shows.
func (s *Server) AddRecord(rec Record) Record {
	if rec.State == "" {
		rec.State = engine.StateSettled
	}
	return s.hist.add(rec)
}
