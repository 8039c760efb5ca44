package vuln

import (
	"debug/buildinfo"
	"regexp"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/kharden/kharden/internal/source/image"
)

// Package is one installed package as the matcher sees it.
type Package struct {
	// Name and Version are the package's own, as installed: the binary package for a
	// distribution, the module path for Go ("stdlib" for the standard library, whose
	// Version is then the toolchain's, "1.22.3"), the PEP 503 normalised name for PyPI,
	// "group:artifact" for Maven.
	Name    string `json:"name"`
	Version string `json:"version"`
	PURL    string `json:"purl,omitempty"`
	// Source and SourceVersion are the source package where the format has one (dpkg's
	// Source, apk's origin, rpm's source RPM); SourceVersion is empty when it is the
	// binary's version. Distribution advisories are keyed by the source package.
	Source        string `json:"source,omitempty"`
	SourceVersion string `json:"sourceVersion,omitempty"`
	// Ecosystem is the OSV ecosystem, release included: "Debian:12", "Ubuntu:22.04:LTS",
	// "Alpine:v3.20", "Rocky Linux:9", "Go", "PyPI". For Red Hat it is
	// "Red Hat:enterprise_linux:9", and the matcher asks the BaseOS, AppStream and CRB
	// streams of that release ("Red Hat:enterprise_linux:9::baseos", ...). Empty: the
	// package is not matched (Match counts it in Stats.Unmatched).
	Ecosystem string `json:"ecosystem,omitempty"`
	// Platform is GOOS/GOARCH ("linux/amd64") of a Go binary: Go advisories whose
	// packages are all specific to other platforms do not apply to it. Empty: any.
	Platform string `json:"platform,omitempty"`
	// Location is where the package was found; the matcher copies it to findings.
	Location Location `json:"location"`
}

// Location is where a package was found, filled by the caller and not read by the
// matcher beyond ordering findings.
type Location struct {
	// File is the file the package was read from: a package database, a binary, a
	// metadata file.
	File string `json:"file,omitempty"`
	// Within is the path inside File of a package found inside an archive.
	Within string `json:"within,omitempty"`
	// Layer is the index of the image layer that added the package; -1 when the
	// package does not come from an image layer.
	Layer int `json:"layer"`
	// LayerDigest is that layer's digest, when known.
	LayerDigest string `json:"layerDigest,omitempty"`
}

// FromImage makes the packages of an image's inventory, with the OSV ecosystems their
// types and the image's OS release give. A package whose ecosystem kharden cannot name
// (an rpm on a distribution without OSV advisories, a deb without an os-release) is
// kept with an empty Ecosystem, so that Match counts it.
func FromImage(im *image.Image) []Package {
	out := make([]Package, 0, len(im.Packages))
	platform := im.Platform
	if os, rest, ok := strings.Cut(platform, "/"); ok {
		arch, _, _ := strings.Cut(rest, "/")
		platform = os + "/" + arch
	}
	for _, ip := range im.Packages {
		p := Package{
			Name:          ip.Name,
			Version:       ip.Version,
			PURL:          ip.PURL,
			Source:        ip.Source,
			SourceVersion: ip.SourceVersion,
			Location:      Location{File: ip.File, Within: ip.Within, Layer: ip.Layer},
		}
		if ip.Layer >= 0 && ip.Layer < len(im.Layers) {
			p.Location.LayerDigest = im.Layers[ip.Layer].Digest
		}
		switch ip.Type {
		case packageurl.TypeDebian, packageurl.TypeApk, packageurl.TypeRPM:
			p.Ecosystem = DistroEcosystem(ip.Type, im.OS)
		case packageurl.TypeGolang:
			p.Ecosystem, p.Platform = "Go", platform
			if p.Name == "stdlib" {
				p.Version = GoVersion(p.Version)
			}
		case packageurl.TypePyPi:
			p.Ecosystem, p.Name = "PyPI", PyPIName(p.Name)
		case packageurl.TypeNPM:
			p.Ecosystem = "npm"
		case packageurl.TypeMaven:
			// Without a group (a jar whose manifest names only the artifact) the package
			// cannot be named in the Maven ecosystem.
			if strings.Contains(p.Name, ":") {
				p.Ecosystem = "Maven"
			}
		case packageurl.TypeCargo:
			p.Ecosystem = "crates.io"
		}
		out = append(out, p)
	}
	return out
}

