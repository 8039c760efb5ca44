package sbom

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/github/go-spdx/v2/spdxexp/spdxlicenses"

	"github.com/kharden/kharden/internal/source/image"
)

// The SPDX 2.3 JSON document, as far as kharden fills it.
type spdxDoc struct {
	SPDXVersion       string             `json:"spdxVersion"`
	DataLicense       string             `json:"dataLicense"`
	SPDXID            string             `json:"SPDXID"`
	Name              string             `json:"name"`
	DocumentNamespace string             `json:"documentNamespace"`
	CreationInfo      spdxCreation       `json:"creationInfo"`
	Packages          []*spdxPackage     `json:"packages"`
	Relationships     []spdxRelationship `json:"relationships"`
	ExtractedLicences []spdxExtracted    `json:"hasExtractedLicensingInfos,omitempty"`
}

type spdxCreation struct {
	Created            string   `json:"created"`
	Creators           []string `json:"creators"`
	LicenseListVersion string   `json:"licenseListVersion"`
}

type spdxPackage struct {
	SPDXID                string        `json:"SPDXID"`
	Name                  string        `json:"name"`
	VersionInfo           string        `json:"versionInfo,omitempty"`
	DownloadLocation      string        `json:"downloadLocation"`
	FilesAnalyzed         bool          `json:"filesAnalyzed"`
	LicenseConcluded      string        `json:"licenseConcluded"`
	LicenseDeclared       string        `json:"licenseDeclared"`
	CopyrightText         string        `json:"copyrightText"`
	SourceInfo            string        `json:"sourceInfo,omitempty"`
	Description           string        `json:"description,omitempty"`
	PrimaryPackagePurpose string        `json:"primaryPackagePurpose,omitempty"`
	ExternalRefs          []spdxExtRef  `json:"externalRefs,omitempty"`
	Checksums             []spdxSum     `json:"checksums,omitempty"`
	Annotations           []spdxComment `json:"annotations,omitempty"`
}

type spdxExtRef struct {
	ReferenceCategory string `json:"referenceCategory"`
	ReferenceType     string `json:"referenceType"`
	ReferenceLocator  string `json:"referenceLocator"`
}

type spdxSum struct {
	Algorithm     string `json:"algorithm"`
	ChecksumValue string `json:"checksumValue"`
}

type spdxComment struct {
	AnnotationDate string `json:"annotationDate"`
	AnnotationType string `json:"annotationType"`
	Annotator      string `json:"annotator"`
	Comment        string `json:"comment"`
}

type spdxRelationship struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
}

type spdxExtracted struct {
	LicenseID     string `json:"licenseId"`
	ExtractedText string `json:"extractedText"`
	Name          string `json:"name,omitempty"`
}

const (
	noAssertion = "NOASSERTION"
	spdxTime    = "2006-01-02T15:04:05Z"
)

