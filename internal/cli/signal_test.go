package cli

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestMain lets a test run the test binary as the kharden process (Main, with its
// real signal handling) in a subprocess.
func TestMain(m *testing.M) {
	if os.Getenv("KHARDEN_TEST_MAIN") == "1" {
		os.Exit(Main(os.Args[1:], IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
	}
	os.Exit(m.Run())
}

// process is kharden running as a subprocess.
type process struct {
	cmd      *exec.Cmd
	out, err syncBuffer
	done     chan struct{}
}

func start(t *testing.T, stdin *os.File, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(os.Args[0], args...), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), "KHARDEN_TEST_MAIN=1")
	p.cmd.Stdin = stdin
	p.cmd.Stdout = &p.out
	p.cmd.Stderr = &p.err
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

func (p *process) output() (string, string) { return p.out.String(), p.err.String() }

// exited waits for the process to end; false when it is still running after a wait
// that only turns a hang into a failure.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	case <-time.After(20 * time.Second):
		return false
	}
}

// reading waits until the process has read what was written to the pipe r (its
// standard input): then it runs, its signal handlers installed. False when it ends
// first.
func (p *process) reading(t *testing.T, r *os.File) bool {
	t.Helper()
	for {
		n, err := unix.IoctlGetInt(int(r.Fd()), unix.TIOCINQ) // FIONREAD: bytes not yet read
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return true
		}
		select {
		case <-p.done:
			return false
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// A scan stopped by SIGTERM or SIGINT stops at once and prints the report of the
// inputs it has read (here a directory, before a standard input that never ends),
// with the signal's exit code.
func TestSignalStopsScanWithItsReport(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pod.yaml"), []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
		name string
	}{{syscall.SIGTERM, 143, "terminated"}, {syscall.SIGINT, 130, "interrupt"}} {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close() // standard input stays open: the scan would wait for ever
		defer r.Close()
		if _, err := w.WriteString("# more to come\n"); err != nil {
			t.Fatal(err)
		}
		// One job at a time: pod.yaml is done before standard input is read.
		p := start(t, r, "scan", "--no-config", "-j", "1", dir, "-")
		if !p.reading(t, r) {
			out, errOut := p.output()
			t.Fatalf("the scan ended before reading its standard input: %s %s", out, errOut)
		}
		began := time.Now()
		p.cmd.Process.Signal(tc.sig)
		if !p.exited() {
			t.Fatalf("%v: the scan did not stop", tc.sig)
		}
		t.Logf("%v: stopped %v after the signal", tc.sig, time.Since(began))
		out, errOut := p.output()
		if got := p.cmd.ProcessState.ExitCode(); got != tc.code {
			t.Errorf("%v: exit code %d, want %d; stderr %s", tc.sig, got, tc.code, errOut)
		}
		if !strings.Contains(out, "in 1 file") || !strings.Contains(errOut, "kharden: "+tc.name+": stopped before the end; the report covers the inputs scanned before it") {
			t.Errorf("%v: want the report of pod.yaml and a note on stderr; got\n%s\nstderr: %s", tc.sig, out, errOut)
		}
	}
}

// audit node on a root with a FIFO at /etc/ssh/sshd_config ends by itself, reporting
// the file; it used to block opening it, and ignore SIGTERM.
func TestAuditNodeDoesNotHangOnAFIFO(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc", "ssh"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "etc", "ssh", "sshd_config"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := start(t, nil, "audit", "node", "--no-config", "--root", root, "-o", "json")
	if !p.exited() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		if !p.exited() {
			t.Fatal("audit node hangs on a FIFO, and ignores SIGTERM")
		}
		t.Fatal("audit node hangs on a FIFO")
	}
	out, errOut := p.output()
	if !strings.Contains(out, "/etc/ssh/sshd_config: not a regular file (a named pipe): not read") {
		t.Errorf("the FIFO is not reported: exit %d\n%s\nstderr: %s", p.cmd.ProcessState.ExitCode(), out, errOut)
	}
}

// A command blocked where no context reaches (here reading a config file that is a
// FIFO) still stops within a second of SIGTERM, with its exit code.
func TestSignalStopsABlockedCommand(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "config.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	p := start(t, nil, "scan", "--config", fifo, dir)
	// Opening the FIFO for writing succeeds once the process has opened it for
	// reading: then it is blocked in the read, as no data comes.
	var w *os.File
	for w == nil {
		f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		switch {
		case err == nil:
			w = f
		case !errors.Is(err, syscall.ENXIO):
			t.Fatal(err)
		}
		select {
		case <-p.done:
			t.Skip("the config file is no longer opened when it is a FIFO: nothing blocks")
		case <-time.After(10 * time.Millisecond):
		}
	}
	defer w.Close()
	began := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	if !p.exited() {
		t.Fatal("a blocked command ignores SIGTERM")
	}
	t.Logf("stopped %v after the signal", time.Since(began))
	_, errOut := p.output()
	if got := p.cmd.ProcessState.ExitCode(); got != 143 || !strings.Contains(errOut, "kharden: terminated: stopped before the end") {
		t.Errorf("exit code %d, stderr %q; want 143 and a note", got, errOut)
	}
}