// FromBuildInfo makes the packages of a Go binary's build information: the modules it
// was built with (replacements followed) and the standard library at the toolchain's
// version, in the "Go" ecosystem, for the binary's GOOS/GOARCH. The main module is
// included when it has a version (a binary built with "go install m@v"); "(devel)"
// matches nothing.
func FromBuildInfo(bi *buildinfo.BuildInfo, loc Location) []Package {
	var goos, goarch string
	for _, s := range bi.Settings {
		switch s.Key {
		case "GOOS":
			goos = s.Value
		case "GOARCH":
			goarch = s.Value
		}
	}
	platform := ""
	if goos != "" && goarch != "" {
		platform = goos + "/" + goarch
	}
	var out []Package
	add := func(path, version string) {
		if path == "" {
			return
		}
		out = append(out, Package{Name: path, Version: version, Ecosystem: "Go", Platform: platform, Location: loc,
			PURL: goPURL(path, version)})
	}
	add(bi.Main.Path, bi.Main.Version)
	for _, d := range bi.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		add(d.Path, d.Version)
	}
	if bi.GoVersion != "" {
		out = append(out, Package{Name: "stdlib", Version: GoVersion(bi.GoVersion), Ecosystem: "Go", Platform: platform,
			Location: loc, PURL: goPURL("stdlib", GoVersion(bi.GoVersion))})
	}
	return out
}

func goPURL(path, version string) string {
	ns, name := "", path
	if i := strings.LastIndex(path, "/"); i >= 0 {
		ns, name = path[:i], path[i+1:]
	}
	return packageurl.NewPackageURL(packageurl.TypeGolang, ns, name, version, nil, "").ToString()
}

// goRelease is a Go toolchain version: go1.22.3, go1.21rc2, go1.20, with what the
// toolchain may append (" X:nocoverageredesign", "-bigcorp").
var goRelease = regexp.MustCompile(`^go(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta|alpha)(\d+))?`)

// GoVersion turns a Go toolchain version into the semantic version the Go vulnerability
// database writes for "stdlib": go1.22.3 -> 1.22.3, go1.20 -> 1.20.0, go1.21rc2 ->
// 1.21.0-rc.2. Anything else (a development toolchain, "devel go1.23-abc") is returned
// unchanged and matches nothing.
func GoVersion(v string) string {
	m := goRelease.FindStringSubmatch(v)
	if m == nil {
		return v
	}
	patch := m[3]
	if patch == "" {
		patch = "0"
	}
	s := m[1] + "." + m[2] + "." + patch
	if m[4] != "" {
		s += "-" + m[4] + "." + m[5]
	}
	return s
}

var pypiSeparators = regexp.MustCompile(`[-_.]+`)

// PyPIName is the PEP 503 normalised name OSV's PyPI advisories use.
func PyPIName(s string) string {
	return pypiSeparators.ReplaceAllString(strings.ToLower(s), "-")
}

// debianCodenames maps the codenames of Debian releases to their numbers, for an
// os-release without VERSION_ID (testing and unstable name the next release).
var debianCodenames = map[string]string{
	"buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13", "forky": "14", "duke": "15",
}

