package image

import (
	"fmt"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/image"
)

// LayerCount is IM-0011.
var LayerCount = withSettings(rule.Meta{
	ID:        "IM-0011",
	Slug:      "image-layer-count",
	Title:     "The image should have few layers",
	Severity:  rule.Low,
	Practices: []string{"B11"},
	Rationale: "Every RUN, COPY and ADD makes a layer, and every layer keeps what it wrote even when a later one " +
		"deletes it: a cache, a downloaded archive, a credential. Many layers mean a bigger image, slower pulls, and " +
		"more places where something removed still lives; they are also a sign of a Dockerfile built by appending " +
		"steps rather than a multi-stage build. The rule reports an image with more layers than the limit " +
		"(images.maxLayers, default 20), at the first layer past it.",
	Remediation: "Join consecutive RUN steps with && and clean up in the step that made the mess; build in a builder " +
		"stage and COPY --from it the result in one layer; or raise the limit for images whose layers are shared on " +
		"purpose.",
	References: []string{
		"https://docs.docker.com/build/building/best-practices/#minimize-the-number-of-layers",
		"https://docs.docker.com/build/building/multi-stage/",
	},
	Since:   "0.2.0",
	Default: true,
}, func(im *image.Image, s Settings) []Finding {
	if len(im.Layers) <= s.MaxLayers {
		return nil
	}
	first := s.MaxLayers
	return []Finding{{Path: "rootfs.diff_ids", Layer: first,
		Message: fmt.Sprintf("the image has %d layers, more than %d; the first past the limit is %s",
			len(im.Layers), s.MaxLayers, im.Short(first))}}
})
