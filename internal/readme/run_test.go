package readme

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// command is one command the README shows, with the exit status its shown output implies.
type command struct {
	line     int // in README.md
	text     string
	wantExit int  // -1: not checked (a command sent to the background)
	shown    bool // from a console block, with its output
}

// readmeCommands extracts the commands of README.md's sh and console blocks, in order: a console
// block's commands are its "$ " lines (continued while a quote is open), an sh block's are its
// lines. The first two, make demo and make test, are CI's own and left out.
func readmeCommands(readme string) []command {
	var out []command
	for _, m := range regexp.MustCompile("(?s)```(sh|console)\n(.*?)```").FindAllStringSubmatchIndex(readme, -1) {
		kind, body := readme[m[2]:m[3]], readme[m[4]:m[5]]
		first := strings.Count(readme[:m[4]], "\n") + 1
		lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
		for i := 0; i < len(lines); i++ {
			l := lines[i]
			switch {
			case kind == "sh" && strings.TrimSpace(l) != "" && !strings.HasPrefix(l, "#"):
				out = append(out, command{line: first + i, text: l, wantExit: 0})
			case kind == "console" && strings.HasPrefix(l, "$ "):
				c := command{line: first + i, text: strings.TrimPrefix(l, "$ "), shown: true}
				for strings.Count(c.text, "'")%2 == 1 && i+1 < len(lines) {
					i++
					c.text += "\n" + lines[i]
				}
				var output []string
				for i+1 < len(lines) && !strings.HasPrefix(lines[i+1], "$ ") {
					i++
					output = append(output, lines[i])
				}
				c.wantExit = exitShown(output)
				out = append(out, c)
			}
		}
	}
	var kept []command
	for _, c := range out {
		if strings.HasPrefix(c.text, "make demo") || strings.HasPrefix(c.text, "make test") {
			continue
		}
		if strings.HasSuffix(strings.TrimSpace(stripComment(c.text)), "&") {
			c.wantExit = -1
		}
		kept = append(kept, c)
	}
	return kept
}

// exitShown is the exit status the output a console block shows implies: 2 for wahook's one-line
// error, 1 for failures, findings and violations, 0 otherwise.
func exitShown(output []string) int {
	violation := regexp.MustCompile(`^\S+: /`)
	exit := 0
	for _, l := range output {
		switch {
		case strings.HasPrefix(l, "wahook: "):
			return 2
		case strings.HasPrefix(l, "FAIL ") || strings.HasPrefix(l, "FINDING ") || strings.HasPrefix(l, "failed ") || violation.MatchString(l):
			exit = 1
		}
	}
	return exit
}

func stripComment(cmd string) string {
	if i := strings.Index(cmd, "   #"); i >= 0 {
		return cmd[:i]
	}
	return cmd
}

// readmePorts are the loopback ports the README's commands listen on.
var readmePorts = []int{8080, 8081, 8082, 8083, 8787, 8788, 9090, 9091}

