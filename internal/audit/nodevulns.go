package audit

import (
	"runtime"
	"time"

	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/scan"
	"github.com/kharden/kharden/internal/source/image"
	"github.com/kharden/kharden/internal/source/node"
	"github.com/kharden/kharden/internal/vuln"
)

// Vulnerabilities matches the node's inventory (its package databases and the Go
// programs of its Kubernetes components and container runtime: node.CollectInventory)
// against the vulnerability database, practice A3: a report part whose results are
// at each package's file (/var/lib/dpkg/status, /usr/bin/kubelet), with the notes and
// errors of the database and the inventory, and the rules of the advisories found.
// The database is opened for each call, so that an audit repeated for days reads the
// one updated meanwhile. Nil when matching is off or the audit runs a benchmark.
func (a *NodeAuditor) Vulnerabilities(h *node.Host) *report.Report {
	if a.o.Vulns.Off || a.bench != nil {
		return nil
	}
	vs, err := scan.NewVulns(a.o.Vulns, a.o.Config, []string{"A3"}, time.Now())
	if err != nil { // checked by NewNode; a VEX file may have changed since
		return &report.Report{Errors: []report.Problem{{File: NodeFile, Message: err.Error()}}}
	}
	defer vs.Close()
	part := &report.Report{}
	add := func(p *report.Report) {
		if p != nil {
			part.Results = append(part.Results, p.Results...)
			part.Suppressed = append(part.Suppressed, p.Suppressed...)
			part.Errors = append(part.Errors, p.Errors...)
			part.Notes = append(part.Notes, p.Notes...)
		}
	}
	add(vs.Start())
	if !vs.Ready() {
		return part
	}
	inv := node.CollectInventory(h)
	for _, p := range inv.Problems {
		part.Errors = append(part.Errors, report.Problem{File: p.Path, Line: p.Line, Message: p.Message})
	}
	im := &image.Image{OS: inv.OS, Packages: inv.Packages, Platform: "linux/" + runtime.GOARCH}
	rs, ss, probs := vs.Match(vuln.FromImage(im), scan.VulnSubject{})
	for _, n := range probs.Notes {
		n.File = NodeFile
		part.Notes = append(part.Notes, n)
	}
	for _, e := range probs.Errors {
		e.File = NodeFile
		part.Errors = append(part.Errors, e)
	}
	part.Results, part.Suppressed = append(part.Results, rs...), append(part.Suppressed, ss...)
	add(vs.Unused())
	part.Rules = vs.Metas()
	return part
}

// WithVulnerabilities merges a Vulnerabilities part into a node report.
func WithVulnerabilities(rep, part *report.Report) *report.Report {
	if part == nil {
		return rep
	}
	rep.Results = append(rep.Results, part.Results...)
	rep.Suppressed = append(rep.Suppressed, part.Suppressed...)
	rep.Errors = append(rep.Errors, part.Errors...)
	rep.Notes = append(rep.Notes, part.Notes...)
	rep.Rules = append(rep.Rules, part.Rules...)
	rep.Sort()
	return rep
}
