//go:build linux

package container

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/kharden/kharden/internal/profile"
	"github.com/kharden/kharden/internal/profile/bundle"
	"github.com/kharden/kharden/internal/profile/seccomp"
	"github.com/kharden/kharden/internal/profile/trace"
)

// need skips a test whose tools are missing, and fails it in CI, where hack/test.sh
// installs them.
func need(t *testing.T, ok bool, why string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip(why)
}

func needRoot(t *testing.T) {
	t.Helper()
	need(t, os.Geteuid() == 0, "runs containers: needs root")
}

// progSource is the program of the test image: a static Go program that reads a file
// only the image has, and, asked to, makes a syscall its recording never made.
const progSource = `package main

import (
	"fmt"
	"os"
	"syscall"
)

func main() {
	switch os.Args[1] {
	case "run":
		b, err := os.ReadFile(os.Getenv("MARKER"))
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		entries, _ := os.ReadDir(".")
		fmt.Printf("%s uid=%d entries=%d\n", b, os.Getuid(), len(entries))
	case "unshare":
		err := syscall.Unshare(syscall.CLONE_NEWUTS)
		exit(err)
	case "mount":
		err := syscall.Mount("kharden", os.Args[2], "tmpfs", 0, "")
		if err == nil {
			syscall.Unmount(os.Args[2], 0)
		}
		exit(err)
	}
}

func exit(err error) {
	if err == syscall.EPERM {
		fmt.Println(err)
		os.Exit(3)
	}
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
}
`

const marker = "only-in-the-image"

// testImage builds the test program statically and writes an image holding it, with
// a user, a working directory and an environment, as an OCI layout.
func testImage(t *testing.T) string {
	t.Helper()
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "go.mod"), []byte("module prog\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(src, "main.go"), []byte(progSource), 0o644)
	bin := filepath.Join(src, "prog")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = src
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the test program: %v\n%s", err, out)
	}
	prog, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(h *tar.Header, body []byte) {
		h.Size, h.ModTime = int64(len(body)), time.Unix(1700000000, 0)
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(body)
	}
	add(&tar.Header{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755}, nil)
	add(&tar.Header{Name: "etc/passwd", Mode: 0o644}, []byte("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/app:/bin/false\n"))
	add(&tar.Header{Name: "etc/group", Mode: 0o644}, []byte("root:x:0:\napp:x:1001:\n"))
	add(&tar.Header{Name: "etc/kharden-marker", Mode: 0o644}, []byte(marker))
	add(&tar.Header{Name: "app/", Typeflag: tar.TypeDir, Mode: 0o755, Uid: 1000, Gid: 1001}, nil)
	add(&tar.Header{Name: "app/prog", Mode: 0o755}, prog)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config = v1.Config{Entrypoint: []string{"/app/prog"}, Cmd: []string{"run"}, User: "app", WorkingDir: "/app",
		Env: []string{"MARKER=/etc/kharden-marker"}}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	return dir
}

// runtimes are the installed runtimes with a shipped baseline.
func runtimes(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, name := range seccomp.Runtimes() {
		bin, err := exec.LookPath(name)
		need(t, err == nil, name+" is not installed (hack/profile/deps.sh installs Debian's)")
		if err == nil {
			out[name] = bin
		}
	}
	return out
}

func recordRuns(t *testing.T, c *Container, runs int, want string) *profile.Recording {
	t.Helper()
	var recs []*profile.Recording
	for i := 0; i < runs; i++ {
		f, err := os.CreateTemp(t.TempDir(), "out")
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Record(context.Background(), trace.Command{Stdout: f, Stderr: f}, true)
		f.Close()
		out, _ := os.ReadFile(f.Name())
		if err != nil || !res.Exit.Success() || !strings.Contains(string(out), want) {
			t.Fatalf("record run %d: %v %v\n%s", i+1, res, err, out)
		}
		for _, w := range res.Warnings {
			t.Logf("warning: %s", w)
		}
		recs = append(recs, res.Recording)
	}
	return profile.Merge(recs...)
}

