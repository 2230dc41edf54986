package mockprovider

// splitmix is a rand.Source64 that costs nothing to seed, so that every payload can have a generator
// of its own (math/rand's default source takes microseconds to seed). It drives gofakeit through
// gofakeit.NewCustom, which, unlike gofakeit.New, gives seed 0 no special "random" meaning.
type splitmix struct{ state uint64 }

func (s *splitmix) Seed(seed int64) { s.state = uint64(seed) }

func (s *splitmix) Uint64() uint64 {
	s.state += 0x9E3779B97F4A7C15
	return mix64(s.state)
}

func (s *splitmix) Int63() int64 { return int64(s.Uint64() >> 1) }

// mix64 is splitmix64's finaliser: a bijection that spreads nearby inputs across all 64 bits.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// PayloadSeed derives payload index's seed from the run seed, so that any payload of a run can be
// regenerated alone, and in any order or in parallel.
func PayloadSeed(runSeed, index uint64) uint64 {
	return mix64(runSeed ^ mix64(index+0x632BE59BD9B4E019))
}
