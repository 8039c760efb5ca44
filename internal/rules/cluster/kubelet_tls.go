package cluster

import "github.com/kharden/kharden/internal/rule"

// KubeletTLS is KC-0027.
var KubeletTLS = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0027",
		Slug:      "kubelet-tls",
		Title:     "The API server must authenticate to kubelets and verify their certificates",
		Severity:  rule.Medium,
		Practices: []string{"D6"},
		Rationale: "The API server calls each kubelet for logs, exec, attach and port-forward. Without a client " +
			"certificate the kubelet cannot require authentication; without --kubelet-certificate-authority the " +
			"API server cannot tell the real kubelet from anyone who answers on its address, and hands exec " +
			"sessions to them. Kubelet serving certificates signed by the cluster CA need " +
			"RotateKubeletServerCertificate, which must not be turned off.",
		Remediation: "Set --kubelet-client-certificate and --kubelet-client-key, and --kubelet-certificate-authority to " +
			"the CA that signs kubelet serving certificates (serverTLSBootstrap: true in the kubelet " +
			"configuration, with a CSR approver); do not set RotateKubeletServerCertificate=false in the " +
			"controller manager's --feature-gates.",
		References: []string{
			"https://kubernetes.io/docs/concepts/architecture/control-plane-node-communication/#apiserver-to-kubelet",
			"https://kubernetes.io/docs/reference/access-authn-authz/kubelet-tls-bootstrapping/#certificate-rotation",
		},
		Standards: rule.Standards{
			CIS: []string{"1.2.4", "1.2.5", "1.3.6"},
			NSA: []string{"Network separation and hardening: control plane hardening"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Needs: controlPlaneNeeds,
	Flags: []string{"1.2.4", "1.2.5", "1.3.6"},
}
