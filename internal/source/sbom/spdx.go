package sbom

import (
	"encoding/json"
	"strings"

	"github.com/kharden/kharden/internal/source/image"
)

type spdxDoc struct {
	Name          string         `json:"name"`
	Packages      []*spdxPackage `json:"packages"`
	Relationships []struct {
		Element string `json:"spdxElementId"`
		Type    string `json:"relationshipType"`
		Related string `json:"relatedSpdxElement"`
	} `json:"relationships"`
}

type spdxPackage struct {
	SPDXID       string `json:"SPDXID"`
	Name         string `json:"name"`
	VersionInfo  string `json:"versionInfo"`
	Description  string `json:"description"`
	SourceInfo   string `json:"sourceInfo"`
	Purpose      string `json:"primaryPackagePurpose"`
	ExternalRefs []struct {
		Category string `json:"referenceCategory"`
		Type     string `json:"referenceType"`
		Locator  string `json:"referenceLocator"`
	} `json:"externalRefs"`
	Annotations []struct {
		Comment string `json:"comment"`
	} `json:"annotations"`
}

func (p *spdxPackage) purl() string {
	for _, r := range p.ExternalRefs {
		if r.Type == "purl" && (r.Category == "PACKAGE-MANAGER" || r.Category == "PACKAGE_MANAGER") {
			return r.Locator
		}
	}
	return ""
}

// parseSPDX reads an SPDX JSON document. Each package of purpose CONTAINER that
// CONTAINS packages is a subject of its own; the other packages are the document's.
// An OPERATING_SYSTEM package is its subject's OS release.
func parseSPDX(b []byte) (*Document, error) {
	var sd spdxDoc
	if err := json.Unmarshal(b, &sd); err != nil {
		return nil, err
	}
	doc := &Document{}
	main := newSubject(sd.Name)
	byID := map[string]*spdxPackage{}
	for _, p := range sd.Packages {
		if p != nil {
			byID[p.SPDXID] = p
		}
	}
	// The container each package is in, by CONTAINS relationships.
	in := map[string]*subject{}
	var subs []*subject
	for _, r := range sd.Relationships {
		c := byID[r.Element]
		if r.Type != "CONTAINS" || c == nil || c.Purpose != "CONTAINER" {
			continue
		}
		var s *subject
		for _, x := range subs {
			if x.im.Ref == c.SPDXID {
				s = x
			}
		}
		if s == nil {
			s = newSubject(c.Name)
			if c.VersionInfo != "" {
				s.im.Name += "@" + c.VersionInfo
			}
			s.im.Ref = c.SPDXID
			subs = append(subs, s)
		}
		in[r.Related] = s
	}
	for _, p := range sd.Packages {
		if p == nil || p.Purpose == "CONTAINER" {
			continue
		}
		s := in[p.SPDXID]
		if s == nil {
			s = main
		}
		if p.Purpose == "OPERATING_SYSTEM" || p.Purpose == "OPERATING-SYSTEM" {
			if s.im.OS == nil {
				s.im.OS = &image.OSRelease{ID: strings.ToLower(p.Name), VersionID: p.VersionInfo, PrettyName: p.Description}
			}
			continue
		}
		purl := p.purl()
		if purl == "" {
			doc.Skipped++
			continue
		}
		f := facts{version: p.VersionInfo}
		f.file, f.layer, f.layerDigest, f.history = spdxSource(p.SourceInfo)
		for _, a := range p.Annotations {
			// kharden writes "source package: NAME VERSION".
			if rest, ok := strings.CutPrefix(a.Comment, "source package: "); ok {
				f.source, f.sourceVersion, _ = strings.Cut(rest, " ")
			}
		}
		if pk, osr, ok := pkgFromPURL(purl, f); ok {
			s.add(pk, osr, f)
			doc.Packages++
		} else {
			doc.Skipped++
		}
	}
	for _, s := range subs {
		s.im.Ref = s.im.Name
	}
	if len(main.im.Packages) > 0 || len(subs) == 0 {
		subs = append([]*subject{main}, subs...)
	}
	for _, s := range subs {
		doc.Subjects = append(doc.Subjects, s.finish())
	}
	return doc, nil
}

// spdxSource reads where a package was found from its sourceInfo: kharden's "found in
// FILE, added by layer N (DIGEST): HISTORY", or a tool's "... : /PATH" (Syft's
// "acquired package info from DPKG DB: /var/lib/dpkg/status").
func spdxSource(s string) (file string, layer int, digest, history string) {
	if rest, ok := strings.CutPrefix(s, "found in "); ok {
		file, rest, ok = strings.Cut(rest, ", added by layer ")
		if !ok {
			return file, 0, "", ""
		}
		n, rest, _ := strings.Cut(rest, " (")
		for _, c := range n {
			if c < '0' || c > '9' {
				return file, 0, "", ""
			}
			layer = layer*10 + int(c-'0')
		}
		digest, history, _ = strings.Cut(rest, ")")
		history = strings.TrimPrefix(history, ": ")
		return file, layer, digest, history
	}
	if i := strings.LastIndex(s, ": /"); i >= 0 {
		file, _, _ = strings.Cut(s[i+2:], ", ")
	}
	return file, 0, "", ""
}
