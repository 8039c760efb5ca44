package image

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/image"
)

// SSHPort is IM-0004.
var SSHPort = &Rule{
	Meta: rule.Meta{
		ID:        "IM-0004",
		Slug:      "image-ssh-port",
		Title:     "The image must not expose the SSH port",
		Severity:  rule.High,
		Practices: []string{"B8"},
		Rationale: "An image whose configuration exposes port 22 announces an SSH server in the container: a second, " +
			"unaudited way in that needs its own credentials and bypasses the orchestrator's exec and logging. The " +
			"Dockerfile rule exposed-ports sees the EXPOSE a Dockerfile writes; this rule reads the configuration of " +
			"the image as built, so a port a base image exposed counts too.",
		Remediation: "Remove EXPOSE 22 and the SSH server behind it from the image (and from its base image, or pick " +
			"another base); use kubectl exec, kubectl debug or docker exec for a shell.",
		References: []string{
			"https://docs.docker.com/reference/dockerfile/#expose",
			"https://github.com/opencontainers/image-spec/blob/main/config.md",
		},
		Since:   "0.2.0",
		Default: true,
	},
	Check: func(im *image.Image) []Finding {
		var out []Finding
		for _, p := range exposedPorts(im) {
			if p.number == 22 && p.proto != "udp" {
				out = append(out, inConfig(p.field(), "the image exposes %s, the SSH port%s", p.spec, p.history(im)))
			}
		}
		return out
	},
}
