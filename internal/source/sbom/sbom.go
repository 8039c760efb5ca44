// Package sbom reads software bills of materials written by any tool, CycloneDX JSON
// (1.4 and later) and SPDX 2.2/2.3 JSON, into the inventory kharden matches against
// vulnerability advisories: each package by its package URL (purl), the operating
// system release where the SBOM names it, and where the package was found when the
// SBOM says (kharden's own properties, Syft's, CycloneDX evidence, SPDX sourceInfo).
//
// It is the reader beside internal/sbom, the writer of kharden's own SBOMs: the two
// share no code, since a reader must take what every tool writes and a writer only
// what kharden knows.
package sbom

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/kharden/kharden/internal/source/image"
)

// MaxSize is the largest SBOM read: the SBOM of a large image with every file listed
// is some tens of MiB.
const MaxSize = 256 << 20

// Document is what an SBOM describes.
type Document struct {
	// Format is "CycloneDX 1.6", "SPDX-2.3".
	Format string
	// Subjects are the software it describes, each with its OS and packages: one,
	// or one per container image of an SBOM that describes several. Packages whose purl
	// does not parse are left out and counted in Skipped.
	Subjects []*image.Image
	// Packages counts the packages with a purl, over the subjects; Skipped those
	// without a purl kharden can read.
	Packages, Skipped int
}

