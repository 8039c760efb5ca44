package node

import "github.com/kharden/kharden/internal/rule"

// KubeletClientCA is KN-0012.
var KubeletClientCA = &Rule{
	Meta: rule.Meta{
		ID:          "KN-0012",
		Slug:        "kubelet-client-ca",
		Title:       "The kubelet must verify client certificates against a CA",
		Severity:    rule.High,
		Practices:   []string{"D8"},
		Rationale:   "Without a client CA the kubelet cannot authenticate the API server's client certificate, or any other, and falls back on tokens or anonymity for every caller.",
		Remediation: "Set authentication.x509.clientCAFile in the kubelet's config file (or --client-ca-file) to the cluster CA, kubeadm's /etc/kubernetes/pki/ca.crt.",
		References:  []string{"https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/"},
		Standards:   rule.Standards{CIS: []string{"4.2.3"}},
		Since:       "0.1.0",
		Default:     true,
		Changes:     []string{"0.2.0: on a node with no kubelet process or unit (a node image audited offline), the kubelet's default config file and the flags in kubeadm-flags.env, /etc/default/kubelet or /etc/sysconfig/kubelet are read, so the rule gives a verdict where it was Skipped."},
	},
	Flags: []string{"4.2.3"},
}
