package cluster

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/cluster"
)

// ServerVersionPatch is KC-0015.
var ServerVersionPatch = &Rule{
	Meta: rule.Meta{
		ID:        "KC-0015",
		Slug:      "server-version-patch",
		Title:     "The API server should run the latest patch of its minor version",
		Severity:  rule.Medium,
		Practices: []string{"D4"},
		Rationale: "Patch releases carry the security fixes of a minor line, and no new features: staying behind " +
			"leaves known vulnerabilities open for no gain.",
		Remediation: "Apply the latest patch release of the cluster's minor line to the control plane, then the " +
			"kubelets. Managed services publish patches some weeks after upstream: take theirs as soon as offered.",
		References: []string{
			"https://kubernetes.io/releases/patch-releases/",
			"https://kubernetes.io/releases/",
		},
		Standards: rule.Standards{NSA: []string{"Upgrading and application security practices"}},
		Since:     "0.1.0",
		Default:   true,
	},
	Needs: []string{NeedVersion},
	// Only supported lines are judged here (an unsupported one is KC-0014's), against the
	// latest patch in kharden's release table (as of TableDate).
	Check: func(s *cluster.Snapshot) []rule.Finding {
		v, ok := serverVersion(s)
		if !ok || !v.HasPatch {
			return nil
		}
		r, ok := release(v.Minor)
		if !ok || !r.Supported() || v.Patch >= r.LatestPatch {
			return nil
		}
		return []rule.Finding{finding(rule.Object{}, "", "the API server runs %s, behind the latest patch of its line, 1.%d.%d (as of %s)",
			v.Text, r.Minor, r.LatestPatch, TableDate)}
	},
}
