package image

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/kharden/kharden/internal/rootpath"
)

// Unpacked is an image's root filesystem on disk, for a container runtime to run.
type Unpacked struct {
	// Dir is the root filesystem: a directory Unpack made, or, for a rootfs: reference,
	// the directory itself.
	Dir string
	// Copy tells whether Dir is Unpack's own, which Close removes; a rootfs: directory is
	// the user's, to be mounted read-only and never written.
	Copy bool
	// Name and Digest identify the image as Scan does.
	Name, Digest string
	// Config is the image's configuration: entrypoint, command, environment, user.
	Config v1.Config
	// Notes are the entries left out on purpose (device files, links leading out of
	// the root), as Image.Notes.
	Notes []Problem
}

// Close removes the root filesystem Unpack made.
func (u *Unpacked) Close() error {
	if !u.Copy || u.Dir == "" {
		return nil
	}
	return os.RemoveAll(filepath.Dir(u.Dir))
}

// Unpack writes the root filesystem of the image ref names into a new directory under
// parent (empty: the system's temporary directory), layer after layer, as a container
// runtime's snapshotter would: whiteouts and opaque directories remove what lower
// layers wrote, ownership is kept when running as root, device files are left out
// (a runtime mounts /dev). Every write goes through an os.Root, with the image's
// symbolic links resolved inside the new root, so no entry, link or link chain of a
// hostile image can write outside it; the image's limits bound its size. A rootfs:
// reference is not copied: its directory is returned as it is.
func Unpack(ctx context.Context, ref, parent string, o Options) (*Unpacked, error) {
	o.Limits = o.Limits.withDefaults()
	if p, ok := strings.CutPrefix(ref, prefixRootFS); ok {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
		if fi, err := os.Stat(abs); err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		} else if !fi.IsDir() {
			return nil, fmt.Errorf("%s: not a directory", ref)
		}
		return &Unpacked{Dir: abs, Name: abs}, nil
	}
	src, err := open(ctx, ref, o)
	if err != nil {
		return nil, err
	}
	defer src.close()
	if len(src.layers) > o.Limits.MaxLayers {
		return nil, fmt.Errorf("%s: %d layers, more than the limit of %d", ref, len(src.layers), o.Limits.MaxLayers)
	}
	top, err := os.MkdirTemp(parent, "kharden-rootfs-")
	if err != nil {
		return nil, err
	}
	u := &Unpacked{Dir: filepath.Join(top, "rootfs"), Copy: true, Name: src.name, Digest: src.digest, Config: src.config.Config}
	if u.Name == "" {
		u.Name = ref
	}
	fail := func(err error) (*Unpacked, error) {
		u.Close()
		return nil, err
	}
	if err := os.Mkdir(u.Dir, 0o755); err != nil {
		return fail(err)
	}
	root, err := os.OpenRoot(u.Dir)
	if err != nil {
		return fail(err)
	}
	defer root.Close()
	x := &unpacker{root: root, lim: o.Limits, u: u, chown: os.Geteuid() == 0}
	im := &Image{Layers: layersOf(src)}
	var total int64
	for i := range src.layers {
		x.layer, x.written = i, map[string]bool{}
		if err := readLayer(ctx, &src.layers[i], o.Limits, &total, x.entry); err != nil {
			return fail(fmt.Errorf("%s: %s: %w", ref, im.Short(i), err))
		}
	}
	return u, nil
}

// unpacker writes one layer's entries after another into root.
type unpacker struct {
	root    *os.Root
	lim     Limits
	u       *Unpacked
	chown   bool
	layer   int
	entries int
	bytes   int64 // the logical size of the files written
	// written are the paths the current layer wrote: an opaque whiteout hides only
	// what lower layers wrote.
	written map[string]bool
}

func (x *unpacker) note(p, format string, a ...any) {
	x.u.Notes = append(x.u.Notes, Problem{Path: p, Layer: x.layer, Message: fmt.Sprintf(format, a...)})
}