// runUnder runs the container's program with profile p (the recorded profile and the
// runtime's baseline) n times with the runtime, and fails at the first run that fails.
func runUnder(t *testing.T, bin string, c *Container, p *specs.LinuxSeccomp, nnp bool, n int, want string) {
	t.Helper()
	dir := t.TempDir()
	err := bundle.Write(dir, bundle.Options{Args: c.Args, Rootfs: c.Rootfs.Dir, Env: c.Env, Cwd: c.Cwd, UID: c.UID, GID: c.GID,
		Seccomp: p, NoNewPrivs: nnp, HostNetwork: true, Writable: c.Rootfs.Copy})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		code, out, err := bundle.Run(context.Background(), bin, dir, fmt.Sprintf("kharden-ctest-%d-%v-%d", os.Getpid(), nnp, i))
		if err != nil || code != 0 || !strings.Contains(string(out), want) {
			t.Fatalf("%s, noNewPrivileges %v, run %d of %d: exit %d, %v\n%s", filepath.Base(bin), nnp, i+1, n, code, err, out)
		}
	}
}

// TestRecordImage records the image's own program inside its image, with each
// runtime, and proves the profile: the program runs under it with the runtime 20 times
// out of 20 for both no_new_privs settings, and a syscall outside the recording fails
// with EPERM.
func TestRecordImage(t *testing.T) {
	needRoot(t)
	ref := "oci:" + testImage(t)
	for name, bin := range runtimes(t) {
		t.Run(name, func(t *testing.T) {
			c, err := Prepare(context.Background(), Options{Image: ref, Runtime: bin})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if !slices.Equal(c.Args, []string{"/app/prog", "run"}) || c.UID != 1000 || c.GID != 1001 || c.Cwd != "/app" {
				t.Errorf("process %q as %d:%d in %s", c.Args, c.UID, c.GID, c.Cwd)
			}
			want := marker + " uid=1000 entries=1"
			rec := recordRuns(t, c, 2, want)
			if !slices.Equal(rec.Command, c.Args) {
				t.Errorf("recording's command %q, want the container's %q", rec.Command, c.Args)
			}
			// The container's program, at the paths it sees; none of the runtime's work.
			files := map[string]string{}
			for p, a := range rec.Files {
				files[p] = a.String()
			}
			if !strings.Contains(files["/etc/kharden-marker"], "r") || !strings.Contains(files["/app/prog"], "x") {
				t.Errorf("files recorded: %v", files)
			}
			for p := range files {
				if strings.Contains(p, c.Rootfs.Dir) || strings.Contains(p, "runc") || strings.Contains(p, "crun") {
					t.Errorf("a host or runtime path was recorded: %s", p)
				}
			}
			for _, s := range []string{"pivot_root", "mount", "sethostname", "setns", "seccomp", "capset"} {
				if rec.Syscalls[s] > 0 {
					t.Errorf("the runtime's %s was recorded as the container's", s)
				}
			}
			for nnp, runs := range map[bool]int{true: 20, false: 20} {
				base, err := seccomp.LookupBaseline(name, nnp)
				if err != nil {
					t.Fatal(err)
				}
				p, err := seccomp.Generate(rec, seccomp.Options{Baseline: base})
				if err != nil {
					t.Fatal(err)
				}
				runUnder(t, bin, c, p, nnp, runs, want)
				t.Logf("noNewPrivileges %v: %d syscalls allowed (%d recorded, %d from %s's baseline); %d of %d runs succeeded",
					nnp, len(seccomp.AllowedNames(p)), len(rec.Syscalls), len(base.Syscalls), name, runs, runs)
			}

			// A syscall outside the recording: works without the profile, EPERM under it.
			p, _ := seccomp.Generate(rec, seccomp.Options{})
			a, err := seccomp.Native()
			if err != nil {
				t.Fatal(err)
			}
			f, err := seccomp.Compile(p, a)
			if err != nil {
				t.Fatal(err)
			}
			prog := filepath.Join(c.Rootfs.Dir, "app/prog")
			for _, probe := range []string{"unshare", "mount"} {
				args := []string{prog, probe, t.TempDir()}
				if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
					t.Fatalf("%s without the profile: %v %s", probe, err, out)
				}
				res, err := trace.Check(context.Background(), trace.Command{Args: args}, f, trace.CheckOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if res.Exit.Code != 3 || !slices.ContainsFunc(res.Denied, func(d trace.Denial) bool { return d.Name == probe }) {
					t.Errorf("%s under the profile: %s (3 is EPERM), denied %+v", probe, res.Exit, res.Denied)
				}
			}
		})
	}
}

