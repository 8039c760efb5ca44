package cluster

import "github.com/kharden/kharden/internal/rule"

// APIServerAdmissionPlugins is KC-0028.
var APIServerAdmissionPlugins = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0028",
		Slug:      "apiserver-admission-plugins",
		Title:     "The API server must run the admission plugins that protect the cluster",
		Severity:  rule.Medium,
		Practices: []string{"D1"},
		Rationale: "AlwaysAdmit turns admission control off; ServiceAccount gives every pod an identity the API server " +
			"tracks; NamespaceLifecycle stops objects from being created in namespaces being deleted; " +
			"NodeRestriction stops a kubelet from changing other nodes and pods that are not its own, so a stolen " +
			"node credential stays on its node.",
		Remediation: "In the kube-apiserver manifest, add NodeRestriction to --enable-admission-plugins, remove " +
			"AlwaysAdmit from it, and remove ServiceAccount and NamespaceLifecycle from " +
			"--disable-admission-plugins.",
		References: []string{
			"https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#noderestriction",
		},
		Standards: rule.Standards{
			CIS: []string{"1.2.10", "1.2.12", "1.2.13", "1.2.14"},
			NSA: []string{"Authentication and authorization: admission controllers"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Needs: controlPlaneNeeds,
	Flags: []string{"1.2.10", "1.2.12", "1.2.13", "1.2.14"},
}
