//go:build linux

package trace

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/kharden/kharden/internal/profile"
	"github.com/kharden/kharden/internal/profile/apparmor"
	"github.com/kharden/kharden/internal/profile/bundle"
	"github.com/kharden/kharden/internal/profile/seccomp"
)

// need skips a test whose prerequisite is missing, or fails it in CI, where
// hack/test.sh runs as root with hack/profile/deps.sh's packages installed.
func need(t *testing.T, ok bool, why string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true: this test must run)", why)
	}
	t.Skip(why)
}

func needRoot(t *testing.T) {
	t.Helper()
	need(t, os.Geteuid() == 0, "not root: ptrace of setuid programs, seccomp without no_new_privs, runc, unshare and mount need root")
	need(t, runtime.GOARCH == "amd64", "kharden profile check runs on x86_64 only")
}

// testProgram is a static Go program built for the tests: an HTTP server that serves
// one request to itself, and probes of syscalls a profile should deny.
const testProgram = `package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"syscall"
)

func main() {
	switch os.Args[1] {
	case "serve":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello from kharden\n") }))
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		io.Copy(os.Stdout, resp.Body)
		resp.Body.Close()
	case "unshare":
		exitFor(syscall.Unshare(syscall.CLONE_NEWUTS))
	case "mount":
		dir := os.Args[2]
		err := syscall.Mount("kharden", dir, "tmpfs", 0, "size=1m")
		if err == nil {
			syscall.Unmount(dir, 0)
		}
		exitFor(err)
	case "unknown":
		syscall.Syscall(1000, 0, 0, 0) // no such syscall: ENOSYS
	}
}

// exitFor: 0 the syscall worked, 3 EPERM, 4 another error.
func exitFor(err error) {
	switch err {
	case nil:
		os.Exit(0)
	case syscall.EPERM:
		fmt.Fprintln(os.Stderr, "EPERM")
		os.Exit(3)
	}
	fmt.Fprintln(os.Stderr, err)
	os.Exit(4)
}
`

var progPath string

func buildProgram(t *testing.T) string {
	t.Helper()
	if progPath != "" {
		return progPath
	}
	dir, err := os.MkdirTemp("", "kharden-trace-prog-")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module prog\n\ngo 1.21\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte(testProgram), 0o644)
	cmd := exec.Command("go", "build", "-trimpath", "-o", "prog", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the test program: %v\n%s", err, out)
	}
	progPath = filepath.Join(dir, "prog")
	return progPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if progPath != "" {
		os.RemoveAll(filepath.Dir(progPath))
	}
	os.Exit(code)
}

