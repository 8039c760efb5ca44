package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/cobra"

	"github.com/kharden/kharden/internal/profile"
	"github.com/kharden/kharden/internal/profile/container"
	"github.com/kharden/kharden/internal/profile/generate"
	"github.com/kharden/kharden/internal/profile/seccomp"
	"github.com/kharden/kharden/internal/profile/trace"
	"github.com/kharden/kharden/internal/source/image"
)

// runtimeFlags are the flags that choose a container runtime's baseline.
type runtimeFlags struct {
	runtime    string
	noNewPrivs bool
}

func (r *runtimeFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&r.runtime, "runtime", "runc", "container `RUNTIME` whose own syscalls the seccomp profile allows: "+strings.Join(seccomp.Runtimes(), ", ")+", or none")
	cmd.Flags().BoolVar(&r.noNewPrivs, "no-new-privs", false, "the pod sets allowPrivilegeEscalation: false (no_new_privs): the runtime needs fewer syscalls")
}

func (r *runtimeFlags) baseline() (*seccomp.Baseline, error) {
	if r.runtime == "none" {
		return nil, nil
	}
	b, err := seccomp.LookupBaseline(r.runtime, r.noNewPrivs)
	if err != nil {
		return nil, fmt.Errorf("--runtime: %w", err)
	}
	return b, nil
}

// outputFlags are the flags of the commands that write profiles.
type outputFlags struct {
	format, dir, name, namespace string
}

func (o *outputFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&o.format, "format", "o", "seccomp", "what to write, comma-separated: seccomp, apparmor, spo (Security Profiles Operator objects) or all")
	f.StringVar(&o.dir, "output", ".", "write the files into `DIR`")
	f.StringVar(&o.name, "name", "", "the profiles' `NAME`, and their files' (default: kharden- and the command's name)")
	f.StringVar(&o.namespace, "namespace", "", "the `NAMESPACE` of the Security Profiles Operator objects")
}

func (o *outputFlags) options(command []string) (generate.Options, error) {
	formats, err := generate.ParseFormats(o.format)
	if err != nil {
		return generate.Options{}, fmt.Errorf("--format: %w", err)
	}
	name := o.name
	if name == "" && len(command) > 0 {
		name = "kharden-" + strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
				return r
			}
			return '_'
		}, filepath.Base(command[0]))
	}
	return generate.Options{Name: name, Namespace: o.namespace, Formats: formats}, nil
}

func writeFiles(s IO, dir string, files []generate.File) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range files {
		path := filepath.Join(dir, f.Name)
		if err := writeFileAtomic(path, f.Data, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(s.Err, "kharden: wrote %s\n", path)
	}
	return nil
}

// commandArgs are the arguments after "--" (or all of them: flags stop at the first
// word that is not one).
func commandArgs(cmd *cobra.Command, args []string) ([]string, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("no command: give it after --, as in: %s -- ls -l /", cmd.CommandPath())
	}
	return args, nil
}

