package image

import (
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/package-url/packageurl-go"
)

// HostFS is a root filesystem that is not an image (a node's), as HostInventory reads
// it. Paths are absolute in it; links are the implementation's to resolve, inside it.
type HostFS interface {
	// ReadFile returns a regular file's content, an error wrapping fs.ErrNotExist when
	// there is none, and an error when it is larger than limit.
	ReadFile(path string, limit int64) ([]byte, error)
	// ReadDir lists a directory.
	ReadDir(path string) ([]fs.DirEntry, error)
}

// hostDatabases are the package databases HostInventory reads, where the package
// managers keep them.
var hostDatabases = []struct {
	path string
	kind fileKind
}{
	{"/var/lib/dpkg/status", kindDpkgStatus}, {"/lib/apk/db/installed", kindApk}, {"/usr/lib/apk/db/installed", kindApk},
	{"/var/lib/rpm/rpmdb.sqlite", kindRpm}, {"/var/lib/rpm/Packages", kindRpm}, {"/var/lib/rpm/Packages.db", kindRpm},
	{"/usr/lib/sysimage/rpm/rpmdb.sqlite", kindRpm}, {"/usr/lib/sysimage/rpm/Packages", kindRpm}, {"/usr/lib/sysimage/rpm/Packages.db", kindRpm},
}

// HostInventory reads a root filesystem's OS release and installed packages with the
// image inventory's parsers: /etc/os-release (else /usr/lib/os-release), dpkg's status
// and status.d, apk's installed and the rpm database in its three formats. The
// packages have purls and no layer (-1). A line that cannot be parsed, or a database
// that cannot be read, is a problem at its file; a database that is not there is none.
func HostInventory(fsys HostFS) (*OSRelease, []Package, []Problem) {
	var osr *OSRelease
	var pkgs []Package
	var probs []Problem
	problem := func(p string, line int, format string, a ...any) {
		probs = append(probs, Problem{Path: p, Line: line, Layer: -1, Message: fmt.Sprintf(format, a...)})
	}
	read := func(p string) []byte {
		b, err := fsys.ReadFile(p, DefaultLimits.MaxDatabaseSize)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				problem(p, 0, "%v", err)
			}
			return nil
		}
		return b
	}
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		if b := read(p); b != nil {
			osr = parseOSRelease(b)
			osr.File, osr.Layer = p, -1
			osr.EndOfLife = endOfLife(osr)
			break
		}
	}
	add := func(p string, ps []Package, errs []lineError) {
		for _, le := range errs {
			problem(p, le.line, "%s", le.msg)
		}
		for _, pk := range ps {
			pk.File, pk.Layer = p, -1
			pk.PURL = purl(pk, osr)
			pkgs = append(pkgs, pk)
		}
	}
	rpmRead := false
	for _, db := range hostDatabases {
		if db.kind == kindRpm && rpmRead {
			continue
		}
		b := read(db.path)
		if b == nil {
			continue
		}
		switch db.kind {
		case kindDpkgStatus:
			ps, errs := parseDpkg(b, false)
			add(db.path, ps, errs)
		case kindApk:
			ps, errs := parseApk(b)
			add(db.path, ps, errs)
		case kindRpm:
			ps, errs := parseRpmDB(b)
			add(db.path, ps, errs)
			rpmRead = true
		}
	}
	if es, err := fsys.ReadDir("/var/lib/dpkg/status.d"); err == nil {
		for _, e := range es {
			p := path.Join("/var/lib/dpkg/status.d", e.Name())
			if dbKind(p) != kindDpkgStatusD || e.IsDir() {
				continue
			}
			if b := read(p); b != nil {
				ps, errs := parseDpkg(b, true)
				add(p, ps, errs)
			}
		}
	}
	slices.SortFunc(pkgs, func(a, b Package) int {
		return strings.Compare(a.Type+"\x00"+a.Name+"\x00"+a.Version+"\x00"+a.File, b.Type+"\x00"+b.Name+"\x00"+b.Version+"\x00"+b.File)
	})
	return osr, pkgs, probs
}

// GoBinaryPackages reads a Go executable's build information from r, reading only
// what it needs: its main module, the modules it was built with and the standard
// library ("stdlib" at the toolchain's version), as the inventory of an image gives
// them, found in file. A file that is not a Go executable is an error.
func GoBinaryPackages(file string, r io.ReaderAt) ([]Package, error) {
	bi, err := buildinfo.Read(r)
	if err != nil {
		return nil, err
	}
	var out []Package
	add := func(name, version string) {
		if name == "" {
			return
		}
		p := Package{Type: packageurl.TypeGolang, Name: name, Version: version, File: file, Layer: -1}
		p.PURL = purl(p, nil)
		out = append(out, p)
	}
	add(bi.Main.Path, bi.Main.Version)
	for _, d := range bi.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		add(d.Path, d.Version)
	}
	if bi.GoVersion != "" {
		add("stdlib", bi.GoVersion)
	}
	return out, nil
}
