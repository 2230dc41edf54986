package mockprovider_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// TestRefusalHint checks the hint fuzz and conform give for a receiver that refuses their first valid
// message: where credentials go depends on the provider, and statuses that say nothing of the kind
// get no hint.
func TestRefusalHint(t *testing.T) {
	tests := []struct {
		provider schemas.Provider
		status   int
		gave     bool
		want     string
	}{
		{schemas.InnoPaaS, http.StatusUnauthorized, false,
			"credentials? give them with --auth-user/--auth-token or --header (innopaas sends them in the UserName and Authorization headers)"},
		{schemas.InnoPaaS, http.StatusForbidden, true, "check the credentials given"},
		{schemas.Meta, http.StatusUnauthorized, false,
			"credentials? give them with --app-secret or --header (meta sends them in a signature of each body in the X-Hub-Signature-256 header)"},
		{schemas.ITNIOTech, http.StatusUnauthorized, false,
			"credentials? itniotech documents no credential headers: give the header your receiver checks with --header"},
		{schemas.ITNIOTech, http.StatusForbidden, true, "check the credentials given"},
		{schemas.ITNIOTech, http.StatusNotFound, false, "is the path right, and does it take POST?"},
		{schemas.InnoPaaS, http.StatusMethodNotAllowed, true, "is the path right, and does it take POST?"},
		{schemas.InnoPaaS, http.StatusNotImplemented, false, "is the path right, and does it take POST?"},
		{schemas.ITNIOTech, http.StatusFound, false,
			"is the path right? it must be the URL webhooks are POSTed to, not one that redirects: providers do not follow redirects"},
		{schemas.InnoPaaS, http.StatusPermanentRedirect, false,
			"is the path right? it must be the URL webhooks are POSTed to, not one that redirects: providers do not follow redirects"},
		{schemas.InnoPaaS, http.StatusOK, false, ""},
		{schemas.InnoPaaS, http.StatusBadRequest, false, ""},
		{schemas.ITNIOTech, http.StatusInternalServerError, true, ""},
		{schemas.ITNIOTech, 0, false, ""},
	}
	for _, tt := range tests {
		p, err := mockprovider.Lookup(tt.provider)
		require.NoError(t, err)
		assert.Equal(t, tt.want, p.RefusalHint(tt.status, tt.gave), "%s %d gave=%v", tt.provider, tt.status, tt.gave)
	}
}
