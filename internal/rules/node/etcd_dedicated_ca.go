package node

import "github.com/kharden/kharden/internal/rule"

// EtcdDedicatedCA is KN-0027.
var EtcdDedicatedCA = &Rule{
	Meta: rule.Meta{
		ID:          "KN-0027",
		Slug:        "etcd-dedicated-ca",
		Title:       "etcd must trust a CA of its own, not the cluster's",
		Severity:    rule.Medium,
		Practices:   []string{"D7"},
		Rationale:   "etcd accepts any client certificate signed by its trusted CA. If that is the cluster CA, every certificate the cluster issues — to kubelets, to users, through CSRs — can talk to etcd directly and read every Secret.",
		Remediation: "Give etcd its own CA (kubeadm: /etc/kubernetes/pki/etcd/ca.crt) in --trusted-ca-file and --peer-trusted-ca-file, used for nothing but etcd's members and the API server's etcd client certificate.",
		References:  []string{"https://etcd.io/docs/latest/op-guide/security/"},
		Standards:   rule.Standards{CIS: []string{"2.7"}},
		Since:       "0.1.0",
		Default:     true,
	},
	Flags: []string{"2.7"},
}
