package audit

import (
	"errors"
	"fmt"

	"github.com/kharden/kharden/internal/rule"
	clusterrules "github.com/kharden/kharden/internal/rules/cluster"
	"github.com/kharden/kharden/internal/source/cluster"
)

// ClusterRule is a check over a whole cluster snapshot (the KC rules of package
// rules/cluster), as the audit runs it.
type ClusterRule struct {
	Meta *rule.Meta
	// Needs are the resources (cluster.Resource*) the check reads: when one could not be
	// read the rule reports an Error result instead of running.
	Needs []string
	// Missing, when set, says why the snapshot lacks what the rule needs (nil when it has
	// it all); it replaces the check of Needs against Snapshot.Unavailable.
	Missing func(*cluster.Snapshot) error
	// Check returns the findings, each naming its object (zero for the cluster itself).
	Check func(*cluster.Snapshot) []rule.Finding
}

// ClusterRules returns the cluster rules of package rules/cluster, in its order (by ID).
func ClusterRules() []*ClusterRule {
	all := clusterrules.All()
	out := make([]*ClusterRule, len(all))
	for i, r := range all {
		out[i] = &ClusterRule{Meta: &r.Meta, Needs: r.Needs, Missing: r.Missing, Check: r.Check}
	}
	return out
}

// missing says why the snapshot lacks what the rule needs, or nil.
func (r *ClusterRule) missing(s *cluster.Snapshot) error {
	if r.Missing != nil {
		return r.Missing(s)
	}
	var errs []error
	for _, res := range r.Needs {
		if err := s.Missing(res); err != nil {
			errs = append(errs, fmt.Errorf("cannot read %s: %w", res, err))
		}
	}
	return errors.Join(errs...)
}
