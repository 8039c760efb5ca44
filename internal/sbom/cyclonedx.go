package sbom

import (
	"encoding/json"
	"io"
	"strconv"
	"time"

	"github.com/kharden/kharden/internal/source/image"
)

// The CycloneDX 1.6 JSON document, as far as kharden fills it.
type cdxBOM struct {
	Schema       string          `json:"$schema"`
	BOMFormat    string          `json:"bomFormat"`
	SpecVersion  string          `json:"specVersion"`
	SerialNumber string          `json:"serialNumber"`
	Version      int             `json:"version"`
	Metadata     cdxMetadata     `json:"metadata"`
	Components   []*cdxComponent `json:"components"`
	Dependencies []cdxDependency `json:"dependencies,omitempty"`
}

type cdxMetadata struct {
	Timestamp string        `json:"timestamp"`
	Tools     cdxTools      `json:"tools"`
	Component *cdxComponent `json:"component,omitempty"`
}

type cdxTools struct {
	Components []*cdxComponent `json:"components"`
}

type cdxComponent struct {
	BOMRef      string          `json:"bom-ref,omitempty"`
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Version     string          `json:"version,omitempty"`
	Description string          `json:"description,omitempty"`
	Licenses    []cdxLicense    `json:"licenses,omitempty"`
	PURL        string          `json:"purl,omitempty"`
	Properties  []cdxProperty   `json:"properties,omitempty"`
	Evidence    *cdxEvidence    `json:"evidence,omitempty"`
	Components  []*cdxComponent `json:"components,omitempty"`
}

// cdxLicense is one of a component's licences: a licence ({"license": {...}}) or an
// SPDX expression ({"expression": "..."}).
type cdxLicense struct {
	License    *cdxLicenseID `json:"license,omitempty"`
	Expression string        `json:"expression,omitempty"`
}

type cdxLicenseID struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

type cdxProperty struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type cdxEvidence struct {
	Occurrences []cdxOccurrence `json:"occurrences"`
}

type cdxOccurrence struct {
	Location string `json:"location"`
}

type cdxDependency struct {
	Ref       string   `json:"ref"`
	DependsOn []string `json:"dependsOn,omitempty"`
}

// writeCycloneDX writes a CycloneDX 1.6 BOM of ims. One image is the BOM's subject
// (metadata.component) and its OS and packages are the BOM's components; several
// images are each a top-level container component holding their own. The
// dependencies say which components each image holds.
func writeCycloneDX(w io.Writer, ims []*image.Image, o Options) error {
	bom := &cdxBOM{
		Schema:       "http://cyclonedx.org/schema/bom-1.6.schema.json",
		BOMFormat:    "CycloneDX",
		SpecVersion:  "1.6",
		SerialNumber: "urn:uuid:" + docUUID("cyclonedx", ims, o).String(),
		Version:      1,
		Metadata: cdxMetadata{
			Timestamp: o.Time.Format(time.RFC3339),
			Tools: cdxTools{Components: []*cdxComponent{{
				Type: "application", Name: o.Tool, Version: o.Version,
			}}},
		},
		Components: []*cdxComponent{},
	}
	refs := uniq{}
	for i, im := range ims {
		top, held := cdxImage(im, i, refs)
		if len(ims) == 1 {
			bom.Metadata.Component = top
			bom.Components = append(bom.Components, held...)
		} else {
			top.Components = held
			bom.Components = append(bom.Components, top)
		}
		dep := cdxDependency{Ref: top.BOMRef}
		for _, c := range held {
			dep.DependsOn = append(dep.DependsOn, c.BOMRef)
		}
		bom.Dependencies = append(bom.Dependencies, dep)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(bom)
}

// cdxImage is the container component of the i-th image and the components it holds:
// its operating system, then its packages.
func cdxImage(im *image.Image, i int, refs uniq) (*cdxComponent, []*cdxComponent) {
	top := &cdxComponent{
		BOMRef:  refs.id("image-" + strconv.Itoa(i+1)),
		Type:    "container",
		Name:    im.Name,
		Version: im.Digest,
		PURL:    imagePURL(im),
	}
	prop := func(c *cdxComponent, k, v string) {
		if v != "" {
			c.Properties = append(c.Properties, cdxProperty{Name: "kharden:" + k, Value: v})
		}
	}
	prop(top, "image:reference", im.Ref)
	prop(top, "image:platform", im.Platform)
	for li, l := range im.Layers {
		prop(top, "image:layer:"+strconv.Itoa(li+1)+":digest", l.Digest)
	}
	var held []*cdxComponent
	if o := im.OS; o != nil {
		c := &cdxComponent{
			BOMRef:      refs.id("os-" + strconv.Itoa(i+1)),
			Type:        "operating-system",
			Name:        osName(o),
			Version:     o.VersionID,
			Description: o.PrettyName,
		}
		prop(c, "os:codename", o.VersionCodename)
		prop(c, "file", o.File)
		held = append(held, c)
	}
	for _, p := range im.Packages {
		ref := p.PURL
		if ref == "" {
			ref = "pkg-" + p.Type + "-" + p.Name
		}
		c := &cdxComponent{
			BOMRef:  refs.id(ref),
			Type:    "library",
			Name:    p.Name,
			Version: p.Version,
			PURL:    p.PURL,
		}
		if l := cdxLicences(p.License); l != nil {
			c.Licenses = l
		}
		if p.File != "" {
			c.Evidence = &cdxEvidence{Occurrences: []cdxOccurrence{{Location: p.File}}}
		}
		prop(c, "package:type", p.Type)
		prop(c, "package:source", p.Source)
		prop(c, "package:sourceVersion", p.SourceVersion)
		prop(c, "file", p.File)
		prop(c, "file:within", p.Within)
		for _, f := range p.Files {
			prop(c, "file:also", f)
		}
		if p.Layer >= 0 && p.Layer < len(im.Layers) {
			l := im.Layers[p.Layer]
			prop(c, "layer:index", strconv.Itoa(p.Layer+1))
			prop(c, "layer:digest", l.Digest)
			prop(c, "layer:createdBy", l.CreatedBy)
		}
		held = append(held, c)
	}
	return top, held
}

// cdxLicences is a declared licence: an SPDX ID, an SPDX expression, or a name.
func cdxLicences(s string) []cdxLicense {
	if s == "" {
		return nil
	}
	if expr, ok := licence(s); ok {
		if single(expr) {
			return []cdxLicense{{License: &cdxLicenseID{ID: expr}}}
		}
		return []cdxLicense{{Expression: expr}}
	}
	return []cdxLicense{{License: &cdxLicenseID{Name: s}}}
}