func newProfileRecord(s IO) *cobra.Command {
	var (
		out  outputFlags
		rt   runtimeFlags
		runs int
		img  imageRecordFlags
	)
	cmd := &cobra.Command{
		Use:   "record [flags] -- COMMAND [ARGS...]",
		Short: "Record a command's syscalls and files, and write seccomp and AppArmor profiles for it",
		Long: `Run a command under ptrace, following its threads, forks and execs, and write profiles
that allow what it did and deny the rest:

  NAME.json                  an OCI seccomp profile (SCMP_ACT_ERRNO by default, one
                             allow list): a Kubernetes Localhost profile, runc's and
                             Docker's format
  NAME.apparmor              an AppArmor profile (abi 3.0): files read, written,
                             mapped and executed, sockets, capabilities
  NAME.seccompprofile.yaml,  the same as Security Profiles Operator objects
  NAME.apparmorprofile.yaml
  NAME.recording.json        what the command did, for kharden profile merge

The seccomp profile also allows execve (the runtime's own exec of the command, which
no recording sees), exit, exit_group, rt_sigreturn and restart_syscall, the Go
runtime's scheduling syscalls when a Go program ran, and the syscalls the container
runtime makes after loading the profile (--runtime, --no-new-privs; measured for
runc 1.1.5 and crun 1.8.1). Record what the container really does (its real workload, its start and
its shutdown), several times with --runs or kharden profile merge, then prove the
profile with kharden profile check.

The command's standard streams are kharden's. When the command's first process ends,
the others it started are killed, as in a container.

With --image, the command runs inside an image, as its container would: the image's
root filesystem is unpacked (a registry reference, oci:DIR, oci-archive:FILE,
docker-archive:FILE, or rootfs:DIR used read-only as it is), and the runtime named by
--runtime (runc or crun, which must be installed; root needed) runs it with the
image's environment, working directory and user, under the recorder. The profile
then holds what the image's own binaries and libraries do, and the paths of the
AppArmor profile are the container's. COMMAND replaces the image's entrypoint and
command, as a pod's command does; without it, the image's run. The network is the
host's.

Exit codes: 0 profiles written, 1 profiles written but the command failed (they cover
a failing run), 2 usage or operational error (the command not found, a ptrace error).
See docs/profiles.md.`,
		Example: `  kharden profile record --output profiles -- ./server --port 8080
  kharden profile record --format all --name web --runs 3 --output profiles -- python3 app.py
  kharden profile record --runtime runc --no-new-privs --output profiles -- sh -c 'ls / | wc -l'
  kharden profile record --image registry.example.com/web:1.4 --format all --output profiles
  kharden profile record --image oci:build/layout --runtime crun -- /app/server --selftest`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			command := args
			var err error
			if img.ref == "" {
				for _, f := range []string{"platform", "insecure-registry", "timeout", "work-dir"} {
					if cmd.Flags().Changed(f) {
						return &exitError{ExitError, fmt.Errorf("--%s applies to --image, which is not given", f)}
					}
				}
				if command, err = commandArgs(cmd, args); err != nil {
					return &exitError{ExitError, err}
				}
			} else if err := img.check(rt.runtime); err != nil {
				return &exitError{ExitError, err}
			}
			o, err := out.options(command)
			if err != nil {
				return &exitError{ExitError, err}
			}
			if o.Baseline, err = rt.baseline(); err != nil {
				return &exitError{ExitError, err}
			}
			if runs < 1 {
				return &exitError{ExitError, fmt.Errorf("--runs %d: at least 1", runs)}
			}
			files := false
			for _, f := range o.Formats {
				files = files || f != "seccomp"
			}
			record := func(c trace.Command) (*trace.Result, error) {
				c.Args = command
				return trace.Record(cmd.Context(), c, trace.Options{Files: files})
			}
			if img.ref != "" {
				ctr, err := img.prepare(cmd.Context(), s, command, rt)
				if err != nil {
					return &exitError{ExitError, err}
				}
				defer ctr.Close()
				if out.name == "" {
					if o, err = out.options(ctr.Args); err != nil {
						return &exitError{ExitError, err}
					}
					o.Baseline, _ = rt.baseline()
				}
				record = func(c trace.Command) (*trace.Result, error) { return ctr.Record(cmd.Context(), c, files) }
			}
			var recs []*profile.Recording
			var last trace.Exit
			for i := 0; i < runs; i++ {
				res, err := withStdio(s, record)
				if err != nil {
					if cmd.Context().Err() != nil {
						return stopped(cmd.Context(), "no profile written")
					}
					return &exitError{ExitError, err}
				}
				for _, w := range res.Warnings {
					fmt.Fprintf(s.Err, "kharden: warning: %s\n", w)
				}
				recs = append(recs, res.Recording)
				last = res.Exit
				if !res.Exit.Success() {
					break
				}
			}
			rec := profile.Merge(recs...)
			written, warnings, err := generate.Files(rec, o)
			if err != nil {
				return &exitError{ExitError, err}
			}
			for _, w := range warnings {
				fmt.Fprintf(s.Err, "kharden: warning: %s\n", w)
			}
			if err := writeFiles(s, out.dir, written); err != nil {
				return &exitError{ExitError, err}
			}
			fmt.Fprintf(s.Err, "kharden: %d syscalls recorded in %d run(s)\n", len(rec.Syscalls), rec.Runs)
			if !last.Success() {
				return &exitError{ExitFindings, fmt.Errorf("the command ended with %s: the profiles cover a failing run", last)}
			}
			return nil
		},
	}
	cmd.Flags().SetInterspersed(false)
	out.add(cmd)
	rt.add(cmd)
	cmd.Flags().IntVar(&runs, "runs", 1, "run the command `N` times and merge the recordings (Go programs vary from run to run)")
	img.add(cmd)
	return cmd
}

