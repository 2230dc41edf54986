//go:build race

package mockprovider_test

// raceEnabled makes the long property tests shorter under the race detector, which slows them tenfold.
const raceEnabled = true
