package conformance_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/conformance"
	"github.com/wahook/wahook/fixtures"
	"github.com/wahook/wahook/internal/jsoninput"
	"github.com/wahook/wahook/internal/jsonpointer"
	"github.com/wahook/wahook/message"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

func cases(t *testing.T, cfg conformance.Config) []conformance.Case {
	t.Helper()
	cs, err := conformance.Cases(cfg)
	require.NoError(t, err)
	return cs
}

func byID(cs []conformance.Case) map[string]conformance.Case {
	m := make(map[string]conformance.Case, len(cs))
	for _, c := range cs {
		m[c.ID] = c
	}
	return m
}

// idPattern is what a case id looks like: group, provider name, then the case's own path.
var idPattern = regexp.MustCompile(`^(valid|documented|tolerate|reject|delivery|auth|handshake)/[a-z][a-z0-9-]*/[a-zA-Z0-9_./-]+$`)

func TestCases(t *testing.T) {
	for _, p := range schemas.Providers() {
		t.Run(string(p), func(t *testing.T) {
			cs := cases(t, conformance.Config{Target: mockprovider.Target{Provider: p}})
			ids := byID(cs)
			require.Len(t, ids, len(cs), "case ids are unique")
			groups := map[conformance.Group]int{}
			for i, c := range cs {
				assert.Regexp(t, idPattern, c.ID)
				assert.True(t, strings.HasPrefix(c.ID, string(c.Group)+"/"+string(p)+"/"), c.ID)
				assert.NotEmpty(t, c.Description, c.ID)
				if c.Group == conformance.GroupHandshake {
					assert.NotNil(t, c.Handshake, c.ID) // a GET, no webhook
				} else {
					assert.NotEmpty(t, c.Requests, c.ID)
					assert.NotEmpty(t, c.Canary.Body, c.ID)
				}
				if i > 0 { // groups run in order
					assert.GreaterOrEqual(t, slices.Index(conformance.Groups(), c.Group), slices.Index(conformance.Groups(), cs[i-1].Group), c.ID)
				}
				groups[c.Group]++
			}
			prov, err := mockprovider.Lookup(p)
			require.NoError(t, err)

			// valid: three variants of every type, and the payloads that carry the value classes.
			classes := 0
			for _, c := range cs {
				if strings.Contains(c.ID, "/classes-") {
					classes++
				}
			}
			assert.Equal(t, 3*len(prov.Types())+classes, groups[conformance.GroupValid])
			assert.Greater(t, classes, 5*len(prov.Types()), "several classes cases per type")
			for _, typ := range prov.Types() {
				assert.Contains(t, ids, fmt.Sprintf("valid/%s/%s/3", p, typ))
			}
			// documented: every documented fixture.
			assert.Equal(t, len(fixtures.Documented(p)), groups[conformance.GroupDocumented])
			// tolerate and reject: every mutation of the catalogue, as expected of it.
			muts, err := mockprovider.Mutations(p)
			require.NoError(t, err)
			for _, m := range muts {
				switch m.Expect {
				case mockprovider.Reject:
					c, ok := ids[fmt.Sprintf("reject/%s/%s", p, m.ID)]
					if assert.True(t, ok, "reject %s", m.ID) {
						assert.Equal(t, !m.Systematic, c.Hostile, "a named mutation may kill, a systematic one changes a field")
						assert.Equal(t, conformance.ExpectNoServerError, c.Expect)
						assert.True(t, m.AppliesTo(c.Type), "%s on %s", m.ID, c.Type)
					}
				case mockprovider.Tolerate:
					n := 0
					for _, c := range cs {
						if c.Group == conformance.GroupTolerate && c.Mutation == m.ID {
							assert.Equal(t, conformance.ExpectAck, c.Expect)
							assert.Equal(t, n == 0 && !m.Systematic, c.Hostile, "%s: the first case of a mutation is the hostile one", c.ID)
							n++
						}
					}
					assert.Positive(t, n, "tolerate %s", m.ID)
				}
			}
			// The legitimately large ones are really large. (large-contacts describes itself as over
			// 64 KiB; its sixty cards make 33 to 70 KiB depending on the card cloned.)
			assert.Greater(t, len(ids[fmt.Sprintf("tolerate/%s/max-length-text/text", p)].Requests[0].Body), 16<<10)
			assert.Greater(t, len(ids[fmt.Sprintf("tolerate/%s/large-contacts/contacts", p)].Requests[0].Body), 64<<10)
			// delivery.
			retry := ids[fmt.Sprintf("delivery/%s/retry-identical-bytes", p)]
			require.Len(t, retry.Requests, 2)
			assert.Equal(t, retry.Requests[0].Body, retry.Requests[1].Body)
			burst := ids[fmt.Sprintf("delivery/%s/burst-50", p)]
			assert.Len(t, burst.Requests, 50)
			assert.True(t, burst.Concurrent)
			// auth: skipped without credentials.
			assert.Equal(t, 3, groups[conformance.GroupAuth])
			for _, c := range cs {
				switch c.Group {
				case conformance.GroupAuth:
					assert.Contains(t, c.Skip, "no credentials")
				case conformance.GroupHandshake:
					assert.Contains(t, c.Skip, "no verify token")
				default:
					assert.Empty(t, c.Skip)
				}
			}
			t.Logf("%s: %d cases: %v", p, len(cs), groups)
		})
	}
}

