package cluster

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/cluster"
)

// ServerVersionSupported is KC-0014.
var ServerVersionSupported = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0014",
		Slug:      "server-version-supported",
		Title:     "The API server must run a supported Kubernetes minor version",
		Severity:  rule.Critical,
		Practices: []string{"D4"},
		Rationale: "Kubernetes patches the three newest minor lines, each for about fourteen months. A cluster on an " +
			"older line gets no fix for the vulnerabilities found after its end of life, in the API server, the " +
			"kubelet or the libraries they carry, and each skipped line makes the upgrade harder.",
		Remediation: "Upgrade the control plane one minor version at a time to a supported line, then the nodes " +
			"(kubeadm upgrade, or the managed service's upgrade). Check removed APIs before each step.",
		References: []string{
			"https://kubernetes.io/releases/",
			"https://kubernetes.io/releases/version-skew-policy/",
		},
		Standards: rule.Standards{NSA: []string{"Upgrading and application security practices"}},
		Since:     "0.1.0",
		Default:   true,
	},
	Needs: []string{NeedVersion},
	// Judged against kharden's release table (versions.go, as of TableDate); a version
	// newer than the table knows is not reported.
	Check: func(s *cluster.Snapshot) []rule.Finding {
		v, ok := serverVersion(s)
		if !ok {
			return nil
		}
		if why := unsupportedText(v.Minor); why != "" {
			return []rule.Finding{finding(rule.Object{}, "", "the API server runs %s: %s; supported lines (as of %s): %s",
				v.Text, why, TableDate, supportedMinors())}
		}
		return nil
	},
}
