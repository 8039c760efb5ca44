package k8s

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/workload"
)

// RunAsNonRoot is KM-0001.
var RunAsNonRoot = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0001",
		Slug:      "run-as-non-root",
		Title:     "Containers must not run as root",
		Severity:  rule.High,
		Practices: []string{"C1"},
		Rationale: "A process running as UID 0 is root on the node too unless user namespaces remap it: a container " +
			"escape, a writable host mount or a kernel bug then hands the attacker the node. Images often default " +
			"to root, so only runAsNonRoot: true or an explicit non-zero runAsUser makes the kubelet guarantee otherwise.",
		Remediation: "Set securityContext.runAsNonRoot: true (pod or container level) and a non-zero runAsUser, and " +
			"build the image with a numeric non-root USER. Remove any runAsUser: 0 or runAsNonRoot: false.",
		References: []string{
			"https://kubernetes.io/docs/tasks/configure-pod-container/security-context/",
			"https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted",
		},
		Standards: rule.Standards{
			CIS: []string{"5.2.7"},
			PSS: []string{"restricted:runAsNonRoot", "restricted:runAsUser"},
			NSA: []string{"Kubernetes Pod security: non-root containers and rootless container engines"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(in *Input) []rule.Finding {
		return eachContainer(in, func(c workload.Container) []rule.Finding {
			uid, uidPath := runAsUserOf(in.Workload, c)
			if uid != nil && *uid == 0 {
				return []rule.Finding{finding(uidPath, "container %q runs as root (runAsUser: 0%s)", c.Name, podLevelNote(c, uidPath))}
			}
			if uid != nil {
				return nil // an explicit non-zero UID
			}
			nonRoot, nonRootPath := runAsNonRootOf(in.Workload, c)
			switch {
			case nonRoot == nil:
				return []rule.Finding{finding(c.Field("securityContext.runAsNonRoot"),
					"container %q may run as root: neither runAsNonRoot: true nor a non-zero runAsUser is set", c.Name)}
			case !*nonRoot:
				return []rule.Finding{finding(nonRootPath,
					"container %q may run as root: runAsNonRoot is false%s and no non-zero runAsUser is set", c.Name, podLevelNote(c, nonRootPath))}
			}
			return nil
		})
	},
}

// podOrContainer resolves a securityContext field that a container inherits from its pod:
// the container's value wins over the pod's. It returns the value and the path where it is
// set, or nil and "" when neither sets it.
func podOrContainer[T any](w *workload.Workload, c workload.Container, field string,
	ofContainer func(*corev1.SecurityContext) *T, ofPod func(*corev1.PodSecurityContext) *T) (*T, string) {
	if sc := c.SecurityContext; sc != nil {
		if v := ofContainer(sc); v != nil {
			return v, c.Field("securityContext." + field)
		}
	}
	if psc := w.Spec.SecurityContext; psc != nil {
		if v := ofPod(psc); v != nil {
			return v, w.Field("securityContext." + field)
		}
	}
	return nil, ""
}

// podLevelNote says, for a message, that a value comes from the pod's securityContext.
func podLevelNote(c workload.Container, path string) string {
	if strings.HasPrefix(path, c.Path+".") {
		return ""
	}
	return " in the pod securityContext"
}

func runAsUserOf(w *workload.Workload, c workload.Container) (*int64, string) {
	return podOrContainer(w, c, "runAsUser",
		func(s *corev1.SecurityContext) *int64 { return s.RunAsUser },
		func(s *corev1.PodSecurityContext) *int64 { return s.RunAsUser })
}

func runAsNonRootOf(w *workload.Workload, c workload.Container) (*bool, string) {
	return podOrContainer(w, c, "runAsNonRoot",
		func(s *corev1.SecurityContext) *bool { return s.RunAsNonRoot },
		func(s *corev1.PodSecurityContext) *bool { return s.RunAsNonRoot })
}
