package k8s

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/workload"
)

// ReadOnlyRootFilesystem is KM-0005.
var ReadOnlyRootFilesystem = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0005",
		Slug:      "read-only-root-filesystem",
		Title:     "Containers must have a read-only root filesystem",
		Severity:  rule.Medium,
		Practices: []string{"C5"},
		Rationale: "A writable root filesystem lets an intruder drop tools, change binaries and configuration, and " +
			"persist for the life of the container. A read-only root makes the image what runs, and sends the " +
			"writes the application really needs to volumes that are visible in the manifest.",
		Remediation: "Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir (or another volume) " +
			"at each path the application writes to, such as /tmp.",
		References: []string{
			"https://kubernetes.io/docs/tasks/configure-pod-container/security-context/",
			"https://kubernetes.io/docs/concepts/storage/volumes/#emptydir",
		},
		Standards: rule.Standards{
			CIS: []string{"5.7.3"},
			NSA: []string{"Kubernetes Pod security: immutable container file systems"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(in *Input) []rule.Finding {
		return eachContainer(in, func(c workload.Container) []rule.Finding {
			path := c.Field("securityContext.readOnlyRootFilesystem")
			sc := c.SecurityContext
			switch {
			case sc == nil || sc.ReadOnlyRootFilesystem == nil:
				return []rule.Finding{finding(path, "container %q does not set readOnlyRootFilesystem: true", c.Name)}
			case !*sc.ReadOnlyRootFilesystem:
				return []rule.Finding{finding(path, "container %q has a writable root filesystem (readOnlyRootFilesystem: false)", c.Name)}
			}
			return nil
		})
	},
}
