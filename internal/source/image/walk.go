package image

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// walker applies layers to the final filesystem one after the other.
type walker struct {
	im  *Image
	lim Limits
	fs  *FS
	// entries counts the tar entries read over all layers; read the bytes of content
	// read into memory; total the decompressed bytes of all layers.
	entries int
	read    int64
	total   int64
	// kept is the bytes of content kept for the secret rules (secretfile.go).
	kept int64
	// buf is reused for the content read, so that its memory is taken once.
	buf []byte
}

func newWalker(im *Image, lim Limits) *walker {
	w := &walker{im: im, lim: lim, fs: newFS()}
	im.FS = w.fs
	return w
}

// pending is an entry of the layer being read, inserted once the layer's whiteouts are
// applied.
type pending struct {
	path string
	e    Entry
	// link is a hard link's target, resolved at insertion.
	link string
}

// layerState is what one layer's pass collects.
type layerState struct {
	index     int
	entries   []pending
	whiteouts []string
	opaque    []string
}

// Errors of a layer that fails a check.
var (
	ErrDigest = errors.New("digest mismatch")
	ErrLimit  = errors.New("limit exceeded")
)

// layer reads layer i once, checks its digest and applies it.
func (w *walker) layer(ctx context.Context, i int, l *layerSource) error {
	st := &layerState{index: i}
	err := readLayer(ctx, l, w.lim, &w.total, func(h *tar.Header, r io.Reader) error {
		return w.entry(st, h, r)
	})
	if err != nil {
		return err
	}
	w.apply(st)
	return nil
}

// readLayer reads a layer's tar once, calling each for every entry, within the limits
// (total counts the decompressed bytes of the image's layers so far), and checks the
// layer's digest at the end: each sees the entries before the digest is known, so a
// caller must not trust what it did until readLayer returns nil.
func readLayer(ctx context.Context, l *layerSource, lim Limits, total *int64, each func(*tar.Header, io.Reader) error) error {
	rc, err := l.open()
	if err != nil {
		return err
	}
	defer rc.Close()
	var stored hash.Hash
	var in io.Reader = rc
	if l.digest.Hex != "" {
		if l.digest.Algorithm != "sha256" {
			return fmt.Errorf("digest %s: only sha256 is supported", l.digest)
		}
		stored = sha256.New()
		in = io.TeeReader(rc, stored)
	}
	br := bufio.NewReaderSize(in, 256<<10)
	dec, closeDec, err := decompress(br)
	if err != nil {
		return err
	}
	defer closeDec()
	var diff hash.Hash
	if stored == nil && l.diffID.Hex != "" {
		if l.diffID.Algorithm != "sha256" {
			return fmt.Errorf("diff_id %s: only sha256 is supported", l.diffID)
		}
		diff = sha256.New()
		dec = io.TeeReader(dec, diff)
	}
	lr := &boundedReader{r: dec, ctx: ctx, layerMax: lim.MaxLayerBytes, imageMax: lim.MaxImageBytes, total: total}
	tr := tar.NewReader(lr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return tarError(err, lr)
		}
		if err := each(h, tr); err != nil {
			return tarError(err, lr)
		}
	}
	// Read to the end, so that the digest covers every byte, and gzip checks its CRC.
	if _, err := io.Copy(io.Discard, lr); err != nil {
		return tarError(err, lr)
	}
	if _, err := io.Copy(io.Discard, br); err != nil {
		return err
	}
	if stored != nil {
		if got := hex.EncodeToString(stored.Sum(nil)); got != l.digest.Hex {
			return fmt.Errorf("%w: the manifest says %s, the content is sha256:%s", ErrDigest, l.digest, got)
		}
	}
	if diff != nil {
		if got := hex.EncodeToString(diff.Sum(nil)); got != l.diffID.Hex {
			return fmt.Errorf("%w: the configuration says %s, the uncompressed layer is sha256:%s", ErrDigest, l.diffID, got)
		}
	}
	return nil
}

// tarError explains an error met while reading a layer's tar.
func tarError(err error, lr *boundedReader) error {
	switch {
	case lr.err != nil:
		return lr.err
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("truncated: the layer ends inside a tar entry after %d bytes (%w)", lr.n, err)
	case errors.Is(err, tar.ErrHeader):
		return fmt.Errorf("not a tar archive, or corrupt after %d bytes: %w", lr.n, err)
	}
	return err
}

