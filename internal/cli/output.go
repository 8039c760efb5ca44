package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/spf13/cobra"
)

// reportFile is where a command writes its report: standard output, or with
// --output FILE a temporary file beside FILE, renamed to FILE when the command ends.
// A reader of FILE (a CI step uploading SARIF) sees the previous report or the whole
// new one, never half of one; a run stopped by a signal leaves FILE as it was.
type reportFile struct {
	mu     sync.Mutex
	w      io.Writer // what Write writes to
	stdout io.Writer
	tmp    *os.File
	target string
}

func (r *reportFile) Write(p []byte) (int, error) {
	r.mu.Lock()
	w := r.w
	r.mu.Unlock()
	return w.Write(p)
}

// current is the writer in use: the terminal test looks through to it.
func (r *reportFile) current() io.Writer {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.w
}

// open starts writing to a temporary file beside target.
func (r *reportFile) open(target string) error {
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".*.tmp")
	if err != nil {
		return fmt.Errorf("--output %s: %w", target, err)
	}
	r.mu.Lock()
	r.tmp, r.target, r.w = tmp, target, tmp
	r.mu.Unlock()
	pending.Store(r, struct{}{})
	return nil
}

// finish renames the temporary file to its target when keep and something was
// written (a command that failed before its report leaves the previous one), and
// removes it otherwise.
func (r *reportFile) finish(keep bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tmp == nil {
		return nil
	}
	pending.Delete(r)
	tmp := r.tmp
	r.tmp, r.w = nil, r.stdout
	if fi, err := tmp.Stat(); err == nil && fi.Size() == 0 {
		keep = false
	}
	if !keep {
		tmp.Close()
		return os.Remove(tmp.Name())
	}
	err := tmp.Chmod(0o644)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), r.target)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("--output %s: %w", r.target, err)
	}
	return nil
}

// pending are the report files being written, removed if the process is cut short.
var pending sync.Map

// abandonOutputs removes the temporary files of reports not finished.
func abandonOutputs() {
	pending.Range(func(k, _ any) bool {
		k.(*reportFile).finish(false)
		return true
	})
}

// formatNames are the values of -o/--format across commands: an --output given one of
// them, with no --format, is the flag as it was before it named a file.
var formatNames = []string{"text", "json", "sarif", "junit", "cyclonedx", "spdx-json", "html", "yaml"}

// reportFileFlag marks the --output flags addOutputFlags adds.
const reportFileFlag = "kharden-report-file"

// addOutputFlags gives every command that writes a report (those with -o/--format)
// the --output FILE flag.
func addOutputFlags(c *cobra.Command) {
	if f := c.Flags().Lookup("format"); f != nil && f.Shorthand == "o" && c.Flags().Lookup("output") == nil {
		c.Flags().String("output", "", "write the report to this file (replaced whole when the command ends; default: standard output)")
		c.Flags().SetAnnotation("output", reportFileFlag, []string{"true"})
	}
	for _, sub := range c.Commands() {
		addOutputFlags(sub)
	}
}

// openOutput starts the --output file of cmd, if given. An --output naming a format,
// as the flag did before, is taken as -o/--format with a warning.
func openOutput(cmd *cobra.Command, out *reportFile, errw io.Writer) error {
	f := cmd.Flags().Lookup("output")
	if f == nil || !f.Changed || f.Annotations[reportFileFlag] == nil {
		return nil // no report, or a command with an --output of its own
	}
	v := f.Value.String()
	if slices.Contains(formatNames, v) && !cmd.Flags().Changed("format") {
		fmt.Fprintf(errw, "kharden: warning: --output %s read as -o/--format %s; --output now names the file to write the report to\n", v, v)
		return cmd.Flags().Set("format", v)
	}
	if v == "" || v == "-" {
		return nil
	}
	return out.open(v)
}
