package node

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kharden/kharden/internal/source/fsread"
)

// MaxFileSize is the most a Host reads of one file; a larger file is an error
// (ErrTooLarge), not a truncated read.
const MaxFileSize = 4 << 20

// ErrTooLarge is returned (wrapped, with the limit) for a file larger than MaxFileSize.
var ErrTooLarge = errors.New("file too large")

// Host is a node's filesystem and process list seen through a root directory. Paths
// are absolute on the node ("/etc/kubernetes/admin.conf"); none leaves the root.
// A Host is safe for use by one goroutine at a time.
type Host struct {
	dir string   // the directory the node's "/" is
	r   *os.Root // dir
	// fixture is set for a Host from OpenFixture.
	fixture *fixture
	// users and groups map IDs to names, read from the host on first use.
	users, groups map[int]string
}

// File is the owner and mode of a file on the host.
type File struct {
	// Path is the path asked for, absolute on the host.
	Path string
	// Mode is the file's mode (permission and type bits) after following symbolic links
	// inside the root.
	Mode fs.FileMode
	// UID and GID are the numeric owner; -1 when unknown.
	UID, GID int
	// User and Group are the owner's names from the host's /etc/passwd and /etc/group,
	// or the number as a string when the host has no such entry.
	User, Group string
	Dir         bool
}

// Perm returns the permission bits (0o777) of the file.
func (f File) Perm() fs.FileMode { return f.Mode.Perm() }

// Owner returns "user:group".
func (f File) Owner() string { return f.User + ":" + f.Group }

// Process is one process of the host.
type Process struct {
	PID  int
	Argv []string
	// Err says why the command line could not be read (not for a process that ended
	// meanwhile, which is left out); Argv is then nil.
	Err error
	// Env is the process's environment (KEY=VALUE), nil when EnvErr is set.
	Env []string
	// EnvErr says why the environment could not be read (another user's process is
	// unreadable without privileges); nil when it was read.
	EnvErr error
}

// Open returns the Host whose "/" is root: "/" for the machine the audit runs on, or a
// mounted host root such as "/host". Processes are read from <root>/proc.
func Open(root string) (*Host, error) {
	dir, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("host root %s: %w", root, err)
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("host root: %w", err)
	}
	return &Host{dir: dir, r: r}, nil
}

// OpenFixture returns the test Host in dir: dir/root holds the files, dir/modes their
// owners and modes, dir/processes.yaml the process list (see the package
// documentation).
func OpenFixture(dir string) (*Host, error) {
	h, err := Open(filepath.Join(dir, "root"))
	if err != nil {
		return nil, fmt.Errorf("fixture %s: %w", dir, err)
	}
	fx := &fixture{modes: map[string]fixtureMode{}, unreadable: map[string]bool{}}
	h.fixture = fx
	if err := fx.readModes(h, filepath.Join(dir, "modes")); err != nil {
		return nil, fmt.Errorf("fixture %s: %w", dir, err)
	}
	if err := fx.readProcesses(filepath.Join(dir, "processes.yaml")); err != nil {
		return nil, fmt.Errorf("fixture %s: %w", dir, err)
	}
	return h, nil
}

// Root returns the directory the host's "/" is.
func (h *Host) Root() string { return h.dir }

// Close releases the root directory.
func (h *Host) Close() error { return h.r.Close() }

// pathErr is an error about a host path: "<path>: <why>".
func pathErr(p string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var fe FileError
	if errors.As(err, &fe) {
		return fe
	}
	return FileError{Path: p, Err: err}
}

// maxLinks is how many symbolic links one path may go through.
const maxLinks = 40

// resolve returns the path, relative to the root, that the host path p names once its
// symbolic links are followed as the node would follow them with the root as "/": an
// absolute link starts again at the root, and ".." at the root stays there.
func (h *Host) resolve(p string) (string, error) {
	if !path.IsAbs(p) {
		return "", FileError{Path: p, Err: errors.New("not an absolute path")}
	}
	var done []string
	todo := strings.Split(p, "/")
	links := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(done) > 0 {
				done = done[:len(done)-1]
			}
			continue
		}
		cur := path.Join(append(done, c)...)
		fi, err := h.r.Lstat(cur)
		if err != nil {
			return "", pathErr(p, err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			done = append(done, c)
			continue
		}
		if links++; links > maxLinks {
			return "", FileError{Path: p, Err: syscall.ELOOP}
		}
		target, err := h.r.Readlink(cur)
		if err != nil {
			return "", pathErr(p, err)
		}
		if path.IsAbs(target) {
			done = done[:0]
		}
		todo = append(strings.Split(target, "/"), todo...)
	}
	if len(done) == 0 {
		return ".", nil
	}
	return path.Join(done...), nil
}

