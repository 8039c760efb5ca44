package node

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/node"
)

// EtcdDataDir is KN-0003.
var EtcdDataDir = &Rule{
	Meta: rule.Meta{
		ID:        "KN-0003",
		Slug:      "etcd-data-dir",
		Title:     "etcd's data directory must be owned by etcd and closed to everyone else",
		Severity:  rule.High,
		Practices: []string{"A7", "D5"},
		Rationale: "etcd's data directory is the whole cluster state: every Secret, every token, every object. " +
			"A local user who can read it reads all of them (encrypted Secrets aside) without going through the " +
			"API server's authentication, authorization or audit log.",
		Remediation: "chmod 700 the directory etcd's --data-dir names (default /var/lib/etcd) and chown it to the " +
			"user etcd runs as, etcd:etcd as the benchmark expects.",
		References: []string{"https://etcd.io/docs/latest/op-guide/security/"},
		Standards:  rule.Standards{CIS: []string{"1.1.11", "1.1.12"}},
		Since:      "0.1.0",
		Default:    true,
	},
	Check: fileChecks(
		fileCheck{cis: "1.1.11", what: "etcd's data directory", perm: 0o700, dirs: true, roles: []node.Role{node.RoleEtcdDataDir}},
		ownerCheck("1.1.12", "etcd's data directory", "etcd:etcd", node.RoleEtcdDataDir),
	),
}