// DistroEcosystem is the OSV ecosystem of a distribution's packages of the purl type
// typ ("deb", "apk", "rpm") on the release osr: "Debian:12", "Ubuntu:22.04:LTS",
// "Ubuntu:24.10", "Alpine:v3.20", "Red Hat:enterprise_linux:9", "Rocky Linux:9",
// "AlmaLinux:9"; "" when OSV has no advisories for it or the release is unknown.
func DistroEcosystem(typ string, osr *image.OSRelease) string {
	if osr == nil {
		return ""
	}
	id := strings.ToLower(osr.ID)
	major, minor := splitRelease(osr.VersionID)
	switch {
	case typ == packageurl.TypeDebian && id == "debian":
		if major == "" {
			major = debianCodenames[strings.ToLower(osr.VersionCodename)]
		}
		if major == "" {
			return ""
		}
		return "Debian:" + major
	case typ == packageurl.TypeDebian && id == "ubuntu":
		if major == "" || minor == "" {
			return ""
		}
		eco := "Ubuntu:" + major + "." + minor
		if ubuntuLTS(osr, major, minor) {
			eco += ":LTS"
		}
		return eco
	case typ == packageurl.TypeApk && id == "alpine":
		if major == "" || minor == "" {
			return ""
		}
		return "Alpine:v" + major + "." + minor
	case typ == packageurl.TypeRPM && major != "":
		switch id {
		case "rhel":
			return "Red Hat:enterprise_linux:" + major
		case "rocky":
			return "Rocky Linux:" + major
		case "almalinux":
			return "AlmaLinux:" + major
		}
	}
	return ""
}

// ubuntuLTS tells an LTS release: os-release says so in its pretty name ("Ubuntu
// 22.04.4 LTS"), and every LTS release is an April release of an even year.
func ubuntuLTS(osr *image.OSRelease, major, minor string) bool {
	if strings.Contains(osr.PrettyName, " LTS") {
		return true
	}
	if minor != "04" || len(major) != 2 {
		return false
	}
	return (major[1]-'0')%2 == 0
}

// splitRelease splits a VERSION_ID into its first two numeric components: "3.20.1" ->
// "3", "20"; "12" -> "12", ""; "3.21_alpha20240807" -> "3", "21".
func splitRelease(v string) (major, minor string) {
	num := func(s string) (string, string) {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return s[:i], s[i:]
	}
	major, rest := num(v)
	if major == "" || !strings.HasPrefix(rest, ".") {
		return major, ""
	}
	minor, _ = num(rest[1:])
	return major, minor
}

// lookupKey is one question the matcher asks the database for a package: the advisories
// of name in ecosystem, compared at version.
type lookupKey struct {
	ecosystem, name, version string
}

// keys are the questions asked for p. Distribution advisories name the source package
// (Red Hat's name binary or source RPMs: both are asked); the others the package.
func (p *Package) keys() []lookupKey {
	if p.Ecosystem == "" || p.Name == "" {
		return nil
	}
	eco := p.Ecosystem
	base, _, _ := strings.Cut(eco, ":")
	srcName, srcVersion := p.Name, p.Version
	if p.Source != "" {
		srcName = p.Source
		if p.SourceVersion != "" {
			srcVersion = p.SourceVersion
		}
	}
	switch base {
	case "Debian", "Ubuntu", "Alpine":
		return []lookupKey{{eco, srcName, srcVersion}}
	case "Rocky Linux", "AlmaLinux":
		return []lookupKey{{eco, srcName, rpmSourceVersion(p.Version, srcVersion)}}
	case "Red Hat":
		var out []lookupKey
		for _, stream := range []string{"baseos", "appstream", "crb"} {
			e := eco + "::" + stream
			out = append(out, lookupKey{e, p.Name, p.Version})
			if srcName != p.Name {
				out = append(out, lookupKey{e, srcName, rpmSourceVersion(p.Version, srcVersion)})
			}
		}
		return out
	}
	return []lookupKey{{eco, p.Name, p.Version}}
}

// rpmSourceVersion is the version a source RPM is compared at: its own (which a source
// RPM's file name gives without an epoch) with the binary's epoch.
func rpmSourceVersion(binary, source string) string {
	if strings.Contains(source, ":") {
		return source
	}
	if epoch, _, ok := strings.Cut(binary, ":"); ok {
		return epoch + ":" + source
	}
	return source
}
