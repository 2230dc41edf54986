package server

// AddRecord puts rec in the ring as a settled delivery would, for tests of what the server shows.
func (s *Server) AddRecord(rec Record) Record { return s.ring.add(rec) }
