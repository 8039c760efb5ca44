package audit

import (
	"fmt"
	"io"
	"slices"

	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
)

// ClusterScope is the namespace column of results about cluster-scoped objects and
// about the cluster itself in a Summary.
const ClusterScope = "(cluster)"

// Summary counts failing results (status fail, not suppressed) by namespace and
// severity as parts go by, for the table at the end of an audit's text output. A
// Namespace object counts in its own namespace. Results a rule could not settle (error,
// manual, skipped) are left out: the table is what to fix where.
type Summary struct {
	counts map[string]*[5]int
}

// Add counts the results of one part.
func (s *Summary) Add(part *report.Report) {
	if s.counts == nil {
		s.counts = map[string]*[5]int{}
	}
	for i := range part.Results {
		res := &part.Results[i]
		if res.Severity < rule.Info || res.Severity > rule.Critical || res.Status != rule.Fail && res.Status != "" {
			continue
		}
		o := &res.Location.Object
		ns := o.Namespace
		if ns == "" && o.Kind == "Namespace" {
			ns = o.Name
		}
		if ns == "" {
			ns = ClusterScope
		}
		c := s.counts[ns]
		if c == nil {
			c = &[5]int{}
			s.counts[ns] = c
		}
		c[res.Severity]++
	}
}

// Write prints the table, one row per namespace with failing results ((cluster) first,
// then by name) and a column per severity, most severe first; nothing when there are
// none.
func (s *Summary) Write(w io.Writer) error {
	if len(s.counts) == 0 {
		return nil
	}
	names := make([]string, 0, len(s.counts))
	for ns := range s.counts {
		names = append(names, ns)
	}
	slices.Sort(names) // "(" sorts before every namespace name
	width := len("namespace")
	for _, ns := range names {
		width = max(width, len(ns))
	}
	var b []byte
	b = append(b, "failing by namespace:\n"...)
	b = fmt.Appendf(b, "%-*s", width, "namespace")
	for sev := rule.Critical; sev >= rule.Info; sev-- {
		b = fmt.Appendf(b, "  %s", sev)
	}
	b = append(b, '\n')
	for _, ns := range names {
		b = fmt.Appendf(b, "%-*s", width, ns)
		for sev := rule.Critical; sev >= rule.Info; sev-- {
			b = fmt.Appendf(b, "  %*d", len(sev.String()), s.counts[ns][sev])
		}
		b = append(b, '\n')
	}
	_, err := w.Write(b)
	return err
}
