package audit

import (
	"cmp"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/kharden/kharden/internal/benchmark"
	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	clusterrules "github.com/kharden/kharden/internal/rules/cluster"
	noderules "github.com/kharden/kharden/internal/rules/node"
	"github.com/kharden/kharden/internal/scan"
	"github.com/kharden/kharden/internal/source/node"
)

// NodeFile is the Location.File of node results that point at no file: the node as a
// whole (a component that does not run here, a sysctl the kernel lacks).
const NodeFile = "node"

// NodeOptions are the inputs of a node audit.
type NodeOptions struct {
	// Benchmark, when set ("cis-1.12"), runs only the rules that check items of that
	// benchmark; every rule runs otherwise.
	Benchmark string
	// FailOn overrides the config's failOn when set.
	FailOn  string
	Config  *config.Config
	Version string
	// PIDs, when set, limits the processes audited to these: the components found as
	// processes with another PID are left out (a test audits the processes it started
	// on a machine that may run others).
	PIDs []int
	// Vulns are the vulnerability settings: see NodeAuditor.Vulnerabilities.
	Vulns scan.VulnOptions
}

// NodeAuditor is a configured node audit: rules selected, config checked.
type NodeAuditor struct {
	o        NodeOptions
	rules    []*noderules.Rule
	severity map[string]rule.Severity
	head     *report.Report
	bench    *benchmark.Benchmark
}

