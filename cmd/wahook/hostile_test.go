package main

import (
	"fmt"
	"net"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wahook/wahook/internal/hostile"
)

// TestHostileReceivers runs send, conform and fuzz against each hostile receiver with a short timeout
// and checks that each tool ends in time, without a panic, with the exit status it should, and that
// all three blame the same thing in the same words: the delivery engine's account of the failure.
func TestHostileReceivers(t *testing.T) {
	const (
		timeout = 2 * time.Second
		// margin is what a run may take beyond one timeout: generous, for a loaded CI machine. No row
		// waits for more than one timeout in a row (conform runs one case; fuzz sends one batch).
		margin = 5 * time.Second
	)
	// noAnswer is what conform and fuzz say, after their "wahook: conform: " or "wahook: fuzz: ", when
	// the probe reaches the target and gets no HTTP answer: the engine's reason, as send reports it.
	noAnswer := func(reason string) string { return `no answer from the target: \S+: ` + reason }
	tlsHint := regexp.QuoteMeta(" (did the receiver crash? if the port speaks TLS, the target must be https://)")
	acked := "" // a send whose deliveries were all acked has no error to report

	type outcome struct {
		code   int
		stderr string // a regular expression for the one line after "wahook: ", or "" for none
		stdout string // a regular expression the output must match, or "" for any
	}
	tests := []struct {
		name      string
		behaviour hostile.Behaviour // "" for a port where nothing listens
		opts      hostile.Options
		// sendClass and sendErr are what send --output json reports for the delivery's attempt.
		sendClass, sendErr string
		send               outcome
		conform, fuzz      outcome
	}{
		{
			name: "nothing listens", sendClass: "", sendErr: acked,
			send:    outcome{code: 2, stderr: `target \S+ is unreachable: connection refused`},
			conform: outcome{code: 2, stderr: `conform: target unreachable: \S+: connection refused`},
			fuzz:    outcome{code: 2, stderr: `fuzz: target unreachable: \S+: connection refused`},
		},
		{
			name: "never reads", behaviour: hostile.NeverReads,
			sendClass: "timeout", sendErr: `timeout after 2s while reading the response head: got 0 bytes`,
		},
		{
			name: "answers a byte at a time", behaviour: hostile.Slowloris, opts: hostile.Options{Interval: timeout / 4},
			sendClass: "timeout", sendErr: `timeout after 2s while reading the response head: got [1-9]\d* bytes`,
		},
		{
			name: "endless body", behaviour: hostile.EndlessBody, sendClass: "", sendErr: acked,
		},
		{
			name: "endless chunked body", behaviour: hostile.EndlessChunked, sendClass: "", sendErr: acked,
		},
		{
			name: "a megabyte of headers", behaviour: hostile.HugeHead,
			sendClass: "protocol", sendErr: `response head longer than 65536 bytes`,
		},
		{
			name: "1xx storm", behaviour: hostile.InformationalStorm,
			sendClass: "protocol", sendErr: `more than 5 1xx informational responses`,
		},
		{
			name: "redirect loop", behaviour: hostile.RedirectLoop,
			sendClass: "redirect", sendErr: `302 Found to http://\S+ \(redirects are not followed\)`,
			send:    outcome{code: 1},
			conform: outcome{code: 1, stdout: `\n    observed:  302 Found \(providers do not follow redirects\)\n(.|\n)*\n0 passed, 1 failed, 0 skipped\n$`},
			fuzz:    outcome{code: 2, stderr: `fuzz: target does not ack a valid message: \S+ answered a valid text message with HTTP 302 Found; .*`},
		},
		{
			name: "reset after reading", behaviour: hostile.ResetAfterRead,
			sendClass: "reset", sendErr: `the connection was reset without an answer` + tlsHint,
		},
		{
			name: "garbage instead of HTTP", behaviour: hostile.Garbage,
			sendClass: "protocol", sendErr: regexp.QuoteMeta(`malformed HTTP status code "not"`),
		},
		{
			name: "TLS where http was said", behaviour: hostile.TLSForHTTP,
			sendClass: "reset", sendErr: `the connection (closed|was reset) without an answer` + tlsHint,
		},
		{
			name: "http where TLS was said", behaviour: hostile.HTTPForTLS,
			sendClass: "tls", sendErr: regexp.QuoteMeta(`http: server gave HTTP response to HTTPS client (is the target http://?)`),
		},
		{
			name: "200 at half the timeout", behaviour: hostile.LateAck, opts: hostile.Options{Delay: timeout / 2},
			sendClass: "", sendErr: acked,
		},
		{
			name: "200 at one and a half times the timeout", behaviour: hostile.LateAck, opts: hostile.Options{Delay: timeout * 3 / 2},
			sendClass: "timeout", sendErr: `timeout after 2s while reading the response head: got 0 bytes`,
		},
	}
	for _, tt := range tests {
		// Unless a row says otherwise: a failed delivery is exit 1 for send, and conform and fuzz refuse
		// to run (2) with the reason send gave; all deliveries acked is 0 everywhere.
		switch {
		case tt.send.code != 0 || tt.conform.code != 0:
		case tt.sendErr == acked:
			tt.conform = outcome{code: 0, stdout: `\n1 passed, 0 failed, 0 skipped\n$`}
			tt.fuzz = outcome{code: 0, stdout: `^fuzz done: 4 payloads in \S+ \(\d+/s\), 0 findings\n$`}
		default:
			tt.send = outcome{code: 1}
			tt.conform = outcome{code: 2, stderr: "conform: " + noAnswer(tt.sendErr)}
			tt.fuzz = outcome{code: 2, stderr: "fuzz: " + noAnswer(tt.sendErr)}
		}
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			target := closedPort(t)
			if tt.behaviour != "" {
				target = hostile.Start(t, tt.behaviour, tt.opts).URL
			}
			limit := fmt.Sprint(timeout)
			commands := map[string][]string{
				"send": {"send", "--target", target, "--provider", "itniotech", "--type", "text", "--retries", "none",
					"--timeout", limit, "--output", "json"},
				"conform": {"conform", "--target", target, "--provider", "itniotech", "--run", "^valid/itniotech/text/1$",
					"--timeout", limit, "--quiet", "--payload-dir", t.TempDir()},
				"fuzz": {"fuzz", "--target", target, "--provider", "itniotech", "--count", "4", "--workers", "4",
					"--timeout", limit, "--quiet", "--out", t.TempDir()},
			}
			// The three run at once: each mostly waits on the receiver, and -parallel, which bounds the
			// rows run together, is the number of CPUs.
			var (
				mu      sync.Mutex
				got     = map[string]result{}
				elapsed = map[string]time.Duration{}
				wg      sync.WaitGroup
			)
			for name, args := range commands {
				wg.Add(1)
				go func() {
					defer wg.Done()
					start := time.Now()
					var r result
					assert.NotPanics(t, func() { r = runWahook(t, "", args...) }, name)
					mu.Lock()
					defer mu.Unlock()
					got[name], elapsed[name] = r, time.Since(start)
				}()
			}
			wg.Wait()

			for name, want := range map[string]outcome{"send": tt.send, "conform": tt.conform, "fuzz": tt.fuzz} {
				r := got[name]
				assert.Less(t, elapsed[name], timeout+margin, "%s ends within the timeout and a margin", name)
				assert.Equal(t, want.code, r.code, "%s exit status\nstdout: %s\nstderr: %s", name, r.stdout, r.stderr)
				if want.stderr == "" {
					assert.Empty(t, r.stderr, name)
				} else {
					assert.Regexp(t, "^wahook: "+want.stderr+"\n$", r.stderr, name)
				}
				if want.stdout != "" {
					assert.Regexp(t, want.stdout, r.stdout, name)
				}
			}
			if tt.send.code == 2 {
				assert.Empty(t, got["send"].stdout, "nothing sent")
				return
			}
			report := parseReport(t, got["send"].stdout)
			require.Len(t, report.Results, 1)
			require.Len(t, report.Results[0].Attempts, 1)
			a := report.Results[0].Attempts[0]
			assert.Equal(t, tt.sendClass, a.Class, a.Error)
			assert.Regexp(t, "^"+tt.sendErr+"$", a.Error)
		})
	}
}

// closedPort returns the URL of a loopback port where nothing listens: it was free a moment ago.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, ln.Close())
	return "http://" + ln.Addr().String() + "/webhook"
}