// TestRecordRootFS records a shell pipeline in a Debian root filesystem used as it is
// (read-only): the programs are the root filesystem's, their links resolved inside it.
func TestRecordRootFS(t *testing.T) {
	needRoot(t)
	rootfs := os.Getenv("KHARDEN_DEBIAN_ROOTFS")
	need(t, rootfs != "", "KHARDEN_DEBIAN_ROOTFS is not set (hack/debian-rootfs/build.sh builds it)")
	bin, err := exec.LookPath("runc")
	need(t, err == nil, "runc is not installed")
	args := []string{"sh", "-c", "ls /usr/share/doc | sort -r | head -n 3; cat /etc/debian_version"}
	c, err := Prepare(context.Background(), Options{Image: "rootfs:" + rootfs, Args: args, Runtime: bin, NoNewPrivs: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	version, err := os.ReadFile(filepath.Join(rootfs, "etc/debian_version"))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.TrimSpace(string(version))
	rec := recordRuns(t, c, 1, want)
	files := map[string]string{}
	for p, a := range rec.Files {
		files[p] = a.String()
	}
	// /bin/sh is a link to dash through /bin -> usr/bin: resolved inside the root.
	for _, exe := range []string{"/usr/bin/dash", "/usr/bin/ls", "/usr/bin/sort", "/usr/bin/head", "/usr/bin/cat"} {
		if !strings.Contains(files[exe], "x") {
			t.Errorf("%s not recorded as executed: %q", exe, files[exe])
		}
	}
	base, _ := seccomp.LookupBaseline("runc", true)
	p, err := seccomp.Generate(rec, seccomp.Options{Baseline: base})
	if err != nil {
		t.Fatal(err)
	}
	runUnder(t, bin, c, p, true, 20, want)
	if _, err := os.Stat(rootfs); err != nil {
		t.Errorf("the root filesystem is gone after Close: %v", err)
	}
}

// Bad input: an image with nothing to run, a user the image does not have, a command
// the image does not hold, an image that cannot be read.
func TestPrepareAndRecordErrors(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "etc"), 0o755)
	os.WriteFile(filepath.Join(dir, "etc/passwd"), []byte("root:x:0:0::/root:/bin/sh\n"), 0o644)
	if _, err := Prepare(context.Background(), Options{Image: "rootfs:" + dir}); err == nil || !strings.Contains(err.Error(), "no entrypoint or command") {
		t.Errorf("nothing to run: %v", err)
	}
	for spec, want := range map[string]string{"nobody": `no user "nobody"`, "0:wheel": `no group "wheel"`} {
		if _, _, err := lookupUser(dir, spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("user %q: %v, want %q", spec, err, want)
		}
	}
	for spec, want := range map[string][2]uint32{"": {0, 0}, "root": {0, 0}, "42": {42, 0}, "42:7": {42, 7}, "root:5": {0, 5}} {
		if uid, gid, err := lookupUser(dir, spec); err != nil || uid != want[0] || gid != want[1] {
			t.Errorf("user %q: %d:%d %v, want %v", spec, uid, gid, err, want)
		}
	}
	if _, err := Prepare(context.Background(), Options{Image: "oci:" + filepath.Join(dir, "missing"), Args: []string{"x"}}); err == nil {
		t.Error("a missing image was prepared")
	}

	needRoot(t)
	bin, err := exec.LookPath("runc")
	need(t, err == nil, "runc is not installed")
	c, err := Prepare(context.Background(), Options{Image: "oci:" + testImage(t), Args: []string{"/app/no-such-program"}, Runtime: bin})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var out bytes.Buffer
	r, w, _ := os.Pipe()
	done := make(chan struct{})
	go func() { io.Copy(&out, r); close(done) }()
	_, err = c.Record(context.Background(), trace.Command{Stdout: w, Stderr: w}, false)
	w.Close()
	<-done
	if err == nil || !strings.Contains(err.Error(), "did not start the container's program") {
		t.Errorf("a command the image lacks: %v\n%s", err, out.String())
	}
}
