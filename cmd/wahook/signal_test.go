package main

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runMainEnv makes the test binary run main instead of the tests, so that a test can start wahook as
// a process of its own and send it real signals.
const runMainEnv = "WAHOOK_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// TestSendSignals sends SIGINT and SIGTERM to a wahook send process whose deliveries have all failed
// once and wait for a retry a minute away: it stops at once, every delivery is accounted for as
// cancelled with its retry pending, and it exits 2.
func TestSendSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			rec := newReceiver(t, answer500)
			cmd := exec.Command(os.Args[0], "send", "--target", rec.url, "--provider", "itniotech",
				"--type", "text,image", "--count", "3", "--retries", "1m,3m")
			cmd.Env = append(os.Environ(), runMainEnv+"=1")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			require.NoError(t, cmd.Start())
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			t.Cleanup(func() {
				_ = cmd.Process.Kill()
				<-exited
			})

			require.Eventually(t, func() bool { return len(rec.Hits()) == 3 }, 30*time.Second, 10*time.Millisecond,
				"every payload's first attempt")
			// Let the last answer be recorded, so that its retry is pending too. Should the signal come
			// first on a loaded machine, that delivery is cancelled in flight instead: still accounted.
			time.Sleep(200 * time.Millisecond)
			require.NoError(t, cmd.Process.Signal(sig))
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				t.Fatalf("wahook send still running 10s after %v", sig)
			}
			exited <- nil // for the cleanup

			assert.Equal(t, 2, cmd.ProcessState.ExitCode(), "stderr: %s", stderr.String())
			assert.Equal(t, "wahook: interrupted: 3 of 3 deliveries cancelled\n", stderr.String())
			out := stdout.String()
			assert.Contains(t, out, "\nscheduled 3: 0 acked, 0 failed, 3 cancelled\n", "the accounting identity: %s", out)
			lines := deliveryLines(out)
			require.Len(t, lines, 3, "a line per delivery: %s", out)
			pending := 0
			for _, line := range lines {
				assert.Regexp(t, regexp.MustCompile(`^cancelled `), line)
				if strings.Contains(line, "500 (retry pending)") {
					pending++
				}
			}
			assert.GreaterOrEqual(t, pending, 2, "deliveries waiting for their retry are reported as such: %s", out)
			assert.Len(t, rec.Hits(), 3, "no retry was sent")
		})
	}
}
