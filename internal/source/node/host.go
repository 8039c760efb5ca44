package node

import (
	"errors"
	"fmt"
	"io/fs"
)

// MaxFileSize is the most a Host reads of one file; a larger file is an error
// (ErrTooLarge), not a truncated read.
const MaxFileSize = 4 << 20

// ErrTooLarge is returned for a file larger than MaxFileSize.
var ErrTooLarge = errors.New("file is larger than 4 MiB")

// Host is a node's filesystem and process list seen through a root directory. Paths
// are absolute on the node ("/etc/kubernetes/admin.conf"); none leaves the root.
// A Host is safe for use by one goroutine at a time.
type Host struct {
	root string // the directory the node's "/" is
	// fixture is set for a Host from OpenFixture.
	fixture *fixture
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
	return nil, fmt.Errorf("node: not implemented")
}

// OpenFixture returns the test Host in dir: dir/root holds the files, dir/modes their
// owners and modes, dir/processes.yaml the process list (see the package
// documentation).
func OpenFixture(dir string) (*Host, error) {
	return nil, fmt.Errorf("node: not implemented")
}

// Root returns the directory the host's "/" is.
func (h *Host) Root() string { return h.root }

// ReadFile returns the content of the file at path on the host, following symbolic
// links inside the root. A file larger than MaxFileSize gives ErrTooLarge.
func (h *Host) ReadFile(path string) ([]byte, error) {
	return nil, fmt.Errorf("node: not implemented")
}

// Stat returns the owner and mode of the file at path, following symbolic links inside
// the root.
func (h *Host) Stat(path string) (File, error) {
	return File{}, fmt.Errorf("node: not implemented")
}

// ReadDir returns the entries of the directory at path, sorted by name.
func (h *Host) ReadDir(path string) ([]fs.DirEntry, error) {
	return nil, fmt.Errorf("node: not implemented")
}

// Glob returns the host paths matching pattern (path.Match syntax, absolute), sorted;
// an unreadable directory on the way is an error, a missing one matches nothing.
func (h *Host) Glob(pattern string) ([]string, error) {
	return nil, fmt.Errorf("node: not implemented")
}

// Processes returns the host's processes that have a command line (kernel threads and
// zombies have none), sorted by PID. A process that ends while being read is left out.
// The error is for the list as a whole (no <root>/proc).
func (h *Host) Processes() ([]Process, error) {
	return nil, fmt.Errorf("node: not implemented")
}

type fixture struct{}
