// Command wahook is a contract-testing and mock-provider harness for inbound WhatsApp Business API
// webhooks of InnoPaaS and ITNIO Tech.
//
// Exit codes mean one thing each: 0 success, 1 the check found problems, 2 the tool could not run
// (bad usage, unreadable input, interrupted).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/wahook/wahook/internal/spelling"
	"github.com/wahook/wahook/mockprovider"
)

// version is the release version, set at build time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line args and returns the process exit code. It never exits or panics on
// bad input, so tests call it directly.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// A provider whose schema or description did not load would make every command wrong about it.
	if err := mockprovider.Check(); err != nil {
		fmt.Fprintf(stderr, "wahook: %v\n", err)
		return 2
	}
	root := newRootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	return exitCode(suggest(root, root.ExecuteContext(ctx), args), stderr)
}

// suggest adds the nearest command to an unknown command's error, on its one line: cobra's own
// suggestion takes several.
func suggest(root *cobra.Command, err error, args []string) error {
	if err == nil || len(args) == 0 || !strings.HasPrefix(err.Error(), "unknown command ") || !strings.HasSuffix(err.Error(), `for "wahook"`) {
		return err
	}
	var names []string
	for _, c := range root.Commands() {
		names = append(names, c.Name())
	}
	if near := spelling.Closest(args[0], names); near != "" {
		return fmt.Errorf("%w (did you mean %s?)", err, near)
	}
	return fmt.Errorf("%w (wahook --help lists the commands)", err)
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:                "wahook",
		Short:              "Contract-testing and mock-provider harness for inbound WhatsApp Business API webhooks",
		Version:            versionString(),
		SilenceUsage:       true,
		SilenceErrors:      true,
		DisableSuggestions: true, // suggestions are multi-line; errors here are one line
	}
	root.SetVersionTemplate("wahook {{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return err })
	root.AddCommand(newValidateCmd())
	root.AddCommand(newGenCmd(), newListCmd())
	root.AddCommand(newConformCmd())
	root.AddCommand(newSendCmd())
	root.AddCommand(newServeCmd())
	root.AddCommand(newFuzzCmd())
	root.AddCommand(newProxyCmd())
	return root
}

// versionString prefers the version set with -ldflags, then the module version recorded by go install.
func versionString() string {
	if version != "dev" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return version
}

// Errors that carry an exit code rather than a message: whatever they are about has already been
// printed.
var (
	// errFindings means the check ran and found problems (exit 1).
	errFindings = errors.New("check found problems")
	// errReported means some input could not be checked; each such input was reported (exit 2).
	errReported = errors.New("some input could not be checked")
)

// exitCode is the one place where errors become exit codes:
//
//   - nil: 0
//   - errFindings: 1, the findings are already on stdout
//   - errReported: 2, each unreadable input is already on stderr
//   - anything else (bad flag, unknown provider, missing argument, interrupted): 2, with the error as
//     one line on stderr
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errFindings):
		return 1
	case errors.Is(err, errReported):
		return 2
	default:
		msg, _, _ := strings.Cut(err.Error(), "\n")
		fmt.Fprintf(stderr, "wahook: %s\n", msg)
		return 2
	}
}

// invokedAs is how the user ran wahook, for the commands it prints: the name alone when it was
// found on PATH, the path as typed otherwise (bin/wahook), and "wahook" for a go run or go test
// binary, whose path is temporary.
func invokedAs(arg0 string) string {
	switch {
	case !strings.ContainsRune(arg0, os.PathSeparator):
		return arg0
	case strings.Contains(arg0, "go-build") || strings.HasSuffix(arg0, ".test"):
		return "wahook"
	}
	return arg0
}
