// Package scan is the task-level facade of `kharden scan`: it finds the inputs under the
// given paths, loads them (plain manifests, Helm charts, Kustomize directories,
// Dockerfiles), selects the rules of a profile and config, and runs the engines into one
// report.
package scan

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/engine"
	"github.com/kharden/kharden/internal/pss"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/rules/k8s"
	"github.com/kharden/kharden/internal/source/dockerfile"
	"github.com/kharden/kharden/internal/source/manifest"
)

// Options are the inputs of a scan.
type Options struct {
	Paths []string
	Stdin io.Reader
	// Profile overrides the config's profile when set.
	Profile string
	// FailOn overrides the config's failOn when set.
	FailOn string
	Config *config.Config
	Helm   HelmOptions
	// Dockerfiles are Dockerfiles named explicitly (--dockerfile), whose build context is
	// Context, or their own directory when Context is empty. Dockerfiles found under
	// Paths always use their own directory.
	Dockerfiles []string
	Context     string
	// Version is the tool version written into reports.
	Version string
}

// HelmOptions are passed to charts found under the paths.
type HelmOptions struct {
	ValuesFiles []string
	Set         []string
}

// UsageError is a problem with what the user asked for (exit code 2, before any scanning).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Rules selects the rules of a profile, adjusted by a config. It also returns the PSS
// level the pss-* rules evaluate.
func Rules(profile string, cfg *config.Config) ([]*k8s.Rule, *config.Resolved, pss.LevelVersion, error) {
	all := k8s.All()
	res, err := cfg.Resolve(func(n string) (string, bool) {
		m := LookupAny(n)
		if m == nil {
			return "", false
		}
		return m.ID, true
	})
	if err != nil {
		return nil, nil, pss.LevelVersion{}, err
	}
	var lv pss.LevelVersion
	inProfile := func(r *k8s.Rule) bool { return r.Default && !isPSS(r) }
	switch name, version, _ := strings.Cut(profile, ":"); name {
	case "", "default":
		if version != "" {
			return nil, nil, lv, fmt.Errorf("profile %q takes no version", profile)
		}
	case "pss-baseline", "pss-restricted":
		level := strings.TrimPrefix(name, "pss-")
		if version != "" {
			level += ":" + version
		}
		if lv, err = pss.Parse(level); err != nil {
			return nil, nil, lv, fmt.Errorf("profile %q: %w", profile, err)
		}
		inProfile = isPSS
	default:
		return nil, nil, lv, fmt.Errorf("unknown profile %q (want default, pss-baseline[:v1.N] or pss-restricted[:v1.N])", profile)
	}
	var out []*k8s.Rule
	for _, r := range all {
		on := inProfile(r)
		if v, ok := res.Enabled[r.ID]; ok {
			on = v
		}
		if on {
			out = append(out, r)
		}
	}
	return out, res, lv, nil
}

func isPSS(r *k8s.Rule) bool { return strings.HasPrefix(r.Slug, "pss-") }

// Lookup returns a function finding a rule by slug or ID (case-insensitive ID).
func Lookup(rules []*k8s.Rule) func(string) *k8s.Rule {
	m := map[string]*k8s.Rule{}
	for _, r := range rules {
		m[r.Slug] = r
		m[strings.ToUpper(r.ID)] = r
	}
	return func(n string) *k8s.Rule {
		if r := m[n]; r != nil {
			return r
		}
		return m[strings.ToUpper(n)]
	}
}

// Scanner is a configured scan: rules selected, config checked, ready to read inputs.
type Scanner struct {
	o     Options
	eng   *engine.Engine
	dfEng *engine.DockerfileEngine
	head  *report.Report
}

// New checks the options and config and selects the rules. Its error is a usage error:
// nothing has been read yet.
func New(o Options) (*Scanner, error) {
	cfg := o.Config
	if cfg == nil {
		cfg = &config.Config{}
	}
	profile := cfg.Profile
	if o.Profile != "" {
		profile = o.Profile
	}
	rules, res, lv, err := Rules(profile, cfg)
	if err != nil {
		return nil, &UsageError{err}
	}
	head := &report.Report{Tool: "kharden", Version: o.Version, FailOn: rule.High}
	if res.FailOn != nil {
		head.FailOn = *res.FailOn
	}
	if o.FailOn != "" {
		if head.FailOn, err = rule.ParseSeverity(o.FailOn); err != nil {
			return nil, &UsageError{fmt.Errorf("--fail-on: %w", err)}
		}
	}
	if len(o.Paths) == 0 && len(o.Dockerfiles) == 0 {
		return nil, &UsageError{errors.New("no path to scan (give files, directories, or - for stdin)")}
	}
	if o.Context != "" && len(o.Dockerfiles) == 0 {
		return nil, &UsageError{errors.New("--context applies to --dockerfile, and none is given")}
	}
	all := Lookup(k8s.All())
	eng := engine.New(engine.Options{
		Rules:            rules,
		Severity:         res.Severity,
		Settings:         k8s.Settings{AllowedRegistries: cfg.AllowedRegistries, PSS: lv},
		ExemptNamespaces: cfg.ExemptNamespaces,
		Known:            func(n string) bool { return all(n) != nil },
	})
	dfEng := engine.NewDockerfile(engine.DockerfileOptions{
		Rules:    DockerfileRules(profile, res),
		Severity: res.Severity,
		Known:    func(n string) bool { return lookupDockerfile(n) != nil },
	})
	head.Rules = append(eng.Rules(), dfEng.Rules()...)
	return &Scanner{o: o, eng: eng, dfEng: dfEng, head: head}, nil
}

// Head is the report's header: tool, version, the rules that run and the threshold.
func (s *Scanner) Head() *report.Report { return s.head }