func TestCasesStrictProfile(t *testing.T) {
	for _, c := range cases(t, conformance.Config{Target: mockprovider.Target{Provider: schemas.InnoPaaS}, Profile: conformance.Strict}) {
		if c.Group == conformance.GroupReject {
			assert.Equal(t, conformance.ExpectRefusal, c.Expect, c.ID)
		}
	}
}

// Every case carries fresh message ids: no two requests of the suite share one, canaries included,
// except a retry's two copies.
func TestCasesFreshIDs(t *testing.T) {
	for _, p := range schemas.Providers() {
		seen := map[string]string{}
		for _, c := range cases(t, conformance.Config{Target: mockprovider.Target{Provider: p}}) {
			if c.Handshake != nil {
				continue // sends no message
			}
			reqs := slices.Concat(c.Requests, []conformance.Request{c.Canary})
			if c.ID == fmt.Sprintf("delivery/%s/retry-identical-bytes", p) {
				reqs = reqs[1:]
			}
			for _, r := range reqs {
				require.NotEmpty(t, r.MessageID, c.ID)
				if other, dup := seen[r.MessageID]; dup {
					t.Errorf("%s and %s share message id %s", other, c.ID, r.MessageID)
				}
				seen[r.MessageID] = c.ID
			}
		}
	}
}

// A documented example is replayed byte for byte, but for its ids and times, which are fresh.
func TestCasesDocumentedFreshIdentity(t *testing.T) {
	for _, p := range schemas.Providers() {
		prov, err := mockprovider.Lookup(p)
		require.NoError(t, err)
		for _, c := range cases(t, conformance.Config{Target: mockprovider.Target{Provider: p}, Run: "^documented/"}) {
			original, err := fixtures.Read(c.Fixture)
			require.NoError(t, err)
			body := c.Requests[0].Body
			require.NotEqual(t, original, body, c.ID)
			before, err := jsoninput.Decode(original)
			require.NoError(t, err)
			after, err := jsoninput.Decode(body)
			require.NoError(t, err)
			restored := body
			for _, ptr := range prov.IdentityPointers {
				old, err := jsonpointer.Get(before, ptr)
				if err != nil {
					continue
				}
				now, err := jsonpointer.Get(after, ptr)
				require.NoError(t, err, "%s %s", c.ID, ptr)
				assert.NotEqual(t, old, now, "%s %s is not fresh", c.ID, ptr)
				oldRaw, _ := json.Marshal(old)
				nowRaw, _ := json.Marshal(now)
				restored = bytes.Replace(restored, nowRaw, oldRaw, 1)
			}
			assert.Equal(t, string(original), string(restored), "%s: only the identity fields change", c.ID)
			id, err := jsonpointer.Get(after, prov.IDPointer)
			require.NoError(t, err)
			assert.Equal(t, id, c.Requests[0].MessageID)
		}
	}
}

// The same seed builds the same bytes; another seed other bytes.
func TestCasesSeeded(t *testing.T) {
	bodies := func(seed uint64) [][]byte {
		var out [][]byte
		for _, c := range cases(t, conformance.Config{Target: mockprovider.Target{Provider: schemas.ITNIOTech}, Seed: seed}) {
			for _, r := range c.Requests {
				out = append(out, r.Body)
			}
		}
		return out
	}
	a, b, c := bodies(5), bodies(5), bodies(6)
	assert.Equal(t, a, b)
	assert.Equal(t, len(a), len(c))
	same := 0
	for i := range a {
		if bytes.Equal(a[i], c[i]) {
			same++
		}
	}
	assert.Less(t, same, 5, "bodies another seed left unchanged") // the empty body, say
}

