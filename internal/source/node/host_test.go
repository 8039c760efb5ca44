package node

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOpenRealProcesses reads this machine's process list and finds the test itself.
func TestOpenRealProcesses(t *testing.T) {
	h, err := Open("/")
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	procs, err := h.Processes()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(procs, func(p Process) bool { return p.PID == os.Getpid() })
	if i < 0 {
		t.Fatalf("pid %d not among %d processes", os.Getpid(), len(procs))
	}
	self := procs[i]
	if !slices.Equal(self.Argv, os.Args) {
		t.Errorf("argv = %q, want %q", self.Argv, os.Args)
	}
	if self.EnvErr != nil || !slices.Contains(self.Env, "PATH="+os.Getenv("PATH")) {
		t.Errorf("own environment: err %v, %d variables, PATH missing", self.EnvErr, len(self.Env))
	}
	for _, p := range procs {
		if p.Err == nil && len(p.Argv) == 0 {
			t.Errorf("process %d listed without a command line", p.PID)
		}
		// Another user's environment is unreadable without privileges: a recorded
		// error, not a failure.
		if p.EnvErr != nil && !errors.Is(p.EnvErr, fs.ErrPermission) {
			t.Logf("process %d: %v", p.PID, p.EnvErr)
		}
	}
	// A full collection on the real machine never fails as a whole.
	f := Collect(h)
	if len(f.Errors) > 0 {
		t.Errorf("collector errors: %v", f.Errors)
	}
}

