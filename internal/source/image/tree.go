package image

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// EntryType is the kind of a file of the image's final filesystem.
type EntryType uint8

const (
	Dir EntryType = iota + 1
	Regular
	Symlink
	// Other is a device, FIFO or socket node.
	Other
)

func (t EntryType) String() string {
	switch t {
	case Dir:
		return "directory"
	case Regular:
		return "file"
	case Symlink:
		return "symbolic link"
	case Other:
		return "special file"
	}
	return fmt.Sprintf("type(%d)", int(t))
}

// Entry is the metadata of one file of the final filesystem. Content is never kept:
// only what the inventory parsed from the few files it reads.
type Entry struct {
	Type EntryType
	Mode fs.FileMode // permission and setuid/setgid/sticky bits
	Size int64
	UID  int
	GID  int
	// Link is a symbolic link's target, as written; for a hard link, the path (absolute
	// in the image) of the file it links to.
	Link     string
	HardLink bool
	// Layer is the index in Image.Layers of the layer that wrote this entry.
	Layer int
	// Implicit marks a directory no layer had an entry for: made because a path
	// below it was written.
	Implicit bool

	// data is what the inventory parsed from the file's content (see inventory.go).
	data any
}

// node is a name in the tree.
type node struct {
	name     string
	parent   *node
	children map[string]*node
	e        Entry
}

// FS is the final filesystem of an image: every layer applied in order, whiteouts and
// opaque directories included. It holds metadata only.
type FS struct {
	root  *node
	count int
}

func newFS() *FS {
	return &FS{root: &node{e: Entry{Type: Dir, Mode: 0o755, Implicit: true}}}
}

// Len is the number of entries, the root excluded.
func (t *FS) Len() int { return t.count }

// maxHops bounds the symbolic links followed in one resolution, as Linux's 40.
const maxHops = 40

// ErrLoop is the error of a resolution that followed too many symbolic links.
var ErrLoop = errors.New("too many levels of symbolic links")

// ErrNotExist is the error of a path the image does not hold.
var ErrNotExist = fs.ErrNotExist

// splitPath turns a path of the image into clean components, dropping "." and leading
// slashes. ".." stays, for resolution to handle.
func splitPath(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" && c != "." {
			out = append(out, c)
		}
	}
	return out
}

// pathOf is the absolute path of n.
func pathOf(n *node) string {
	var parts []string
	for ; n != nil && n.parent != nil; n = n.parent {
		parts = append(parts, n.name)
	}
	slices.Reverse(parts)
	return "/" + strings.Join(parts, "/")
}

// resolve walks p from the root, following symbolic links in every component but the
// last (and the last too when follow is set). Links resolve inside the image: an
// absolute target starts again at the image's root and ".." stops there, as in a
// chroot, so no link leads outside the image's own tree. It returns the node and its
// canonical path.
func (t *FS) resolve(p string, follow bool) (*node, error) {
	todo := splitPath(p)
	cur := t.root
	hops := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		if c == ".." {
			if cur.parent != nil {
				cur = cur.parent
			}
			continue
		}
		if cur.e.Type != Dir {
			return nil, fmt.Errorf("%s: not a directory", pathOf(cur))
		}
		next := cur.children[c]
		if next == nil {
			return nil, ErrNotExist
		}
		if next.e.Type == Symlink && (len(todo) > 0 || follow) {
			hops++
			if hops > maxHops {
				return nil, ErrLoop
			}
			target := next.e.Link
			if strings.HasPrefix(target, "/") {
				cur = t.root
			}
			todo = append(splitPath(target), todo...)
			continue
		}
		cur = next
	}
	return cur, nil
}

// Lookup returns the entry at p, following symbolic links in its directories but not
// in its last component, and the canonical path.
func (t *FS) Lookup(p string) (*Entry, string, error) {
	n, err := t.resolve(p, false)
	if err != nil {
		return nil, "", err
	}
	return &n.e, pathOf(n), nil
}

