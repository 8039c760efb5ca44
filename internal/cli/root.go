// Package cli is kharden's command line: one file per command, each turning flags into
// an options struct, calling one library function and rendering the result.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/kharden/kharden/internal/report"
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
	// Name is the command the user typed to run kharden, for help and hints:
	// ProgramName(argv[0]), "kubectl kharden" when kubectl runs it as a plugin.
	// Empty means kharden.
	Name string
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

// stopGrace is how long a command has, after SIGINT or SIGTERM, to stop by itself
// and print what it has (a scan's report of the inputs read so far) before the
// process exits regardless: whatever it is blocked in, it stops within a second.
const stopGrace = 750 * time.Millisecond

// drains are the commands that stop on a signal in their own time: the webhook
// finishes the requests in flight after --shutdown-delay, as Kubernetes expects of a
// pod it terminates. A second signal stops them at once.
var drains = map[string]bool{"kharden webhook serve": true}

// Main runs the CLI as the kharden process and returns its exit code. SIGINT and
// SIGTERM end the command's context (its cause an *Interrupted): a command stops its
// work and prints what it has; one that does not within stopGrace (blocked where no
// context reaches) is cut short with the signal's exit code, 128 + its number.
func Main(args []string, s IO) int {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancelCause(context.Background())
	graceful := false
	if c, _, err := newRoot(s).Find(args); err == nil {
		graceful = drains[commandPath(c)]
	}
	go func() {
		sig := <-sigs
		cancel(&Interrupted{Signal: sig})
		var force <-chan time.Time
		if !graceful {
			force = time.After(stopGrace)
		}
		select {
		case <-sigs:
		case <-force:
		}
		abandonOutputs()
		fmt.Fprintf(s.Err, "kharden: %v: stopped before the end\n", sig)
		os.Exit(signalCode(sig))
	}()
	return runContext(ctx, args, s)
}

// Interrupted is the cause of a command's context ended by a signal.
type Interrupted struct{ Signal os.Signal }

func (e *Interrupted) Error() string { return e.Signal.String() }

// signalCode is the exit code of a process stopped by sig, as a shell reports a
// process the signal killed: 130 for SIGINT, 143 for SIGTERM.
func signalCode(sig os.Signal) int {
	if n, ok := sig.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return ExitError
}

// stopped is the error of a command that stopped early because ctx ended: the
// signal's exit code, and what the output covers. A context that ended otherwise is
// an operational error.
func stopped(ctx context.Context, covers string) error {
	var in *Interrupted
	if errors.As(context.Cause(ctx), &in) {
		return &exitError{signalCode(in.Signal), fmt.Errorf("%v: stopped before the end; %s", in.Signal, covers)}
	}
	return &exitError{ExitError, fmt.Errorf("%w; %s", context.Cause(ctx), covers)}
}

// runContext is Run with a context that long-running commands (webhook serve) stop on.
func runContext(ctx context.Context, args []string, s IO) int {
	out := &reportFile{w: s.Out, stdout: s.Out}
	s.Out = out
	root := newRoot(s)
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if err := openOutput(cmd, out, s.Err); err != nil {
			return &exitError{ExitError, err}
		}
		return nil
	}
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	// The report is whole once the command returns, whatever its verdict; one stopped
	// by a signal is not.
	var in *Interrupted
	if ferr := out.finish(!errors.As(context.Cause(ctx), &in)); ferr != nil && err == nil {
		err = &exitError{ExitError, ferr}
	}
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			// Errors may quote input (a file name, a config's text): escaped like the report.
			fmt.Fprintln(s.Err, "kharden:", report.Escape(ee.err.Error()))
		}
		return ee.code
	}
	// Cobra's own errors: unknown flags and commands, bad arguments.
	fmt.Fprintln(s.Err, "kharden:", report.Escape(err.Error()))
	help := s.name()
	if c, _, ferr := root.Find(args); ferr == nil && c != nil {
		help = c.CommandPath()
	}
	fmt.Fprintf(s.Err, "Run '%s --help' for usage.\n", help)
	return ExitError
}

func newRoot(s IO) *cobra.Command {
	root := &cobra.Command{
		Use:   "kharden",
		Short: "Kubernetes security best practice, checked, enforced and generated",
		Long: `kharden checks Kubernetes manifests and Dockerfiles against security best practice
and the Pod Security Standards, with findings that point at the exact file, line and field.

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it,
2 usage, input or operational errors, 130 or 143 stopped by SIGINT or SIGTERM
(the output covers what was done before it).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.Version = Version
	root.SetVersionTemplate(versionLine() + "\n")
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.AddCommand(scanCommands(s), newAudit(s), newWebhook(s), newProfile(s), newDB(s), newKeygen(s), newSign(s), newVerify(s), newController(s), newRules(s), newExplain(s), newReport(s), newVersion(s), newParseFloor(s))
	addOutputFlags(root)
	addCompletions(root)
	nameAs(root, s.Name)
	return root
}

// isTerminal tells whether w is a terminal that should get colour.
func isTerminal(w io.Writer) bool {
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	if r, ok := w.(*reportFile); ok {
		w = r.current()
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