// imageRecordFlags are profile record's flags for recording inside an image.
type imageRecordFlags struct {
	ref     string
	workDir string
	opts    image.Options
}

func (f *imageRecordFlags) add(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.ref, "image", "", "record the command inside `IMAGE`, run by --runtime: a registry reference, oci:DIR, oci-archive:FILE, docker-archive:FILE or rootfs:DIR")
	fs.StringVar(&f.opts.Platform, "platform", "", "with --image: platform to pick from a multi-platform image: os/arch[/variant] (default: this machine's, linux/"+runtime.GOARCH+")")
	fs.BoolVar(&f.opts.Insecure, "insecure-registry", false, "with --image: allow plain HTTP and unverified TLS to the registry")
	fs.DurationVar(&f.opts.Timeout, "timeout", 2*time.Minute, "with --image: longest wait for a registry: to resolve the image, and between two bytes of a layer")
	fs.StringVar(&f.workDir, "work-dir", "", "with --image: `DIR` to unpack the image's root filesystem into, removed at the end (default: the temporary directory)")
}

// check refuses what cannot record inside an image, before anything is read.
func (f *imageRecordFlags) check(runtimeName string) error {
	if runtimeName == "none" {
		return errors.New("--image runs the image with a container runtime: --runtime runc or crun")
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("--image runs the image with %s, which needs root", runtimeName)
	}
	if _, err := exec.LookPath(runtimeName); err != nil {
		return fmt.Errorf("--image: %s is not installed (its package is named %s in Debian and Ubuntu)", runtimeName, runtimeName)
	}
	return nil
}

// prepare unpacks the image and writes the bundle that runs command (or the image's own).
func (f *imageRecordFlags) prepare(ctx context.Context, s IO, command []string, rt runtimeFlags) (*container.Container, error) {
	bin, _ := exec.LookPath(rt.runtime)
	o := f.opts
	if o.Platform == "" {
		o.Platform = "linux/" + runtime.GOARCH
	}
	fmt.Fprintf(s.Err, "kharden: unpacking %s\n", f.ref)
	ctr, err := container.Prepare(ctx, container.Options{Image: f.ref, Args: command, Runtime: bin,
		NoNewPrivs: rt.noNewPrivs, WorkDir: f.workDir, ImageOptions: o})
	if err != nil {
		return nil, err
	}
	for _, n := range ctr.Rootfs.Notes {
		fmt.Fprintf(s.Err, "kharden: note: %s: %s\n", n.Path, n.Message)
	}
	fmt.Fprintf(s.Err, "kharden: running %q in %s with %s\n", ctr.Args, ctr.Rootfs.Name, rt.runtime)
	return ctr, nil
}