// Stat returns the entry p leads to, every symbolic link followed inside the image, and
// its canonical path.
func (t *FS) Stat(p string) (*Entry, string, error) {
	n, err := t.resolve(p, true)
	if err != nil {
		return nil, "", err
	}
	return &n.e, pathOf(n), nil
}

// ReadDir lists the names in the directory p (links followed), sorted.
func (t *FS) ReadDir(p string) ([]string, error) {
	n, err := t.resolve(p, true)
	if err != nil {
		return nil, err
	}
	if n.e.Type != Dir {
		return nil, fmt.Errorf("%s: not a directory", pathOf(n))
	}
	names := make([]string, 0, len(n.children))
	for name := range n.children {
		names = append(names, name)
	}
	slices.Sort(names)
	return names, nil
}

// Walk calls f for every entry in lexical order of paths, the root excluded.
func (t *FS) Walk(f func(p string, e *Entry)) {
	var walk func(n *node, p string)
	walk = func(n *node, p string) {
		names := make([]string, 0, len(n.children))
		for name := range n.children {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			c := n.children[name]
			cp := p + "/" + name
			f(cp, &c.e)
			walk(c, cp)
		}
	}
	walk(t.root, "")
}

// remove deletes p and everything below it. The last component is not followed.
func (t *FS) remove(p string) {
	n, err := t.resolve(p, false)
	if err != nil || n.parent == nil {
		return
	}
	t.count -= size(n)
	delete(n.parent.children, n.name)
}

// size counts n and the nodes below it.
func size(n *node) int {
	c := 1
	for _, k := range n.children {
		c += size(k)
	}
	return c
}

// clearBelow deletes everything below the directory p: an opaque whiteout, applied
// before the entries of its own layer are inserted, so that it hides only what lower
// layers wrote.
func (t *FS) clearBelow(p string) {
	n, err := t.resolve(p, false)
	if err != nil || n.e.Type != Dir {
		return
	}
	for name, c := range n.children {
		t.count -= size(c)
		delete(n.children, name)
	}
}

// insert puts e at p, written by layer e.Layer. Directories on the way that do not
// exist are made; one that is a symbolic link is followed inside the image (as
// container runtimes do when they apply a layer); one that is a file is replaced. An
// existing directory at p stays a directory with its contents when e is one too;
// anything else at p is replaced, with what was below it.
func (t *FS) insert(p string, e Entry) (*node, error) {
	parts := splitPath(p)
	if len(parts) == 0 {
		// The root itself: keep its metadata.
		t.root.e.Mode, t.root.e.UID, t.root.e.GID = e.Mode, e.UID, e.GID
		return t.root, nil
	}
	cur := t.root
	for _, c := range parts[:len(parts)-1] {
		next := cur.children[c]
		switch {
		case next == nil || (next.e.Type != Dir && next.e.Type != Symlink):
			if next != nil {
				t.count -= size(next)
			}
			next = &node{name: c, parent: cur, e: Entry{Type: Dir, Mode: 0o755, Layer: e.Layer, Implicit: true}}
			if cur.children == nil {
				cur.children = map[string]*node{}
			}
			cur.children[c] = next
			t.count++
		case next.e.Type == Symlink:
			dir, err := t.resolve(pathOf(next), true)
			if err != nil {
				return nil, fmt.Errorf("%s leads through the symbolic link %s: %w", p, pathOf(next), err)
			}
			if dir.e.Type != Dir {
				return nil, fmt.Errorf("%s leads through the symbolic link %s, which is not a directory", p, pathOf(next))
			}
			next = dir
		}
		cur = next
	}
	name := parts[len(parts)-1]
	old := cur.children[name]
	if old != nil && old.e.Type == Dir && e.Type == Dir {
		old.e = e
		return old, nil
	}
	if old != nil {
		t.count -= size(old)
	}
	n := &node{name: name, parent: cur, e: e}
	if cur.children == nil {
		cur.children = map[string]*node{}
	}
	cur.children[name] = n
	t.count++
	if old != nil {
		inherit(n, old)
	}
	return n, nil
}
