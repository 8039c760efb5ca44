package image

import (
	"fmt"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/image"
)

// EndOfLife is IM-0013.
var EndOfLife = &Rule{
	Meta: rule.Meta{
		ID:        "IM-0013",
		Slug:      "image-end-of-life-os",
		Title:     "The image's operating system must still get security updates",
		Severity:  rule.Medium,
		Practices: []string{"B7"},
		Rationale: "Once a distribution release reaches its end of life, no one fixes its packages: every " +
			"vulnerability found afterwards stays open in the image, and vulnerability scanners may stop reporting " +
			"them because the distribution no longer publishes advisories for it. The rule reads the release from " +
			"/etc/os-release (else /usr/lib/os-release) and compares it with kharden's dated table of end-of-support " +
			"dates (Debian LTS, Ubuntu standard support, Alpine, RHEL and its rebuilds, CentOS, Amazon Linux; paid " +
			"extensions not counted). It judges by the table's date, so that a scan's verdict does not change with " +
			"the clock; a newer kharden knows later dates. Releases the table does not know pass.",
		Remediation: "Rebuild the image FROM a supported release of the distribution (debian:bookworm, alpine:3.22, " +
			"ubuntu:24.04) and test the application on it; pin the new base image by digest and let a tool such as " +
			"Renovate propose the next upgrade.",
		References: []string{
			"https://wiki.debian.org/LTS",
			"https://alpinelinux.org/releases/",
			"https://ubuntu.com/about/release-cycle",
		},
		Since:   "0.2.0",
		Default: true,
	},
	Check: func(im *image.Image) []Finding {
		o := im.OS
		if o == nil || o.EndOfLife == nil || !o.EndOfLife.Ended {
			return nil
		}
		name := o.PrettyName
		if name == "" {
			name = o.ID + " " + o.VersionID
		}
		return []Finding{{Path: o.File, Layer: o.Layer, Message: fmt.Sprintf(
			"the image's OS, %s, reached its end of life on %s (kharden's table as of %s): its packages get no more security fixes; %s is from %s",
			name, o.EndOfLife.Date, o.EndOfLife.AsOf, o.File, im.Short(o.Layer))}}
	},
}