func TestCasesRunFilter(t *testing.T) {
	cs := cases(t, conformance.Config{Target: mockprovider.Target{Provider: schemas.InnoPaaS}, Run: `^reject/.*/drop-required\.body\.id$|^delivery/`})
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	assert.Equal(t, []string{
		"reject/innopaas/drop-required.body.id",
		"delivery/innopaas/retry-identical-bytes", "delivery/innopaas/burst-50", "delivery/innopaas/out-of-order",
	}, ids)
	// A filter does not change what the cases send.
	all := byID(cases(t, conformance.Config{Target: mockprovider.Target{Provider: schemas.InnoPaaS}}))
	for _, c := range cs {
		assert.Equal(t, all[c.ID].Requests[0].Body, c.Requests[0].Body, c.ID)
	}
}

func TestCasesAuth(t *testing.T) {
	cs := cases(t, conformance.Config{Target: mockprovider.Target{Provider: schemas.InnoPaaS, Credentials: mockprovider.Credentials{User: "user", Token: "token"}}, Run: "^auth/|^valid/innopaas/text/1$"})
	ids := byID(cs)
	want := []string{"missing-credentials", "wrong-credentials", "missing-authorization", "wrong-authorization", "missing-username", "wrong-username", "valid-credentials"}
	assert.Len(t, cs, len(want)+1)
	for _, name := range want {
		c, ok := ids["auth/innopaas/"+name]
		require.True(t, ok, name)
		assert.Empty(t, c.Skip)
		h := c.Requests[0].Header
		switch {
		case name == "valid-credentials":
			assert.Equal(t, conformance.ExpectAck, c.Expect)
			assert.Equal(t, []string{"user"}, h["UserName"])
			assert.Equal(t, []string{"token"}, h["Authorization"])
		case strings.HasPrefix(name, "missing-"):
			assert.Equal(t, conformance.ExpectAuthRefusal, c.Expect)
			assert.Less(t, len(h), 3, "a credential header is missing: %v", h)
		default:
			assert.Equal(t, conformance.ExpectAuthRefusal, c.Expect)
			user, token := h["UserName"][0], h["Authorization"][0]
			assert.Len(t, user, 4)
			assert.Len(t, token, 5)
			assert.True(t, user != "user" || token != "token", "%s: %v", name, h)
		}
	}
	// Every other case sends the credentials, verbatim.
	valid := ids["valid/innopaas/text/1"]
	assert.Equal(t, []string{"user"}, valid.Requests[0].Header["UserName"])
	assert.Equal(t, []string{"token"}, valid.Canary.Header["Authorization"])

	_, err := conformance.Cases(conformance.Config{Target: mockprovider.Target{Provider: schemas.ITNIOTech, Credentials: mockprovider.Credentials{User: "user"}}})
	assert.ErrorIs(t, err, conformance.ErrBadConfig, "ITNIO Tech documents no credential headers")
	cs = cases(t, conformance.Config{Target: mockprovider.Target{Provider: schemas.ITNIOTech, Header: http.Header{"X-Secret": {"abc"}}}, Run: "^auth/"})
	assert.Len(t, cs, 3)
}