// open opens a regular file of the host for reading. Nothing else is opened: a FIFO
// at /etc/ssh/sshd_config would block the audit for ever, a device never ends.
func (h *Host) open(p string) (*os.File, error) {
	rel, err := h.resolve(p)
	if err != nil {
		return nil, err
	}
	if h.fixture != nil && h.fixture.unreadable[rel] {
		return nil, FileError{Path: p, Err: fs.ErrPermission}
	}
	f, err := fsread.OpenRegular(h.r, rel)
	if err != nil {
		return nil, pathErr(p, err)
	}
	return f, nil
}

// openDir opens a directory of the host for reading its entries; see open.
func (h *Host) openDir(p string) (*os.File, error) {
	rel, err := h.resolve(p)
	if err != nil {
		return nil, err
	}
	if h.fixture != nil && h.fixture.unreadable[rel] {
		return nil, FileError{Path: p, Err: fs.ErrPermission}
	}
	// Stat first: opening is what blocks on a FIFO, and a directory cannot be swapped
	// for one between the two, as the open would then fail (O_DIRECTORY).
	fi, err := h.r.Stat(rel)
	if err != nil {
		return nil, pathErr(p, err)
	}
	if !fi.IsDir() {
		return nil, FileError{Path: p, Err: syscall.ENOTDIR}
	}
	f, err := h.r.OpenFile(rel, os.O_RDONLY|dirFlag, 0)
	if err != nil {
		return nil, pathErr(p, err)
	}
	return f, nil
}

// ReadFile returns the content of the file at path on the host, following symbolic
// links inside the root. A file larger than MaxFileSize gives ErrTooLarge.
func (h *Host) ReadFile(p string) ([]byte, error) {
	return h.readFile(p, MaxFileSize)
}

// readFile reads a file of at most limit bytes.
func (h *Host) readFile(p string, limit int64) ([]byte, error) {
	f, err := h.open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := fsread.ReadAll(f, limit)
	var tl *fsread.TooLargeError
	switch {
	case errors.As(err, &tl) && tl.Size > limit:
		return nil, FileError{Path: p, Err: fmt.Errorf("%w: %d bytes, more than %d MiB", ErrTooLarge, tl.Size, limit>>20)}
	case errors.As(err, &tl):
		return nil, FileError{Path: p, Err: fmt.Errorf("%w: more than %d MiB", ErrTooLarge, limit>>20)}
	case err != nil:
		return nil, pathErr(p, err)
	}
	return b, nil
}

// Stat returns the owner and mode of the file at path, following symbolic links inside
// the root.
func (h *Host) Stat(p string) (File, error) {
	rel, err := h.resolve(p)
	if err != nil {
		return File{}, err
	}
	fi, err := h.r.Stat(rel)
	if err != nil {
		return File{}, pathErr(p, err)
	}
	f := File{Path: p, Mode: fi.Mode(), Dir: fi.IsDir(), UID: -1, GID: -1}
	if h.fixture != nil {
		m, ok := h.fixture.modes[rel]
		if !ok {
			m = fixtureMode{perm: 0o644, user: "0", group: "0"}
			if f.Dir {
				m.perm = 0o755
			}
		}
		f.Mode = f.Mode.Type() | m.perm
		f.UID, f.User = h.owner(m.user, h.userNames())
		f.GID, f.Group = h.owner(m.group, h.groupNames())
		return f, nil
	}
	f.UID, f.GID = owner(fi)
	f.User = name(h.userNames(), f.UID)
	f.Group = name(h.groupNames(), f.GID)
	return f, nil
}

// owner resolves a fixture's owner, a name or a number, to both.
func (h *Host) owner(s string, names map[int]string) (int, string) {
	if id, err := strconv.Atoi(s); err == nil {
		return id, name(names, id)
	}
	for id, n := range names {
		if n == s {
			return id, s
		}
	}
	return -1, s
}

func name(names map[int]string, id int) string {
	if n, ok := names[id]; ok {
		return n
	}
	return strconv.Itoa(id)
}

func (h *Host) userNames() map[int]string {
	if h.users == nil {
		h.users = h.idNames("/etc/passwd")
	}
	return h.users
}

func (h *Host) groupNames() map[int]string {
	if h.groups == nil {
		h.groups = h.idNames("/etc/group")
	}
	return h.groups
}

// idNames reads /etc/passwd or /etc/group ("name:x:id:..."); the first name of an ID
// wins, as getpwuid's does.
func (h *Host) idNames(p string) map[int]string {
	m := map[int]string{}
	b, err := h.ReadFile(p)
	if err != nil {
		return m
	}
	for line := range strings.Lines(string(b)) {
		fields := strings.Split(strings.TrimSpace(line), ":")
		if len(fields) < 3 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		id, err := strconv.Atoi(fields[2])
		if err != nil {
			continue
		}
		if _, ok := m[id]; !ok {
			m[id] = fields[0]
		}
	}
	return m
}

