package cluster

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/pod-security-admission/api"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/cluster"
)

// psaEnforceLabel is the namespace label Pod Security Admission enforces.
const psaEnforceLabel = api.EnforceLevelLabel

var psaEnforcePath = "metadata.labels[" + strconv.Quote(psaEnforceLabel) + "]"

// psaSkipped tells whether the Pod Security rules leave a namespace alone: kube-system,
// and namespaces being deleted.
func psaSkipped(name string, phase corev1.NamespacePhase) bool {
	return name == "kube-system" || phase == corev1.NamespaceTerminating
}

// NamespacePSAPrivileged is KC-0002.
var NamespacePSAPrivileged = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0002",
		Slug:      "namespace-psa-privileged",
		Title:     "Namespaces must not enforce the privileged Pod Security level",
		Severity:  rule.High,
		Practices: []string{"D1"},
		Rationale: "pod-security.kubernetes.io/enforce: privileged turns Pod Security Admission off for the namespace: " +
			"privileged containers, host namespaces, hostPath volumes and added capabilities are all admitted, so " +
			"anyone who can create a pod there can take over the node it lands on.",
		Remediation: "Enforce baseline or restricted. Move the few workloads that truly need host access (node agents, " +
			"CNI, storage drivers) into a dedicated namespace that only cluster administrators can deploy to, and " +
			"keep privileged there alone, with a suppression that says why.",
		References: []string{
			"https://kubernetes.io/docs/concepts/security/pod-security-standards/#privileged",
			"https://kubernetes.io/docs/concepts/security/pod-security-admission/#pod-security-levels",
		},
		Standards: rule.Standards{
			CIS: []string{"5.2.2", "5.2.3", "5.2.4", "5.2.5"},
			NSA: []string{"Kubernetes Pod security: Pod security enforcement"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Needs: []string{NeedNamespaces},
	// kube-system is left alone, as in KC-0001.
	Check: func(s *cluster.Snapshot) []rule.Finding {
		var out []rule.Finding
		for i := range s.Namespaces {
			ns := &s.Namespaces[i]
			if psaSkipped(ns.Name, ns.Status.Phase) {
				continue
			}
			if v, ok := ns.Labels[psaEnforceLabel]; ok && v == string(api.LevelPrivileged) {
				out = append(out, finding(namespaceObject(ns.Name), psaEnforcePath,
					"namespace %q enforces the privileged level: Pod Security Admission admits any pod there", ns.Name))
			}
		}
		return out
	},
}
