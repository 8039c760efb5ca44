package audit

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/cluster"
)

// ClusterRule is a check over a whole cluster snapshot (the KC rules of package
// rules/cluster), as the audit runs it.
type ClusterRule struct {
	Meta *rule.Meta
	// Needs are the resources (cluster.Resource*) the check reads: when one could not be
	// read the rule reports an Error result instead of running.
	Needs []string
	// Check returns the findings, each naming its object (zero for the cluster itself).
	Check func(*cluster.Snapshot) []rule.Finding
}

// ClusterRules returns the cluster rules, sorted by ID.
func ClusterRules() []*ClusterRule {
	return nil
}
