// Package cli is kharden's command line: one file per command, each turning flags into
// an options struct, calling one library function and rendering the result.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// Exit codes, documented in docs/exit-codes.md.
const (
	ExitOK       = 0 // nothing at or above the failure threshold
	ExitFindings = 1 // findings at or above the threshold
	ExitError    = 2 // usage, input or operational error
)

// Version is set at build time with -ldflags "-X github.com/kharden/kharden/internal/cli.Version=...".
var Version = "0.1.0-dev"

// IO are the streams a command uses.
type IO struct {
	In       io.Reader
	Out, Err io.Writer
}

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

// Run executes the CLI and returns the process exit code.
func Run(args []string, s IO) int { return runContext(context.Background(), args, s) }

// runContext is Run with a context that long-running commands (webhook serve) stop on.
func runContext(ctx context.Context, args []string, s IO) int {
	root := newRoot(s)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(s.Err, "kharden:", ee.err)
		}
		return ee.code
	}
	// Cobra's own errors: unknown flags and commands, bad arguments.
	fmt.Fprintln(s.Err, "kharden:", err)
	fmt.Fprintln(s.Err, "Run 'kharden --help' for usage.")
	return ExitError
}

func newRoot(s IO) *cobra.Command {
	root := &cobra.Command{
		Use:   "kharden",
		Short: "Kubernetes security best practice, checked, enforced and generated",
		Long: `kharden checks Kubernetes manifests and Dockerfiles against security best practice
and the Pod Security Standards, with findings that point at the exact file, line and field.

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it,
2 usage, input or operational errors.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.AddCommand(newScan(s), newAudit(s), newWebhook(s), newProfile(s), newRules(s), newExplain(s), newVersion(s), newParseFloor(s))
	return root
}

// isTerminal tells whether w is a terminal that should get colour.
func isTerminal(w io.Writer) bool {
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
