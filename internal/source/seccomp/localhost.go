package seccomp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/kharden/kharden/internal/source/fsread"
)

// MaxLocalhostProfile is the most Dir reads of one profile file. Profiles are small
// (Docker's default, the longest in common use, is under 25 KiB); a larger file is not
// read, and said to be unchecked.
const MaxLocalhostProfile = 1 << 20

// Dir is a node's seccomp profile root as kubelet sees it (its --seccomp-profile-root,
// /var/lib/kubelet/seccomp by default), or a directory holding the same tree, such as
// the profiles a repository ships: a pod's Localhost localhostProfile is a path
// relative to it. Those paths come from the manifests scanned, someone else's input, so
// the files are read through fsread.Root (an os.Root): nothing outside the directory is
// opened, a symbolic link leading out of it included; no FIFO or device is opened; at
// most MaxLocalhostProfile bytes are read. Each path is judged once: thousands of
// workloads may name the same profile. Safe for concurrent use.
type Dir struct {
	root *fsread.Root
	name string

	mu   sync.Mutex
	seen map[string]*dirEntry
}

type dirEntry struct {
	once sync.Once
	v    Verdict
}

// Verdict is what Dir says of the profile at one path.
type Verdict struct {
	// Problem says what is wrong, naming the file ("deploy/seccomp/web.json does not
	// exist"); empty when the path holds a valid profile.
	Problem string
	// Unchecked is set when the profile could not be judged (unreadable, too large, or
	// behind a symbolic link that leaves the directory, which may well resolve on a
	// node): Problem says why. It is no verdict on the profile.
	Unchecked bool
}

// OpenDir opens the directory dir, which must exist and be a directory: the error says
// what it is otherwise.
func OpenDir(dir string) (*Dir, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s does not exist", dir)
		}
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	r, err := fsread.OpenRootAs(dir, dir)
	if err != nil {
		return nil, err
	}
	return &Dir{root: r, name: dir, seen: map[string]*dirEntry{}}, nil
}

// Name is the directory as it was given.
func (d *Dir) Name() string { return d.name }

// Close releases the directory.
func (d *Dir) Close() error { return d.root.Close() }

// Check judges the profile at rel, a localhostProfile: slash-separated and relative to
// the directory. A path that is not local (absolute, empty, climbing out with "..") is
// refused unread; the API server refuses such a localhostProfile too.
func (d *Dir) Check(rel string) Verdict {
	if !filepath.IsLocal(filepath.FromSlash(rel)) || strings.Contains("/"+rel+"/", "/../") {
		return Verdict{Problem: fmt.Sprintf("%q is not a path inside %s: not read", rel, d.name)}
	}
	key := path.Clean(rel)
	d.mu.Lock()
	e := d.seen[key]
	if e == nil {
		e = &dirEntry{}
		d.seen[key] = e
	}
	d.mu.Unlock()
	e.once.Do(func() { e.v = d.check(key) })
	return e.v
}

func (d *Dir) check(rel string) Verdict {
	file := filepath.Join(d.name, filepath.FromSlash(rel))
	fail := func(format string, a ...any) Verdict {
		return Verdict{Problem: file + " " + fmt.Sprintf(format, a...)}
	}
	unchecked := func(format string, a ...any) Verdict {
		return Verdict{Problem: file + " " + fmt.Sprintf(format, a...), Unchecked: true}
	}
	data, err := d.root.ReadFile(filepath.FromSlash(rel), MaxLocalhostProfile)
	var (
		nr   *fsread.NotRegularError
		tl   *fsread.TooLargeError
		link *fsread.LinkError
	)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return fail("does not exist")
	case errors.As(err, &nr) && nr.Mode.IsDir():
		return fail("is a directory, not a profile file")
	case errors.As(err, &nr):
		return fail("is %s", strings.TrimSuffix(nr.Error(), ": not read"))
	case errors.As(err, &tl):
		size := ""
		if tl.Size > 0 {
			size = fmt.Sprintf("%d bytes, ", tl.Size)
		}
		return unchecked("is %smore than the 1 MiB kharden reads of a profile: not checked", size)
	case errors.As(err, &link) && (link.Why == "loops" || link.Why == "points to nothing"):
		return fail("is a symbolic link (-> %s) that %s", link.Target, link.Why)
	case errors.As(err, &link):
		// The link may resolve on a node; kharden does not follow it out of the directory.
		return unchecked("is a symbolic link (-> %s) that %s: not read, so not checked", link.Target, link.Why)
	default: // os.Root's refusal of a link on the way that leaves the directory, among others
		return unchecked("could not be read inside %s (%v): not checked", d.name, err)
	}
	if problem := validate(file, data); problem != "" {
		return fail("is not a valid seccomp profile: %s", problem)
	}
	return Verdict{}
}

// validate says what makes data something other than the OCI profile JSON a container
// runtime loads for a Localhost profile, with scan's own reading of profile files
// (Load, Decode): "" when it is one.
func validate(file string, data []byte) string {
	var head struct {
		Kind string `json:"kind"`
	}
	if json.Unmarshal(data, &head) == nil && head.Kind != "" {
		return fmt.Sprintf("it is a Kubernetes object (kind %s), and a node reads the profile's own JSON (the OCI format)", head.Kind)
	}
	r := Load(file, data)
	if len(r.Errors) > 0 {
		return lineMsg(r.Errors[0].Line, r.Errors[0].Msg)
	}
	p, errs, _ := Decode(r.Docs[0])
	if len(errs) > 0 {
		return lineMsg(errs[0].Line, errs[0].Msg)
	}
	if p.DefaultAction == "" { // Decode lets an operator's baseProfileName stand for it
		return "defaultAction is missing"
	}
	return ""
}

func lineMsg(line int, msg string) string {
	msg = strings.TrimPrefix(msg, "seccomp profile: ")
	if line > 0 {
		return fmt.Sprintf("line %d: %s", line, msg)
	}
	return msg
}
