// Package sbom writes the inventory of scanned images as a software bill of materials:
// CycloneDX 1.6 JSON (cyclonedx.go) and SPDX 2.3 JSON (spdx.go).
//
// Both are written from the same facts: for each image, its name, digest and platform;
// its operating system release; and each package with its name, version, purl, the
// licence its metadata declares, the file it was found in and the layer that added it.
// A document describes every image of one run.
//
// The output is reproducible: given the same images and the same Options.Time, the
// bytes are the same, serial number and document namespace included (they are derived
// from the content and the time, not drawn at random). Options.Time comes from
// SOURCE_DATE_EPOCH when it is set (Time).
//
// The writers are small and hand-written over this package's own structs: the two
// formats need a few dozen fields, not a library's full model.
package sbom

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/github/go-spdx/v2/spdxexp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/uuid"
	"github.com/package-url/packageurl-go"

	"github.com/kharden/kharden/internal/source/image"
)

// Formats are the output names of the SBOM formats, as -o takes them.
var Formats = []string{"cyclonedx", "spdx-json"}

// Options are the facts about the run that go into a document.
type Options struct {
	// Tool and Version name the tool that wrote the document.
	Tool    string
	Version string
	// Time is when the document was made; zero means now. See Time.
	Time time.Time
}

// Write writes the document of format (one of Formats) for ims to w.
func Write(w io.Writer, format string, ims []*image.Image, o Options) error {
	if o.Tool == "" {
		o.Tool = "kharden"
	}
	if o.Version == "" {
		o.Version = "devel"
	}
	if o.Time.IsZero() {
		o.Time = time.Now()
	}
	o.Time = o.Time.UTC().Truncate(time.Second)
	switch format {
	case "cyclonedx":
		return writeCycloneDX(w, ims, o)
	case "spdx-json":
		return writeSPDX(w, ims, o)
	}
	return fmt.Errorf("unknown SBOM format %q (want one of %v)", format, Formats)
}

// Time is the time a document says it was made: SOURCE_DATE_EPOCH (seconds since
// 1970, as reproducible builds define it) when getenv gives it, else now.
func Time(getenv func(string) string) (time.Time, error) {
	v := strings.TrimSpace(getenv("SOURCE_DATE_EPOCH"))
	if v == "" {
		return time.Now().UTC(), nil
	}
	s, err := strconv.ParseInt(v, 10, 64)
	if err != nil || s < 0 {
		return time.Time{}, errors.New("SOURCE_DATE_EPOCH: want a number of seconds since 1970-01-01")
	}
	return time.Unix(s, 0).UTC(), nil
}

// docUUID is a name-based (SHA-1, version 5) UUID of what the document holds and when
// it was made: the same run gives the same UUID, another image or time another one.
func docUUID(format string, ims []*image.Image, o Options) uuid.UUID {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00", format, o.Tool, o.Version, o.Time.Format(time.RFC3339))
	for _, im := range ims {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%d\x00", im.Ref, im.Name, im.Digest, len(im.Packages))
		for _, p := range im.Packages {
			fmt.Fprintf(h, "%s\x00%s\x00", p.PURL, p.File)
		}
	}
	return uuid.NewSHA1(uuid.NameSpaceURL, h.Sum(nil))
}

func imagePURL(im *image.Image) string { return ImagePURL(im) }

// ImagePURL is the package URL of a registry image read by digest, as the SBOMs name
// it: pkg:oci/NAME@DIGEST?repository_url=REPO&arch=ARCH; "" for an image without a
// registry name or digest. VEX statements about an image's packages name it so.
func ImagePURL(im *image.Image) string {
	if im.Digest == "" {
		return ""
	}
	ref, err := name.ParseReference(im.Name)
	if err != nil {
		return ""
	}
	repo := ref.Context()
	short := repo.RepositoryStr()
	if i := strings.LastIndexByte(short, '/'); i >= 0 {
		short = short[i+1:]
	}
	q := packageurl.Qualifiers{{Key: "repository_url", Value: repo.Name()}}
	if os, arch, ok := strings.Cut(im.Platform, "/"); ok && os == "linux" {
		arch, _, _ = strings.Cut(arch, "/")
		q = append(q, packageurl.Qualifier{Key: "arch", Value: arch})
	}
	return packageurl.NewPackageURL("oci", "", short, im.Digest, q, "").ToString()
}

// osName is the name an OS component or package is given: the release's ID.
func osName(o *image.OSRelease) string {
	if o.ID != "" {
		return o.ID
	}
	return strings.ToLower(o.Name)
}

// licence is a package's declared licence read as an SPDX expression: the expression,
// normalised ("mit" is "MIT"), and whether it is one. A LicenseRef- or DocumentRef- of
// the package's own metadata is not: this document does not define it.
func licence(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	norm, bad := spdxexp.ValidateAndNormalizeLicensesWithOptions([]string{s}, spdxexp.ValidateLicensesOptions{FailAllLicenseRefs: true, FailAllDocumentRefs: true})
	if len(bad) > 0 || len(norm) != 1 {
		return "", false
	}
	return norm[0], true
}

// single tells whether an SPDX expression is one licence ID, without operators.
func single(expr string) bool {
	return !strings.ContainsAny(expr, " ()")
}

// layerText names the layer that added a package: index from 1, digest and history.
func layerText(im *image.Image, i int) string {
	if i < 0 || i >= len(im.Layers) {
		return ""
	}
	return im.Short(i)
}

var notIDChar = regexp.MustCompile(`[^A-Za-z0-9.-]+`)

// idPart makes s usable in an SPDX identifier: letters, digits, '.' and '-'.
func idPart(s string) string {
	s = strings.Trim(notIDChar.ReplaceAllString(s, "-"), "-")
	if len(s) > 64 {
		s = s[:64]
	}
	if s == "" {
		s = "x"
	}
	return s
}

// uniq hands out identifiers: the base the first time, then base-2, base-3...
type uniq map[string]int

func (u uniq) id(base string) string {
	u[base]++
	if n := u[base]; n > 1 {
		return base + "-" + strconv.Itoa(n)
	}
	return base
}