func tempFile(t *testing.T) *os.File {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func contents(t *testing.T, f *os.File) string {
	t.Helper()
	data, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func record(t *testing.T, args []string, runs int) *profile.Recording {
	t.Helper()
	var recs []*profile.Recording
	for i := 0; i < runs; i++ {
		out := tempFile(t)
		res, err := Record(context.Background(), Command{Args: args, Stdout: out, Stderr: out}, Options{Files: true})
		if err != nil {
			t.Fatalf("record %q: %v", args, err)
		}
		if !res.Exit.Success() {
			t.Fatalf("record %q: %s\n%s", args, res.Exit, contents(t, out))
		}
		recs = append(recs, res.Recording)
	}
	return profile.Merge(recs...)
}

func compile(t *testing.T, p *specs.LinuxSeccomp) *seccomp.Filter {
	t.Helper()
	a, err := seccomp.Native()
	if err != nil {
		t.Fatal(err)
	}
	f, err := seccomp.Compile(p, a)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func check(t *testing.T, f *seccomp.Filter, args []string) (*CheckResult, string) {
	t.Helper()
	out := tempFile(t)
	res, err := Check(context.Background(), Command{Args: args, Stdout: out, Stderr: out}, f, CheckOptions{})
	if err != nil {
		t.Fatalf("check %q: %v", args, err)
	}
	return res, contents(t, out)
}

func denied(res *CheckResult, name string) bool {
	return slices.ContainsFunc(res.Denied, func(d Denial) bool { return d.Name == name })
}

// TestPrograms records real programs, then proves each profile three ways: the
// program succeeds under kharden profile check every time; it succeeds under runc and
// crun with the profile (plus the runtime's baseline) for both no_new_privs settings,
// every time; and unshare and mount, which succeed without the profile, fail with
// EPERM under it.
func TestPrograms(t *testing.T) {
	needRoot(t)
	prog := buildProgram(t)
	python, _ := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
	pythonPath, err := filepath.EvalSymlinks(strings.TrimSpace(string(python)))
	need(t, err == nil && pythonPath != "", "python3 is not installed")
	runtimes := map[string]string{}
	for _, name := range seccomp.Runtimes() {
		bin, err := exec.LookPath(name)
		need(t, err == nil, name+" is not installed (hack/profile/deps.sh installs Debian's)")
		runtimes[name] = bin
	}
	parser, parserErr := exec.LookPath("apparmor_parser")

	checks, runtimeRuns := 20, 20
	if testing.Short() {
		checks, runtimeRuns = 3, 1
	}
	for _, c := range []struct {
		name   string
		args   []string
		want   string   // in the output
		binds  []string // host directories the container needs
		goProg bool
	}{
		{"go-http-server", []string{prog, "serve"}, "hello from kharden", []string{filepath.Dir(prog)}, true},
		{"ls", []string{"ls", "-la", "/usr/share/doc/runc"}, "copyright", []string{"/usr", "/etc"}, false},
		{"python3", []string{pythonPath, "-c", "import json, os; print(json.dumps(sorted(os.listdir('/usr/share/doc/runc'))))"}, "copyright",
			[]string{"/usr", "/etc", "/root/.pyenv"}, false},
		{"pipeline", []string{"sh", "-c", "ls /usr/share/doc/runc | sort -r | head -n 5"}, "copyright", []string{"/usr", "/etc"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			runs := 1
			if c.goProg {
				runs = 2 // a Go program's runtime varies between runs
			}
			rec := record(t, c.args, runs)
			if c.goProg != rec.GoRuntime {
				t.Errorf("GoRuntime %v, want %v", rec.GoRuntime, c.goProg)
			}
			for _, must := range []string{"read", "write", "exit_group"} {
				if rec.Syscalls[must] == 0 && !(must == "read" && c.goProg) {
					t.Errorf("%s not recorded: %v", must, rec.SyscallNames())
				}
			}
			if len(rec.Unknown) != 0 {
				t.Errorf("unknown syscalls %v", rec.Unknown)
			}

			// AppArmor: the profile names the executable, and apparmor_parser accepts it.
			ap, err := apparmor.Generate(rec, apparmor.Options{Name: "kharden-" + c.name})
			if err != nil {
				t.Fatal(err)
			}
			exe, _ := exec.LookPath(c.args[0])
			exe, _ = filepath.EvalSymlinks(exe)
			if !slices.ContainsFunc(ap.Files, func(r apparmor.Rule) bool { return r.Path == exe && r.Access&profile.Execute != 0 }) {
				t.Errorf("the AppArmor profile does not let %s execute", exe)
			}
			if parserErr == nil {
				file := filepath.Join(t.TempDir(), "profile")
				os.WriteFile(file, ap.Marshal(), 0o644)
				if out, err := exec.Command(parser, "-Q", "-K", "-M", "/etc/apparmor.d/abi/3.0", file).CombinedOutput(); err != nil {
					t.Errorf("apparmor_parser: %v\n%s", err, out)
				}
			}

			// (a) kharden profile check, every time.
			p, err := seccomp.Generate(rec, seccomp.Options{})
			if err != nil {
				t.Fatal(err)
			}
			f := compile(t, p)
			for i := 0; i < checks; i++ {
				res, out := check(t, f, c.args)
				if !res.Started || !res.Exit.Success() || !strings.Contains(out, c.want) {
					t.Fatalf("check run %d of %d: %s, denied %+v, output:\n%s", i+1, checks, res.Exit, res.Denied, out)
				}
			}
			t.Logf("%d syscalls allowed (%d recorded); %d of %d checks succeeded", len(seccomp.AllowedNames(p)), len(rec.Syscalls), checks, checks)

			// (c) unshare and mount: they work without the profile, and get EPERM under it.
			if c.goProg {
				for _, probe := range []string{"unshare", "mount"} {
					args := []string{prog, probe, t.TempDir()}
					if err := exec.Command(args[0], args[1:]...).Run(); err != nil {
						t.Fatalf("%s without the profile: %v", probe, err)
					}
					res, out := check(t, f, args)
					if res.Exit.Code != 3 || !denied(res, probe) {
						t.Errorf("%s under the profile: %s (3 is EPERM), denied %+v\n%s", probe, res.Exit, res.Denied, out)
					}
				}
			} else {
				mnt := t.TempDir()
				for _, probe := range []struct {
					syscall string
					args    []string
				}{{"unshare", []string{"unshare", "-u", "true"}}, {"mount", []string{"mount", "-t", "tmpfs", "kharden", mnt}}} {
					if out, err := exec.Command(probe.args[0], probe.args[1:]...).CombinedOutput(); err != nil {
						t.Fatalf("%q without the profile: %v %s", probe.args, err, out)
					}
					if probe.syscall == "mount" {
						exec.Command("umount", mnt).Run()
					}
					res, out := check(t, f, probe.args)
					if res.Exit.Success() || !denied(res, probe.syscall) {
						t.Errorf("%q under the profile: %s, denied %+v\n%s", probe.args, res.Exit, res.Denied, out)
					}
					if probe.syscall == "unshare" && !strings.Contains(out, "Operation not permitted") {
						t.Errorf("unshare did not fail with EPERM:\n%s", out)
					}
				}
			}

			// (b) each runtime, with the profile and the runtime's baseline, both
			// no_new_privs settings.
			for rt, bin := range runtimes {
				for _, nnp := range []bool{true, false} {
					base, err := seccomp.LookupBaseline(rt, nnp)
					if err != nil {
						t.Fatal(err)
					}
					p, err := seccomp.Generate(rec, seccomp.Options{Baseline: base})
					if err != nil {
						t.Fatal(err)
					}
					dir := t.TempDir()
					if err := bundle.Write(dir, bundle.Options{Args: c.args, Binds: c.binds, Seccomp: p, NoNewPrivs: nnp, HostNetwork: true}); err != nil {
						t.Fatal(err)
					}
					for i := 0; i < runtimeRuns; i++ {
						code, out, err := bundle.Run(context.Background(), bin, dir, fmt.Sprintf("kharden-test-%d-%s-%v-%d", os.Getpid(), c.name, nnp, i))
						if err != nil || code != 0 || !strings.Contains(string(out), c.want) {
							t.Fatalf("%s, noNewPrivileges %v, run %d of %d: exit %d, %v\n%s", rt, nnp, i+1, runtimeRuns, code, err, out)
						}
					}
					t.Logf("%s, noNewPrivileges %v: %d of %d runs succeeded (%d syscalls allowed)", rt, nnp, runtimeRuns, runtimeRuns, len(seccomp.AllowedNames(p)))
					// Without the baseline, the runtime's own work is denied: the baseline is
					// needed.
					if !nnp {
						bare, _ := seccomp.Generate(rec, seccomp.Options{})
						dir := t.TempDir()
						bundle.Write(dir, bundle.Options{Args: c.args, Binds: c.binds, Seccomp: bare, NoNewPrivs: nnp, HostNetwork: true})
						code, out, _ := bundle.Run(context.Background(), bin, dir, fmt.Sprintf("kharden-test-%d-%s-bare", os.Getpid(), c.name))
						if code == 0 {
							t.Errorf("%s ran the program with the bare profile: the baseline looks unneeded\n%s", rt, out)
						}
						t.Logf("%s without its baseline: exit %d %s", rt, code, bytes.TrimSpace(out))
					}
				}
			}
		})
	}
}

func TestCommandNotFound(t *testing.T) {
	for _, args := range [][]string{{"kharden-no-such-command"}, {"/nonexistent/bin/x"}, {""}} {
		_, err := Record(context.Background(), Command{Args: args}, Options{})
		if err == nil {
			t.Errorf("record %q: no error", args)
		}
		if args[0] != "" && !errors.Is(err, ErrNotFound) {
			t.Errorf("record %q: %v, want ErrNotFound", args, err)
		}
	}
	_, err := Check(context.Background(), Command{Args: []string{"kharden-no-such-command"}}, &seccomp.Filter{}, CheckOptions{})
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("check: %v", err)
	}
}

// TestCrashAndKill: a command that crashes or is killed ends the recording with its
// signal; what it did is recorded.
func TestCrashAndKill(t *testing.T) {
	needRoot(t)
	for sig, script := range map[syscall.Signal]string{
		syscall.SIGSEGV: "kill -SEGV $$",
		syscall.SIGKILL: "kill -KILL $$",
		syscall.SIGABRT: "sleep 0 & kill -ABRT $$",
	} {
		res, err := Record(context.Background(), Command{Args: []string{"sh", "-c", script}}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Exit.Signal != sig || res.Exit.Success() || res.Recording.Syscalls["kill"] == 0 {
			t.Errorf("%s: %s, kill recorded %d times", script, res.Exit, res.Recording.Syscalls["kill"])
		}
	}
	res, err := Record(context.Background(), Command{Args: []string{"sh", "-c", "exit 7"}}, Options{})
	if err != nil || res.Exit.Code != 7 || res.Exit.Signal != 0 {
		t.Errorf("exit 7: %+v %v", res, err)
	}
}

// TestUnknownSyscall: a syscall number the table does not know is kept as a number,
// with a warning, and left out of the profile.
func TestUnknownSyscall(t *testing.T) {
	needRoot(t)
	res, err := Record(context.Background(), Command{Args: []string{buildProgram(t), "unknown"}}, Options{})
	if err != nil || !res.Exit.Success() {
		t.Fatalf("%+v %v", res, err)
	}
	if res.Recording.Unknown[1000] != 1 {
		t.Errorf("unknown syscalls %v", res.Recording.Unknown)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "syscall number 1000") {
		t.Errorf("warnings %q", res.Warnings)
	}
	p, _ := seccomp.Generate(res.Recording, seccomp.Options{})
	if strings.Contains(string(seccomp.Marshal(p)), "1000") {
		t.Error("the profile names syscall 1000")
	}
	back, err := profile.Parse(res.Recording.Marshal())
	if err != nil || back.Unknown[1000] != 1 {
		t.Errorf("the recording file loses the number: %v %v", back, err)
	}
}

// TestThousandsOfChildren: a shell that starts 2000 children (1000 with -short), 200
// at a time, each of which exits at once.
func TestThousandsOfChildren(t *testing.T) {
	needRoot(t)
	n := 2000
	if testing.Short() {
		n = 1000
	}
	script := fmt.Sprintf(`j=0; while [ $j -lt %d ]; do i=0; while [ $i -lt 200 ]; do (exit 0) & i=$((i+1)); done; wait; j=$((j+1)); done; echo done`, n/200)
	out := tempFile(t)
	res, err := Record(context.Background(), Command{Args: []string{"sh", "-c", script}, Stdout: out}, Options{Files: true})
	if err != nil || !res.Exit.Success() || contents(t, out) != "done\n" {
		t.Fatalf("%+v %v %q", res, err, contents(t, out))
	}
	forks := res.Recording.Syscalls["clone"] + res.Recording.Syscalls["fork"] + res.Recording.Syscalls["clone3"]
	if forks < n || res.Recording.Syscalls["exit_group"] < n {
		t.Errorf("%d forks and %d exit_group recorded, want %d each", forks, res.Recording.Syscalls["exit_group"], n)
	}
	p, _ := seccomp.Generate(res.Recording, seccomp.Options{})
	cr, _ := check(t, compile(t, p), []string{"sh", "-c", script})
	if !cr.Exit.Success() || len(cr.Denied) != 0 {
		t.Errorf("under its profile: %s, denied %+v", cr.Exit, cr.Denied)
	}
}

// TestInterrupted: a recording (or check) stopped by its context (kharden's SIGINT or
// SIGTERM) kills the whole traced tree and reaps it: no process is left, stopped or
// orphaned.
func TestInterrupted(t *testing.T) {
	needRoot(t)
	for _, mode := range []string{"record", "check"} {
		t.Run(mode, func(t *testing.T) {
			marker := fmt.Sprintf("KHARDEN_TRACE_TEST=%d-%s-%d", os.Getpid(), mode, time.Now().UnixNano())
			c := Command{Args: []string{"sh", "-c", "sleep 300 & (sleep 301 &) ; sh -c 'sleep 302' & wait"}, Env: append(os.Environ(), marker)}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				var err error
				if mode == "record" {
					_, err = Record(ctx, c, Options{Files: true})
				} else {
					p := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}
					_, err = Check(ctx, c, compile(t, p), CheckOptions{})
				}
				done <- err
			}()
			// Wait until the three sleeps run.
			for deadline := time.Now().Add(20 * time.Second); len(withMarker(marker, "sleep")) < 3; {
				if time.Now().After(deadline) {
					cancel()
					t.Fatalf("the sleeps did not start: %v", withMarker(marker, ""))
				}
				time.Sleep(20 * time.Millisecond)
			}
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("error %v, want context.Canceled", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("still running 20 s after the cancellation")
			}
			if left := withMarker(marker, ""); len(left) > 0 {
				t.Errorf("processes left behind: %v", left)
			}
		})
	}
}

// withMarker lists the processes (pid, name, state) whose environment has marker and
// whose name contains name.
func withMarker(marker, name string) []string {
	var out []string
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		env, err := os.ReadFile(d + "/environ")
		if err != nil || !bytes.Contains(env, []byte(marker+"\x00")) {
			continue
		}
		stat, _ := os.ReadFile(d + "/stat")
		if name == "" || bytes.Contains(stat, []byte("("+name+")")) {
			out = append(out, string(bytes.TrimSpace(stat)))
		}
	}
	return out
}
