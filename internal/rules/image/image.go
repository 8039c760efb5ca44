// Package image holds the image rules (IDs IM-xxxx): pure checks over what package
// source/image read from an image — its configuration, the metadata of its final
// filesystem and its package inventory. Each rule lives in its own file.
//
// A finding names where in the image it is: a file of the final filesystem (absolute
// path) or a field of the configuration ("config.User"), and the layer that wrote the
// file, so that whoever fixes it knows which build step to change.
package image

import (
	"fmt"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/image"
)

// Rule is an image rule: metadata and a pure check over one scanned image.
type Rule struct {
	rule.Meta
	// Check runs the rule with DefaultSettings.
	Check func(im *image.Image) []Finding
	// Reference marks a rule that judges the reference the image was asked for by, not
	// its content. kharden scan --images does not run it: there the manifest rules
	// image-digest and image-tag-latest judge the same reference at the same field.
	Reference bool
	// Signature marks the rule that judges an image's signatures by the config's image
	// policies (admission.imagePolicies), not its content: kharden scan --images and
	// kharden audit cluster --images run the verification the webhook runs, and its
	// Check finds nothing.
	Signature bool
	// checkWith is set on the rules that take settings (a limit).
	checkWith func(im *image.Image, s Settings) []Finding
}

// Settings are the limits some image rules compare with. A zero field means its default.
type Settings struct {
	// MaxExposedPorts is how many ports image-many-exposed-ports accepts.
	MaxExposedPorts int
	// MaxLayers is how many layers image-layer-count accepts.
	MaxLayers int
}

// DefaultSettings are the settings of Check, and of Run for zero fields.
var DefaultSettings = Settings{MaxExposedPorts: 3, MaxLayers: 20}

func (s Settings) withDefaults() Settings {
	if s.MaxExposedPorts <= 0 {
		s.MaxExposedPorts = DefaultSettings.MaxExposedPorts
	}
	if s.MaxLayers <= 0 {
		s.MaxLayers = DefaultSettings.MaxLayers
	}
	return s
}

// Run checks im with settings s (zero fields take DefaultSettings).
func (r *Rule) Run(im *image.Image, s Settings) []Finding {
	if r.checkWith != nil {
		return r.checkWith(im, s.withDefaults())
	}
	return r.Check(im)
}

// withSettings makes a rule whose check takes settings; its Check uses DefaultSettings.
func withSettings(m rule.Meta, check func(im *image.Image, s Settings) []Finding) *Rule {
	return &Rule{Meta: m, checkWith: check, Check: func(im *image.Image) []Finding { return check(im, DefaultSettings) }}
}

// Finding is one failure of an image rule.
type Finding struct {
	// Path is a file of the image ("/usr/bin/curl") or a configuration field
	// ("config.User", "config.Env[2]").
	Path string
	// Layer is the index in Image.Layers of the layer that wrote Path; -1 for the
	// configuration.
	Layer   int
	Message string
}

// inConfig is a finding about a field of the image's configuration.
func inConfig(field, format string, a ...any) Finding {
	return Finding{Path: "config." + field, Layer: -1, Message: fmt.Sprintf(format, a...)}
}