func TestCasesBadConfig(t *testing.T) {
	inno := func(edit func(*mockprovider.Target)) conformance.Config {
		target := mockprovider.Target{Provider: schemas.InnoPaaS}
		edit(&target)
		return conformance.Config{Target: target}
	}
	itnio := func(h http.Header) conformance.Config {
		return conformance.Config{Target: mockprovider.Target{Provider: schemas.ITNIOTech, Header: h}}
	}
	tests := []struct {
		name    string
		cfg     conformance.Config
		wantErr string // after "bad conformance config: "
	}{
		{"provider", conformance.Config{Target: mockprovider.Target{Provider: "no-such-provider"}}, `Provider: unknown provider "no-such-provider"`},
		{"profile", conformance.Config{Target: mockprovider.Target{Provider: schemas.InnoPaaS}, Profile: "lenient"}, `Profile: "lenient": want one of [standard strict]`},
		{"run", conformance.Config{Target: mockprovider.Target{Provider: schemas.InnoPaaS}, Run: "("}, "Run: error parsing regexp: missing closing ): `(`"},
		{"header not sendable", itnio(http.Header{"X-Secret": {"s3cret\x01"}}),
			"Header: X-Secret: control character 0x01 at byte 6 of the value"},
		{"header name not a token", itnio(http.Header{"X Secret": {"v"}}),
			"Header: name \"X Secret\" is not a token: use letters, digits and !#$%&'*+-.^_`|~"},
		{"line break in the auth token", inno(func(t *mockprovider.Target) { t.Credentials = mockprovider.Credentials{User: "user", Token: "to\nken"} }),
			"Credentials.Token: control character 0x0a at byte 2 of the value"},
		{"credentials for itniotech", conformance.Config{Target: mockprovider.Target{Provider: schemas.ITNIOTech, Credentials: mockprovider.Credentials{User: "user"}}},
			"Credentials.User: itniotech: the provider documents no credential headers; send them with a custom header instead"},
		{"timeout", inno(func(t *mockprovider.Target) { t.Timeout = -1 }), "Timeout: negative (-1ns)"},
		// An empty or blank credential cannot be got wrong: the wrong-credentials case would send it.
		{"empty header value", itnio(http.Header{"X-Secret": {""}}), "Header: X-Secret: the value is empty"},
		{"blank header value", itnio(http.Header{"X-Secret": {"   "}}), "Header: X-Secret: the value is empty"},
		{"an empty value among others", itnio(http.Header{"X-Secret": {"a", ""}}), "Header: X-Secret: the value is empty"},
		{"blank auth user", inno(func(t *mockprovider.Target) { t.Credentials = mockprovider.Credentials{User: " ", Token: "token"} }), "Credentials.User: the value is blank"},
		{"blank auth token", inno(func(t *mockprovider.Target) { t.Credentials = mockprovider.Credentials{User: "user", Token: "\t"} }), "Credentials.Token: the value is blank"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := conformance.Cases(tt.cfg)
			require.ErrorIs(t, err, conformance.ErrBadConfig)
			assert.EqualError(t, err, "bad conformance config: "+tt.wantErr)
		})
	}
}

// The out-of-order case delivers an older message of the same conversation after a newer one: the
// bodies differ in their ids and times only, and the second was sent earlier, by whole seconds.
func TestCasesOutOfOrderSameSender(t *testing.T) {
	for _, p := range schemas.Providers() {
		prov, err := mockprovider.Lookup(p)
		require.NoError(t, err)
		c := byID(cases(t, conformance.Config{Target: mockprovider.Target{Provider: p}, Run: "^delivery/"}))[fmt.Sprintf("delivery/%s/out-of-order", p)]
		require.Len(t, c.Requests, 2)
		newer, older := c.Requests[0], c.Requests[1]
		assert.NotEqual(t, newer.MessageID, older.MessageID)

		var (
			docs [2]any
			sent [2]time.Time
		)
		for i, req := range []conformance.Request{newer, older} {
			docs[i], err = jsoninput.Decode(req.Body)
			require.NoError(t, err)
			id, err := jsonpointer.Get(docs[i], prov.IDPointer)
			require.NoError(t, err)
			assert.Equal(t, req.MessageID, id)
			sent[i], err = prov.SentAt(docs[i])
			require.NoError(t, err)
			for _, ptr := range prov.IdentityPointers {
				_ = jsonpointer.Remove(docs[i], ptr) // some are not in every provider's payload
			}
		}
		assert.Equal(t, docs[0], docs[1], "%s: the same sender, recipient and message but for ids and times", p)
		assert.Less(t, sent[1].Unix(), sent[0].Unix(), "%s: the second is older", p)
		assert.Contains(t, c.Description, "the same customer")
	}
}

// TestCasesCarryTheirMessage: every request that says what it encodes (a generated payload, a
// fixture replayed with fresh ids, a modelled tolerate mutation) parses into exactly that message;
// every valid, documented and equivalent request says.
func TestCasesCarryTheirMessage(t *testing.T) {
	for _, p := range schemas.Providers() {
		cases, err := conformance.Cases(conformance.Config{Target: mockprovider.Target{Provider: p}, Equivalent: true})
		require.NoError(t, err)
		carried := 0
		for _, c := range cases {
			for i, req := range c.Requests {
				switch c.Group {
				case conformance.GroupValid, conformance.GroupDocumented, conformance.GroupEquivalent:
					require.NotNil(t, req.Message, "%s request %d", c.ID, i+1)
				}
				if req.Message == nil {
					continue
				}
				carried++
				got, err := mockprovider.Parse(cmp.Or(req.Provider, p), req.Body)
				require.NoError(t, err, c.ID)
				assert.Empty(t, message.Diff(*req.Message, got, nil), "%s request %d", c.ID, i+1)
				assert.Empty(t, message.Diff(got, *req.Message, nil), "%s request %d", c.ID, i+1)
			}
		}
		assert.Greater(t, carried, 100, p)
	}
}
