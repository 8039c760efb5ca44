package k8s

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/workload"
)

// ForbiddenCapabilities is KM-0018.
var ForbiddenCapabilities = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0018",
		Slug:      "forbidden-capabilities",
		Title:     "Containers must not add capabilities outside the Pod Security baseline set",
		Severity:  rule.High,
		Practices: []string{"C16"},
		Rationale: "Capabilities outside the container runtime's default set break the container boundary: SYS_ADMIN " +
			"can mount filesystems and is nearly root on the node, SYS_PTRACE inspects other processes, SYS_MODULE " +
			"loads kernel modules, NET_ADMIN rewrites the network, NET_RAW spoofs traffic. The baseline Pod Security " +
			"Standard forbids adding any of them.",
		Remediation: "Remove the capability from securityContext.capabilities.add. If the workload really needs it, " +
			"isolate it on dedicated nodes and suppress this rule for it with a reason.",
		References: []string{
			"https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
			"https://kubernetes.io/docs/tasks/configure-pod-container/security-context/#set-capabilities-for-a-container",
		},
		Standards: rule.Standards{
			CIS: []string{"5.2.8", "5.2.9"},
			PSS: []string{"baseline:capabilities_baseline"},
			NSA: []string{"Kubernetes Pod security: Pod security enforcement"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(in *Input) []rule.Finding {
		return eachContainer(in, func(c workload.Container) []rule.Finding {
			var out []rule.Finding
			for i, cp := range addedCapabilities(c) {
				name := capabilityName(cp)
				if baselineCapabilities[name] {
					continue // KM-0019 reports these
				}
				path := c.Field(fmt.Sprintf("securityContext.capabilities.add[%d]", i))
				if name == "ALL" {
					out = append(out, finding(path, "container %q adds ALL capabilities", c.Name))
				} else {
					out = append(out, finding(path, "container %q adds capability %s, which the baseline Pod Security Standard forbids", c.Name, name))
				}
			}
			return out
		})
	},
}

// baselineCapabilities are the capabilities the baseline Pod Security Standard lets a
// container add: the container runtimes' default set, without NET_RAW.
var baselineCapabilities = map[string]bool{
	"AUDIT_WRITE": true, "CHOWN": true, "DAC_OVERRIDE": true, "FOWNER": true, "FSETID": true, "KILL": true,
	"MKNOD": true, "NET_BIND_SERVICE": true, "SETFCAP": true, "SETGID": true, "SETPCAP": true, "SETUID": true,
	"SYS_CHROOT": true,
}

// capabilityName normalises a capability as runtimes read it: case-insensitive, with or
// without the CAP_ prefix.
func capabilityName(c corev1.Capability) string {
	return strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(string(c))), "CAP_")
}

// hasCapability tells whether a list names a capability (given without CAP_, upper case).
func hasCapability(list []corev1.Capability, name string) bool {
	for _, c := range list {
		if capabilityName(c) == name {
			return true
		}
	}
	return false
}

func addedCapabilities(c workload.Container) []corev1.Capability {
	if sc := c.SecurityContext; sc != nil && sc.Capabilities != nil {
		return sc.Capabilities.Add
	}
	return nil
}
