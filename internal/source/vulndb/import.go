package vulndb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// ImportOptions are the options of Import.
type ImportOptions struct {
	// Add keeps the sources of the database that are not among the inputs; without
	// it the database is rebuilt from exactly the inputs.
	Add bool
	// Limits bound each input; zero fields take DefaultLimits'.
	Limits Limits
	// Progress, when set, is called as the inputs are read.
	Progress func(Progress)
}

// Stats is what an import or update did.
type Stats struct {
	Dir        string `json:"dir"`
	Generation string `json:"generation"`
	// Sources are the sources read now; Kept those kept from the database before.
	Sources []SourceStatus `json:"sources"`
	Kept    []SourceStatus `json:"kept,omitempty"`
}

// input is one source to read.
type input struct {
	path string // on disk
	st   SourceStatus
}

// Import builds the database in dbDir from inputs: OSV all.zip exports and
// directories of OSV JSON files (walked recursively). With opts.Add the sources
// already there that are not named again are kept; otherwise the database holds
// exactly the inputs. The new database replaces the old one atomically: on any
// error the old one is left as it was.
func Import(ctx context.Context, dbDir string, inputs []string, opts ImportOptions) (st Stats, err error) {
	if len(inputs) == 0 {
		return Stats{}, errors.New("nothing to import: name all.zip files or directories of OSV JSON files")
	}
	defer func() { err = unchanged(st, err) }()
	var ins []input
	named := map[string]bool{}
	for _, in := range inputs {
		abs, err := filepath.Abs(in)
		if err != nil {
			return Stats{}, err
		}
		fi, err := os.Stat(abs)
		if err != nil {
			return Stats{}, fmt.Errorf("input %w", err)
		}
		kind := "zip"
		switch {
		case fi.IsDir():
			kind = "dir"
		case !fi.Mode().IsRegular():
			return Stats{}, fmt.Errorf("input %s: not a regular file or directory", abs)
		}
		if named[abs] {
			continue
		}
		named[abs] = true
		ins = append(ins, input{path: abs, st: SourceStatus{Input: abs, Kind: kind}})
	}
	var keep func(SourceStatus) bool
	if opts.Add {
		keep = func(s SourceStatus) bool { return !named[s.Input] }
	}
	return build(ctx, dbDir, ins, keep, opts)
}

// unchanged says, of an error before the new database became current, that the
// database was not changed.
func unchanged(st Stats, err error) error {
	if err == nil || st.Generation != "" {
		return err
	}
	return fmt.Errorf("%w (the database was not changed)", err)
}

// failpoint is called after each step of a build; tests make it fail there.
var failpoint = func(step string) error { return nil }

// errCrash, returned by a failpoint, leaves everything as a killed process would:
// nothing is cleaned up.
var errCrash = errors.New("simulated crash")

// build writes a new generation from the kept sources of the database in dbDir
// (keep nil: none) and the inputs, then makes it current.
func build(ctx context.Context, dbDir string, ins []input, keep func(SourceStatus) bool, opts ImportOptions) (st Stats, err error) {
	dbDir, err = filepath.Abs(dbDir)
	if err != nil {
		return st, err
	}
	unlock, err := prepareDir(dbDir)
	if err != nil {
		return st, err
	}
	defer unlock()
	return buildLocked(ctx, dbDir, ins, keep, opts)
}

// buildLocked is build for a caller that holds the lock of dbDir (absolute).
func buildLocked(ctx context.Context, dbDir string, ins []input, keep func(SourceStatus) bool, opts ImportOptions) (st Stats, err error) {
	lim := opts.Limits.withDefaults()
	var old *meta
	oldGen, cerr := readCurrent(dbDir)
	if cerr == nil {
		old, cerr = readMeta(filepath.Join(dbDir, oldGen))
	}
	if keep != nil && cerr != nil && !errors.Is(cerr, ErrNoDatabase) {
		return st, fmt.Errorf("cannot keep the sources of the database: %w; import all the sources again without --add", cerr)
	}
	// Leftovers of interrupted builds go, but only when it is known which generation
	// is in use (or that there is none): an unreadable CURRENT leaves them all.
	if cerr == nil || errors.Is(cerr, ErrNoDatabase) || oldGen != "" {
		if err := removeStale(dbDir, oldGen); err != nil {
			return st, err
		}
	}

	tmp, err := os.MkdirTemp(dbDir, buildPrefix)
	if err != nil {
		return st, notWritable(dbDir, err)
	}
	committed := false
	defer func() {
		if err != nil && !committed && !errors.Is(err, errCrash) {
			os.RemoveAll(tmp)
		}
	}()
	m := meta{Format: formatVersion, Created: now().UTC()}
	n := 0
	if keep != nil && old != nil {
		for _, s := range old.Sources {
			if !keep(s) {
				continue
			}
			if err := verifySource(filepath.Join(dbDir, oldGen), s); err != nil {
				return st, fmt.Errorf("cannot keep the sources of the database: %w; import all the sources again without --add", err)
			}
			file := fmt.Sprintf("s%d", n)
			n++
			for _, ext := range []string{".dat", ".idx"} {
				if err := linkOrCopy(filepath.Join(dbDir, oldGen, s.File+ext), filepath.Join(tmp, file+ext)); err != nil {
					return st, fmt.Errorf("keeping source %s: %w", s.Input, err)
				}
			}
			s.File = file
			m.Sources = append(m.Sources, s)
			st.Kept = append(st.Kept, s)
		}
	}
	for _, in := range ins {
		s := in.st
		s.Imported = now().UTC()
		file := fmt.Sprintf("s%d", n)
		n++
		sw, err := newSourceWriter(tmp, file, &s)
		if err != nil {
			return st, notWritable(dbDir, err)
		}
		shown := in.st.Input
		if in.st.Kind == "dir" {
			err = readDir(ctx, in.path, shown, lim, sw, opts.Progress)
		} else {
			err = readZip(ctx, in.path, shown, lim, sw, opts.Progress)
		}
		if err == nil {
			err = sw.finish()
		}
		sw.close()
		if err != nil {
			return st, err
		}
		m.Sources = append(m.Sources, s)
		st.Sources = append(st.Sources, s)
	}
	if err := failpoint("sources"); err != nil {
		return st, err
	}
	if err := writeSynced(filepath.Join(tmp, metaFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	}); err != nil {
		return st, err
	}
	if err := syncDir(tmp); err != nil {
		return st, err
	}
	if err := failpoint("synced"); err != nil {
		return st, err
	}
	gen := genPrefix + m.Created.Format("20060102T150405Z") + "-" + randomHex()
	if err := os.Rename(tmp, filepath.Join(dbDir, gen)); err != nil {
		return st, err
	}
	tmp = filepath.Join(dbDir, gen) // removed on a later error
	if err := failpoint("renamed"); err != nil {
		return st, err
	}
	if err := writeSynced(filepath.Join(dbDir, currentFile+".tmp"), func(w io.Writer) error {
		_, err := io.WriteString(w, gen+"\n")
		return err
	}); err != nil {
		return st, err
	}
	if err := failpoint("current-written"); err != nil {
		return st, err
	}
	if err := os.Rename(filepath.Join(dbDir, currentFile+".tmp"), filepath.Join(dbDir, currentFile)); err != nil {
		return st, err
	}
	// From here on the new database is the current one: errors no longer remove it.
	committed = true
	st.Dir, st.Generation = dbDir, filepath.Join(dbDir, gen)
	if err := failpoint("swapped"); err != nil {
		return st, err
	}
	if err := syncDir(dbDir); err != nil {
		return st, fmt.Errorf("the new database is in place, but %s could not be synced to disk: %w", dbDir, err)
	}
	if oldGen != "" && oldGen != gen {
		os.RemoveAll(filepath.Join(dbDir, oldGen))
	}
	if err := failpoint("cleaned"); err != nil {
		return st, err
	}
	return st, nil
}

