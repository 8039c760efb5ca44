package image

import (
	"archive/tar"
	"bytes"
	"cmp"
	"debug/buildinfo"
	"errors"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/package-url/packageurl-go"
)

// Package is one package found in the image.
type Package struct {
	// Type is the purl type of the ecosystem: "deb", "apk" or "golang".
	Type    string `json:"type"`
	Name    string `json:"name"`
	Version string `json:"version"`
	// Source is the source package (dpkg's Source, apk's origin) when the format has
	// one and it is given; SourceVersion its version when it differs.
	Source        string `json:"source,omitempty"`
	SourceVersion string `json:"sourceVersion,omitempty"`
	Arch          string `json:"arch,omitempty"`
	License       string `json:"license,omitempty"`
	PURL          string `json:"purl"`
	// File is the file it was found in, absolute in the image.
	File string `json:"file"`
	// Within is, for a package found inside an archive (a jar, or a jar inside a war),
	// its path inside File, nested archives separated by "!/":
	// "WEB-INF/lib/x.jar!/META-INF/maven/g/a/pom.properties".
	Within string `json:"within,omitempty"`
	// Files are other files of the image that describe the package, beside File (a
	// Python package's RECORD).
	Files []string `json:"files,omitempty"`
	// Layer is the index in Image.Layers of the layer that added the package: for a
	// package database, the first layer whose copy of the database lists it at this
	// version; for a binary or a metadata file, the layer that wrote the file.
	Layer int `json:"layer"`
}

// OSRelease is the operating system release of /etc/os-release.
type OSRelease struct {
	ID              string   `json:"id"`
	IDLike          []string `json:"idLike,omitempty"`
	Name            string   `json:"name,omitempty"`
	PrettyName      string   `json:"prettyName,omitempty"`
	VersionID       string   `json:"versionID,omitempty"`
	VersionCodename string   `json:"versionCodename,omitempty"`
	// File is where it was read, after links; Layer the layer that wrote it.
	File  string `json:"file"`
	Layer int    `json:"layer"`
	// EndOfLife is the release's end of support from kharden's dated table (eol.go),
	// nil when the table does not know the release.
	EndOfLife *EndOfLife `json:"endOfLife,omitempty"`
}

// The kinds of files the inventory reads.
type fileKind int

const (
	kindNone fileKind = iota
	kindOSRelease
	kindDpkgStatus
	kindDpkgStatusD
	kindApk
	kindExecutable
	// The kinds of rpm.go, python.go, node.go and java.go.
	kindRpm
	kindPython
	kindNode
	kindNodeLock
	kindJava
)

// dbKind tells which database or release file an entry may be, by its name and
// those of its directories: the files are read wherever a layer puts them, since links
// in the final filesystem decide which of them /etc/os-release or /var/lib/dpkg/status
// lead to (finish resolves those paths).
func dbKind(p string) fileKind {
	dir, base := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	parent := path.Base(dir)
	switch {
	case base == "os-release":
		return kindOSRelease
	case base == "status" && parent == "dpkg":
		return kindDpkgStatus
	case base == "installed" && parent == "db" && path.Base(path.Dir(dir)) == "apk":
		return kindApk
	case parent == "status.d" && path.Base(path.Dir(dir)) == "dpkg" && base != "" && !strings.HasPrefix(base, ".") &&
		!strings.HasSuffix(base, ".md5sums") && !strings.HasSuffix(base, ".list"):
		return kindDpkgStatusD
	}
	return kindNone
}

// minExecutable is the smallest file looked at for build information.
const minExecutable = 1024

// wanted tells whether the inventory reads a regular file's content.
func wanted(p string, h *tar.Header) bool {
	return dbKind(p) != kindNone || appKind(p) != kindNone || (h.Mode&0o111 != 0 && h.Size >= minExecutable)
}

// fileData is what the inventory parsed from one file.
type fileData struct {
	kind fileKind
	os   *OSRelease
	pkgs []Package
}

// executableMagic are the starts of the executable formats debug/buildinfo reads.
var executableMagic = [][]byte{
	[]byte("\x7fELF"),
	[]byte("MZ"),             // PE
	{0xfe, 0xed, 0xfa, 0xce}, // Mach-O 32
	{0xfe, 0xed, 0xfa, 0xcf}, // Mach-O 64
	{0xce, 0xfa, 0xed, 0xfe}, // Mach-O 32, little-endian
	{0xcf, 0xfa, 0xed, 0xfe}, // Mach-O 64, little-endian
	[]byte("\x00asm"),        // WebAssembly
	{0x01, 0xdf},             // XCOFF
}