// ReadDir returns the entries of the directory at path, sorted by name.
func (h *Host) ReadDir(p string) ([]fs.DirEntry, error) {
	f, err := h.openDir(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	es, err := f.ReadDir(-1)
	if err != nil {
		return nil, pathErr(p, err)
	}
	slices.SortFunc(es, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return es, nil
}

// Glob returns the host paths matching pattern, sorted. Only the last element of the
// pattern may hold wildcards (path.Match syntax): "/etc/sysctl.d/*.conf". A missing
// directory matches nothing; an unreadable one is an error.
func (h *Host) Glob(pattern string) ([]string, error) {
	dir, base := path.Split(pattern)
	if _, err := path.Match(base, ""); err != nil {
		return nil, fmt.Errorf("pattern %q: %w", pattern, err)
	}
	es, err := h.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range es {
		if ok, _ := path.Match(base, e.Name()); ok {
			out = append(out, path.Join(dir, e.Name()))
		}
	}
	return out, nil
}

// Processes returns the host's processes that have a command line (kernel threads and
// zombies have none), sorted by PID. A process that ends while being read is left out.
// The error is for the list as a whole (no <root>/proc).
func (h *Host) Processes() ([]Process, error) {
	if h.fixture != nil {
		return slices.Clone(h.fixture.procs), nil
	}
	es, err := h.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var out []Process
	for _, e := range es {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		p, ok := h.process(pid)
		if ok {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b Process) int { return a.PID - b.PID })
	return out, nil
}

// process reads one process; ok is false when it has ended or has no command line.
func (h *Host) process(pid int) (p Process, ok bool) {
	p.PID = pid
	dir := "/proc/" + strconv.Itoa(pid)
	b, err := h.ReadFile(dir + "/cmdline")
	if vanished(err) {
		return p, false
	}
	if err != nil {
		p.Err = err
		return p, true
	}
	if len(b) == 0 {
		return p, false
	}
	p.Argv = splitNUL(b)
	env, err := h.ReadFile(dir + "/environ")
	switch {
	case vanished(err):
		return p, false
	case err != nil:
		p.EnvErr = err
	default:
		p.Env = splitNUL(env)
	}
	return p, true
}

// vanished tells whether err says a process ended.
func vanished(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH)
}

func splitNUL(b []byte) []string {
	b = bytes.TrimSuffix(b, []byte{0})
	if len(b) == 0 {
		return []string{}
	}
	return strings.Split(string(b), "\x00")
}

type fixture struct {
	modes      map[string]fixtureMode // by path relative to the root
	unreadable map[string]bool        // by path relative to the root
	procs      []Process
}

type fixtureMode struct {
	perm        fs.FileMode
	user, group string
}

// readModes reads a fixture's modes file; a missing one is empty.
func (fx *fixture) readModes(h *Host, file string) error {
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	n := 0
	for line := range strings.Lines(string(b)) {
		n++
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		bad := fmt.Errorf("%s:%d: want \"<octal mode> <user>:<group> <absolute path>\" or \"unreadable <absolute path>\"", file, n)
		if len(fields) == 2 && fields[0] == "unreadable" && path.IsAbs(fields[1]) {
			rel, err := h.resolve(fields[1])
			if err != nil {
				return fmt.Errorf("%s:%d: %w", file, n, err)
			}
			fx.unreadable[rel] = true
			continue
		}
		if len(fields) != 3 || !path.IsAbs(fields[2]) {
			return bad
		}
		perm, err := strconv.ParseUint(fields[0], 8, 32)
		user, group, ok := strings.Cut(fields[1], ":")
		if err != nil || perm > 0o7777 || !ok || user == "" || group == "" {
			return bad
		}
		rel, err := h.resolve(fields[2])
		if err != nil {
			return fmt.Errorf("%s:%d: %w", file, n, err)
		}
		fx.modes[rel] = fixtureMode{perm: fs.FileMode(perm) & fs.ModePerm, user: user, group: group}
	}
	return nil
}

// readProcesses reads a fixture's processes.yaml; a missing one is an empty list.
func (fx *fixture) readProcesses(file string) error {
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var list []struct {
		PID      int      `yaml:"pid"`
		Argv     []string `yaml:"argv"`
		Env      []string `yaml:"env"`
		EnvError string   `yaml:"envError"`
	}
	if err := yaml.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	for _, p := range list {
		proc := Process{PID: p.PID, Argv: p.Argv, Env: p.Env}
		if p.EnvError != "" {
			proc.Env, proc.EnvErr = nil, FileError{Path: fmt.Sprintf("/proc/%d/environ", p.PID), Err: errors.New(p.EnvError)}
		}
		fx.procs = append(fx.procs, proc)
	}
	slices.SortFunc(fx.procs, func(a, b Process) int { return a.PID - b.PID })
	return nil
}
