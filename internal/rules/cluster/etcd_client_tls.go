package cluster

import "github.com/kharden/kharden/internal/rule"

// EtcdClientTLS is KC-0034.
var EtcdClientTLS = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0034",
		Slug:      "etcd-client-tls",
		Title:     "etcd must serve clients over TLS and require client certificates",
		Severity:  rule.High,
		Practices: []string{"D6"},
		Rationale: "etcd holds every object of the cluster, Secrets included, and answers anyone its client port lets " +
			"in. Without TLS the data crosses the network readable; without client certificate authentication " +
			"anyone who reaches the port reads and writes the whole cluster state; auto-TLS certificates are " +
			"self-signed and verified by nobody.",
		Remediation: "Give etcd --cert-file and --key-file from its own CA, --client-cert-auth=true with --trusted-ca-file " +
			"set to that CA, and remove --auto-tls (or set it to false).",
		References: []string{
			"https://etcd.io/docs/latest/op-guide/security/",
			"https://kubernetes.io/docs/tasks/administer-cluster/configure-upgrade-etcd/#securing-etcd-clusters",
		},
		Standards: rule.Standards{
			CIS: []string{"2.1", "2.2", "2.3"},
			NSA: []string{"Network separation and hardening: etcd"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Needs: controlPlaneNeeds,
	Flags: []string{"2.1", "2.2", "2.3"},
}