// TestREADMERunsTopToBottom runs README.md's commands in order, in one shell, in a copy of the
// checkout: every section must run after the one before it (no port taken twice, nothing missing),
// each command must exit as its shown output says, and nothing may be left running.
func TestREADMERunsTopToBottom(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the README: not in -short")
	}
	for _, port := range readmePorts {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			t.Skipf("port %d, which the README uses, is taken on this machine", port)
		}
		l.Close()
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("the README's commands need curl")
	}
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	cmds := readmeCommands(string(readme))
	require.Greater(t, len(cmds), 20)

	dir := copyCheckout(t)
	var script strings.Builder
	script.WriteString("set -u\n")
	for i, c := range cmds {
		fmt.Fprintf(&script, "echo '::begin %d'\n%s\necho \"::end %d $?\"\n", i, c.text, i)
		if c.wantExit < 0 {
			script.WriteString("sleep 1\n") // as a person would, before using what it started
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 6*time.Minute)
	defer cancel()
	// Output to a file, not a pipe: what the README sends to the background holds its copy of the
	// shell's output open, and a pipe would wait for it.
	logFile, err := os.Create(filepath.Join(t.TempDir(), "readme.log"))
	require.NoError(t, err)
	defer logFile.Close()
	sh := exec.CommandContext(ctx, "bash", "-c", script.String())
	sh.Dir = dir
	sh.Env = append(os.Environ(), "GOFLAGS=", "NO_COLOR=1")
	sh.Stdout, sh.Stderr = logFile, logFile
	sh.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	sh.Cancel = func() error { return syscall.Kill(-sh.Process.Pid, syscall.SIGKILL) }
	err = sh.Run()
	// What the README left running goes with the shell's process group.
	_ = syscall.Kill(-sh.Process.Pid, syscall.SIGKILL)
	out, rerr := os.ReadFile(logFile.Name())
	require.NoError(t, rerr)
	require.NoError(t, err, "%s", out)

	text := string(out)
	// What the commands write (bin/, corpus/, wahook-crashes/, ...) is ignored by .gitignore.
	status := exec.Command("git", "status", "--porcelain")
	status.Dir = dir
	untracked, err := status.Output()
	require.NoError(t, err)
	assert.Empty(t, string(untracked), "the README's commands leave files .gitignore does not cover")
	for i, c := range cmds {
		// A background command's own output follows its end marker: up to the next command's begin.
		m := regexp.MustCompile(fmt.Sprintf(`(?s)::begin %d\n(.*?)::end %d (\d+)\n(.*?)(::begin|$)`, i, i)).FindStringSubmatch(text)
		if !assert.NotNil(t, m, "README.md:%d did not run: %s", c.line, c.text) {
			continue
		}
		said := m[1] + m[3]
		assert.NotContains(t, said, "address already in use", "README.md:%d: %s: a section starts what an earlier one still runs", c.line, c.text)
		assert.NotContains(t, said, "command not found", "README.md:%d: %s", c.line, c.text)
		if c.wantExit >= 0 {
			code, _ := strconv.Atoi(m[2])
			assert.Equal(t, c.wantExit, code, "README.md:%d: %s\n%.2000s", c.line, c.text, m[1])
		}
	}
}

// copyCheckout copies the tracked files of the checkout into a scratch directory.
func copyCheckout(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	git := exec.Command("git", "ls-files", "-z")
	git.Dir = root
	list, err := git.Output()
	if err != nil {
		t.Skip("not a git checkout: the README runs in a copy of one")
	}
	dir := t.TempDir()
	defer func() {
		// A repository of its own, so that what the commands leave behind shows as untracked.
		for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}, {"-c", "user.name=readme", "-c", "user.email=readme@localhost", "commit", "-qm", "copy"}} {
			git := exec.Command("git", args...)
			git.Dir = dir
			out, err := git.CombinedOutput()
			require.NoError(t, err, "git %v: %s", args, out)
		}
	}()
	for _, name := range strings.Split(strings.TrimSuffix(string(list), "\x00"), "\x00") {
		b, err := os.ReadFile(filepath.Join(root, name))
		if os.IsNotExist(err) {
			continue // deleted in the working tree
		}
		require.NoError(t, err)
		info, err := os.Stat(filepath.Join(root, name))
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, info.Mode().Perm()))
	}
	return dir
}

// TestReadmeCommands: the extraction reads continued commands whole, and the exit a block's output
// implies.
func TestReadmeCommands(t *testing.T) {
	md := "```console\n$ echo 'a\nb' | wc -l\n2\n$ bin/wahook send --target x\nwahook: send: bad\n```\n```sh\nmake demo\nbin/x &   # note\n# a comment\nfalse\n```\n"
	cmds := readmeCommands(md)
	require.Len(t, cmds, 4)
	assert.Equal(t, "echo 'a\nb' | wc -l", cmds[0].text)
	assert.Equal(t, 0, cmds[0].wantExit)
	assert.Equal(t, 2, cmds[1].wantExit)
	assert.Equal(t, -1, cmds[2].wantExit, "sent to the background")
	assert.Equal(t, "false", cmds[3].text)
	assert.Equal(t, 12, cmds[3].line)
}
