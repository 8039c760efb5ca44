package image

import (
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/image"
)

// RunsAsRoot is IM-0001.
var RunsAsRoot = &Rule{
	Meta: rule.Meta{
		ID:        "IM-0001",
		Slug:      "image-runs-as-root",
		Title:     "The image must name a non-root user to run as",
		Severity:  rule.Medium,
		Practices: []string{"B17"},
		Rationale: "A container runs as the user its image's configuration names unless the pod says otherwise, " +
			"and an image that names none (or 0, or root) runs as root. Root in a container is root on the node's " +
			"kernel: one escape, a writable host mount or a mis-set capability away from the node. An image that " +
			"names an unprivileged user runs safely even where the pod forgets runAsNonRoot; Kubernetes can only " +
			"check runAsNonRoot against a numeric user, so the rule also notes a user given by name.",
		Remediation: "Create an unprivileged user in the image and end the Dockerfile's final stage with USER and a " +
			"numeric ID (USER 10001:10001, or 65532 for distroless nonroot images); give files the process must write " +
			"to that user with COPY --chown. Set runAsNonRoot: true in the pod as well.",
		References: []string{
			"https://docs.docker.com/reference/dockerfile/#user",
			"https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted",
			"CIS Docker Benchmark 4.1: Ensure that a user for the container has been created",
		},
		Standards: rule.Standards{CIS: []string{"4.1"}},
		Since:     "0.2.0",
		Default:   true,
	},
	Check: func(im *image.Image) []Finding {
		user := strings.TrimSpace(im.Config.Config.User)
		name, _, _ := strings.Cut(user, ":")
		switch name {
		case "":
			return []Finding{inConfig("User", "the image names no user, so it runs as root")}
		case "0", "root":
			return []Finding{inConfig("User", "the image runs as %q", user)}
		}
		return nil
	},
}
