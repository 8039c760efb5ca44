package cluster

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/cluster"
)

// NamespacePSAEnforce is KC-0001.
var NamespacePSAEnforce = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0001",
		Slug:      "namespace-psa-enforce",
		Title:     "Namespaces must enforce a Pod Security Standard",
		Severity:  rule.Medium,
		Practices: []string{"D1"},
		Rationale: "Pod Security Admission rejects pods that break the Pod Security Standard a namespace enforces, " +
			"through its pod-security.kubernetes.io/enforce label. A namespace without the label gets the API " +
			"server's default, which is privileged unless the admission configuration says otherwise: any pod is " +
			"admitted there, privileged, with host namespaces and host paths, and one compromised deployment " +
			"pipeline is enough to take a node.",
		Remediation: "Label every namespace with the strictest level its workloads meet: " +
			"kubectl label namespace NAME pod-security.kubernetes.io/enforce=restricted (or baseline), with " +
			"pod-security.kubernetes.io/enforce-version pinned if upgrades must not tighten it unannounced. Try the " +
			"level first with the warn and audit labels, or a server-side dry run " +
			"(kubectl label --dry-run=server --overwrite ns NAME pod-security.kubernetes.io/enforce=restricted). " +
			"A cluster-wide default in the PodSecurity admission configuration also covers unlabelled namespaces: " +
			"suppress this rule if you rely on one.",
		References: []string{
			"https://kubernetes.io/docs/concepts/security/pod-security-admission/",
			"https://kubernetes.io/docs/tasks/configure-pod-container/enforce-standards-namespace-labels/",
		},
		Standards: rule.Standards{
			CIS: []string{"5.2.1"},
			NSA: []string{"Kubernetes Pod security: Pod security enforcement"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Needs: []string{NeedNamespaces},
	// kube-system is left alone: it runs the cluster's own privileged components (kube-proxy,
	// CNI agents), and only cluster administrators should be able to create pods there.
	// kube-public and kube-node-lease are checked: a label costs nothing there. Namespaces
	// being deleted are skipped. A label with a value that is not a level is enforced as
	// restricted by the admission plugin, so it is not reported.
	Check: func(s *cluster.Snapshot) []rule.Finding {
		var out []rule.Finding
		for i := range s.Namespaces {
			ns := &s.Namespaces[i]
			if psaSkipped(ns.Name, ns.Status.Phase) {
				continue
			}
			if _, ok := ns.Labels[psaEnforceLabel]; !ok {
				out = append(out, finding(namespaceObject(ns.Name), "metadata.labels",
					"namespace %q has no %s label, so it gets the API server's default level (privileged unless configured)",
					ns.Name, psaEnforceLabel))
			}
		}
		return out
	},
}
