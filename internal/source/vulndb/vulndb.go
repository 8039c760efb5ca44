// Package vulndb is kharden's offline vulnerability database: OSV advisories imported
// from the OSV exports (one all.zip per ecosystem) or from directories of OSV JSON,
// stored in an indexed form so that a scan reads only the advisories of the packages
// it has, and replaced atomically by each import or update (docs/vulndb.md).
//
// A database directory holds
//
//	CURRENT        the name of the generation in use, written by a rename
//	gen-*/         a generation: meta.json and, per source, sN.idx and sN.dat
//	lock           held by an import or update while it writes
//	downloads/     partial downloads of kharden db update, resumed on the next try
//
// *DB implements osv.Source for the matcher.
package vulndb

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	jsoniter "github.com/json-iterator/go"

	"github.com/kharden/kharden/internal/source/osv"
)

// entryJSON decodes advisories: json-iterator in its encoding/json-compatible
// configuration, which takes a third less CPU than encoding/json on
// BenchmarkLookup1000 (docs/benchmarks.md) and reads every advisory of the Go
// database field for field as encoding/json does (TestImportGoVulnDB).
var entryJSON = jsoniter.ConfigCompatibleWithStandardLibrary

// formatVersion is the version of the on-disk form; a database of another version
// must be imported again.
const formatVersion = 1

const (
	currentFile = "CURRENT"
	metaFile    = "meta.json"
	genPrefix   = "gen-"
	buildPrefix = ".build-"
)

// fix is what every message about a damaged or missing database ends with.
const fix = "run `kharden db update` (or `kharden db import FILE.zip|DIR...` where there is no network) to rebuild it"

// DefaultDir is the database directory: $KHARDEN_DB, else kharden/db under the user
// cache directory (~/.cache/kharden/db on Linux).
func DefaultDir() (string, error) {
	if d := os.Getenv("KHARDEN_DB"); d != "" {
		return d, nil
	}
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no database directory: %w; name one with --db or KHARDEN_DB", err)
	}
	return filepath.Join(c, "kharden", "db"), nil
}

// SourceStatus is one source of a database: an all.zip export or a directory of OSV
// JSON files, as it was when it was imported.
type SourceStatus struct {
	// Input is the file or directory (an absolute path) or, for kharden db update,
	// the URL it was downloaded from.
	Input string `json:"input"`
	// Kind is "zip", "dir" or "download".
	Kind string `json:"kind"`
	// Ecosystem is the ecosystem a download is the export of.
	Ecosystem string    `json:"ecosystem,omitempty"`
	Imported  time.Time `json:"imported"`
	// Advisories is how many advisories the source holds (each once, whatever it
	// affects); Ecosystems counts them by ecosystem without release ("Debian"), an
	// advisory once in each it affects.
	Advisories int            `json:"advisories"`
	Ecosystems map[string]int `json:"ecosystems"`
	// Withdrawn are the advisories (of Advisories) that were withdrawn.
	Withdrawn int `json:"withdrawn"`
	// Skipped are the files left out, by reason.
	Skipped map[string]*Skip `json:"skipped,omitempty"`
	// Ignored counts the files that are not .json (a README beside the advisories).
	Ignored int `json:"ignored,omitempty"`
	// NewestModified is the latest modified time of its advisories (zero when they
	// give none: the Go module copy of the Go database has none).
	NewestModified time.Time `json:"newestModified"`
	// Bytes is the size of its stored advisories.
	Bytes int64 `json:"bytes"`
	// file is the sources' files' name in the generation ("s0").
	File string `json:"file"`
}

// Skip counts the files skipped for one reason, with a few of their names.
type Skip struct {
	Count    int      `json:"count"`
	Examples []string `json:"examples"`
}

// maxExamples is how many names a Skip keeps.
const maxExamples = 3

// SkippedTotal is the number of files skipped, all reasons together.
func (s *SourceStatus) SkippedTotal() int {
	n := 0
	for _, k := range s.Skipped {
		n += k.Count
	}
	return n
}

// Status describes a database.
type Status struct {
	Dir string `json:"dir"`
	// Generation is the directory of the generation in use.
	Generation string         `json:"generation"`
	Created    time.Time      `json:"created"`
	Sources    []SourceStatus `json:"sources"`
	// Advisories sums the sources' (an advisory in two sources counts twice).
	Advisories int `json:"advisories"`
	// Updated is when its oldest source was imported; Age is the time since (in
	// JSON, AgeSeconds).
	Updated    time.Time     `json:"updated"`
	Age        time.Duration `json:"-"`
	AgeSeconds int64         `json:"ageSeconds"`
}

// meta is a generation's meta.json.
type meta struct {
	Format  int            `json:"format"`
	Created time.Time      `json:"created"`
	Sources []SourceStatus `json:"sources"`
}