// Error is an SBOM that cannot be read.
type Error struct {
	File string
	Line int // 0 when unknown
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// ReadFile reads the SBOM at path, a regular file (or a pipe) of at most MaxSize bytes.
func ReadFile(path string) (*Document, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() && fi.Mode()&os.ModeNamedPipe == 0 {
		return nil, &Error{File: path, Msg: fmt.Sprintf("not a regular file (%s)", fi.Mode().Type())}
	}
	if fi.Mode().IsRegular() && fi.Size() > MaxSize {
		return nil, &Error{File: path, Msg: fmt.Sprintf("%d bytes, more than the %d MiB an SBOM may have", fi.Size(), MaxSize>>20)}
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, &Error{File: path, Msg: err.Error()}
	}
	if len(b) > MaxSize {
		return nil, &Error{File: path, Msg: fmt.Sprintf("more than the %d MiB an SBOM may have", MaxSize>>20)}
	}
	return Parse(path, b)
}

// Parse reads an SBOM's content; name is used in errors.
func Parse(name string, b []byte) (*Document, error) {
	var head struct {
		BOMFormat   string `json:"bomFormat"`
		SpecVersion string `json:"specVersion"`
		SPDXVersion string `json:"spdxVersion"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, &Error{File: name, Line: lineAt(b, se.Offset), Msg: "not JSON: " + err.Error() + " (kharden reads CycloneDX and SPDX JSON)"}
		case errors.As(err, &te):
			return nil, &Error{File: name, Line: lineAt(b, te.Offset), Msg: "neither a CycloneDX nor an SPDX JSON document: " + err.Error()}
		}
		return nil, &Error{File: name, Msg: "not JSON: " + err.Error()}
	}
	var doc *Document
	var err error
	switch {
	case head.BOMFormat == "CycloneDX":
		if !cdxVersionOK(head.SpecVersion) {
			return nil, &Error{File: name, Msg: fmt.Sprintf("CycloneDX %q: kharden reads CycloneDX 1.4 and later", head.SpecVersion)}
		}
		doc, err = parseCycloneDX(b)
		if doc != nil {
			doc.Format = "CycloneDX " + head.SpecVersion
		}
	case strings.HasPrefix(head.SPDXVersion, "SPDX-"):
		if head.SPDXVersion != "SPDX-2.2" && head.SPDXVersion != "SPDX-2.3" {
			return nil, &Error{File: name, Msg: fmt.Sprintf("%s: kharden reads SPDX 2.2 and 2.3 JSON", head.SPDXVersion)}
		}
		doc, err = parseSPDX(b)
		if doc != nil {
			doc.Format = head.SPDXVersion
		}
	default:
		return nil, &Error{File: name, Msg: "neither a CycloneDX JSON BOM (\"bomFormat\": \"CycloneDX\") nor an SPDX JSON document (\"spdxVersion\": \"SPDX-2.3\"); a CycloneDX or SPDX document in XML, tag-value or protobuf is not read"}
	}
	if err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, &Error{File: name, Line: lineAt(b, te.Offset), Msg: "not a valid " + doc0(head.BOMFormat, head.SPDXVersion) + " document: " + err.Error()}
		}
		return nil, &Error{File: name, Msg: err.Error()}
	}
	if doc.Packages == 0 {
		return nil, &Error{File: name, Msg: fmt.Sprintf("the %s document names no package by a package URL (purl), which kharden matches advisories by (%d packages without one)", doc.Format, doc.Skipped)}
	}
	return doc, nil
}

func doc0(bom, spdx string) string {
	if bom != "" {
		return bom
	}
	return spdx
}

// cdxVersionOK accepts 1.4 and later.
func cdxVersionOK(v string) bool {
	major, minor, ok := strings.Cut(v, ".")
	if !ok || major != "1" {
		return false
	}
	n, err := strconv.Atoi(minor)
	return err == nil && n >= 4
}

func lineAt(b []byte, off int64) int {
	off = min(max(off, 0), int64(len(b)))
	return bytes.Count(b[:off], []byte("\n")) + 1
}

// facts are what an SBOM says of one package besides its purl.
type facts struct {
	version               string
	source, sourceVersion string
	file, within          string
	layer                 int // from 1; 0 unknown
	layerDigest, history  string
}

// pkgFromPURL makes the inventory package of a purl. It returns false for a purl that
// does not parse.
func pkgFromPURL(purl string, f facts) (image.Package, *image.OSRelease, bool) {
	u, err := packageurl.FromString(purl)
	if err != nil {
		return image.Package{}, nil, false
	}
	q := u.Qualifiers.Map()
	p := image.Package{Type: strings.ToLower(u.Type), Name: u.Name, Version: u.Version, PURL: purl, Arch: q["arch"],
		File: f.file, Within: f.within, Layer: -1}
	switch p.Type {
	case packageurl.TypeGolang:
		if u.Namespace != "" {
			p.Name = u.Namespace + "/" + u.Name
		}
	case packageurl.TypeMaven:
		if u.Namespace != "" {
			p.Name = u.Namespace + ":" + u.Name
		}
	case packageurl.TypeNPM:
		if u.Namespace != "" {
			p.Name = u.Namespace + "/" + u.Name
		}
	case packageurl.TypeRPM:
		if e := q["epoch"]; e != "" && e != "0" && !strings.Contains(p.Version, ":") {
			p.Version = e + ":" + p.Version
		}
	}
	if p.Version == "" {
		p.Version = f.version
	}
	if f.layer > 0 {
		p.Layer = f.layer - 1
	}
	// The source package: the SBOM's own words (kharden's), else the purl's upstream:
	// "NAME" or "NAME@VERSION" (deb, apk), "NAME-VERSION-RELEASE.src.rpm" (rpm).
	p.Source, p.SourceVersion = f.source, f.sourceVersion
	if up := q["upstream"]; p.Source == "" && up != "" {
		if p.Type == packageurl.TypeRPM {
			if n, v, ok := image.SplitSourceRPM(up); ok {
				p.Source = n
				if vr := image.StripEpoch(p.Version); v != vr {
					p.SourceVersion = v
				}
			}
		} else {
			n, v, _ := strings.Cut(up, "@")
			p.Source = n
			if v != p.Version {
				p.SourceVersion = v
			}
		}
	}
	if p.SourceVersion == p.Version {
		p.SourceVersion = ""
	}
	var osr *image.OSRelease
	if d := q["distro"]; d != "" {
		id, ver := d, ""
		if i := strings.LastIndexByte(d, '-'); i > 0 {
			id, ver = d[:i], d[i+1:]
		}
		osr = &image.OSRelease{ID: id, VersionID: ver}
	}
	return p, osr, true
}

// subject gathers one subject's packages.
type subject struct {
	im *image.Image
	// distro is the OS release the purls' distro qualifiers name, for an SBOM without
	// an OS component.
	distro *image.OSRelease
}

func newSubject(name string) *subject {
	return &subject{im: &image.Image{Name: name, Ref: name}}
}

// add adds a package, recording the layer it names (kharden's SBOMs give index,
// digest and history).
func (s *subject) add(p image.Package, osr *image.OSRelease, f facts) {
	if p.Layer >= 0 {
		for len(s.im.Layers) <= p.Layer {
			s.im.Layers = append(s.im.Layers, image.Layer{})
		}
		if l := &s.im.Layers[p.Layer]; l.Digest == "" {
			l.Digest, l.CreatedBy = f.layerDigest, f.history
		}
	}
	if s.distro == nil && osr != nil {
		s.distro = osr
	}
	s.im.Packages = append(s.im.Packages, p)
}

// finish sets the OS from the distro qualifiers when the SBOM named none.
func (s *subject) finish() *image.Image {
	if s.im.OS == nil && s.distro != nil {
		s.im.OS = s.distro
	}
	return s.im
}