// tempHost builds a host root in a temporary directory from path → content; a content
// starting with "->" makes a symbolic link.
func tempHost(t *testing.T, files map[string]string) (string, *Host) {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	for p, content := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		if target, ok := strings.CutPrefix(content, "->"); ok {
			err = os.Symlink(target, full)
		} else {
			err = os.WriteFile(full, []byte(content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	h, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return dir, h
}

func TestSymlinksStayInsideRoot(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("outside"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, h := tempHost(t, map[string]string{
		"/etc/abs":       "->" + outside,
		"/etc/climb":     "->../../../../../../../../etc/target",
		"/etc/target":    "inside",
		"/etc/absinside": "->/etc/target",
		"/etc/dir":       "->/var/lib",
		"/var/lib/file":  "through a linked directory",
		"/etc/loop":      "->/etc/loop2",
		"/etc/loop2":     "->/etc/loop",
	})
	// An absolute link to a path outside is that path under the root: absent here.
	if b, err := h.ReadFile("/etc/abs"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("absolute link out of the root: %q, %v; want not found", b, err)
	}
	for p, want := range map[string]string{
		"/etc/climb":     "inside",
		"/etc/absinside": "inside",
		"/etc/dir/file":  "through a linked directory",
		"/../etc/target": "inside",
	} {
		b, err := h.ReadFile(p)
		if err != nil || string(b) != want {
			t.Errorf("ReadFile(%s) = %q, %v; want %q", p, b, err, want)
		}
	}
	if _, err := h.ReadFile("/etc/loop"); !errors.Is(err, syscall.ELOOP) {
		t.Errorf("link loop: %v, want ELOOP", err)
	}
	if _, err := h.ReadFile("etc/target"); err == nil {
		t.Error("relative path accepted")
	}
	if st, err := h.Stat("/etc/dir"); err != nil || !st.Dir {
		t.Errorf("Stat follows links: %+v, %v", st, err)
	}
}

func TestReadFileCapped(t *testing.T) {
	_, h := tempHost(t, map[string]string{
		"/big":  strings.Repeat("x", MaxFileSize+1),
		"/full": strings.Repeat("x", MaxFileSize),
	})
	_, err := h.ReadFile("/big")
	if !errors.Is(err, ErrTooLarge) || err.Error() != "/big: file too large: 4194305 bytes, more than 4 MiB" {
		t.Errorf("ReadFile(/big) error = %v", err)
	}
	if b, err := h.ReadFile("/full"); err != nil || len(b) != MaxFileSize {
		t.Errorf("ReadFile(/full) = %d bytes, %v", len(b), err)
	}
}

func TestUnreadableFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every file")
	}
	dir, h := tempHost(t, map[string]string{"/etc/kubernetes/admin.conf": "x"})
	if err := os.Chmod(filepath.Join(dir, "root/etc/kubernetes/admin.conf"), 0); err != nil {
		t.Fatal(err)
	}
	_, err := h.ReadFile("/etc/kubernetes/admin.conf")
	if !errors.Is(err, fs.ErrPermission) || err.Error() != "/etc/kubernetes/admin.conf: permission denied" {
		t.Errorf("error = %v", err)
	}
}

func TestMissingProc(t *testing.T) {
	_, h := tempHost(t, map[string]string{"/etc/hostname": "n1"})
	if _, err := h.Processes(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Processes() error = %v, want not found", err)
	}
	f := Collect(h)
	if f.ProcessesErr == nil || f.ProcessesErr.Error() != "/proc: no such file or directory" {
		t.Errorf("ProcessesErr = %v", f.ProcessesErr)
	}
	if len(f.Components) != 0 || len(f.Errors) != 0 {
		t.Errorf("components %v, errors %v", f.Components, f.Errors)
	}
	if !errors.Is(f.OS.Kernel.Err, fs.ErrNotExist) || !errors.Is(f.OS.ModulesErr, fs.ErrNotExist) {
		t.Errorf("kernel %+v, modules %v", f.OS.Kernel, f.OS.ModulesErr)
	}
}

func TestRealOwners(t *testing.T) {
	_, h := tempHost(t, map[string]string{
		"/etc/passwd": "root:x:0:0::/root:/bin/sh\nkubeadmin:x:" + strconv.Itoa(os.Getuid()) + ":0::/:/bin/sh\n",
		"/etc/group":  "wheel:x:" + strconv.Itoa(os.Getgid()) + ":\n",
		"/f":          "x",
	})
	st, err := h.Stat("/f")
	if err != nil {
		t.Fatal(err)
	}
	if st.UID != os.Getuid() || st.User != "kubeadmin" && st.User != "root" || st.Group != "wheel" || st.Perm() != 0o644 || st.Dir {
		t.Errorf("Stat = %+v", st)
	}
	// Names come from the host's files, else the number.
	_, bare := tempHost(t, map[string]string{"/f": "x"})
	if st, _ := bare.Stat("/f"); st.User != strconv.Itoa(os.Getuid()) || st.Group != strconv.Itoa(os.Getgid()) {
		t.Errorf("without /etc/passwd: %s", st.Owner())
	}
}

func TestFixture(t *testing.T) {
	h, err := OpenFixture("testdata/hosts/kubeadm")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path, owner string
		uid         int
		perm        fs.FileMode
		dir         bool
	}{
		{"/etc/kubernetes/manifests/kube-apiserver.yaml", "root:root", 0, 0o600, false},
		{"/etc/kubernetes/manifests/etcd.yaml", "root:root", 0, 0o644, false}, // not listed
		{"/etc/kubernetes/manifests", "root:root", 0, 0o755, true},            // not listed
		{"/var/lib/etcd", "etcd:etcd", 998, 0o700, true},
		{"/etc/kubernetes/manifests/kube-scheduler.yaml", "1000:1000", 1000, 0o644, false},
		{"/etc/kubernetes/kcm.conf", "root:nosuchgroup", 0, 0o640, false},
		{"/etc/sysctl.d/99-sysctl.conf", "root:root", 0, 0o644, false}, // a link
	} {
		st, err := h.Stat(c.path)
		if err != nil || st.Owner() != c.owner || st.UID != c.uid || st.Perm() != c.perm || st.Dir != c.dir || st.Path != c.path {
			t.Errorf("Stat(%s) = %+v, %v", c.path, st, err)
		}
	}
	if st, _ := h.Stat("/etc/kubernetes/kcm.conf"); st.GID != -1 {
		t.Errorf("unknown group name: GID %d, want -1", st.GID)
	}
	procs, err := h.Processes()
	if err != nil || len(procs) != 3 || procs[0].PID != 1 || procs[2].EnvErr == nil ||
		procs[2].EnvErr.Error() != "/proc/1500/environ: permission denied" {
		t.Errorf("Processes() = %+v, %v", procs, err)
	}
	files, err := h.Glob("/etc/sysctl.d/*.conf")
	if err != nil || !slices.Equal(files, []string{"/etc/sysctl.d/10-hardening.conf", "/etc/sysctl.d/99-sysctl.conf"}) {
		t.Errorf("Glob = %q, %v", files, err)
	}
	if files, err := h.Glob("/nowhere/*"); err != nil || files != nil {
		t.Errorf("Glob of a missing directory = %q, %v", files, err)
	}

	b, err := OpenFixture("testdata/hosts/broken")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.ReadFile("/etc/kubernetes/manifests/kube-scheduler.yaml"); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("unreadable fixture file: %v", err)
	}
	if _, err := b.Stat("/etc/kubernetes/manifests/kube-scheduler.yaml"); err != nil {
		t.Errorf("an unreadable file can still be stat'ed: %v", err)
	}
	if _, err := b.ReadDir("/etc/sudoers.d"); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("unreadable fixture directory: %v", err)
	}
}

