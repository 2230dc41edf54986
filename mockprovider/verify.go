package mockprovider

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Verification is how a provider confirms a webhook URL before it delivers to it, as Meta's
// subscription handshake does: a GET with a mode, a challenge and the token the customer configured,
// which the endpoint must answer with 200 and exactly the challenge when the token is right, and
// refuse otherwise. Provider.Verification describes it; nil means the provider has none.
type Verification struct {
	// ModeParam, ChallengeParam and TokenParam name the query parameters ("hub.mode",
	// "hub.challenge", "hub.verify_token"); Mode is the mode that asks for the handshake
	// ("subscribe").
	ModeParam, Mode, ChallengeParam, TokenParam string
}

// ErrVerification is wrapped by Verify's errors: the endpoint did not complete the handshake.
var ErrVerification = errors.New("the endpoint did not complete the verification handshake")

// Query is the handshake's query for mode, token and challenge; an empty mode or token is left out,
// as a malformed handshake would leave it.
func (v *Verification) Query(mode, token, challenge string) url.Values {
	q := url.Values{}
	if mode != "" {
		q.Set(v.ModeParam, mode)
	}
	q.Set(v.ChallengeParam, challenge)
	if token != "" {
		q.Set(v.TokenParam, token)
	}
	return q
}

// URL is target with the handshake's query added to any it has.
func (v *Verification) URL(target string, q url.Values) (string, error) {
	u, err := url.Parse(target)
	if err != nil {
		return "", fmt.Errorf("verification URL: %w", err)
	}
	all := u.Query()
	for k, vs := range q {
		all[k] = vs
	}
	u.RawQuery = all.Encode()
	return u.String(), nil
}

// Answer is the receiver's side: the challenge to echo, byte for byte, when q asks for the handshake
// with token, compared in constant time; false for any other query.
func (v *Verification) Answer(q url.Values, token string) (string, bool) {
	if token == "" || q.Get(v.ModeParam) != v.Mode || !q.Has(v.ChallengeParam) {
		return "", false
	}
	if subtle.ConstantTimeCompare([]byte(q.Get(v.TokenParam)), []byte(token)) != 1 {
		return "", false
	}
	return q.Get(v.ChallengeParam), true
}

// maxChallengeAnswer bounds what Verify reads of an answer: a challenge is short.
const maxChallengeAnswer = 4 << 10

// Verify performs the handshake against target as the provider does before its first delivery, with
// challenge as the challenge: nil when the endpoint answered 200 with exactly the challenge, an
// error wrapping ErrVerification that says what it answered otherwise.
func (v *Verification) Verify(ctx context.Context, client *http.Client, target, token, challenge string) error {
	u, err := v.URL(target, v.Query(v.Mode, token, challenge))
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("verify %s: %w", target, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("verify %s: %w", target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxChallengeAnswer))
	if err != nil {
		return fmt.Errorf("verify %s: reading the answer: %w", target, err)
	}
	if resp.StatusCode != http.StatusOK || string(body) != challenge {
		got := strings.ToValidUTF8(string(body), "\uFFFD")
		if len(got) > 60 {
			got = got[:60] + "..."
		}
		return fmt.Errorf("%w: %s answered %d %q, want 200 and the challenge %q", ErrVerification, target, resp.StatusCode, got, challenge)
	}
	return nil
}