// content reads what the inventory needs of the regular file p, as it streams by.
func (w *walker) content(layer int, p string, e *Entry, r io.Reader) error {
	if k := appKind(p); k != kindNone {
		w.appContent(k, layer, p, e, r)
		return nil
	}
	kind := dbKind(p)
	var h tar.Header
	h.Mode, h.Size = int64(e.Mode.Perm()), e.Size
	if kind == kindNone && !wanted(p, &h) {
		return nil
	}
	if kind != kindNone {
		b, ok := w.readContent(layer, p, e.Size, w.lim.MaxDatabaseSize, r)
		if !ok {
			return nil
		}
		d := &fileData{kind: kind}
		switch kind {
		case kindOSRelease:
			d.os = parseOSRelease(b)
			d.os.File, d.os.Layer = p, layer
		case kindDpkgStatus, kindDpkgStatusD:
			pkgs, errs := parseDpkg(b, kind == kindDpkgStatusD)
			d.pkgs = pkgs
			w.lineErrors(layer, p, errs)
		case kindApk:
			pkgs, errs := parseApk(b)
			d.pkgs = pkgs
			w.lineErrors(layer, p, errs)
		}
		for i := range d.pkgs {
			d.pkgs[i].Layer = layer
		}
		e.data = d
		return nil
	}
	// An executable: look at its first bytes before reading it whole.
	var magic [4]byte
	n, err := io.ReadFull(r, magic[:])
	if err != nil {
		return nil // the tar reader reports a truncated layer on the next entry
	}
	known := false
	for _, m := range executableMagic {
		if bytes.HasPrefix(magic[:n], m) {
			known = true
			break
		}
	}
	if !known {
		return nil
	}
	b, ok := w.readContent(layer, p, e.Size, w.lim.MaxBinarySize, io.MultiReader(bytes.NewReader(magic[:n]), r))
	if !ok {
		return nil
	}
	pkgs := goPackages(b)
	if len(pkgs) == 0 {
		pkgs = w.rustPackages(layer, p, b)
	}
	if len(pkgs) > 0 {
		for i := range pkgs {
			pkgs[i].Layer = layer
		}
		e.data = &fileData{kind: kindExecutable, pkgs: pkgs}
	}
	return nil
}

// lineErrors records a parser's errors at their lines.
func (w *walker) lineErrors(layer int, p string, errs []lineError) {
	const most = 20
	for i, le := range errs {
		if i == most {
			w.problem(layer, p, le.line, "%d more errors not shown", len(errs)-most)
			break
		}
		w.problem(layer, p, le.line, "%s", le.msg)
	}
}

// lineError is a parser's error at a line of its input.
type lineError struct {
	line int
	msg  string
}

// inherit carries the layer that added each package from the database a new copy
// replaces: a package listed at the same version in both was added by the older layer.
func inherit(n, old *node) {
	nd, ok1 := n.e.data.(*fileData)
	od, ok2 := old.e.data.(*fileData)
	if !ok1 || !ok2 || nd.kind != od.kind || nd.kind == kindExecutable || nd.kind == kindOSRelease {
		return
	}
	type key struct{ name, version, arch string }
	first := make(map[key]int, len(od.pkgs))
	for _, p := range od.pkgs {
		first[key{p.Name, p.Version, p.Arch}] = p.Layer
	}
	for i := range nd.pkgs {
		p := &nd.pkgs[i]
		if l, ok := first[key{p.Name, p.Version, p.Arch}]; ok && l < p.Layer {
			p.Layer = l
		}
	}
}

