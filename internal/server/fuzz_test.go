package server_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/engine"
	"github.com/wahook/wahook/internal/server"
	"github.com/wahook/wahook/send"
)

// FuzzDecodeSendRequest holds DecodeSendRequest to its contract: it never panics, every error it
// returns is ErrBadRequest, and the options it accepts are ones PrepareSend takes or refuses with a
// clear ErrBadSend, and whose engine options engine.New accepts, but for a target's host name.
func FuzzDecodeSendRequest(f *testing.F) {
	for _, seed := range []string{
		`{"target":"http://127.0.0.1:8080/webhook","provider":"innopaas"}`,
		`{"target":"https://example.com/hook","provider":"itniotech","types":["image","document"],"count":4,"seed":7,
		  "mediaFault":"slow","quirks":"table","timeout":"3s","retries":"1s,2s","timeScale":0.01,"duplicates":0.5,
		  "shuffle":true,"workers":8,"rate":100,"header":{"X-A":"1","X-B":["2","3"]},"insecure":true}`,
		`{"target":"http://127.0.0.1:1/","provider":"innopaas","types":["text"],"mutation":"max-length-text","authUser":"u","authToken":"t","timeout":10000000000}`,
		`{"target":"http://127.0.0.1:1/","provider":"innopaas","types":["text"],"mutation":"oversized-body"}`,
		`{"target":"http://127.0.0.1:1/","provider":"itniotech","authUser":"u"}`,
		`{"target":"http://127.0.0.1:1/","provider":"innopaas","mediaBaseURL":"http://media.test/"}`,
		`{"target":"http://127.0.0.1:1/","provider":"innopaas","types":["all"],"retries":"none"}`,
		`{"target":`, `[]`, `null`, ``, `{"target":"x","provider":"y"}`, `{"count":-1}`, `{"timeout":"1h"}`,
		`{"target":"http://a/","provider":"innopaas","header":{"Bad Name":"x"}}`,
		`{"target":"http://a/","provider":"innopaas","header":{"Host":"bad host","x-a":"1","X-A":"2"}}`,
		`{"target":"http://a/","provider":"itniotech","bodies":[{"a":1},[]],"rawBodies":["x"],"timeScale":0.5}`,
		`{"target":"https://a/","provider":"innopaas","caFile":"/nonexistent.pem","timeScale":0}`,
		`{"target":"http://a/","provider":"innopaas","bogus":true}`,
		`{"target":"http://a/","provider":"innopaas"}{}`,
		`{"target":"http://a/","provider":"innopaas","retries":"` + strings.Repeat("1s,", 40) + `1s"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		opts, err := server.DecodeSendRequest(body)
		if err != nil {
			require.ErrorIs(t, err, server.ErrBadRequest)
			require.NotEmpty(t, strings.TrimPrefix(err.Error(), server.ErrBadRequest.Error()+": "), "the error names what was wrong")
			return
		}
		require.LessOrEqual(t, opts.Count, server.MaxCount)
		require.LessOrEqual(t, opts.Workers, server.MaxWorkers)
		// Validity does not depend on the count; one payload keeps each input quick (some mutations
		// make megabytes).
		opts.Count = 1
		payloads, dopts, err := prepareAll(opts)
		if err != nil {
			require.ErrorIs(t, err, send.ErrBadOptions)
			return
		}
		require.NotEmpty(t, payloads)
		require.Empty(t, opts.TLS.CAFile, "the control API never names a file for the engine to read")
		e, err := engine.New(dopts)
		if err != nil {
			// The engine alone checks the target's host name (http://:0 has none); the handler answers
			// its refusal 400, naming "target".
			var oe *engine.FieldError
			require.ErrorAs(t, err, &oe, "decoded options the engine refuses")
			require.Equal(t, "Target", oe.Field, "decoded options the engine refuses")
			return
		}
		e.Close()
	})
}

// prepareAll is send.Prepare with every payload of the plan made.
func prepareAll(opts send.Options) ([]engine.Payload, engine.Options, error) {
	plan, err := send.Prepare(opts)
	if err != nil {
		return nil, engine.Options{}, err
	}
	payloads, err := plan.All()
	return payloads, plan.Options, err
}
