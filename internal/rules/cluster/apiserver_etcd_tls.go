package cluster

import "github.com/kharden/kharden/internal/rule"

// APIServerEtcdTLS is KC-0026.
var APIServerEtcdTLS = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0026",
		Slug:      "apiserver-etcd-tls",
		Title:     "The API server must reach etcd over mutually authenticated TLS",
		Severity:  rule.High,
		Practices: []string{"D6"},
		Rationale: "etcd holds every object of the cluster, Secrets included. Without a client certificate the API " +
			"server cannot authenticate to an etcd that demands one (so etcd must accept anyone), and without " +
			"--etcd-cafile it cannot tell the real etcd from an impostor on the network.",
		Remediation: "Set --etcd-certfile, --etcd-keyfile and --etcd-cafile in the kube-apiserver manifest, with a client " +
			"certificate from etcd's own CA, and etcd's --client-cert-auth=true (KC-0034).",
		References: []string{
			"https://kubernetes.io/docs/tasks/administer-cluster/configure-upgrade-etcd/#securing-etcd-clusters",
		},
		Standards: rule.Standards{
			CIS: []string{"1.2.23", "1.2.26"},
			NSA: []string{"Network separation and hardening: etcd"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Needs: controlPlaneNeeds,
	Flags: []string{"1.2.23", "1.2.26"},
}