// DB is an open database. Its methods may be called concurrently.
type DB struct {
	dir, gen string
	meta     meta
	srcs     []*openSource

	mu    sync.Mutex
	cache map[cacheKey]*osv.Entry

	// open is held for reading by each Lookup and for writing by Close, which unmaps
	// the data files: a lookup never reads a mapping that is gone.
	open   sync.RWMutex
	closed bool
}

type openSource struct {
	x       *index
	dat     *os.File
	datPath string
	// data is the data file mapped in memory (nil: read with ReadAt), unmap its release.
	data  []byte
	unmap func() error
}

type cacheKey struct {
	src int
	off uint64
}

// maxCache bounds the parsed advisories a DB keeps: an advisory that affects several
// packages of an inventory is parsed once.
const maxCache = 8192

// CorruptError is a database file that cannot be used.
type CorruptError struct {
	File string
	Err  error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("vulnerability database file %s is damaged (%v): %s", e.File, e.Err, fix)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// ErrNoDatabase is the error of Open and OpenForScan on a directory that holds no
// database.
var ErrNoDatabase = errors.New("no vulnerability database")

// Open opens the database in dir. It reads the generation's meta.json and indexes;
// the advisories are read when looked up.
func Open(dir string) (*DB, error) {
	// A concurrent update may remove the generation named by CURRENT between the
	// read of CURRENT and the opening of its files: read CURRENT again then.
	var last error
	for range 3 {
		gen, err := readCurrent(dir)
		if err != nil {
			return nil, err
		}
		db, err := openGen(dir, gen)
		if err == nil {
			return db, nil
		}
		last = err
		if again, _ := readCurrent(dir); again == gen {
			return nil, err
		}
	}
	return nil, last
}

// Current is the name of the generation in use in dir: it changes with every update
// or import that changed the database, so a long-running process can tell when to
// open it again. No database is ErrNoDatabase.
func Current(dir string) (string, error) { return readCurrent(dir) }

func readCurrent(dir string) (string, error) {
	p := filepath.Join(dir, currentFile)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%w in %s: run `kharden db update` to download one, or `kharden db import FILE.zip|DIR...` where there is no network", ErrNoDatabase, dir)
	}
	if err != nil {
		return "", fmt.Errorf("vulnerability database %s: %w", dir, err)
	}
	gen := strings.TrimSpace(string(b))
	if !strings.HasPrefix(gen, genPrefix) || strings.ContainsAny(gen, `/\`) || len(gen) > 100 {
		return "", &CorruptError{File: p, Err: errors.New("it names no generation")}
	}
	return gen, nil
}

func openGen(dir, gen string) (_ *DB, err error) {
	g := filepath.Join(dir, gen)
	mp := filepath.Join(g, metaFile)
	mb, err := os.ReadFile(mp)
	if err != nil {
		return nil, &CorruptError{File: mp, Err: err}
	}
	db := &DB{dir: dir, gen: g, cache: map[cacheKey]*osv.Entry{}}
	if err := json.Unmarshal(mb, &db.meta); err != nil {
		return nil, &CorruptError{File: mp, Err: err}
	}
	if db.meta.Format != formatVersion {
		return nil, &CorruptError{File: mp, Err: fmt.Errorf("format %d, this kharden reads format %d", db.meta.Format, formatVersion)}
	}
	defer func() {
		if err != nil {
			db.Close()
		}
	}()
	for _, s := range db.meta.Sources {
		if !validFileName(s.File) {
			return nil, &CorruptError{File: mp, Err: fmt.Errorf("bad source file name %q", s.File)}
		}
		dp := filepath.Join(g, s.File+".dat")
		dat, err := os.Open(dp)
		if err != nil {
			return nil, &CorruptError{File: dp, Err: err}
		}
		src := &openSource{dat: dat, datPath: dp}
		db.srcs = append(db.srcs, src)
		fi, err := dat.Stat()
		if err != nil {
			return nil, &CorruptError{File: dp, Err: err}
		}
		if fi.Size() != s.Bytes {
			return nil, &CorruptError{File: dp, Err: fmt.Errorf("%d bytes, %d expected", fi.Size(), s.Bytes)}
		}
		src.data, src.unmap = mapFile(dat, fi.Size())
		ip := filepath.Join(g, s.File+".idx")
		ib, err := os.ReadFile(ip)
		if err != nil {
			return nil, &CorruptError{File: ip, Err: err}
		}
		if src.x, err = parseIndex(ib, fi.Size()); err != nil {
			return nil, &CorruptError{File: ip, Err: err}
		}
	}
	return db, nil
}

func validFileName(s string) bool {
	if s == "" || len(s) > 16 {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// Close releases the database's files. A Lookup after Close is an error.
func (db *DB) Close() error {
	db.open.Lock()
	defer db.open.Unlock()
	if db.closed {
		return nil
	}
	db.closed = true
	var errs []error
	for _, s := range db.srcs {
		if s.unmap != nil {
			errs = append(errs, s.unmap())
			s.data, s.unmap = nil, nil
		}
		if s.dat != nil {
			errs = append(errs, s.dat.Close())
		}
	}
	return errors.Join(errs...)
}

// errClosed is the error of a Lookup on a closed database.
var errClosed = errors.New("vulnerability database closed")

// Lookup returns the advisories that affect name in ecosystem, both exactly as OSV
// writes them ("Debian:12" and a source package, "Go" and a module path; a PyPI name
// however written, PEP 503), sorted by
// ID. An advisory found in two sources is returned once: the copy modified last. The
// entries are shared: callers must not modify them.
func (db *DB) Lookup(ecosystem, name string) (_ []*osv.Entry, err error) {
	db.open.RLock()
	defer db.open.RUnlock()
	if db.closed {
		return nil, errClosed
	}
	// A mapped data file cut short underneath (by something other than kharden,
	// which never writes a generation in use) faults on reading: an error, not a
	// crash.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	var reading string
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(interface{ Addr() uintptr })
			if !ok {
				panic(r)
			}
			err = &CorruptError{File: reading, Err: fmt.Errorf("shorter than when opened (fault at %#x)", f.Addr())}
		}
	}()
	k := key(ecosystem, name)
	var out []*osv.Entry
	byID := map[string]int{}
	for si, s := range db.srcs {
		reading = s.datPath
		recs, err := s.x.find(k)
		if err != nil {
			return nil, &CorruptError{File: strings.TrimSuffix(s.datPath, ".dat") + ".idx", Err: err}
		}
		for _, r := range recs {
			e, err := db.entry(si, r)
			if err != nil {
				return nil, err
			}
			if i, dup := byID[e.ID]; dup {
				if !e.Modified.Before(out[i].Modified) {
					out[i] = e
				}
				continue
			}
			byID[e.ID] = len(out)
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b *osv.Entry) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

var _ osv.Source = (*DB)(nil)

// entry reads and parses one record, through the cache.
func (db *DB) entry(si int, r record) (*osv.Entry, error) {
	ck := cacheKey{si, r.off}
	db.mu.Lock()
	e := db.cache[ck]
	db.mu.Unlock()
	if e != nil {
		return e, nil
	}
	s := db.srcs[si]
	var b []byte
	if s.data != nil {
		// find checked the record against the file's size.
		b = s.data[r.off : r.off+uint64(r.len)]
	} else {
		b = make([]byte, r.len)
		if _, err := s.dat.ReadAt(b, int64(r.off)); err != nil {
			return nil, &CorruptError{File: s.datPath, Err: err}
		}
	}
	if crc32.Checksum(b, castagnoli) != r.crc {
		return nil, &CorruptError{File: s.datPath, Err: fmt.Errorf("checksum mismatch at offset %d", r.off)}
	}
	e = new(osv.Entry)
	if err := entryJSON.Unmarshal(b, e); err != nil {
		return nil, &CorruptError{File: s.datPath, Err: fmt.Errorf("advisory at offset %d: %w", r.off, err)}
	}
	db.mu.Lock()
	if len(db.cache) >= maxCache {
		clear(db.cache)
	}
	db.cache[ck] = e
	db.mu.Unlock()
	return e, nil
}

// Status describes the database: its sources, their counts and its age.
func (db *DB) Status() Status {
	st := Status{Dir: db.dir, Generation: db.gen, Created: db.meta.Created, Sources: slices.Clone(db.meta.Sources)}
	for _, s := range st.Sources {
		st.Advisories += s.Advisories
		if st.Updated.IsZero() || s.Imported.Before(st.Updated) {
			st.Updated = s.Imported
		}
	}
	if !st.Updated.IsZero() {
		st.Age = now().Sub(st.Updated)
		st.AgeSeconds = int64(st.Age / time.Second)
	}
	return st
}

// now is the clock; tests set it.
var now = time.Now

// OpenForScan opens the database in dir for a scan. No database is an error that
// says how to get one; a database whose oldest source was imported more than maxAge
// ago (0: no limit) opens with a warning.
func OpenForScan(dir string, maxAge time.Duration) (*DB, string, error) {
	db, err := Open(dir)
	if err != nil {
		return nil, "", err
	}
	st := db.Status()
	if maxAge > 0 && st.Age > maxAge {
		return db, fmt.Sprintf("the vulnerability database in %s was last updated %s ago (%s), more than %s: run `kharden db update`",
			dir, roundAge(st.Age), st.Updated.UTC().Format("2006-01-02 15:04 UTC"), roundAge(maxAge)), nil
	}
	return db, "", nil
}

// roundAge writes a duration in days, hours or minutes.
func roundAge(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	}
	return fmt.Sprintf("%d minutes", int(d/time.Minute))
}
