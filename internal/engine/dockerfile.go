package engine

import (
	"fmt"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	dfrules "github.com/kharden/kharden/internal/rules/dockerfile"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// DockerfileOptions configure a DockerfileEngine.
type DockerfileOptions struct {
	Rules []*dfrules.Rule
	// Severity overrides a rule's severity, by rule ID.
	Severity map[string]rule.Severity
	// Now is the time suppression expiry is judged against; zero means time.Now().
	Now time.Time
	// Known tells whether a slug or ID names a Dockerfile rule at all, so a suppression of
	// a rule that exists but is not running is not an error.
	Known func(slugOrID string) bool
}

// DockerfileEngine evaluates Dockerfile rules, with the behaviour of the manifest
// Engine: selected rules, severity overrides, recovered panics, and suppressions, which
// in a Dockerfile are comments:
//
//	# kharden:ignore=no-sudo,DF-0013 the vendor installer needs it; expires=2027-03-31
//	RUN sudo ./install.sh
//
// silences the named rules (slugs or IDs) on the instruction directly below the comment
// block, and
//
//	# kharden:ignore-file=user-not-root the base image sets USER 65532
//
// anywhere in the file silences them in the whole file. The reason is required.
type DockerfileEngine struct {
	rules    []*dfrules.Rule
	bySlug   map[string]*dfrules.Rule
	severity map[string]rule.Severity
	now      time.Time
	known    func(string) bool
}

// NewDockerfile builds a Dockerfile engine.
func NewDockerfile(o DockerfileOptions) *DockerfileEngine {
	e := &DockerfileEngine{rules: o.Rules, severity: o.Severity, now: o.Now, known: o.Known,
		bySlug: map[string]*dfrules.Rule{}}
	if e.now.IsZero() {
		e.now = time.Now()
	}
	for _, r := range o.Rules {
		e.bySlug[r.Slug] = r
		e.bySlug[r.ID] = r
	}
	return e
}

// Rules returns the metadata of the rules the engine runs.
func (e *DockerfileEngine) Rules() []*rule.Meta { return dfrules.Metas(e.rules) }

// Scan evaluates every rule on the file and adds results, suppressed results, problems
// with suppression comments and unused suppressions to rep.
func (e *DockerfileEngine) Scan(f *dockerfile.File, rep *report.Report) {
	rep.Objects++
	sups, errs := e.dockerfileSuppressions(f)
	rep.Errors = append(rep.Errors, errs...)
	for _, r := range e.rules {
		for _, fd := range e.runDockerfile(r, f) {
			res := e.dockerfileResult(r, f, fd)
			if s := sups.find(f, fd.Line, r.ID); s != nil {
				if s.expired {
					res.Message += fmt.Sprintf(" (suppression expired on %s)", s.expires.Format(time.DateOnly))
				} else {
					s.used = true
					res.Suppressed = s.reason
					rep.Suppressed = append(rep.Suppressed, res)
					continue
				}
			}
			rep.Results = append(rep.Results, res)
		}
	}
	// What the model left out, such as a script over the shell parse limits that was
	// read word by word.
	for _, n := range f.Notes {
		rep.Notes = append(rep.Notes, report.Problem{File: f.Path, Line: n.Line, Column: n.Col, Message: n.Msg})
	}
	for _, s := range sups.all {
		if !s.used && !s.expired {
			rep.Notes = append(rep.Notes, report.Problem{File: f.Path, Line: s.line, Column: s.col,
				Message: fmt.Sprintf("suppression %q matches no finding", s.key)})
		}
	}
}

// runDockerfile calls a rule, turning a panic into a result with status error.
func (e *DockerfileEngine) runDockerfile(r *dfrules.Rule, f *dockerfile.File) (fs []rule.Finding) {
	defer func() {
		if p := recover(); p != nil {
			fs = []rule.Finding{{Path: "\x00error",
				Message: fmt.Sprintf("internal error in rule %s (%s): %v\n%s", r.ID, r.Slug, p, firstFrames(debug.Stack()))}}
		}
	}()
	return r.Check(f)
}

func (e *DockerfileEngine) dockerfileResult(r *dfrules.Rule, f *dockerfile.File, fd rule.Finding) rule.Result {
	status := rule.Fail
	path := fd.Path
	if path == "\x00error" {
		status, path = rule.Error, ""
	}
	obj := rule.Object{Kind: "Dockerfile", Name: filepath.Base(f.Path)}
	if s := f.StageAt(fd.Line); s != nil && fd.Line > 0 {
		obj.Name = s.DisplayName()
		if path == "" {
			if in := f.InstructionAt(fd.Line); in != nil && in.Stage == s {
				path = fmt.Sprintf("instructions[%d]", in.Index)
			}
		}
	}
	sev := r.Severity
	if s, ok := e.severity[r.ID]; ok {
		sev = s
	}
	return rule.Result{
		Meta: &r.Meta, Status: status, Severity: sev, Message: fd.Message, Practices: fd.Practices,
		Location: rule.Location{File: f.Path, Line: fd.Line, Column: fd.Column, FieldPath: path, Object: obj},
	}
}

// dockerfileSups are a file's suppression comments.
type dockerfileSups struct {
	byInstruction map[*dockerfile.Instruction]map[string]*suppression
	file          map[string]*suppression
	all           []*suppression
}

// find returns the suppression of rule id for a finding on line: the instruction's own,
// else the file's.
func (s *dockerfileSups) find(f *dockerfile.File, line int, id string) *suppression {
	if line > 0 {
		if in := f.InstructionAt(line); in != nil {
			if sup := s.byInstruction[in][id]; sup != nil {
				return sup
			}
		}
	}
	return s.file[id]
}

var ignoreComment = regexp.MustCompile(`^#\s*kharden:ignore(-file)?=(\S*)\s*(.*)$`)

// dockerfileSuppressions reads the suppression comments: those in the comment block
// directly above an instruction (or among its continuation lines), and file-wide ones on
// any comment line outside heredoc bodies. A comment with no reason or naming no known rule is an error at the comment.
func (e *DockerfileEngine) dockerfileSuppressions(f *dockerfile.File) (*dockerfileSups, []report.Problem) {
	sups := &dockerfileSups{byInstruction: map[*dockerfile.Instruction]map[string]*suppression{}, file: map[string]*suppression{}}
	var errs []report.Problem
	// above maps a comment line to the instruction it suppresses on: the one below its
	// comment block, or the one whose continuation lines it is among.
	above := map[int]*dockerfile.Instruction{}
	for _, in := range f.Instructions {
		for l := in.Line - 1; l >= 1 && l <= len(f.Lines) && isCommentLine(f.Lines[l-1]); l-- {
			above[l] = in
		}
		end := in.EndLine
		if in.HeredocLine > 0 {
			end = in.HeredocLine - 1
		}
		for l := in.Line + 1; l <= end && l <= len(f.Lines); l++ {
			if isCommentLine(f.Lines[l-1]) {
				above[l] = in
			}
		}
	}
	body := map[int]bool{}
	for _, in := range f.Instructions {
		if in.HeredocLine > 0 {
			for l := in.HeredocLine; l <= in.EndLine; l++ {
				body[l] = true
			}
		}
	}
	for i, text := range f.Lines {
		line := i + 1
		trimmed := strings.TrimSpace(text)
		if body[line] || !strings.HasPrefix(trimmed, "#") {
			continue
		}
		m := ignoreComment.FindStringSubmatch(trimmed)
		if m == nil {
			continue
		}
		col := len(text) - len(strings.TrimLeft(text, " \t")) + 1
		fileWide := m[1] != ""
		bad := func(format string, a ...any) {
			errs = append(errs, report.Problem{File: f.Path, Line: line, Column: col,
				Message: fmt.Sprintf("suppression %q: %s", strings.TrimPrefix(m[0], "#"), fmt.Sprintf(format, a...))})
		}
		in := above[line]
		if !fileWide && in == nil {
			bad("no instruction follows the comment; put it directly above the instruction, or use kharden:ignore-file=")
			continue
		}
		if m[2] == "" {
			bad("name a rule slug or ID after the =")
			continue
		}
		if reason, _, _ := strings.Cut(m[3], "; expires="); strings.TrimSpace(reason) == "" {
			bad("a reason is required after the rule names")
			continue
		}
		for _, name := range strings.Split(m[2], ",") {
			if name == "" {
				continue
			}
			s, err := parseSuppression(m[3], e.now)
			if err != nil {
				bad("%v", err)
				break
			}
			r := e.bySlug[name]
			if r == nil {
				r = e.bySlug[strings.ToUpper(name)]
			}
			if r == nil {
				if e.known != nil && e.known(name) {
					continue // a rule that exists but does not run
				}
				bad("no Dockerfile rule with slug or ID %q", name)
				continue
			}
			s.key, s.line, s.col = name, line, col
			sups.all = append(sups.all, s)
			if fileWide {
				sups.file[r.ID] = s
				continue
			}
			if sups.byInstruction[in] == nil {
				sups.byInstruction[in] = map[string]*suppression{}
			}
			sups.byInstruction[in][r.ID] = s
		}
	}
	return sups, errs
}

func isCommentLine(s string) bool {
	return strings.HasPrefix(strings.TrimSpace(s), "#")
}
