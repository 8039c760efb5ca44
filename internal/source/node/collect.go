package node

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// collector gathers the Facts of one Host.
type collector struct {
	h *Host
	f *Facts
	o Options
	// roots caches the root directory of each process (<root>/proc/<pid>/root), nil when
	// it could not be opened.
	roots map[int]*Host
}

// CollectOptions is Collect with options.
func CollectOptions(h *Host, o Options) (f *Facts) {
	f = &Facts{Now: o.Now}
	if f.Now.IsZero() {
		f.Now = time.Now()
		if h.fixture != nil {
			f.Now = FixtureTime
		}
	}
	c := &collector{h: h, f: f, o: o, roots: map[int]*Host{}}
	defer func() {
		for _, r := range c.roots {
			if r != nil {
				r.Close()
			}
		}
	}()
	c.guard("components", c.collectComponents)
	c.guard("files", c.collectFiles)
	c.guard("os", c.collectOS)
	c.guard("certificates", c.collectCerts)
	return f
}

// guard runs one part of the collection, turning a panic into an error fact so that
// the other parts are still collected.
func (c *collector) guard(part string, fn func()) {
	defer func() {
		if r := recover(); r != nil {
			c.f.Errors = append(c.f.Errors, fmt.Errorf("collecting %s: internal error: %v", part, r))
		}
	}()
	fn()
}

// processRoot returns the Host of a process's own root directory (a container's), so
// that the files its flags name are read as it sees them; nil for a fixture or when the
// root cannot be opened (another user's process, without privileges).
func (c *collector) processRoot(pid int) *Host {
	if c.h.fixture != nil || pid <= 0 {
		return nil
	}
	if r, ok := c.roots[pid]; ok {
		return r
	}
	r, err := Open(filepath.Join(c.h.dir, "proc", strconv.Itoa(pid), "root"))
	if err == nil {
		r.users, r.groups = c.h.userNames(), c.h.groupNames() // owners are named by the host
	} else {
		r = nil
	}
	c.roots[pid] = r
	return r
}

// hostFor returns the Host through which a component sees its files: its process's root
// when it runs and that root can be opened, else the host.
func (c *collector) hostFor(comp Component) *Host {
	if comp.Kind == FromProcess {
		if r := c.processRoot(comp.PID); r != nil {
			return r
		}
	}
	return c.h
}

// readFor reads a file a component's flag names, as the component sees it.
func (c *collector) readFor(comp Component, p string) ([]byte, error) {
	if !path.IsAbs(p) {
		return nil, FileError{Path: p, Err: errors.New("relative path: the component's working directory is unknown")}
	}
	return c.hostFor(comp).ReadFile(p)
}

// maxDropIns bounds the files read from a --config-dir.
const maxDropIns = 1000

// readFlagFiles puts into comp.Flags.Files the content of the files the FileFlags of its
// component name.
func (c *collector) readFlagFiles(comp *Component) {
	if comp.Err != nil {
		return
	}
	for _, flag := range FileFlags[comp.Name] {
		v, ok := comp.Flags.Lookup(flag)
		if !ok || strings.TrimSpace(v.Value) == "" {
			continue
		}
		p := strings.TrimSpace(v.Value)
		if comp.Flags.Files == nil {
			comp.Flags.Files = map[string][]byte{}
		}
		if flag == "config-dir" {
			c.readDropInDir(comp, path.Clean(p))
			continue
		}
		b, err := c.readFor(*comp, p)
		if err != nil {
			comp.fileError(p, err)
			continue
		}
		comp.Flags.Files[v.Value] = b
	}
}

// readDropInDir reads a directory of drop-ins: an empty entry for the directory, one for
// each regular file under it.
func (c *collector) readDropInDir(comp *Component, dir string) {
	if !path.IsAbs(dir) {
		comp.fileError(dir, FileError{Path: dir, Err: errors.New("relative path: the component's working directory is unknown")})
		return
	}
	h := c.hostFor(*comp)
	n := 0
	var walk func(d string) error
	walk = func(d string) error {
		es, err := h.ReadDir(d)
		if err != nil {
			return err
		}
		for _, e := range es {
			p := path.Join(d, e.Name())
			st, err := h.Stat(p)
			switch {
			case err != nil:
				comp.fileError(p, err)
			case st.Dir:
				if err := walk(p); err != nil {
					comp.fileError(p, err)
				}
			case st.Mode.IsRegular():
				if n++; n > maxDropIns {
					return FileError{Path: dir, Err: fmt.Errorf("more than %d files", maxDropIns)}
				}
				b, err := h.ReadFile(p)
				if err != nil {
					comp.fileError(p, err)
					continue
				}
				comp.Flags.Files[p] = b
			}
		}
		return nil
	}
	if err := walk(dir); err != nil {
		comp.fileError(dir, err)
		return
	}
	comp.Flags.Files[dir] = []byte{}
}

// yamlString returns the scalar at a dotted path of a YAML document, with its line.
func yamlString(b []byte, dotted string) (string, int) {
	var doc yaml.Node
	if yaml.Unmarshal(b, &doc) != nil || len(doc.Content) == 0 {
		return "", 0
	}
	n := doc.Content[0]
	for _, k := range strings.Split(dotted, ".") {
		if n = mapValue(n, k); n == nil {
			return "", 0
		}
	}
	if n.Kind != yaml.ScalarNode {
		return "", 0
	}
	return n.Value, n.Line
}

// exists tells whether err leaves the file possibly there (nil, or any error but
// fs.ErrNotExist).
func exists(err error) bool { return !errors.Is(err, fs.ErrNotExist) }
