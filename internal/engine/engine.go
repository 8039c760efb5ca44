// Package engine runs manifest rules over loaded documents: it decodes each object,
// applies namespace exemptions and suppressions, recovers panicking rules, overrides
// severities and turns each finding's field path into a file position.
package engine

import (
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/kharden/kharden/internal/kube"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/rules/k8s"
	"github.com/kharden/kharden/internal/source/manifest"
)

// Options configure an Engine.
type Options struct {
	Rules []*k8s.Rule
	// Severity overrides a rule's severity, by rule ID.
	Severity map[string]rule.Severity
	Settings k8s.Settings
	// ExemptNamespaces are namespaces whose objects are not checked.
	ExemptNamespaces []string
	// Now is the time suppression expiry is judged against; zero means time.Now().
	Now time.Time
	// Known tells whether a slug or ID names a rule at all, so a suppression of a rule
	// that exists but is not running is not an error.
	Known func(slugOrID string) bool
	// Extra are rules that run outside the engine (an audit's cluster rules), whose
	// results ScanObject is handed so that suppression annotations naming them apply.
	Extra []*rule.Meta
	// Suppressions say where suppressions come from; the zero value reads objects'
	// annotations, as scans and audits do.
	Suppressions Suppressions
	// Images, when set, judges the image of every container of a workload (init,
	// regular and ephemeral): its results are placed at the container's image field and
	// suppressed by the object's annotations like the engine's own (list the image
	// rules in Extra, for annotations to name them). It is called by the goroutine that
	// checks the object, and may block while the image is read. namespace is the
	// object's, empty when it names none.
	Images func(ref, namespace string) ImageVerdict
}

// ImageVerdict is what Options.Images says of one image: the results of the image
// rules (Meta, Status, Severity and Message set; the engine places them), and the
// problems met reading the image, which become errors and notes at the image field.
type ImageVerdict struct {
	Results       []rule.Result
	Errors, Notes []string
}

// Engine evaluates rules; it is safe for concurrent use once built.
type Engine struct {
	rules    []*k8s.Rule
	bySlug   map[string]*k8s.Rule
	extra    map[string]string // slug or ID of an Extra rule -> ID
	severity map[string]rule.Severity
	settings k8s.Settings
	exempt   map[string]bool
	now      time.Time
	known    func(string) bool
	sup      Suppressions
	sas      *k8s.ServiceAccounts // for ScanObject: see WithServiceAccounts
	images   func(ref, namespace string) ImageVerdict
}

// New builds an engine.
func New(o Options) *Engine {
	e := &Engine{rules: o.Rules, severity: o.Severity, settings: o.Settings, now: o.Now, known: o.Known, sup: o.Suppressions, images: o.Images,
		bySlug: map[string]*k8s.Rule{}, extra: map[string]string{}, exempt: map[string]bool{}}
	if e.now.IsZero() {
		e.now = time.Now()
	}
	for _, r := range o.Rules {
		e.bySlug[r.Slug] = r
		e.bySlug[r.ID] = r
	}
	for _, m := range o.Extra {
		e.extra[m.Slug] = m.ID
		e.extra[m.ID] = m.ID
	}
	for _, ns := range o.ExemptNamespaces {
		e.exempt[ns] = true
	}
	return e
}

// Rules returns the metadata of the rules the engine runs.
func (e *Engine) Rules() []*rule.Meta {
	out := make([]*rule.Meta, len(e.rules))
	for i, r := range e.rules {
		out[i] = &r.Meta
	}
	return out
}

// scanDoc checks one document of an input (see Scan and ScanInput).
func (e *Engine) scanDoc(d *manifest.Document, rep *report.Report, x *inputScan) {
	in, lerr := e.input(d, rep)
	if lerr != nil {
		rep.Errors = append(rep.Errors, problem(lerr))
		return
	}
	in.ServiceAccounts = x.sas
	defer x.hold(e.rules, in, rep, x.mark(rep))
	e.check(in, place{file: d.File, locate: d.Position, place: d.Place}, rep, nil)
}

// ScanObject evaluates every rule on one typed object that comes without a document,
// such as an object read from a cluster (typed is a pointer to its API struct, as
// kube.New makes; obj names it, since such objects often lack apiVersion and kind).
// Results and problems are located by file (a name for where the object came from,
// such as "k8s://shop/Deployment/web"), object and field path, with no line.
//
// extra are results of rules outside the engine (Options.Extra) about the same object:
// the object's suppression annotations apply to them as to the engine's own, and they
// are added to rep with them.
func (e *Engine) ScanObject(file string, obj rule.Object, typed any, rep *report.Report, extra ...rule.Result) {
	in := k8s.NewInput(obj, kube.Meta(typed), typed, &e.settings)
	in.ServiceAccounts = e.sas
	e.check(in, place{file: file}, rep, extra)
}

// place is where an input came from: its file and, for a document, how a field path
// maps onto a line and column (locate, in file) or onto the user's own file (place,
// when file is not it; see manifest.Document.Place).
type place struct {
	file   string
	locate func(path string) (line, col int)
	place  func(path string) manifest.Position
}

