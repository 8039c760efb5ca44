package vulndb

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kharden/kharden/internal/source/fsread"
)

// Limits bound what an input may make kharden read: an all.zip or a directory is
// untrusted input (a zip bomb, a million tiny entries, a gigabyte "advisory").
type Limits struct {
	// MaxFileSize is the largest advisory file: a larger one is skipped (counted).
	MaxFileSize int64
	// MaxEntries is the most advisory files (zip entries, .json files) in one input;
	// more is an error.
	MaxEntries int
	// MaxTotal is the most bytes one input may expand to; more is an error.
	MaxTotal int64
	// MaxRatio bounds a zip's expansion: at most MaxRatio times its own size (plus
	// 1 MiB). OSV exports expand about 10 times.
	MaxRatio int64
}

// DefaultLimits are the limits of Import and Update (docs/vulndb.md, "Limits").
var DefaultLimits = Limits{
	MaxFileSize: 8 << 20,
	MaxEntries:  2_000_000,
	MaxTotal:    16 << 30,
	MaxRatio:    100,
}

func (l Limits) withDefaults() Limits {
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = DefaultLimits.MaxFileSize
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultLimits.MaxEntries
	}
	if l.MaxTotal <= 0 {
		l.MaxTotal = DefaultLimits.MaxTotal
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = DefaultLimits.MaxRatio
	}
	return l
}

// Progress reports the work of Import and Update.
type Progress struct {
	// Input is the file, directory or URL being read.
	Input string
	// Phase is "download" (Done and Total in bytes; Total 0 when unknown) or
	// "import" (Done and Total in files; Total 0 for a directory).
	Phase       string
	Done, Total int64
}

// sourceWriter writes one source's data and index files as its advisories come.
type sourceWriter struct {
	st      *SourceStatus
	dat     *os.File
	w       *bufio.Writer
	idxPath string
	off     uint64

	recs      []record
	dead      []bool
	bases     []uint16
	withdrawn []bool
	mods      []time.Time
	keys      [][]string
	names     []string
	ids       map[string]int
}

