package conformance

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Handshake is one GET of a provider's verification handshake (mockprovider.Verification): the query
// it sends and the challenge in it.
type Handshake struct {
	// Query is the URL query sent, encoded.
	Query string `json:"query"`
	// Challenge is the challenge the query carries, which only a completed handshake echoes.
	Challenge string `json:"challenge"`
}

// noVerifyToken is the reason the handshake cases are skipped without a token. It names the Config
// field; wahook conform names its flag instead.
const noVerifyToken = "no verify token given (Config.VerifyToken)"

// handshake: for a provider that confirms a URL before it delivers to it, the handshake with the
// right token, which must be answered 200 and exactly the challenge, and the ones the endpoint must
// refuse (a 4xx: a 5xx is an error, not a refusal) without echoing it: a wrong token of the same
// length, no token, no mode, another mode.
func (b *builder) handshake() error {
	v := b.s.prov.Verification
	if v == nil {
		return nil
	}
	token, skip := b.s.VerifyToken, ""
	if token == "" {
		token, skip = "wahook-verify-token", noVerifyToken
	}
	rnd := rand.New(rand.NewPCG(b.s.Seed, 0x68616e64)) // "hand"
	variants := []struct {
		name, desc, mode, token string
		expect                  Expect
	}{
		{"right-token", "the verification handshake with the right token", v.Mode, token, ExpectChallenge},
		{"wrong-token", "the handshake with a wrong token of the same length", v.Mode, wrongValue(rnd, token), ExpectNoChallenge},
		{"missing-token", "the handshake without a token", v.Mode, "", ExpectNoChallenge},
		{"missing-mode", "the handshake with the right token and no mode", "", token, ExpectNoChallenge},
		{"wrong-mode", "the handshake with the right token and mode unsubscribe", "unsubscribe", token, ExpectNoChallenge},
	}
	for _, vr := range variants {
		// Meta's challenges are digits; each case has its own, so that an endpoint echoing an
		// earlier one is caught.
		challenge := strconv.FormatUint(1_000_000_000+rnd.Uint64N(9_000_000_000), 10)
		b.cases = append(b.cases, Case{
			ID: caseID(GroupHandshake, b.s.Provider, vr.name), Group: GroupHandshake, Provider: b.s.Provider,
			Description: vr.desc, Expect: vr.expect, Skip: skip,
			Handshake: &Handshake{Query: v.Query(vr.mode, vr.token, challenge).Encode(), Challenge: challenge},
		})
	}
	return nil
}

// maxHandshakeAnswer is how much of a handshake's answer the suite reads: a challenge is short.
const maxHandshakeAnswer = 4 << 10

// runHandshake sends one handshake case's GET and judges the answer.
func (r *runner) runHandshake(ctx context.Context, c Case) Result {
	res := newResult(c)
	start := time.Now()
	q, _ := url.ParseQuery(c.Handshake.Query) // built by Verification.Query: well formed
	u, err := r.s.prov.Verification.URL(r.s.URL, q)
	var req *http.Request
	if err == nil {
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	}
	obs := Observation{}
	if err == nil {
		req.Header.Set("User-Agent", r.s.header.Get("User-Agent"))
		var resp *http.Response
		if resp, err = r.handshakes.Do(req); err == nil {
			var body []byte
			body, err = io.ReadAll(io.LimitReader(resp.Body, maxHandshakeAnswer))
			resp.Body.Close()
			obs.Status, obs.answer = resp.StatusCode, body
			obs.Body = strings.ToValidUTF8(string(body[:min(len(body), maxObservedBody)]), "\uFFFD")
		}
	}
	obs.Latency = time.Since(start)
	res.Duration = obs.Latency
	if err != nil {
		obs.Error = err.Error()
	}
	res.Observed = &obs
	echoed := obs.Status == http.StatusOK && string(obs.answer) == c.Handshake.Challenge
	switch {
	case ctx.Err() != nil:
		res.Outcome, res.Reason = Skip, "interrupted"
	case err != nil:
		res.Outcome, res.Reason = Fail, "no answer to the handshake: "+err.Error()
	case c.Expect == ExpectChallenge && !echoed:
		res.Outcome, res.Reason = Fail, fmt.Sprintf("expected 200 and the challenge %q, got %d %q", c.Handshake.Challenge, obs.Status, clip(obs.Body))
	case c.Expect == ExpectNoChallenge && (obs.Status < 400 || obs.Status >= 500 || strings.Contains(string(obs.answer), c.Handshake.Challenge)):
		res.Outcome, res.Reason = Fail, fmt.Sprintf("expected a 4xx without the challenge, got %d %q", obs.Status, clip(obs.Body))
	default:
		res.Outcome = Pass
	}
	return res
}

// clip shortens an answer for a reason line.
func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}
