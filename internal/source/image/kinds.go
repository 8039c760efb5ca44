package image

import (
	"io"
	"path"
	"strings"

	"github.com/package-url/packageurl-go"
)

// maxMetadataFile is the largest language package metadata file read: a Python
// METADATA or PKG-INFO, a package.json, a package-lock.json.
const maxMetadataFile = 8 << 20

// appKind tells which of the rpm and language package files p is, by its name and
// those of its directories: they are read wherever a layer puts them (an rpmdb is
// used where /var/lib/rpm leads, the language packages wherever they are).
func appKind(p string) fileKind {
	dir, base := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	parent := path.Base(dir)
	switch {
	// rpm's database directories, /var/lib/rpm and /usr/lib/sysimage/rpm, wherever a
	// link puts them (a file named Packages elsewhere is not read).
	case (strings.HasSuffix(dir, "/lib/rpm") || strings.HasSuffix(dir, "/sysimage/rpm")) &&
		(base == "rpmdb.sqlite" || base == "Packages" || base == "Packages.db"):
		return kindRpm
	case base == "METADATA" && strings.HasSuffix(parent, ".dist-info"),
		base == "PKG-INFO" && strings.HasSuffix(parent, ".egg-info"),
		strings.HasSuffix(base, ".egg-info") && len(base) > len(".egg-info"):
		return kindPython
	case base == "package.json" && inNodeModules(dir):
		return kindNode
	case base == "package-lock.json" && !strings.Contains(p, "/node_modules/"):
		return kindNodeLock
	}
	switch path.Ext(base) {
	case ".jar", ".war", ".ear", ".jpi", ".hpi":
		if len(base) > 4 {
			return kindJava
		}
	}
	return kindNone
}

// inNodeModules tells whether dir is a package's directory in node_modules:
// node_modules/NAME or node_modules/@SCOPE/NAME.
func inNodeModules(dir string) bool {
	up := path.Dir(dir)
	if path.Base(up) == "node_modules" {
		return !strings.HasPrefix(path.Base(dir), "@") && !strings.HasPrefix(path.Base(dir), ".")
	}
	return strings.HasPrefix(path.Base(up), "@") && path.Base(path.Dir(up)) == "node_modules"
}

// appContent reads and parses the file p of kind k as it streams by.
func (w *walker) appContent(k fileKind, layer int, p string, e *Entry, r io.Reader) {
	limit := int64(maxMetadataFile)
	switch k {
	case kindRpm:
		limit = w.lim.MaxDatabaseSize
	case kindJava:
		limit = w.lim.MaxBinarySize
	}
	b, ok := w.readContent(layer, p, e.Size, limit, r)
	if !ok {
		return
	}
	var pkgs []Package
	var errs []lineError
	switch k {
	case kindRpm:
		pkgs, errs = parseRpmDB(b)
	case kindPython:
		pkgs, errs = parsePythonMetadata(b)
	case kindNode:
		pkgs, errs = parsePackageJSON(b)
	case kindNodeLock:
		pkgs, errs = parsePackageLock(b)
	case kindJava:
		pkgs, errs = parseJar(path.Base(p), b, w.lim.MaxBinarySize)
	}
	w.lineErrors(layer, p, errs)
	if len(pkgs) == 0 && k != kindRpm {
		return
	}
	for i := range pkgs {
		pkgs[i].Layer = layer
	}
	e.data = &fileData{kind: k, pkgs: pkgs}
}

// relatedFiles are the other files of the image that describe the packages of n.
func relatedFiles(n *node, k fileKind) []string {
	if k == kindPython && n.name == "METADATA" && n.parent != nil {
		if rec := n.parent.children["RECORD"]; rec != nil && rec.e.Type == Regular {
			return []string{pathOf(rec)}
		}
	}
	return nil
}

// hasNodeModules tells whether the lock file n has a node_modules directory beside
// it, whose packages are then read instead.
func hasNodeModules(n *node) bool {
	if n.parent == nil {
		return false
	}
	nm := n.parent.children["node_modules"]
	return nm != nil && nm.e.Type == Dir
}

// ecosystemPURL is the package URL of the rpm and language packages.
func ecosystemPURL(p Package, osr *OSRelease) (string, bool) {
	switch p.Type {
	case packageurl.TypeRPM:
		return rpmPURL(p, osr), true
	case packageurl.TypePyPi:
		return packageurl.NewPackageURL(p.Type, "", pypiName(p.Name), p.Version, nil, "").ToString(), true
	case packageurl.TypeNPM:
		ns, name := "", p.Name
		if strings.HasPrefix(name, "@") {
			if i := strings.IndexByte(name, '/'); i > 0 {
				ns, name = name[:i], name[i+1:]
			}
		}
		return packageurl.NewPackageURL(p.Type, ns, name, p.Version, nil, "").ToString(), true
	case packageurl.TypeMaven:
		group, artifact, ok := strings.Cut(p.Name, ":")
		if !ok {
			group, artifact = "", p.Name
		}
		return packageurl.NewPackageURL(p.Type, group, artifact, p.Version, nil, "").ToString(), true
	case packageurl.TypeCargo:
		return packageurl.NewPackageURL(p.Type, "", p.Name, p.Version, nil, "").ToString(), true
	}
	return "", false
}