// goPackages reads the build information of a Go binary: its main module, the
// modules it was built with and the standard library. Anything else gives nil.
func goPackages(b []byte) []Package {
	bi, err := buildinfo.Read(bytes.NewReader(b))
	if err != nil {
		return nil
	}
	var out []Package
	add := func(name, version string) {
		if name == "" {
			return
		}
		out = append(out, Package{Type: packageurl.TypeGolang, Name: name, Version: version})
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
	return out
}

// finish reads the OS release and the packages of the final filesystem.
func (w *walker) finish() {
	im := w.im
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		n, err := w.fs.resolve(p, true)
		if err != nil {
			if !errors.Is(err, ErrNotExist) {
				w.problem(-1, p, 0, "%v", err)
			}
			continue
		}
		if d, ok := n.e.data.(*fileData); ok && d.os != nil {
			o := *d.os
			o.File = pathOf(n)
			o.EndOfLife = endOfLife(&o)
			im.OS = &o
			break
		}
	}
	emit := func(n *node, kinds ...fileKind) {
		d, ok := n.e.data.(*fileData)
		if !ok || !slices.Contains(kinds, d.kind) {
			return
		}
		file := pathOf(n)
		for _, p := range d.pkgs {
			p.File = file
			p.Files = relatedFiles(n, d.kind)
			p.PURL = purl(p, im.OS)
			im.Packages = append(im.Packages, p)
		}
	}
	// The package databases where the package managers look for them, links followed.
	seen := map[*node]bool{}
	for _, db := range []struct {
		path string
		kind fileKind
	}{{"/var/lib/dpkg/status", kindDpkgStatus}, {"/lib/apk/db/installed", kindApk}, {"/usr/lib/apk/db/installed", kindApk},
		{"/var/lib/rpm/rpmdb.sqlite", kindRpm}, {"/var/lib/rpm/Packages", kindRpm}, {"/var/lib/rpm/Packages.db", kindRpm},
		{"/usr/lib/sysimage/rpm/rpmdb.sqlite", kindRpm}, {"/usr/lib/sysimage/rpm/Packages", kindRpm},
		{"/usr/lib/sysimage/rpm/Packages.db", kindRpm}} {
		n, err := w.fs.resolve(db.path, true)
		if err != nil {
			if !errors.Is(err, ErrNotExist) {
				w.problem(-1, db.path, 0, "%v", err)
			}
			continue
		}
		if !seen[n] {
			seen[n] = true
			emit(n, db.kind)
		}
	}
	if d, err := w.fs.resolve("/var/lib/dpkg/status.d", true); err == nil && d.e.Type == Dir {
		for _, c := range d.children {
			emit(c, kindDpkgStatusD)
		}
	}
	// Binaries and language packages wherever they are.
	var walk func(n *node)
	walk = func(n *node) {
		emit(n, kindExecutable, kindPython, kindNode, kindJava)
		if d, ok := n.e.data.(*fileData); ok && d.kind == kindNodeLock && !hasNodeModules(n) {
			emit(n, kindNodeLock)
		}
		for _, c := range n.children {
			walk(c)
		}
	}
	walk(w.fs.root)
	slices.SortFunc(im.Packages, func(a, b Package) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version),
			cmp.Compare(a.Arch, b.Arch), cmp.Compare(a.File, b.File), cmp.Compare(a.Within, b.Within))
	})
	slices.SortStableFunc(im.Errors, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Line, b.Line))
	})
}

// purl is the package URL of p: pkg:deb/debian/NAME@VERSION?arch=..&distro=debian-12,
// pkg:apk/alpine/NAME@VERSION?arch=..&distro=alpine-3.20.1, pkg:golang/MODULE@VERSION.
func purl(p Package, osr *OSRelease) string {
	var q packageurl.Qualifiers
	add := func(k, v string) {
		if v != "" {
			q = append(q, packageurl.Qualifier{Key: k, Value: v})
		}
	}
	switch p.Type {
	case packageurl.TypeDebian, packageurl.TypeApk:
		vendor := "debian"
		if p.Type == packageurl.TypeApk {
			vendor = "alpine"
		}
		distro := ""
		if osr != nil && osr.ID != "" {
			vendor = strings.ToLower(osr.ID)
			if osr.VersionID != "" {
				distro = vendor + "-" + osr.VersionID
			}
		}
		add("arch", p.Arch)
		add("distro", distro)
		if p.Source != "" && p.Source != p.Name {
			add("upstream", p.Source)
		}
		return packageurl.NewPackageURL(p.Type, vendor, p.Name, p.Version, q, "").ToString()
	case packageurl.TypeGolang:
		ns, name := "", p.Name
		if i := strings.LastIndex(p.Name, "/"); i >= 0 {
			ns, name = p.Name[:i], p.Name[i+1:]
		}
		return packageurl.NewPackageURL(p.Type, ns, name, p.Version, nil, "").ToString()
	}
	if s, ok := ecosystemPURL(p, osr); ok {
		return s
	}
	return packageurl.NewPackageURL(p.Type, "", p.Name, p.Version, nil, "").ToString()
}