func newSourceWriter(dir, file string, st *SourceStatus) (*sourceWriter, error) {
	f, err := os.OpenFile(filepath.Join(dir, file+".dat"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	st.File = file
	st.Skipped = map[string]*Skip{}
	st.Ecosystems = map[string]int{}
	return &sourceWriter{st: st, dat: f, w: bufio.NewWriterSize(f, 1<<20), idxPath: filepath.Join(dir, file+".idx"), ids: map[string]int{}}, nil
}

// skip counts a file left out.
func (sw *sourceWriter) skip(reason, name string) {
	k := sw.st.Skipped[reason]
	if k == nil {
		k = &Skip{}
		sw.st.Skipped[reason] = k
	}
	k.Count++
	if len(k.Examples) < maxExamples {
		if len(name) > 200 {
			name = name[:200] + "..."
		}
		k.Examples = append(k.Examples, name)
	}
}

// add checks one advisory file and stores it, or counts it as skipped.
func (sw *sourceWriter) add(name string, b []byte) error {
	p, why := parseAdvisory(b)
	if why != "" {
		sw.skip(why, name)
		return nil
	}
	if i, dup := sw.ids[p.entry.ID]; dup {
		if p.entry.Modified.Before(sw.mods[i]) {
			sw.skip(SkipDuplicate, name)
			return nil
		}
		sw.dead[i] = true
		sw.skip(SkipDuplicate, sw.names[i])
	}
	var bases uint16
	for _, k := range p.keys {
		eco, _, _ := strings.Cut(k, "\x00")
		bases |= 1 << ecoBit(BaseEcosystem(eco))
	}
	sw.ids[p.entry.ID] = len(sw.recs)
	sw.recs = append(sw.recs, record{off: sw.off, len: uint32(len(p.raw)), crc: crc32.Checksum(p.raw, castagnoli)})
	sw.dead = append(sw.dead, false)
	sw.bases = append(sw.bases, bases)
	sw.withdrawn = append(sw.withdrawn, p.entry.Withdrawn != nil)
	sw.mods = append(sw.mods, p.entry.Modified)
	sw.keys = append(sw.keys, p.keys)
	sw.names = append(sw.names, name)
	if _, err := sw.w.Write(p.raw); err != nil {
		return err
	}
	if err := sw.w.WriteByte('\n'); err != nil {
		return err
	}
	sw.off += uint64(len(p.raw)) + 1
	return nil
}

func ecoBit(base string) int {
	for i, e := range Ecosystems {
		if e == base {
			return i
		}
	}
	return 15
}

// finish writes the index and syncs both files.
func (sw *sourceWriter) finish() error {
	posts := map[string][]uint32{}
	for i := range sw.recs {
		if sw.dead[i] {
			continue
		}
		sw.st.Advisories++
		for b, e := range Ecosystems {
			if sw.bases[i]&(1<<b) != 0 {
				sw.st.Ecosystems[e]++
			}
		}
		if sw.withdrawn[i] {
			sw.st.Withdrawn++
		}
		if sw.mods[i].After(sw.st.NewestModified) {
			sw.st.NewestModified = sw.mods[i]
		}
		for _, k := range sw.keys[i] {
			posts[k] = append(posts[k], uint32(i))
		}
	}
	sw.st.Bytes = int64(sw.off)
	if err := sw.w.Flush(); err != nil {
		return err
	}
	if err := sw.dat.Sync(); err != nil {
		return err
	}
	if err := sw.dat.Close(); err != nil {
		return err
	}
	sw.dat = nil
	return writeIndex(sw.idxPath, posts, sw.recs)
}

func (sw *sourceWriter) close() {
	if sw.dat != nil {
		sw.dat.Close()
	}
}

// InputError is an input that could not be read as a whole (a zip that is
// truncated or damaged, an input over a limit): the import stops and the database
// is left as it was.
type InputError struct {
	Input string
	Err   error
}

func (e *InputError) Error() string { return fmt.Sprintf("%s: %v", e.Input, e.Err) }
func (e *InputError) Unwrap() error { return e.Err }

// openRegular opens a file the user named, only when it is a regular file.
func openRegular(path string) (*os.File, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = &fsread.NotRegularError{Mode: fi.Mode()}
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// readZip reads an OSV export: every *.json entry is an advisory. The entries'
// names are only ever shown, never used as paths.
func readZip(ctx context.Context, path, shown string, lim Limits, sw *sourceWriter, progress func(Progress)) error {
	f, fi, err := openRegular(path)
	if err != nil {
		return &InputError{shown, err}
	}
	defer f.Close()
	n, err := zipEntries(f, fi.Size())
	if err != nil {
		return &InputError{shown, fmt.Errorf("not a readable zip archive (truncated or damaged?): %w", err)}
	}
	if n > uint64(lim.MaxEntries) {
		return &InputError{shown, fmt.Errorf("%d entries, more than the limit of %d", n, lim.MaxEntries)}
	}
	zr, err := zip.NewReader(f, fi.Size())
	if err != nil {
		return &InputError{shown, fmt.Errorf("not a readable zip archive (truncated or damaged?): %w", err)}
	}
	budget := min(lim.MaxTotal, lim.MaxRatio*fi.Size()+1<<20)
	var total int64
	for i, zf := range zr.File {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if progress != nil {
				progress(Progress{Input: shown, Phase: "import", Done: int64(i), Total: int64(len(zr.File))})
			}
		}
		name := zf.Name
		if strings.HasSuffix(name, "/") {
			continue
		}
		if !strings.HasSuffix(strings.ToLower(name), ".json") {
			sw.st.Ignored++
			continue
		}
		if zf.UncompressedSize64 > uint64(lim.MaxFileSize) {
			sw.skip(SkipTooLarge, name)
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return &InputError{shown, fmt.Errorf("entry %q: %w", name, err)}
		}
		// Read to the end, so that the entry's CRC-32 is checked (archive/zip does it
		// at EOF); a reader that gives more than the header said fails too.
		b, err := io.ReadAll(io.LimitReader(rc, lim.MaxFileSize+1))
		rc.Close()
		if err != nil {
			return &InputError{shown, fmt.Errorf("entry %q: %w", name, err)}
		}
		if int64(len(b)) > lim.MaxFileSize {
			sw.skip(SkipTooLarge, name)
			continue
		}
		if total += int64(len(b)); total > budget {
			return &InputError{shown, fmt.Errorf("expands to more than %d bytes (the limit for a %d byte archive)", budget, fi.Size())}
		}
		if err := sw.add(name, b); err != nil {
			return err
		}
	}
	if progress != nil {
		progress(Progress{Input: shown, Phase: "import", Done: int64(len(zr.File)), Total: int64(len(zr.File))})
	}
	return nil
}

// zipEntries reads the number of entries from a zip's end of central directory
// record (the zip64 one when there is one), so that an archive claiming millions of
// entries is refused before archive/zip reads its directory.
func zipEntries(r io.ReaderAt, size int64) (uint64, error) {
	const eocdLen = 22
	tail := min(size, eocdLen+65535)
	if tail < eocdLen {
		return 0, errors.New("too short for a zip archive")
	}
	buf := make([]byte, tail)
	if _, err := r.ReadAt(buf, size-tail); err != nil {
		return 0, err
	}
	at := -1
	for i := len(buf) - eocdLen; i >= 0; i-- {
		if string(buf[i:i+4]) == "PK\x05\x06" {
			at = i
			break
		}
	}
	if at < 0 {
		return 0, errors.New("no end of central directory record")
	}
	n := uint64(binary.LittleEndian.Uint16(buf[at+10:]))
	if n != 0xffff {
		return n, nil
	}
	// zip64: the locator is the 20 bytes before the record.
	loc := int64(at) + (size - tail) - 20
	if loc < 0 {
		return 0, errors.New("no zip64 locator")
	}
	var lb [20]byte
	if _, err := r.ReadAt(lb[:], loc); err != nil {
		return 0, err
	}
	if string(lb[:4]) != "PK\x06\x07" {
		return 0, errors.New("no zip64 locator")
	}
	off := binary.LittleEndian.Uint64(lb[8:])
	var eb [56]byte
	if off > uint64(size) {
		return 0, errors.New("zip64 record out of bounds")
	}
	if _, err := r.ReadAt(eb[:], int64(off)); err != nil {
		return 0, err
	}
	if string(eb[:4]) != "PK\x06\x06" {
		return 0, errors.New("bad zip64 end of central directory record")
	}
	return binary.LittleEndian.Uint64(eb[32:]), nil
}

// readDir reads a directory of OSV JSON files, recursively: every *.json file is an
// advisory. Links are followed only while they stay inside the directory.
func readDir(ctx context.Context, dir, shown string, lim Limits, sw *sourceWriter, progress func(Progress)) error {
	root, err := fsread.OpenRoot(dir)
	if err != nil {
		return &InputError{shown, err}
	}
	defer root.Close()
	var files int
	var total int64
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		if !strings.HasSuffix(strings.ToLower(d.Name()), ".json") {
			sw.st.Ignored++
			return nil
		}
		if files++; files > lim.MaxEntries {
			return fmt.Errorf("more than %d .json files", lim.MaxEntries)
		}
		if files%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if progress != nil {
				progress(Progress{Input: shown, Phase: "import", Done: int64(files)})
			}
		}
		name := filepath.ToSlash(rel)
		b, err := root.ReadFile(rel, lim.MaxFileSize)
		var tl *fsread.TooLargeError
		var nr *fsread.NotRegularError
		var le *fsread.LinkError
		switch {
		case errors.As(err, &tl):
			sw.skip(SkipTooLarge, name)
			return nil
		case errors.As(err, &nr), errors.As(err, &le):
			sw.skip(SkipNotRegular, name)
			return nil
		case err != nil:
			sw.skip(SkipUnreadableFile, name)
			return nil
		}
		if total += int64(len(b)); total > lim.MaxTotal {
			return fmt.Errorf("more than %d bytes of .json files", lim.MaxTotal)
		}
		return sw.add(name, b)
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &InputError{shown, err}
	}
	if progress != nil {
		progress(Progress{Input: shown, Phase: "import", Done: int64(files), Total: int64(files)})
	}
	return nil
}
