package mockprovider

// QuirksOf returns p's quirk forms, for the tests outside the package.
func QuirksOf(p *Provider) []quirk { return p.quirks }

// MaxTextLength is maxTextLength, for the tests outside the package.
const MaxTextLength = maxTextLength

// UserAgent is userAgent, for the tests outside the package.
var UserAgent = userAgent
