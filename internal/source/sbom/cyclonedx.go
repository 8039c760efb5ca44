package sbom

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/kharden/kharden/internal/source/image"
)

type cdxBOM struct {
	Metadata struct {
		Component *cdxComponent `json:"component"`
	} `json:"metadata"`
	Components []*cdxComponent `json:"components"`
}

type cdxComponent struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Version     string          `json:"version"`
	Description string          `json:"description"`
	PURL        string          `json:"purl"`
	Properties  []cdxProperty   `json:"properties"`
	Components  []*cdxComponent `json:"components"`
	Evidence    *struct {
		Occurrences []struct {
			Location string `json:"location"`
		} `json:"occurrences"`
	} `json:"evidence"`
}

type cdxProperty struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

func (c *cdxComponent) prop(names ...string) string {
	for _, n := range names {
		for _, p := range c.Properties {
			if p.Name == n {
				return p.Value
			}
		}
	}
	return ""
}

// parseCycloneDX reads a CycloneDX JSON BOM. Each top-level container component that
// holds components is a subject of its own (kharden's BOM of several images); the
// other components, nested ones included, are the subject the metadata names.
func parseCycloneDX(b []byte) (*Document, error) {
	var bom cdxBOM
	if err := json.Unmarshal(b, &bom); err != nil {
		return nil, err
	}
	doc := &Document{}
	name := ""
	if c := bom.Metadata.Component; c != nil {
		name = c.Name
		if c.Version != "" {
			name += "@" + c.Version
		}
	}
	main := newSubject(name)
	var subs []*subject
	for _, c := range bom.Components {
		if c.Type == "container" && len(c.Components) > 0 {
			s := newSubject(c.Name)
			if c.Version != "" {
				s.im.Name += "@" + c.Version
			}
			s.im.Ref = c.prop("kharden:image:reference")
			if s.im.Ref == "" {
				s.im.Ref = s.im.Name
			}
			s.im.Platform = c.prop("kharden:image:platform")
			for _, cc := range c.Components {
				cdxAdd(doc, s, cc)
			}
			subs = append(subs, s)
			continue
		}
		cdxAdd(doc, main, c)
	}
	if len(main.im.Packages) > 0 || len(subs) == 0 {
		subs = append([]*subject{main}, subs...)
	}
	for _, s := range subs {
		doc.Subjects = append(doc.Subjects, s.finish())
	}
	return doc, nil
}

// cdxAdd adds c and the components it holds to s.
func cdxAdd(doc *Document, s *subject, c *cdxComponent) {
	if c == nil {
		return
	}
	switch {
	case c.Type == "operating-system":
		if s.im.OS == nil {
			osr := &image.OSRelease{ID: strings.ToLower(c.Name), VersionID: c.Version, PrettyName: c.Description,
				VersionCodename: c.prop("kharden:os:codename", "syft:distro:versionCodename"), File: c.prop("kharden:file")}
			if id := c.prop("syft:distro:id"); id != "" {
				osr.ID = id
			}
			if v := c.prop("syft:distro:versionID"); v != "" {
				osr.VersionID = v
			}
			s.im.OS = osr
		}
	case c.PURL != "":
		f := facts{
			version:       c.Version,
			source:        c.prop("kharden:package:source"),
			sourceVersion: c.prop("kharden:package:sourceVersion"),
			file:          c.prop("kharden:file", "syft:location:0:path"),
			within:        c.prop("kharden:file:within"),
			layerDigest:   c.prop("kharden:layer:digest"),
			history:       c.prop("kharden:layer:createdBy"),
		}
		if f.file == "" && c.Evidence != nil && len(c.Evidence.Occurrences) > 0 {
			f.file = c.Evidence.Occurrences[0].Location
		}
		f.layer, _ = strconv.Atoi(c.prop("kharden:layer:index"))
		if p, osr, ok := pkgFromPURL(c.PURL, f); ok {
			s.add(p, osr, f)
			doc.Packages++
		} else {
			doc.Skipped++
		}
	case c.Type != "container":
		doc.Skipped++
	}
	for _, cc := range c.Components {
		cdxAdd(doc, s, cc)
	}
}
