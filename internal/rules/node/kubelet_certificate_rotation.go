package node

import "github.com/kharden/kharden/internal/rule"

// KubeletCertificateRotation is KN-0019.
var KubeletCertificateRotation = &Rule{
	Meta: rule.Meta{
		ID:          "KN-0019",
		Slug:        "kubelet-certificate-rotation",
		Title:       "The kubelet must rotate its certificates",
		Severity:    rule.Medium,
		Practices:   []string{"D6"},
		Rationale:   "Without rotation the kubelet's client certificate expires and someone renews it by hand, usually late and with a long lifetime; the server certificate never changes after a compromise.",
		Remediation: "Set rotateCertificates: true in the kubelet's config file and do not turn off the RotateKubeletServerCertificate feature gate.",
		References:  []string{"https://kubernetes.io/docs/tasks/tls/certificate-rotation/"},
		Standards:   rule.Standards{CIS: []string{"4.2.10", "4.2.11"}},
		Since:       "0.1.0",
		Default:     true,
		Changes:     []string{"0.2.0: on a node with no kubelet process or unit (a node image audited offline), the kubelet's default config file and the flags in kubeadm-flags.env, /etc/default/kubelet or /etc/sysconfig/kubelet are read, so the rule gives a verdict where it was Skipped."},
	},
	Flags: []string{"4.2.10", "4.2.11"},
}
