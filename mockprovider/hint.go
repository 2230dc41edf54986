package mockprovider

import (
	"fmt"
	"net/http"
	"strings"
)

// RefusalHint says what most likely made a receiver answer a plain valid message with status, for a
// run that sends one before anything else (fuzz, conform) and must tell the user why it cannot go
// on: credentials missing or wrong for a 401 or 403 (gaveCredentials reports whether the run sent
// any), a wrong path or method for a 404, 405 or 501, a URL that redirects for a 3xx. Where
// credentials go depends on the provider: its documented credential headers, or a header of the
// receiver's own. It returns "" for any other status: that answer is the receiver's own business.
func (p *Provider) RefusalHint(status int, gaveCredentials bool) string {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		switch {
		case gaveCredentials:
			return "check the credentials given"
		case p.Auth.Describe() != "":
			// The flags of the credentials the scheme carries: a user and token, or a secret.
			var flags []string
			if p.CarriedCredentials(Credentials{User: "u", Token: "t"}) != (Credentials{}) {
				flags = append(flags, "--auth-user/--auth-token")
			}
			if p.CarriedCredentials(Credentials{Secret: "s"}) != (Credentials{}) {
				flags = append(flags, "--app-secret")
			}
			return fmt.Sprintf("credentials? give them with %s or --header (%s sends them in %s)",
				strings.Join(flags, ", "), p.Name, p.Auth.Describe())
		}
		return fmt.Sprintf("credentials? %s documents no credential headers: give the header your receiver checks with --header", p.Name)
	case status == http.StatusNotFound || status == http.StatusMethodNotAllowed || status == http.StatusNotImplemented:
		return "is the path right, and does it take POST?"
	case status >= 300 && status < 400:
		return "is the path right? it must be the URL webhooks are POSTed to, not one that redirects: providers do not follow redirects"
	}
	return ""
}
