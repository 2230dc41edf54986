package media

// Faults a sender can ask the media host to act out for the attachments it announces, as the value
// of the links' ?fault= parameter.
const (
	FaultNone    = ""        // serve the announced bytes
	FaultMissing = "404"     // answer 404 Not Found
	FaultSlow    = "slow"    // drip-feed the bytes
	FaultCorrupt = "corrupt" // serve other bytes than the announced sha256
)

// Faults lists the media faults, FaultNone first.
func Faults() []string { return []string{FaultNone, FaultMissing, FaultSlow, FaultCorrupt} }
