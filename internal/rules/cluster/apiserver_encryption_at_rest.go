package cluster

import "github.com/kharden/kharden/internal/rule"

// APIServerEncryptionAtRest is KC-0022.
var APIServerEncryptionAtRest = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0022",
		Slug:      "apiserver-encryption-at-rest",
		Title:     "Secrets must be encrypted at rest in etcd",
		Severity:  rule.High,
		Practices: []string{"D5"},
		Rationale: "Without an encryption provider the API server writes Secrets to etcd as they are: anyone who reads " +
			"etcd's data directory, a snapshot or a backup, or etcd's client port with a leaked certificate, " +
			"reads every credential of the cluster.",
		Remediation: "Write an EncryptionConfiguration whose first provider for secrets is kms (v2, with an external key " +
			"manager) or aescbc/aesgcm/secretbox with a random key, pass it with --encryption-provider-config, " +
			"restart the API server and rewrite existing Secrets (kubectl get secrets -A -o json | kubectl " +
			"replace -f -). The file is not visible from the API: a set flag is reported Manual until kharden " +
			"audit node reads the file.",
		References: []string{
			"https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/",
			"https://kubernetes.io/docs/tasks/administer-cluster/kms-provider/",
		},
		Standards: rule.Standards{
			CIS: []string{"1.2.27", "1.2.28"},
			NSA: []string{"Authentication and authorization: encryption of secrets at rest"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	Needs: controlPlaneNeeds,
	Flags: []string{"1.2.27", "1.2.28"},
}
