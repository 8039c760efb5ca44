package k8s

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/workload"
)

// SeccompProfile is KM-0021.
var SeccompProfile = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0021",
		Slug:      "seccomp-profile",
		Title:     "Containers must run with the RuntimeDefault or a Localhost seccomp profile",
		Severity:  rule.Medium,
		Practices: []string{"C18"},
		Rationale: "Seccomp filters the system calls a process may make. Kubernetes runs containers Unconfined unless " +
			"a profile is set, which leaves every system call of the kernel, including rarely used and often " +
			"vulnerable ones such as unshare, keyctl or bpf, open to a compromised application. The runtime's " +
			"default profile blocks them at no cost to ordinary programs.",
		Remediation: "Set spec.securityContext.seccompProfile.type: RuntimeDefault in the pod (or Localhost with a " +
			"profile generated for the application, see `kharden profile`), and remove any Unconfined profile. " +
			"The seccomp.security.alpha.kubernetes.io/pod and container.seccomp.security.alpha.kubernetes.io/<name> " +
			"annotations do not count: Kubernetes ignores them since 1.27, so a pod that has only them runs " +
			"Unconfined; replace them with the field.",
		References: []string{
			"https://kubernetes.io/docs/tutorials/security/seccomp/",
			"https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted",
		},
		Standards: rule.Standards{
			CIS: []string{"5.7.2"},
			PSS: []string{"baseline:seccompProfile_baseline", "restricted:seccompProfile_restricted"},
			NSA: []string{"Kubernetes Pod security: Pod security enforcement"},
		},
		Since:   "0.1.0",
		Default: true,
		Changes: []string{"0.2.0: the seccomp.security.alpha.kubernetes.io annotations alone no longer pass, since Kubernetes ignores them from 1.27: such a pod fails at the annotation, with a note that it is deprecated."},
	},
	Check: func(in *Input) []rule.Finding {
		if windowsPod(in) {
			return nil // seccomp is a Linux feature
		}
		return eachContainer(in, func(c workload.Container) []rule.Finding {
			p := effectiveSeccomp(in, c)
			switch {
			case p.path == "":
				if key, value, path, ok := seccompAnnotation(in, c); ok {
					return []rule.Finding{finding(path, "container %q has no seccomp profile: annotation %s (%q) is deprecated "+
						"and ignored since Kubernetes 1.27; set seccompProfile.type to RuntimeDefault or Localhost", c.Name, key, value)}
				}
				return []rule.Finding{finding(c.Field("securityContext.seccompProfile"),
					"container %q has no seccomp profile: set seccompProfile.type to RuntimeDefault or Localhost", c.Name)}
			case p.ok:
				return nil
			case strings.HasPrefix(p.path, c.Path+"."):
				return []rule.Finding{finding(p.path, "container %q sets seccomp profile %s", c.Name, p.value)}
			}
			return []rule.Finding{finding(p.path, "container %q inherits seccomp profile %s from the pod securityContext",
				c.Name, p.value)}
		})
	},
}

// seccompSetting is where a container's seccomp profile comes from.
type seccompSetting struct {
	value string // the field's type
	ok    bool   // RuntimeDefault or Localhost
	path  string // field path of the setting; "" when nothing sets a profile
}

// effectiveSeccomp resolves a container's seccomp profile as the kubelet does: the
// container's field, else the pod's. The seccomp.security.alpha.kubernetes.io annotations
// count for nothing: since Kubernetes 1.27 the API server no longer copies them into the
// fields, which are all the kubelet reads.
func effectiveSeccomp(in *Input, c workload.Container) seccompSetting {
	fromField := func(p *corev1.SeccompProfile, path string) seccompSetting {
		t := p.Type
		return seccompSetting{value: string(t), path: path,
			ok: t == corev1.SeccompProfileTypeRuntimeDefault || t == corev1.SeccompProfileTypeLocalhost}
	}
	if sc := c.SecurityContext; sc != nil && sc.SeccompProfile != nil {
		return fromField(sc.SeccompProfile, c.Field("securityContext.seccompProfile.type"))
	}
	if psc := in.Workload.Spec.SecurityContext; psc != nil && psc.SeccompProfile != nil {
		return fromField(psc.SeccompProfile, in.Workload.Field("securityContext.seccompProfile.type"))
	}
	return seccompSetting{}
}

// seccompAnnotation finds the legacy annotation that an author meant to set a container's
// seccomp profile with (the container's, else the pod's), so that a finding can point at
// it and say it does nothing.
func seccompAnnotation(in *Input, c workload.Container) (key, value, path string, ok bool) {
	for _, key := range []string{corev1.SeccompContainerAnnotationKeyPrefix + c.Name, corev1.SeccompPodAnnotationKey} {
		if value, path, ok := podAnnotation(in, key); ok {
			return key, value, path, true
		}
	}
	return "", "", "", false
}

// windowsPod tells whether a workload's pod declares that it runs on Windows, where
// seccomp and AppArmor do not exist.
func windowsPod(in *Input) bool {
	w := in.Workload
	return w != nil && w.Spec.OS != nil && w.Spec.OS.Name == corev1.Windows
}
