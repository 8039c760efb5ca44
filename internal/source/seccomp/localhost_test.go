package seccomp

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

const validProfile = `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}`

// nodeTree makes a node's seccomp directory at base/node, with valid profiles outside it
// at base/outside.json and base/etc/passwd, and returns base.
func nodeTree(t *testing.T) string {
	t.Helper()
	base := t.TempDir()
	for name, data := range map[string]string{
		"node/web.json":         validProfile,
		"node/profiles/db.json": validProfile,
		"node/bad.json":         `{"defaultAction": "SCMP_ACT_NOPE"}`,
		"node/notjson.json":     "defaultAction: SCMP_ACT_ERRNO\n",
		"outside.json":          validProfile,
		"etc/passwd":            validProfile,
		"outside/db.json":       validProfile,
	} {
		p := filepath.Join(base, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{
		"node/inside.json":   "profiles/db.json",                      // stays inside: followed
		"node/escape.json":   "../outside.json",                       // leaves
		"node/absolute.json": filepath.Join(base, "outside.json"),     // leaves, absolute
		"node/dangling.json": "profiles/none.json",                    // points to nothing
		"node/linkdir":       "../outside",                            // a directory out of it
		"node/loop.json":     "loop.json",                             // loops
		"node/up":            filepath.Join(base, "node", "profiles"), // absolute, but back inside
	} {
		if err := os.Symlink(target, filepath.Join(base, link)); err != nil {
			t.Fatal(err)
		}
	}
	return base
}

func TestDirCheck(t *testing.T) {
	base := nodeTree(t)
	d, err := OpenDir(filepath.Join(base, "node"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	node := filepath.Join(base, "node")
	for _, c := range []struct {
		rel       string
		problem   string // "" when valid; else a part of the message
		unchecked bool
	}{
		{"web.json", "", false},
		{"profiles/db.json", "", false},
		{"./profiles//db.json", "", false},
		{"inside.json", "", false},
		{"missing.json", node + "/missing.json does not exist", false},
		{"web.json/x", node + "/web.json/x does not exist", false},
		{"profiles", node + "/profiles is a directory, not a profile file", false},
		{"bad.json", node + `/bad.json is not a valid seccomp profile: line 1: defaultAction "SCMP_ACT_NOPE" is not a seccomp action`, false},
		{"notjson.json", "not a well-formed JSON object", false},
		{"dangling.json", "is a symbolic link (-> profiles/none.json) that points to nothing", false},
		{"loop.json", "is a symbolic link (-> loop.json) that loops", false},
		// Outside the directory: refused unread, though valid profiles are there.
		{"escape.json", "is a symbolic link (-> ../outside.json) that leaves " + node + ": not read, so not checked", true},
		{"absolute.json", "is a symbolic link (-> " + base + "/outside.json) that is absolute", true},
		{"linkdir/db.json", "could not be read inside " + node + " (statat linkdir/db.json: path escapes from parent)", true},
		{"up/db.json", "could not be read inside", true},
		{"../etc/passwd", `"../etc/passwd" is not a path inside ` + node + ": not read", false},
		{"profiles/../../outside.json", "is not a path inside", false},
		{"/etc/passwd", "is not a path inside", false},
		{"", "is not a path inside", false},
	} {
		v := d.Check(c.rel)
		if c.problem == "" && v.Problem != "" || !strings.Contains(v.Problem, c.problem) || v.Unchecked != c.unchecked {
			t.Errorf("Check(%q) = %+v, want a problem with %q (unchecked %v)", c.rel, v, c.problem, c.unchecked)
		}
	}
}

func TestDirNonRegular(t *testing.T) {
	node := t.TempDir()
	// Opening a FIFO blocks until a writer comes: the check must not open it.
	if err := syscall.Mkfifo(filepath.Join(node, "fifo.json"), 0o644); err != nil {
		t.Skip("no FIFO here:", err)
	}
	d, err := OpenDir(node)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if v := d.Check("fifo.json"); !strings.Contains(v.Problem, "fifo.json is not a regular file (a named pipe)") || v.Unchecked {
		t.Errorf("Check(fifo.json) = %+v", v)
	}
}

func TestDirTooLarge(t *testing.T) {
	node := t.TempDir()
	big := `{"defaultAction": "SCMP_ACT_ERRNO"}` + strings.Repeat(" ", MaxLocalhostProfile)
	if err := os.WriteFile(filepath.Join(node, "big.json"), []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(node, "edge.json"), []byte(big[:MaxLocalhostProfile]), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := OpenDir(node)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	want := "big.json is " + strconv.Itoa(len(big)) + " bytes, more than the 1 MiB kharden reads of a profile: not checked"
	if v := d.Check("big.json"); !strings.HasSuffix(v.Problem, want) || !v.Unchecked {
		t.Errorf("Check(big.json) = %+v, want %q", v, want)
	}
	if v := d.Check("edge.json"); v.Problem != "" {
		t.Errorf("a profile of exactly the limit: %+v", v)
	}
}

// Each path is read once: a profile changed after its first check keeps its verdict,
// under every spelling of the path, from every goroutine.
func TestDirCachesPerPath(t *testing.T) {
	node := t.TempDir()
	file := filepath.Join(node, "web.json")
	if err := os.WriteFile(file, []byte(validProfile), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := OpenDir(node)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			if v := d.Check("web.json"); v.Problem != "" {
				t.Errorf("Check = %+v", v)
			}
		})
	}
	wg.Wait()
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"web.json", "./web.json"} {
		if v := d.Check(rel); v.Problem != "" {
			t.Errorf("Check(%q) after the file went: %+v, want the cached verdict", rel, v)
		}
	}
	if v := d.Check("other.json"); !strings.Contains(v.Problem, "does not exist") {
		t.Errorf("Check(other.json) = %+v", v)
	}
}

func TestOpenDir(t *testing.T) {
	base := t.TempDir()
	file := filepath.Join(base, "file")
	os.WriteFile(file, nil, 0o644)
	for _, c := range []struct{ dir, want string }{
		{filepath.Join(base, "none"), base + "/none does not exist"},
		{file, file + " is not a directory"},
	} {
		if _, err := OpenDir(c.dir); err == nil || err.Error() != c.want {
			t.Errorf("OpenDir(%s) = %v, want %q", c.dir, err, c.want)
		}
	}
}