// Each reads the inputs one at a time, in a stable order, and hands each one's results to
// emit; nothing of an input is kept after emit returns, so memory stays bounded by the
// largest input. It stops at the first error emit returns.
func (s *Scanner) Each(emit func(part *report.Report) error) error {
	for _, p := range s.o.Paths {
		err := walk(p, s.o, func(r *manifest.Result) error {
			part := &report.Report{Files: 1, Scanned: []string{firstFile(r)}, FailOn: s.head.FailOn}
			addLoad(part, r)
			s.eng.Scan(r.Docs, part)
			return emit(part)
		}, func(dockerfile string) error {
			return emit(s.scanDockerfile(dockerfile, ""))
		})
		if err != nil {
			return err
		}
	}
	for _, p := range s.o.Dockerfiles {
		if err := emit(s.scanDockerfile(p, s.o.Context)); err != nil {
			return err
		}
	}
	return nil
}

// Run scans everything into one report, for callers that want it whole (tests, small
// inputs). The error is a usage error.
func Run(o Options) (*report.Report, error) {
	s, err := New(o)
	if err != nil {
		return nil, err
	}
	rep := *s.head
	err = s.Each(func(part *report.Report) error {
		rep.Files += part.Files
		rep.Objects += part.Objects
		rep.Scanned = append(rep.Scanned, part.Scanned...)
		rep.Results = append(rep.Results, part.Results...)
		rep.Suppressed = append(rep.Suppressed, part.Suppressed...)
		rep.Errors = append(rep.Errors, part.Errors...)
		rep.Notes = append(rep.Notes, part.Notes...)
		return nil
	})
	rep.Sort()
	return &rep, err
}

func addLoad(rep *report.Report, r *manifest.Result) {
	for _, e := range r.Errors {
		rep.Errors = append(rep.Errors, report.Problem{File: e.File, Line: e.Line, Column: e.Column, Message: e.Msg})
	}
	for _, n := range r.Notes {
		rep.Notes = append(rep.Notes, report.Problem{File: n.File, Line: n.Line, Column: n.Column, Message: n.Msg})
	}
}

// manifestExts are the file extensions scanned inside directories.
var manifestExts = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// walk calls f with each input found under path: the file itself, every manifest file
// of a directory tree in lexical order, a rendered chart or a built kustomization; and
// df with each Dockerfile (by name, see dockerfile.IsDockerfileName), charts and
// kustomizations included.
func walk(path string, o Options, f func(*manifest.Result) error, df func(string) error) error {
	if path == "-" {
		if o.Stdin == nil {
			return f(failed("<stdin>", "no standard input"))
		}
		data, err := io.ReadAll(io.LimitReader(o.Stdin, manifest.MaxFileSize+1))
		if err != nil {
			return f(failed("<stdin>", err.Error()))
		}
		return f(manifest.Load("<stdin>", data))
	}
	fi, err := os.Stat(path)
	if err != nil {
		return f(failed(path, cleanErr(err)))
	}
	if !fi.IsDir() {
		if dockerfile.IsDockerfileName(filepath.Base(path)) {
			return df(path)
		}
		return f(loadFile(path))
	}
	var emitErr error
	walkErr := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			emitErr = f(failed(p, cleanErr(err)))
			if d != nil && d.IsDir() && emitErr == nil {
				return fs.SkipDir
			}
			return emitErr
		}
		if d.IsDir() {
			if p != path && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir // .git and friends
			}
			if r, ok := loadSpecialDir(p, o); ok {
				if emitErr = f(r); emitErr != nil {
					return emitErr
				}
				emitErr = walkDockerfiles(p, df)
				if emitErr != nil {
					return emitErr
				}
				return fs.SkipDir
			}
			return nil
		}
		if dockerfile.IsDockerfileName(d.Name()) && (d.Type().IsRegular() || d.Type()&fs.ModeSymlink != 0) {
			emitErr = df(p)
			return emitErr
		}
		if !manifestExts[strings.ToLower(filepath.Ext(p))] || !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		emitErr = f(loadFile(p))
		return emitErr
	})
	if emitErr != nil {
		return emitErr
	}
	if walkErr != nil {
		return f(failed(path, cleanErr(walkErr)))
	}
	return nil
}

func firstFile(r *manifest.Result) string {
	switch {
	case len(r.Docs) > 0:
		return r.Docs[0].File
	case len(r.Errors) > 0:
		return r.Errors[0].File
	case len(r.Notes) > 0:
		return r.Notes[0].File
	}
	return ""
}

// loadSpecialDir renders Helm charts and builds Kustomize directories; ok is false for a
// plain directory.
func loadSpecialDir(dir string, o Options) (*manifest.Result, bool) {
	for _, l := range dirLoaders {
		if l.match(dir) {
			r, err := l.load(dir, o)
			if err != nil {
				return failed(dir, err.Error()), true
			}
			return r, true
		}
	}
	return nil, false
}

// dirLoader recognises and loads a directory that is one input (a chart, a kustomization).
type dirLoader struct {
	match func(dir string) bool
	load  func(dir string, o Options) (*manifest.Result, error)
}

// dirLoaders is filled by the files that wire Helm and Kustomize in.
var dirLoaders []dirLoader

func loadFile(p string) *manifest.Result {
	f, err := os.Open(p)
	if err != nil {
		return failed(p, cleanErr(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, manifest.MaxFileSize+1))
	if err != nil {
		return failed(p, cleanErr(err))
	}
	return manifest.Load(p, data)
}

func failed(file, msg string) *manifest.Result {
	return &manifest.Result{Errors: []*manifest.Error{{File: file, Msg: msg}}}
}

// cleanErr drops the path os errors repeat, since problems already name the file.
func cleanErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}
