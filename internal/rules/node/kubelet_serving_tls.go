package node

import "github.com/kharden/kharden/internal/rule"

// KubeletServingTLS is KN-0018.
var KubeletServingTLS = &Rule{
	Meta: rule.Meta{
		ID:          "KN-0018",
		Slug:        "kubelet-serving-tls",
		Title:       "The kubelet must serve TLS with a real certificate and strong cipher suites",
		Severity:    rule.Medium,
		Practices:   []string{"D6"},
		Rationale:   "A kubelet that signs its own serving certificate cannot be verified by the API server, so the connection carrying exec and logs can be intercepted; weak cipher suites make it breakable.",
		Remediation: "Give the kubelet tlsCertFile and tlsPrivateKeyFile, or serverTLSBootstrap: true with its CSRs approved; set tlsCipherSuites to the strong ECDHE-AES-GCM and ChaCha20 suites only.",
		References:  []string{"https://kubernetes.io/docs/reference/access-authn-authz/kubelet-tls-bootstrapping/"},
		Standards:   rule.Standards{CIS: []string{"4.2.9", "4.2.12"}},
		Since:       "0.1.0",
		Default:     true,
		Changes:     []string{"0.2.0: on a node with no kubelet process or unit (a node image audited offline), the kubelet's default config file and the flags in kubeadm-flags.env, /etc/default/kubelet or /etc/sysconfig/kubelet are read, so the rule gives a verdict where it was Skipped."},
	},
	Flags: []string{"4.2.9", "4.2.12"},
}