// decompress returns the tar stream of a layer: gzip and zstd are recognised by their
// magic numbers, anything else is read as a plain tar.
func decompress(br *bufio.Reader) (io.Reader, func(), error) {
	magic, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, func() { zr.Close() }, nil
	case bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(256<<20))
		if err != nil {
			return nil, nil, fmt.Errorf("zstd: %w", err)
		}
		return zr, zr.Close, nil
	}
	return br, func() {}, nil
}

// boundedReader stops a layer at the size limits and when ctx ends.
type boundedReader struct {
	r        io.Reader
	ctx      context.Context
	n        int64
	layerMax int64
	imageMax int64
	total    *int64 // the image's layers so far
	err      error
	calls    int
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.calls++; b.calls%64 == 0 {
		if err := b.ctx.Err(); err != nil {
			b.err = err
			return 0, err
		}
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	*b.total += int64(n)
	switch {
	case b.n > b.layerMax:
		b.err = fmt.Errorf("%w: more than %d bytes uncompressed in one layer", ErrLimit, b.layerMax)
	case *b.total > b.imageMax:
		b.err = fmt.Errorf("%w: more than %d bytes uncompressed in the image", ErrLimit, b.imageMax)
	}
	if b.err != nil {
		return n, b.err
	}
	return n, err
}

// cleanName turns a tar entry's name into a path relative to the image's root, or
// reports that it leaves the root.
func cleanName(name string) (string, bool) {
	p := path.Clean("/" + strings.TrimPrefix(name, "./"))
	// path.Clean("/" + x) drops leading "..": compare with the relative form.
	if rel := path.Clean(strings.TrimLeft(strings.TrimPrefix(name, "./"), "/")); rel == ".." || strings.HasPrefix(rel, "../") {
		return "", false
	}
	return p, true
}

// entry handles one tar entry of the layer st.
func (w *walker) entry(st *layerState, h *tar.Header, r io.Reader) error {
	w.entries++
	if w.entries > w.lim.MaxEntries {
		return fmt.Errorf("%w: more than %d entries in the image's layers", ErrLimit, w.lim.MaxEntries)
	}
	if len(h.Name) > w.lim.MaxPathLen || len(h.Linkname) > w.lim.MaxPathLen {
		w.note(st.index, "", "an entry whose path or link target is longer than %d bytes was skipped", w.lim.MaxPathLen)
		return nil
	}
	p, ok := cleanName(h.Name)
	if !ok {
		w.note(st.index, "", "the entry %q leads outside the image's root and was skipped", h.Name)
		return nil
	}
	dir, base := path.Split(p)
	dir = path.Clean(dir)
	switch {
	case base == ".wh..wh..opq":
		st.opaque = append(st.opaque, dir)
		return nil
	case strings.HasPrefix(base, ".wh..wh."):
		return nil // other AUFS metadata
	case strings.HasPrefix(base, ".wh."):
		st.whiteouts = append(st.whiteouts, path.Join(dir, base[len(".wh."):]))
		return nil
	}
	e := Entry{Mode: fs.FileMode(h.Mode).Perm(), Size: h.Size, UID: h.Uid, GID: h.Gid, Layer: st.index}
	if h.Mode&04000 != 0 {
		e.Mode |= fs.ModeSetuid
	}
	if h.Mode&02000 != 0 {
		e.Mode |= fs.ModeSetgid
	}
	if h.Mode&01000 != 0 {
		e.Mode |= fs.ModeSticky
	}
	pe := pending{path: p}
	switch h.Typeflag {
	case tar.TypeDir:
		e.Type, e.Size = Dir, 0
	case tar.TypeReg, tar.TypeGNUSparse: // archive/tar reads the old TypeRegA as TypeReg
		e.Type = Regular
		if secretFile(p) && dbKind(p) == kindNone {
			w.keepSecretFile(st.index, p, &e, r)
		} else if err := w.content(st.index, p, &e, r); err != nil {
			return err
		}
	case tar.TypeSymlink:
		e.Type, e.Link, e.Size = Symlink, h.Linkname, 0
	case tar.TypeLink:
		lp, ok := cleanName(h.Linkname)
		if !ok {
			w.note(st.index, p, "a hard link to %q, outside the image's root, was skipped", h.Linkname)
			return nil
		}
		e.Type, e.HardLink, e.Link = Regular, true, lp
		pe.link = lp
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		e.Type, e.Size = Other, 0
	default:
		return nil // PAX and GNU headers are read by archive/tar; anything else is not a file
	}
	pe.e = e
	st.entries = append(st.entries, pe)
	return nil
}

// apply removes what the layer's whiteouts hide, then inserts its entries.
func (w *walker) apply(st *layerState) {
	for _, d := range st.opaque {
		w.fs.clearBelow(d)
	}
	for _, p := range st.whiteouts {
		w.fs.remove(p)
	}
	for i := range st.entries {
		pe := &st.entries[i]
		if pe.link != "" {
			target, err := w.fs.resolve(pe.link, false)
			switch {
			case err != nil:
				w.note(st.index, pe.path, "a hard link to %s, which the image does not hold, was skipped", pe.link)
				continue
			case target.e.Type != Regular:
				w.note(st.index, pe.path, "a hard link to %s, which is a %s, was skipped", pe.link, target.e.Type)
				continue
			}
			pe.e.Size, pe.e.data = target.e.Size, target.e.data
		}
		if w.fs.count >= w.lim.MaxEntries {
			w.note(st.index, pe.path, "the image holds more than %d files: the rest of the layer was skipped", w.lim.MaxEntries)
			return
		}
		if _, err := w.fs.insert(pe.path, pe.e); err != nil {
			w.note(st.index, pe.path, "skipped: %v", err)
		}
	}
}

// note records something skipped on purpose.
func (w *walker) note(layer int, p string, format string, a ...any) {
	w.im.Notes = append(w.im.Notes, Problem{Path: p, Layer: layer, Message: fmt.Sprintf(format, a...)})
}

// problem records content that could not be read.
func (w *walker) problem(layer int, p string, line int, format string, a ...any) {
	w.im.Errors = append(w.im.Errors, Problem{Path: p, Line: line, Layer: layer, Message: fmt.Sprintf(format, a...)})
}

// maxKeptBuffer is the largest content buffer kept from file to file.
const maxKeptBuffer = 16 << 20

// readContent reads a file's content of at most limit bytes into the walker's buffer,
// which the caller must not keep.
func (w *walker) readContent(layer int, p string, size, limit int64, r io.Reader) ([]byte, bool) {
	if size > limit {
		w.note(layer, p, "not read: %d bytes, more than the limit of %d", size, limit)
		return nil, false
	}
	if w.read+size > w.lim.MaxReadBytes {
		w.note(layer, p, "not read: the image's read budget of %d bytes is spent", w.lim.MaxReadBytes)
		return nil, false
	}
	var b []byte
	switch {
	case size > maxKeptBuffer:
		b = make([]byte, size) // dropped after use, not kept for the next file
	default:
		if int64(cap(w.buf)) < size {
			w.buf = make([]byte, size)
		}
		b = w.buf[:size]
	}
	n, err := io.ReadFull(r, b)
	w.read += int64(n)
	if err != nil {
		w.problem(layer, p, 0, "could not be read: %v", err)
		return nil, false
	}
	return b, true
}

// rootfs reads an unpacked root filesystem as one layer, without following symbolic
// links and opening only regular files.
func (w *walker) rootfs(ctx context.Context, root *os.Root) error {
	w.im.Layers = []Layer{{Digest: "rootfs"}}
	st := &layerState{index: 0}
	fsys := root.FS()
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			w.problem(0, "/"+p, 0, "%v", err)
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == "." {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			w.problem(0, "/"+p, 0, "%v", err)
			return nil
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = root.Readlink(p); err != nil {
				w.problem(0, "/"+p, 0, "%v", err)
				return nil
			}
		}
		h, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			w.note(0, "/"+p, "skipped: %v", err)
			return nil
		}
		h.Name = p
		var r io.Reader = strings.NewReader("")
		if fi.Mode().IsRegular() && (wanted(cleanPath(p), h) || secretFile(cleanPath(p))) {
			f, err := root.Open(p)
			if err != nil {
				w.problem(0, "/"+p, 0, "%v", err)
				return nil
			}
			defer f.Close()
			r = io.LimitReader(f, h.Size)
		}
		return w.entry(st, h, r)
	})
	if err != nil {
		return err
	}
	w.apply(st)
	return nil
}

// cleanPath is the absolute form of a relative path of a root filesystem.
func cleanPath(p string) string { return path.Clean("/" + p) }
