//go:build race

package send_test

// raceEnabled makes the scale test shorter under the race detector, which slows it tenfold.
const raceEnabled = true