// prepareDir creates the database directory when needed and locks it.
func prepareDir(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, notWritable(dir, err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, notWritable(dir, err)
	}
	return unlock, nil
}

// notWritable explains an error of writing in the database directory.
func notWritable(dir string, err error) error {
	var busy *busyError
	if errors.As(err, &busy) {
		return err
	}
	return fmt.Errorf("vulnerability database directory %s is not writable: %w (name another with --db or KHARDEN_DB)", dir, err)
}

// busyError is a database directory another import or update is writing.
type busyError struct{ dir string }

func (e *busyError) Error() string {
	return fmt.Sprintf("another kharden db import or update is writing %s: wait for it to finish", e.dir)
}

func readMeta(gen string) (*meta, error) {
	p := filepath.Join(gen, metaFile)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, &CorruptError{File: p, Err: err}
	}
	var m meta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, &CorruptError{File: p, Err: err}
	}
	if m.Format != formatVersion {
		return nil, &CorruptError{File: p, Err: fmt.Errorf("format %d, this kharden reads format %d", m.Format, formatVersion)}
	}
	for _, s := range m.Sources {
		if !validFileName(s.File) {
			return nil, &CorruptError{File: p, Err: fmt.Errorf("bad source file name %q", s.File)}
		}
	}
	return &m, nil
}

// removeStale removes what interrupted builds left: build directories, generations
// other than the current one, and CURRENT.tmp. The caller holds the lock, so no other
// build is using them.
func removeStale(dir, current string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, buildPrefix) || (strings.HasPrefix(n, genPrefix) && n != current) || n == currentFile+".tmp" {
			if err := os.RemoveAll(filepath.Join(dir, n)); err != nil {
				return notWritable(dir, err)
			}
		}
	}
	return nil
}

// writeSynced writes a new file and syncs it to disk.
func writeSynced(path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes a directory's entries durable (a no-op where directories cannot be
// synced).
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// linkOrCopy hard-links a kept source's file into the new generation (its files are
// never written again), or copies it where links cannot be made.
func linkOrCopy(from, to string) error {
	if err := os.Link(from, to); err == nil {
		return nil
	}
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	return writeSynced(to, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}

func randomHex() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// verifySource checks a source that is to be kept: its index, and every record
// against its checksum.
func verifySource(gen string, s SourceStatus) error {
	dp := filepath.Join(gen, s.File+".dat")
	dat, err := os.ReadFile(dp)
	if err != nil {
		return &CorruptError{File: dp, Err: err}
	}
	if int64(len(dat)) != s.Bytes {
		return &CorruptError{File: dp, Err: fmt.Errorf("%d bytes, %d expected", len(dat), s.Bytes)}
	}
	ip := filepath.Join(gen, s.File+".idx")
	ib, err := os.ReadFile(ip)
	if err != nil {
		return &CorruptError{File: ip, Err: err}
	}
	x, err := parseIndex(ib, int64(len(dat)))
	if err != nil {
		return &CorruptError{File: ip, Err: err}
	}
	for i := range x.nrecs {
		r := x.record(i)
		if r.off+uint64(r.len) > uint64(len(dat)) {
			return &CorruptError{File: ip, Err: errors.New("record beyond the end of the data file")}
		}
		if crc32.Checksum(dat[r.off:r.off+uint64(r.len)], castagnoli) != r.crc {
			return &CorruptError{File: dp, Err: fmt.Errorf("checksum mismatch at offset %d", r.off)}
		}
	}
	return nil
}
