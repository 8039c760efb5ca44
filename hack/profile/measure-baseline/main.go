// Command measure-baseline measures which syscalls a container runtime makes after it
// loaded a container's seccomp profile and before it executes the container's program,
// with and without no_new_privs, and writes them as kharden's shipped baseline
// (internal/profile/seccomp/baselines/RUNTIME.json). Run by hack/profile/measure-baseline.sh.
//
// Method: the runtime runs a bundle whose profile allows everything (so nothing fails),
// under kharden's ptrace recorder, which counts the syscalls of every process from its
// successful seccomp(SECCOMP_SET_MODE_FILTER) (or prctl(PR_SET_SECCOMP)) to its next
// execve. Several runs are merged. kharden's tests then run real programs under runc
// with their recorded profile plus this baseline, which proves it enough.
package main

import (
	"context"
	"debug/buildinfo"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kharden/kharden/internal/profile"
	"github.com/kharden/kharden/internal/profile/bundle"
	"github.com/kharden/kharden/internal/profile/seccomp"
	"github.com/kharden/kharden/internal/profile/trace"
)

type measurement struct {
	NoNewPrivs bool     `json:"noNewPrivileges"`
	Syscalls   []string `json:"syscalls"`
}

type file struct {
	Runtime   string        `json:"runtime"`
	Version   string        `json:"version"`
	Package   string        `json:"package,omitempty"`
	Measured  string        `json:"measured"`
	Kernel    string        `json:"kernel"`
	Method    string        `json:"method"`
	Baselines []measurement `json:"baselines"`
}

func main() {
	runtimeName := flag.String("runtime", "runc", "the runtime command")
	runs := flag.Int("runs", 5, "runs per no_new_privs setting")
	out := flag.String("o", "", "output file (default: standard output)")
	flag.Parse()
	if err := run(*runtimeName, *runs, *out); err != nil {
		fmt.Fprintln(os.Stderr, "measure-baseline:", err)
		os.Exit(1)
	}
}

func run(name string, runs int, out string) error {
	bin, err := exec.LookPath(name)
	if err != nil {
		return err
	}
	version, _ := exec.Command(bin, "--version").Output()
	pkg, _ := exec.Command("dpkg-query", "-W", "-f", "${Package} ${Version}", name).Output()
	var uts unix.Utsname
	unix.Uname(&uts)
	f := file{
		Runtime: name, Version: strings.Fields(string(version) + " ? ? ?")[2], Package: string(pkg),
		Measured: time.Now().UTC().Format("2006-01-02"), Kernel: unix.ByteSliceToString(uts.Release[:]) + " " + runtime.GOARCH,
		Method: "ptrace: syscalls of each process from its seccomp filter load to its execve, " +
			"running /usr/bin/true in a bundle whose profile allows everything; union of runs",
	}
	_, err = buildinfo.ReadFile(bin)
	goInit := err == nil
	if goInit {
		f.Method += "; plus the Go runtime's scheduling syscalls, since the runtime's init is a Go program"
	}
	for _, nnp := range []bool{true, false} {
		var recs []*profile.Recording
		for i := 0; i < runs; i++ {
			rec, err := measure(bin, nnp, i)
			if err != nil {
				return err
			}
			recs = append(recs, rec)
		}
		m := profile.Merge(recs...)
		if goInit {
			// The runtime's init is a Go program: its runtime's scheduling syscalls come
			// and go between runs (seccomp.GoRuntime).
			for _, e := range seccomp.GoRuntime {
				m.Syscalls[e.Name]++
			}
		}
		f.Baselines = append(f.Baselines, measurement{NoNewPrivs: nnp, Syscalls: m.SyscallNames()})
		fmt.Fprintf(os.Stderr, "measure-baseline: %s, noNewPrivileges %v: %d syscalls\n", name, nnp, len(m.Syscalls))
	}
	data, err := json.MarshalIndent(&f, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if out == "" {
		_, err = os.Stdout.Write(data)
		return err
	}
	return os.WriteFile(out, data, 0o644)
}

func measure(bin string, nnp bool, i int) (*profile.Recording, error) {
	dir, err := os.MkdirTemp("", "kharden-baseline-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	b := filepath.Join(dir, "bundle")
	os.Mkdir(b, 0o755)
	if err := bundle.Write(b, bundle.Options{Args: []string{"/usr/bin/true"}, Binds: []string{"/usr", "/etc"}, Seccomp: bundle.PassThrough(), NoNewPrivs: nnp}); err != nil {
		return nil, err
	}
	state := filepath.Join(dir, "state")
	id := fmt.Sprintf("kharden-baseline-%d-%d", os.Getpid(), i)
	cmd := bundle.RuntimeCommand(context.Background(), bin, state, b, id)
	res, err := trace.Record(context.Background(), trace.Command{Args: cmd.Args, Stderr: os.Stderr}, trace.Options{AfterSeccomp: true})
	if err != nil {
		return nil, err
	}
	if !res.Exit.Success() {
		return nil, fmt.Errorf("%s run: %s", bin, res.Exit)
	}
	if len(res.Recording.Syscalls) == 0 {
		return nil, fmt.Errorf("%s loaded no seccomp filter that the recorder saw", bin)
	}
	return res.Recording, nil
}
