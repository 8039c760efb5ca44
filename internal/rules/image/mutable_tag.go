package image

import (
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/image"
)

// localPrefixes start the references of images read from files, which have no tag.
var localPrefixes = []string{"oci:", "oci-archive:", "docker-archive:", "rootfs:"}

// MutableTag is IM-0012.
var MutableTag = &Rule{
	Meta: rule.Meta{
		ID:        "IM-0012",
		Slug:      "image-mutable-tag",
		Title:     "An image should be referenced by digest, not by a tag",
		Severity:  rule.Low,
		Practices: []string{"B5"},
		Rationale: "A tag is a name the registry lets anyone with push rights move: the image scanned under app:1.4 " +
			"today need not be the one a node pulls under that tag tomorrow, and latest (or no tag, which means " +
			"latest) moves on every push. A digest (@sha256:...) names content: what was scanned is what runs. The " +
			"rule reports an image scanned by a registry reference with a tag and no digest, and says so when the tag " +
			"is latest; images read from files (oci:, docker-archive:) are not references and pass.",
		Remediation: "Refer to the image by digest (registry/app@sha256:..., or registry/app:1.4@sha256:... to keep the " +
			"tag readable) in manifests, charts and scans; crane digest or docker buildx imagetools inspect print it. " +
			"Let a tool such as Renovate keep digests up to date.",
		References: []string{
			"https://kubernetes.io/docs/concepts/containers/images/#image-names",
			"https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests",
		},
		Since:   "0.2.0",
		Default: true,
	},
	Reference: true,
	Check: func(im *image.Image) []Finding {
		ref := im.Ref
		for _, p := range localPrefixes {
			if strings.HasPrefix(ref, p) {
				return nil
			}
		}
		if strings.Contains(ref, "@") {
			return nil // a digest, with or without a tag
		}
		t, err := name.NewTag(ref, name.WeakValidation)
		if err != nil {
			return nil
		}
		f := Finding{Path: "reference", Layer: -1}
		switch {
		case t.TagStr() == "latest" && !strings.HasSuffix(ref, ":latest"):
			f.Message = "the image is referenced as " + ref + " without a tag or digest, which means the tag latest: it moves on every push"
		case t.TagStr() == "latest":
			f.Message = "the image is referenced by the tag latest, which moves on every push; use a digest"
		default:
			f.Message = "the image is referenced by the tag " + t.TagStr() + ", which can be moved to other content; use a digest"
		}
		if im.Digest != "" {
			f.Message += " (it is " + im.Digest + " now)"
		}
		return []Finding{f}
	},
}