func newProfileMerge(s IO) *cobra.Command {
	var (
		out outputFlags
		rt  runtimeFlags
	)
	cmd := &cobra.Command{
		Use:   "merge [flags] FILE...",
		Short: "Merge recordings or seccomp profiles of several runs into one profile",
		Long: `Merge what several runs of a program did into one profile. Each FILE is either a
recording (NAME.recording.json, written by kharden profile record), or a seccomp
profile (OCI JSON or a Security Profiles Operator SeccompProfile) that allows a list of
syscalls. From recordings every format can be written; from seccomp profiles only
seccomp and spo, and the runtime baseline is not added again (they have it).

Exit codes: 0 written, 2 usage, input or operational error (a file that is neither,
profiles that are not allow lists).`,
		Example: `  kharden profile merge --name web --output profiles run1/web.recording.json run2/web.recording.json
  kharden profile merge --name web --format seccomp,spo a.json b.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var recs []*profile.Recording
			var profs []*specsProfile
			for _, path := range args {
				data, err := readInput(path)
				if err != nil {
					return &exitError{ExitError, err}
				}
				if rec, err := profile.Parse(data); err == nil {
					recs = append(recs, rec)
					continue
				} else if strings.Contains(string(data), `"syscalls"`) && strings.Contains(string(data), `"runs"`) {
					return &exitError{ExitError, fmt.Errorf("%s: %w", path, err)}
				}
				p, warnings, err := seccomp.Parse(data)
				if err != nil {
					return &exitError{ExitError, fmt.Errorf("%s: neither a kharden recording nor a seccomp profile: %w", path, err)}
				}
				for _, w := range warnings {
					fmt.Fprintf(s.Err, "kharden: warning: %s: %s\n", path, w)
				}
				profs = append(profs, &specsProfile{path, p})
			}
			if len(recs) > 0 && len(profs) > 0 {
				return &exitError{ExitError, fmt.Errorf("%s is a seccomp profile and %s a recording: merge one kind", profs[0].path, args[0])}
			}
			var command []string
			if len(recs) > 0 {
				command = recs[0].Command
			}
			if out.name == "" && len(command) == 0 {
				return &exitError{ExitError, errors.New("--name is needed to merge seccomp profiles")}
			}
			o, err := out.options(command)
			if err != nil {
				return &exitError{ExitError, err}
			}
			var files []generate.File
			var warnings []string
			if len(recs) > 0 {
				if o.Baseline, err = rt.baseline(); err != nil {
					return &exitError{ExitError, err}
				}
				files, warnings, err = generate.Files(profile.Merge(recs...), o)
			} else {
				ps := make([]*specs.LinuxSeccomp, len(profs))
				for i, p := range profs {
					ps[i] = p.p
				}
				var merged *specs.LinuxSeccomp
				if merged, err = seccomp.Merge(ps...); err == nil {
					files, err = generate.SeccompFiles(merged, o)
				}
			}
			if err != nil {
				return &exitError{ExitError, err}
			}
			for _, w := range warnings {
				fmt.Fprintf(s.Err, "kharden: warning: %s\n", w)
			}
			if err := writeFiles(s, out.dir, files); err != nil {
				return &exitError{ExitError, err}
			}
			return nil
		},
	}
	out.add(cmd)
	rt.add(cmd)
	return cmd
}

func newProfileCheck(s IO) *cobra.Command {
	var (
		profilePath string
		noNewPrivs  bool
		strict      bool
		count       int
	)
	cmd := &cobra.Command{
		Use:   "check --profile FILE [flags] -- COMMAND [ARGS...]",
		Short: "Run a command with a seccomp profile enforced, and report what the profile denied",
		Long: `Run a command with a seccomp profile enforced by the kernel, and report whether it
succeeded and which syscalls the profile denied, the first one first. This is the proof
that a recorded profile is enough for the program (and, run with a syscall the program
should never make, that it is tight).

The profile (OCI JSON or a Security Profiles Operator SeccompProfile) is compiled to a
BPF filter that kharden loads in the command's own process, on the thread that then
executes it, as a container runtime does. A denied syscall fails as the profile says
(EPERM for SCMP_ACT_ERRNO) and is reported by name: kharden traces the command and the
filter stops at kharden on each syscall it does not allow (SECCOMP_RET_TRACE).
Argument conditions are enforced except SCMP_CMP_MASKED_EQ.

The command's standard streams are kharden's; the report goes to standard error.

Exit codes: 0 the command succeeded under the profile every time (with --strict: and
nothing was denied), 1 it failed (or, with --strict, something was denied), 2 usage
or operational error (a malformed profile, the command not found).`,
		Example: `  kharden profile check --profile profiles/kharden-server.json -- ./server --self-test
  kharden profile check --profile web.json --count 20 --no-new-privs -- python3 app.py --smoke`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			command, err := commandArgs(cmd, args)
			if err != nil {
				return &exitError{ExitError, err}
			}
			if profilePath == "" {
				return &exitError{ExitError, errors.New("--profile is required")}
			}
			if count < 1 {
				return &exitError{ExitError, fmt.Errorf("--count %d: at least 1", count)}
			}
			data, err := readInput(profilePath)
			if err != nil {
				return &exitError{ExitError, err}
			}
			p, warnings, err := seccomp.Parse(data)
			if err != nil {
				return &exitError{ExitError, fmt.Errorf("%s: %w", profilePath, err)}
			}
			for _, w := range warnings {
				fmt.Fprintf(s.Err, "kharden: warning: %s: %s\n", profilePath, w)
			}
			arch, err := seccomp.Native()
			if err != nil {
				return &exitError{ExitError, err}
			}
			filter, err := seccomp.Compile(p, arch)
			if err != nil {
				return &exitError{ExitError, fmt.Errorf("%s: %w", profilePath, err)}
			}
			failed := 0
			for i := 1; i <= count; i++ {
				res, err := withStdio(s, func(c trace.Command) (*trace.CheckResult, error) {
					c.Args = command
					return trace.Check(cmd.Context(), c, filter, trace.CheckOptions{NoNewPrivs: noNewPrivs || os.Geteuid() != 0})
				})
				if err != nil {
					if cmd.Context().Err() != nil {
						return stopped(cmd.Context(), fmt.Sprintf("%d of %d runs done, %d failed", i-1, count, failed))
					}
					return &exitError{ExitError, err}
				}
				run := ""
				if count > 1 {
					run = fmt.Sprintf("run %d: ", i)
				}
				if !res.Started {
					if len(res.Denied) > 0 {
						return &exitError{ExitFindings, fmt.Errorf("%sthe profile denies %s: the runtime cannot start the command", run, res.Denied[0].Name)}
					}
					return &exitError{ExitError, fmt.Errorf("%sthe command did not start under the profile (%s)", run, res.Exit)}
				}
				ok := res.Exit.Success() && (!strict || len(res.Denied) == 0)
				if !ok {
					failed++
				}
				fmt.Fprintf(s.Err, "kharden: %s%s under the profile%s\n", run, res.Exit, deniedSummary(res.Denied))
			}
			if failed > 0 {
				return &exitError{ExitFindings, fmt.Errorf("the command failed under the profile in %d of %d runs", failed, count)}
			}
			fmt.Fprintf(s.Err, "kharden: the command succeeded under the profile in %d of %d runs\n", count, count)
			return nil
		},
	}
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().StringVar(&profilePath, "profile", "", "the seccomp profile `FILE` to enforce")
	cmd.Flags().BoolVar(&noNewPrivs, "no-new-privs", false, "set no_new_privs first, as for allowPrivilegeEscalation: false (always, when not root)")
	cmd.Flags().BoolVar(&strict, "strict", false, "fail when the profile denied anything, even if the command succeeded")
	cmd.Flags().IntVar(&count, "count", 1, "run the command `N` times; all must succeed")
	return cmd
}

func deniedSummary(ds []trace.Denial) string {
	if len(ds) == 0 {
		return "; nothing denied"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "; first denied: %s (pid %d)", ds[0].Name, ds[0].Pid)
	if len(ds) > 1 {
		b.WriteString("; also denied:")
		for _, d := range ds[1:] {
			fmt.Fprintf(&b, " %s", d.Name)
		}
	}
	return b.String()
}

// readInput reads a regular file of at most 8 MiB.
func readInput(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	const max = 8 << 20
	if fi.Size() > max {
		return nil, fmt.Errorf("%s: %d bytes, at most %d", path, fi.Size(), max)
	}
	return io.ReadAll(io.LimitReader(f, max))
}

// withStdio runs f with the command's standard streams set to the CLI's: its own files
// when they are files, pipes copied to and from them otherwise (tests).
func withStdio[T any](s IO, f func(trace.Command) (T, error)) (T, error) {
	var c trace.Command
	var wg sync.WaitGroup
	var closers []*os.File
	out := func(w io.Writer) (*os.File, error) {
		if file, ok := w.(*os.File); ok {
			return file, nil
		}
		if w == nil {
			return nil, nil
		}
		r, pw, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		wg.Add(1)
		go func() { defer wg.Done(); io.Copy(w, r); r.Close() }()
		closers = append(closers, pw)
		return pw, nil
	}
	var err error
	var zero T
	if c.Stdout, err = out(s.Out); err != nil {
		return zero, err
	}
	if c.Stderr, err = out(s.Err); err != nil {
		return zero, err
	}
	if file, ok := s.In.(*os.File); ok {
		c.Stdin = file
	}
	v, err := f(c)
	for _, pw := range closers {
		pw.Close()
	}
	wg.Wait()
	return v, err
}

// specsProfile is a seccomp profile read from path.
type specsProfile struct {
	path string
	p    *specs.LinuxSeccomp
}