func TestFixtureErrors(t *testing.T) {
	for name, c := range map[string]struct{ modes, procs, want string }{
		"mode":      {modes: "0999 root:root /etc\n", want: "modes:1: want"},
		"owner":     {modes: "# c\n0600 root /etc\n", want: "modes:2: want"},
		"relative":  {modes: "0600 root:root etc\n", want: "modes:1: want"},
		"missing":   {modes: "0600 root:root /nope\n", want: "modes:1: /nope: no such file"},
		"processes": {procs: "pid: [\n", want: "processes.yaml: yaml:"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, "root/etc"), 0o755); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, "modes"), []byte(c.modes), 0o644)
			os.WriteFile(filepath.Join(dir, "processes.yaml"), []byte(c.procs), 0o644)
			_, err := OpenFixture(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error = %v, want %q", err, c.want)
			}
		})
	}
	if _, err := OpenFixture(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("a fixture without root/ opened")
	}
}

// TestRealComponentProcess starts a stand-in etcd (sleep, with etcd's argv[0] and
// ETCD_* variables) and collects it from this machine's /proc, with the file its
// environment names read through the process's root.
func TestRealComponentProcess(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep command")
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "etcd.conf.yml")
	if err := os.WriteFile(conf, []byte("name: stand-in\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := &exec.Cmd{
		Path: sleep,
		Args: []string{"/usr/local/bin/etcd", "300"},
		Env:  []string{"ETCD_CLIENT_CERT_AUTH=true", "ETCD_DATA_DIR=" + dir, "ETCD_CONFIG_FILE=" + conf},
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// Start returns once the child is forked; until it has exec'd, its command line is
	// still this test's. Wait for the exec (at most 10 s) so the race cannot fail the test.
	cmdline := fmt.Sprintf("/proc/%d/cmdline", cmd.Process.Pid)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if b, _ := os.ReadFile(cmdline); strings.HasPrefix(string(b), "/usr/local/bin/etcd\x00") || time.Now().After(deadline) {
			break
		}
	}
	h, err := Open("/")
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	f := Collect(h)
	i := slices.IndexFunc(f.Components, func(c Component) bool { return c.PID == cmd.Process.Pid })
	if i < 0 {
		t.Fatalf("stand-in etcd (pid %d) not found; ProcessesErr %v", cmd.Process.Pid, f.ProcessesErr)
	}
	c := f.Components[i]
	if c.Name != Etcd || c.Kind != FromProcess || c.Source != "process "+strconv.Itoa(cmd.Process.Pid) || c.Err != nil {
		t.Errorf("component %+v", c)
	}
	if v, ok := c.Flags.Lookup("client-cert-auth"); !ok || v.Value != "true" || v.Origin.Env != "ETCD_CLIENT_CERT_AUTH" {
		t.Errorf("client-cert-auth from the environment: %+v", v)
	}
	if b, _, ok := c.Flags.File("config-file"); !ok || string(b) != "name: stand-in\n" {
		t.Errorf("config file not read: %q, errors %v", b, c.FileErrors)
	}
	found := false
	for _, ff := range f.FilesFor(RoleEtcdDataDir) {
		if ff.Path == dir && ff.Err == nil && ff.File.Dir && ff.From != nil && ff.From.Source == c.Source {
			found = true
		}
	}
	if !found {
		t.Errorf("etcd data dir %s not among %+v", dir, f.FilesFor(RoleEtcdDataDir))
	}
}