// NodeRules returns every rule of the node audit: the KN rules and the control-plane KC
// rules run over the node's components, by ID.
func NodeRules() []*noderules.Rule {
	out := append(noderules.FromCluster(clusterrules.All()), noderules.All()...)
	slices.SortFunc(out, func(a, b *noderules.Rule) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Benchmarks are the benchmarks --benchmark accepts.
var Benchmarks = []string{"cis-1.12"}

// NewNode checks the options and config and selects the rules. Its error is a
// *scan.UsageError.
func NewNode(o NodeOptions) (*NodeAuditor, error) {
	all := NodeRules()
	a := &NodeAuditor{o: o}
	switch o.Benchmark {
	case "":
	case "cis-1.12":
		a.bench = benchmark.CIS112()
	default:
		return nil, &scan.UsageError{Err: fmt.Errorf("--benchmark %q: want one of %s", o.Benchmark, strings.Join(Benchmarks, ", "))}
	}
	cfg := o.Config
	if cfg == nil {
		cfg = &config.Config{}
	}
	res, err := cfg.Resolve(func(n string) (string, bool) {
		for _, r := range all {
			if r.Slug == n || strings.EqualFold(r.ID, n) {
				return r.ID, true
			}
		}
		if m := scan.LookupAny(n); m != nil {
			return m.ID, true
		}
		return "", false
	})
	if err != nil {
		return nil, &scan.UsageError{Err: scan.WithVulnProblems(err, o.Vulns, cfg, time.Now())}
	}
	a.severity = res.Severity
	// The vulnerability settings are checked now, the database opened at each audit.
	if a.o.Config == nil {
		a.o.Config = cfg
	}
	vs, err := scan.NewVulns(o.Vulns, cfg, nil, time.Now())
	if err != nil {
		return nil, err
	}
	vs.Close()
	head := &report.Report{Tool: "kharden", Version: o.Version, FailOn: rule.High}
	if res.FailOn != nil {
		head.FailOn = *res.FailOn
	}
	if o.FailOn != "" {
		if head.FailOn, err = rule.ParseSeverity(o.FailOn); err != nil {
			return nil, &scan.UsageError{Err: fmt.Errorf("--fail-on: %w", err)}
		}
	}
	for _, r := range all {
		on := r.Default
		if v, ok := res.Enabled[r.ID]; ok {
			on = v
		}
		if a.bench != nil && len(r.Standards.CIS) == 0 {
			on = false
		}
		if on {
			a.rules = append(a.rules, r)
			head.Rules = append(head.Rules, &r.Meta)
		}
	}
	a.head = head
	return a, nil
}

// Head is the report's header: tool, version, the rules that run and the threshold.
func (a *NodeAuditor) Head() *report.Report { return a.head }

// Benchmark is the benchmark the audit was asked for, or nil.
func (a *NodeAuditor) Benchmark() *benchmark.Benchmark { return a.bench }

// Evaluate runs the rules over a node's facts and returns every result, passes
// included, ordered by rule, then as the rule gave them. A rule that panics gives one
// Error result.
func (a *NodeAuditor) Evaluate(f *node.Facts) []rule.Result {
	if len(a.o.PIDs) > 0 {
		f = onlyPIDs(f, a.o.PIDs)
	}
	var out []rule.Result
	for _, r := range a.rules {
		sev := r.Severity
		if v, ok := a.severity[r.ID]; ok {
			sev = v
		}
		fs, err := runNodeRule(r, f)
		if err != nil {
			out = append(out, rule.Result{Meta: &r.Meta, Status: rule.Error, Severity: sev, Message: err.Error(),
				Location: rule.Location{File: NodeFile}})
			continue
		}
		for _, fd := range fs {
			file := fd.File
			if file == "" {
				file = NodeFile
			}
			status := fd.Status
			if status == "" {
				status = rule.Fail
			}
			out = append(out, rule.Result{Meta: &r.Meta, Status: status, Severity: sev, Message: fd.Message,
				Control: fd.Control, Location: rule.Location{File: file, Line: fd.Line}})
		}
	}
	return out
}

// Report turns results into a report: the failures, errors and Manual results, sorted,
// with the problems collecting the facts met as notes. Passes and what was skipped (not
// on this node) are left out, as a scan leaves out what it found in order; the benchmark
// report shows them.
func (a *NodeAuditor) Report(f *node.Facts, results []rule.Result) *report.Report {
	r := *a.head
	r.Rules = slices.Clone(a.head.Rules)
	for _, res := range results {
		if res.Status != rule.Pass && res.Status != rule.Skipped {
			r.Results = append(r.Results, res)
		}
	}
	if f.ProcessesErr != nil {
		r.Notes = append(r.Notes, report.Problem{File: NodeFile, Message: "the process list could not be read, so components were looked for in static pod manifests and systemd units only: " + f.ProcessesErr.Error()})
	}
	r.Files = len(f.Files)
	r.Sort()
	return &r
}

// onlyPIDs returns facts whose process components are those of pids.
func onlyPIDs(f *node.Facts, pids []int) *node.Facts {
	g := *f
	g.Components = nil
	for _, c := range f.Components {
		if c.Kind != node.FromProcess || slices.Contains(pids, c.PID) {
			g.Components = append(g.Components, c)
		}
	}
	return &g
}

// runNodeRule calls a node rule, turning a panic into an error.
func runNodeRule(r *noderules.Rule, f *node.Facts) (fs []noderules.Finding, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error in rule %s (%s): %v\n%s", r.ID, r.Slug, p, firstFrames(debug.Stack()))
		}
	}()
	return r.Check(f), nil
}

// ControlStatus is the verdict on one benchmark item: the worst of its results (Fail,
// then Error, then Manual), else Pass when one passed, else Skipped.
func ControlStatus(results []rule.Result) rule.Status {
	rank := map[rule.Status]int{rule.Fail: 5, rule.Error: 4, rule.Manual: 3, rule.Pass: 2, rule.Skipped: 1}
	best := rule.Status("")
	for _, r := range results {
		if best == "" || rank[r.Status] > rank[best] {
			best = r.Status
		}
	}
	return best
}

// ByControl groups results by their benchmark item.
func ByControl(results []rule.Result) map[string][]rule.Result {
	out := map[string][]rule.Result{}
	for _, r := range results {
		if r.Control != "" {
			out[r.Control] = append(out[r.Control], r)
		}
	}
	for _, rs := range out {
		slices.SortStableFunc(rs, func(a, b rule.Result) int {
			return cmp.Or(strings.Compare(a.Location.File, b.Location.File), cmp.Compare(a.Location.Line, b.Location.Line))
		})
	}
	return out
}