func (x *unpacker) entry(h *tar.Header, r io.Reader) error {
	x.entries++
	if x.entries > x.lim.MaxEntries {
		return fmt.Errorf("%w: more than %d entries in the image's layers", ErrLimit, x.lim.MaxEntries)
	}
	if len(h.Name) > x.lim.MaxPathLen || len(h.Linkname) > x.lim.MaxPathLen {
		x.note("", "an entry whose path or link target is longer than %d bytes was skipped", x.lim.MaxPathLen)
		return nil
	}
	p, ok := cleanName(h.Name)
	if !ok {
		x.note("", "the entry %q leads outside the image's root and was skipped", h.Name)
		return nil
	}
	if p == "/" {
		return nil
	}
	dir, base := path.Split(p)
	dir = path.Clean(dir)
	// Where the entry goes: its directory with the image's links resolved inside the
	// root (as a runtime resolves them), then its own name.
	realDir, err := x.resolve(dir)
	if err != nil {
		x.note(p, "skipped: %v", err)
		return nil
	}
	switch {
	case base == ".wh..wh..opq":
		return x.opaque(realDir)
	case strings.HasPrefix(base, ".wh..wh."):
		return nil // other AUFS metadata
	case strings.HasPrefix(base, ".wh."):
		return x.remove(path.Join(realDir, base[len(".wh."):]))
	}
	target := path.Join(realDir, base)
	rel := "." + target
	mode := fs.FileMode(h.Mode).Perm()
	if h.Mode&04000 != 0 {
		mode |= fs.ModeSetuid
	}
	if h.Mode&02000 != 0 {
		mode |= fs.ModeSetgid
	}
	if h.Mode&01000 != 0 {
		mode |= fs.ModeSticky
	}
	if err := x.root.MkdirAll("."+realDir, 0o755); err != nil {
		x.note(p, "skipped: %v", err)
		return nil
	}
	switch h.Typeflag {
	case tar.TypeDir:
		if fi, err := x.root.Lstat(rel); err == nil && !fi.IsDir() {
			if err := x.root.Remove(rel); err != nil {
				return err
			}
		}
		if err := x.root.Mkdir(rel, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
	case tar.TypeReg, tar.TypeGNUSparse:
		// The size a file takes on disk is its logical size: a sparse entry of a few
		// bytes in the layer may claim a terabyte of zeros.
		if h.Size > x.lim.MaxLayerBytes || x.bytes+h.Size > x.lim.MaxImageBytes {
			return fmt.Errorf("%w: %s: %d bytes would make the root filesystem larger than %d bytes", ErrLimit, p, h.Size, min(x.lim.MaxLayerBytes, x.lim.MaxImageBytes))
		}
		x.bytes += h.Size
		if err := x.replace(rel); err != nil {
			return err
		}
		f, err := x.root.OpenFile(rel, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, r)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	case tar.TypeSymlink:
		if err := x.replace(rel); err != nil {
			return err
		}
		if err := x.root.Symlink(h.Linkname, rel); err != nil {
			return err
		}
	case tar.TypeLink:
		lp, ok := cleanName(h.Linkname)
		if !ok {
			x.note(p, "a hard link to %q, outside the image's root, was skipped", h.Linkname)
			return nil
		}
		ldir, lbase := path.Split(lp)
		lreal, err := x.resolve(path.Clean(ldir))
		if err != nil {
			x.note(p, "a hard link to %s was skipped: %v", h.Linkname, err)
			return nil
		}
		old := "." + path.Join(lreal, lbase)
		if fi, err := x.root.Lstat(old); err != nil || !fi.Mode().IsRegular() {
			x.note(p, "a hard link to %s, which the image does not hold as a regular file, was skipped", lp)
			return nil
		}
		if err := x.replace(rel); err != nil {
			return err
		}
		if err := x.root.Link(old, rel); err != nil {
			return err
		}
		x.written[target] = true
		return nil // a hard link shares its target's mode and owner
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		x.note(p, "a device file or FIFO was left out (the runtime mounts /dev)")
		return nil
	default:
		return nil // PAX and GNU headers are read by archive/tar; anything else is not a file
	}
	x.written[target] = true
	if x.chown {
		if err := x.root.Lchown(rel, h.Uid, h.Gid); err != nil {
			return err
		}
	}
	// After the owner: chown clears the set-user-ID and set-group-ID bits.
	if h.Typeflag != tar.TypeSymlink {
		if err := x.root.Chmod(rel, mode); err != nil {
			return err
		}
	}
	return nil
}

// replace removes what a lower layer left at rel (a file, a link, a directory tree),
// so that the new entry takes its place.
func (x *unpacker) replace(rel string) error {
	if _, err := x.root.Lstat(rel); err != nil {
		return nil
	}
	return x.root.RemoveAll(rel)
}

// remove applies a whiteout: p, written by a lower layer, is gone.
func (x *unpacker) remove(p string) error {
	if p == "/" {
		return nil
	}
	return x.root.RemoveAll("." + p)
}

// opaque applies an opaque whiteout: what lower layers wrote in dir is gone; what
// this layer wrote there stays.
func (x *unpacker) opaque(dir string) error {
	f, err := x.root.Open("." + dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return err
	}
	for _, n := range names {
		if p := path.Join(dir, n); !x.written[p] {
			if err := x.root.RemoveAll("." + p); err != nil {
				return err
			}
		}
	}
	return nil
}

// resolve returns dir (absolute, clean) with every symbolic link in it followed inside
// the root, as a container sees its root filesystem; components that do not exist yet
// are kept.
func (x *unpacker) resolve(dir string) (string, error) {
	return rootpath.Resolve(x.root, dir, true)
}