// writeSPDX writes an SPDX 2.3 document of ims: the document DESCRIBES each image (a
// package whose purpose is CONTAINER), and each image CONTAINS its operating system
// (OPERATING_SYSTEM) and its packages. Where a package was found, and the layer that
// added it, are its sourceInfo.
func writeSPDX(w io.Writer, ims []*image.Image, o Options) error {
	id := docUUID("spdx-json", ims, o)
	docName := "images"
	if len(ims) == 1 {
		docName = ims[0].Name
	}
	doc := &spdxDoc{
		SPDXVersion:       "SPDX-2.3",
		DataLicense:       "CC0-1.0",
		SPDXID:            "SPDXRef-DOCUMENT",
		Name:              docName,
		DocumentNamespace: "https://kharden.io/spdx/image/" + url.PathEscape(idPart(docName)) + "-" + id.String(),
		CreationInfo: spdxCreation{
			Created:            o.Time.Format(spdxTime),
			Creators:           []string{"Tool: " + o.Tool + "-" + o.Version},
			LicenseListVersion: spdxlicenses.LicenseListVersion(),
		},
		Packages:      []*spdxPackage{},
		Relationships: []spdxRelationship{},
	}
	ids := uniq{}
	refs := map[string]string{} // free-text licence -> its LicenseRef
	for i, im := range ims {
		imgID := ids.id("SPDXRef-Image-" + strconv.Itoa(i+1))
		ip := &spdxPackage{
			SPDXID:                imgID,
			Name:                  im.Name,
			VersionInfo:           im.Digest,
			DownloadLocation:      noAssertion,
			LicenseConcluded:      noAssertion,
			LicenseDeclared:       noAssertion,
			CopyrightText:         noAssertion,
			PrimaryPackagePurpose: "CONTAINER",
			SourceInfo:            "read by " + o.Tool + " from " + im.Ref,
		}
		if p := imagePURL(im); p != "" {
			ip.ExternalRefs = []spdxExtRef{{"PACKAGE-MANAGER", "purl", p}}
		}
		if alg, hex, ok := strings.Cut(im.Digest, ":"); ok && alg == "sha256" {
			ip.Checksums = []spdxSum{{"SHA256", hex}}
		}
		if im.Platform != "" {
			ip.Description = "platform " + im.Platform
		}
		doc.Packages = append(doc.Packages, ip)
		doc.Relationships = append(doc.Relationships, spdxRelationship{"SPDXRef-DOCUMENT", "DESCRIBES", imgID})
		if osr := im.OS; osr != nil {
			osID := ids.id("SPDXRef-OperatingSystem-" + idPart(osName(osr)))
			doc.Packages = append(doc.Packages, &spdxPackage{
				SPDXID:                osID,
				Name:                  osName(osr),
				VersionInfo:           osr.VersionID,
				DownloadLocation:      noAssertion,
				LicenseConcluded:      noAssertion,
				LicenseDeclared:       noAssertion,
				CopyrightText:         noAssertion,
				Description:           osr.PrettyName,
				PrimaryPackagePurpose: "OPERATING_SYSTEM",
				SourceInfo:            foundIn(im, osr.File, osr.Layer),
			})
			doc.Relationships = append(doc.Relationships, spdxRelationship{imgID, "CONTAINS", osID})
		}
		for _, p := range im.Packages {
			pid := ids.id("SPDXRef-Package-" + idPart(p.Type) + "-" + idPart(p.Name))
			sp := &spdxPackage{
				SPDXID:                pid,
				Name:                  p.Name,
				VersionInfo:           p.Version,
				DownloadLocation:      noAssertion,
				LicenseConcluded:      noAssertion,
				LicenseDeclared:       spdxLicence(p.License, refs, &doc.ExtractedLicences),
				CopyrightText:         noAssertion,
				PrimaryPackagePurpose: "LIBRARY",
				SourceInfo:            foundIn(im, p.File, p.Layer),
			}
			if p.Within != "" {
				sp.SourceInfo = strings.Replace(sp.SourceInfo, p.File, p.File+"!/"+p.Within, 1)
			}
			if p.PURL != "" {
				sp.ExternalRefs = []spdxExtRef{{"PACKAGE-MANAGER", "purl", p.PURL}}
			}
			if (p.Source != "" && p.Source != p.Name) || p.SourceVersion != "" {
				v := p.SourceVersion
				if v == "" {
					v = p.Version
				}
				src := p.Source
				if src == "" {
					src = p.Name
				}
				sp.Annotations = []spdxComment{{
					AnnotationDate: doc.CreationInfo.Created, AnnotationType: "OTHER",
					Annotator: "Tool: " + o.Tool + "-" + o.Version, Comment: "source package: " + src + " " + v,
				}}
			}
			doc.Packages = append(doc.Packages, sp)
			doc.Relationships = append(doc.Relationships, spdxRelationship{imgID, "CONTAINS", pid})
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// foundIn is where a package or release was read: the file and the layer that wrote it.
func foundIn(im *image.Image, file string, layer int) string {
	if file == "" {
		return ""
	}
	s := "found in " + file
	if l := layerText(im, layer); l != "" {
		s += ", added by " + l
	}
	return s
}

// spdxLicence is a declared licence as SPDX wants it: an SPDX expression, or for free
// text a LicenseRef- defined in the document (hasExtractedLicensingInfos), or
// NOASSERTION when the package declares none.
func spdxLicence(s string, refs map[string]string, extracted *[]spdxExtracted) string {
	if strings.TrimSpace(s) == "" {
		return noAssertion
	}
	if expr, ok := licence(s); ok {
		return expr
	}
	if ref, ok := refs[s]; ok {
		return ref
	}
	ref := fmt.Sprintf("LicenseRef-%s", idPart(s))
	for _, taken := range refs {
		if taken == ref {
			ref = fmt.Sprintf("LicenseRef-%s-%d", idPart(s), len(refs)+1)
			break
		}
	}
	refs[s] = ref
	*extracted = append(*extracted, spdxExtracted{LicenseID: ref, ExtractedText: s, Name: s})
	return ref
}
