package engine

import (
	"fmt"
	"runtime/debug"

	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	sprules "github.com/kharden/kharden/internal/rules/seccomp"
	"github.com/kharden/kharden/internal/source/manifest"
	"github.com/kharden/kharden/internal/source/seccomp"
)

// SeccompOptions configure a SeccompEngine.
type SeccompOptions struct {
	Rules []*sprules.Rule
	// Severity overrides a rule's severity, by rule ID.
	Severity map[string]rule.Severity
}

// SeccompEngine evaluates the seccomp profile rules on profiles (OCI files and Security
// Profiles Operator objects), with the manifest Engine's behaviour: selected rules,
// severity overrides, recovered panics, findings placed at their field. A profile file
// has no place for a suppression: the config's rules.disable and severity apply.
type SeccompEngine struct {
	rules    []*sprules.Rule
	severity map[string]rule.Severity
}

// NewSeccomp builds a seccomp profile engine.
func NewSeccomp(o SeccompOptions) *SeccompEngine {
	return &SeccompEngine{rules: o.Rules, severity: o.Severity}
}

// Rules returns the metadata of the rules the engine runs.
func (e *SeccompEngine) Rules() []*rule.Meta { return sprules.Metas(e.rules) }

// Scan decodes a profile document (seccomp.Is) and evaluates every rule on it. A profile
// a runtime would refuse is an error at its field, and is not judged.
func (e *SeccompEngine) Scan(d *manifest.Document, rep *report.Report) {
	if d.Object.APIVersion == "" {
		rep.Objects++ // an operator's object is counted by the manifest engine
	}
	p, errs, notes := seccomp.Decode(d)
	for _, n := range notes {
		rep.Notes = append(rep.Notes, problem(n))
	}
	for _, er := range errs {
		rep.Errors = append(rep.Errors, problem(er))
	}
	if p == nil {
		return
	}
	for _, r := range e.rules {
		for _, f := range e.run(r, p) {
			status, path := rule.Fail, f.Path
			if path == "\x00error" {
				status, path = rule.Error, ""
			}
			if p.Base != "" {
				path = p.Base + "." + path
				if f.Path == "" || status == rule.Error {
					path = p.Base
				}
			}
			line, col, _ := d.Locate(path)
			sev := r.Severity
			if s, ok := e.severity[r.ID]; ok {
				sev = s
			}
			rep.Results = append(rep.Results, rule.Result{
				Meta: &r.Meta, Status: status, Severity: sev, Message: f.Message,
				Location: rule.Location{File: d.File, Line: line, Column: col, FieldPath: path, Object: d.Object},
			})
		}
	}
}

// run calls a rule, turning a panic into an error finding.
func (e *SeccompEngine) run(r *sprules.Rule, p *seccomp.Profile) (fs []rule.Finding) {
	defer func() {
		if x := recover(); x != nil {
			fs = []rule.Finding{{Path: "\x00error",
				Message: fmt.Sprintf("internal error in rule %s (%s): %v\n%s", r.ID, r.Slug, x, firstFrames(debug.Stack()))}}
		}
	}()
	return r.Check(p)
}
