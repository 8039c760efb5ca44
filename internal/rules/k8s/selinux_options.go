package k8s

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/workload"
)

// SELinuxOptions is KM-0024.
var SELinuxOptions = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0024",
		Slug:      "selinux-options",
		Title:     "Pods and containers must not set a custom SELinux user, role or type",
		Severity:  rule.Medium,
		Practices: []string{"C20"},
		Rationale: "On SELinux hosts containers run as the container_t type, which confines them away from host files " +
			"and other containers. Choosing another type (spc_t, unconfined_t...) or a user or role lifts that " +
			"confinement; only the level (the MCS categories) is safe to set.",
		Remediation: "Remove seLinuxOptions.type, user and role from the pod and container securityContext, or use one " +
			"of the container types (container_t, container_init_t, container_kvm_t, container_engine_t); set only " +
			"seLinuxOptions.level where categories must be chosen.",
		References: []string{
			"https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
			"https://kubernetes.io/docs/tasks/configure-pod-container/security-context/#assign-selinux-labels-to-a-container",
		},
		Standards: rule.Standards{
			CIS: []string{"5.7.3"},
			PSS: []string{"baseline:seLinuxOptions"},
			NSA: []string{"Kubernetes Pod security: Pod security enforcement"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(in *Input) []rule.Finding {
		if in.Workload == nil {
			return nil
		}
		var out []rule.Finding
		if psc := in.Workload.Spec.SecurityContext; psc != nil {
			out = append(out, checkSELinux(psc.SELinuxOptions, in.Workload.Field("securityContext.seLinuxOptions"), "pod")...)
		}
		return append(out, eachContainer(in, func(c workload.Container) []rule.Finding {
			if c.SecurityContext == nil {
				return nil
			}
			return checkSELinux(c.SecurityContext.SELinuxOptions, c.Field("securityContext.seLinuxOptions"),
				fmt.Sprintf("container %q", c.Name))
		})...)
	},
}

// selinuxContainerTypes are the SELinux types the Pod Security Standards baseline allows.
var selinuxContainerTypes = map[string]bool{
	"": true, "container_t": true, "container_init_t": true, "container_kvm_t": true, "container_engine_t": true,
}

func checkSELinux(o *corev1.SELinuxOptions, path, who string) []rule.Finding {
	if o == nil {
		return nil
	}
	var out []rule.Finding
	if !selinuxContainerTypes[o.Type] {
		out = append(out, finding(path+".type", "%s sets SELinux type %q", who, o.Type))
	}
	if o.User != "" {
		out = append(out, finding(path+".user", "%s sets SELinux user %q", who, o.User))
	}
	if o.Role != "" {
		out = append(out, finding(path+".role", "%s sets SELinux role %q", who, o.Role))
	}
	return out
}