func (p place) at(path string) manifest.Position {
	if p.place != nil {
		return p.place(path)
	}
	if p.locate == nil {
		return manifest.Position{File: p.file}
	}
	line, col := p.locate(path)
	return manifest.Position{File: p.file, Line: line, Column: col}
}

// check runs the rules on one decoded input, and suppresses extra results with the
// engine's own.
func (e *Engine) check(in *k8s.Input, at place, rep *report.Report, extra []rule.Result) {
	rep.Objects++
	ns := in.Object.Namespace
	if e.exempt[ns] {
		return
	}
	var sups map[string]*suppression
	if !e.sup.NoAnnotations {
		var serrs []*manifest.Error
		sups, serrs = e.suppressions(at, in.Meta)
		for _, se := range serrs {
			rep.Errors = append(rep.Errors, problem(se))
		}
	}
	excs := e.exceptions(in.Object)
	add := func(res rule.Result) {
		if res.Suppressed != "" { // an image verdict's, by the config's images.exceptions
			rep.Suppressed = append(rep.Suppressed, res)
			return
		}
		s := excs[res.Meta.ID]
		if s == nil || s.expired {
			if a := sups[res.Meta.ID]; a != nil {
				s = a
			}
		}
		if s != nil {
			if s.expired {
				res.Message += " (" + s.expiredNote() + ")"
			} else {
				s.used = true
				res.Suppressed = s.reason
				rep.Suppressed = append(rep.Suppressed, res)
				return
			}
		}
		rep.Results = append(rep.Results, res)
	}
	for _, r := range e.rules {
		for _, f := range e.run(r, in) {
			add(e.result(r, at, in.Object, f))
		}
	}
	for _, res := range extra {
		add(res)
	}
	e.checkImages(in, at, rep, add)
	for _, s := range sups {
		if !s.used && !s.expired {
			rep.Notes = append(rep.Notes, report.Problem{File: s.file, Line: s.line, Column: s.col,
				Message: fmt.Sprintf("suppression %q on %s matches no finding", s.key, in.Object)})
		}
	}
}

// checkImages adds the verdicts of Options.Images on the images of a workload's
// containers, each at its container's image field.
func (e *Engine) checkImages(in *k8s.Input, at place, rep *report.Report, add func(rule.Result)) {
	if e.images == nil || in.Workload == nil {
		return
	}
	for _, c := range in.Workload.Containers() {
		if c.Image == "" {
			continue
		}
		path := c.Field("image")
		pos := at.at(path)
		v := e.images(c.Image, in.Object.Namespace)
		where := fmt.Sprintf("image %s (container %q)", c.Image, c.Name)
		for _, m := range v.Errors {
			rep.Errors = append(rep.Errors, report.Problem{File: pos.File, Line: pos.Line, Column: pos.Column, Message: where + ": " + m})
		}
		for _, m := range v.Notes {
			rep.Notes = append(rep.Notes, report.Problem{File: pos.File, Line: pos.Line, Column: pos.Column, Message: where + ": " + m})
		}
		for _, res := range v.Results {
			res.Message = where + ": " + res.Message
			if pos.Note != "" {
				res.Message += " (" + pos.Note + ")"
			}
			res.Location = rule.Location{File: pos.File, Line: pos.Line, Column: pos.Column, FieldPath: path, Object: in.Object, ValuesKey: pos.ValuesKey}
			add(res)
		}
	}
}

// run calls a rule, turning a panic into an error finding so one bad rule cannot stop a run.
func (e *Engine) run(r *k8s.Rule, in *k8s.Input) (fs []rule.Finding) {
	defer func() {
		if p := recover(); p != nil {
			fs = []rule.Finding{{Message: fmt.Sprintf("internal error in rule %s (%s): %v\n%s", r.ID, r.Slug, p, firstFrames(debug.Stack()))}}
			fs[0].Path = "\x00error"
		}
	}()
	return r.Check(in)
}

func firstFrames(stack []byte) string {
	lines := strings.Split(string(stack), "\n")
	if len(lines) > 12 {
		lines = lines[:12]
	}
	return strings.Join(lines, "\n")
}

func (e *Engine) result(r *k8s.Rule, at place, obj rule.Object, f rule.Finding) rule.Result {
	status := rule.Fail
	if f.Status != "" { // a check that could not judge says so (rule.Error)
		status = f.Status
	}
	path := f.Path
	if path == "\x00error" {
		status, path = rule.Error, ""
	}
	pos := at.at(path)
	msg := f.Message
	if pos.Note != "" {
		msg += " (" + pos.Note + ")"
	}
	sev := r.Severity
	if s, ok := e.severity[r.ID]; ok {
		sev = s
	}
	return rule.Result{
		Meta: &r.Meta, Status: status, Severity: sev, Message: msg, Practices: f.Practices,
		Location: rule.Location{File: pos.File, Line: pos.Line, Column: pos.Column, FieldPath: path, Object: obj, ValuesKey: pos.ValuesKey},
	}
}

func problem(e *manifest.Error) report.Problem {
	return report.Problem{File: e.File, Line: e.Line, Column: e.Column, Message: e.Msg}
}
