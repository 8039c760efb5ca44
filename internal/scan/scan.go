// Package scan is the task-level facade of `kharden scan`: it finds the inputs under the
// given paths, loads them (plain manifests, Helm charts, Kustomize directories), selects
// the rules of a profile and config, and runs the engine into one report.
package scan

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/engine"
	"github.com/kharden/kharden/internal/pss"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/rules/k8s"
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
	lookup := Lookup(all)
	res, err := cfg.Resolve(func(n string) (string, bool) {
		r := lookup(n)
		if r == nil {
			return "", false
		}
		return r.ID, true
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

// Run scans the inputs. The error is for problems that stop the scan before it starts
// (bad profile, bad config); input problems are in the report.
func Run(o Options) (*report.Report, error) {
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
	rep := &report.Report{Tool: "kharden", Version: o.Version, FailOn: rule.High}
	if res.FailOn != nil {
		rep.FailOn = *res.FailOn
	}
	if o.FailOn != "" {
		if rep.FailOn, err = rule.ParseSeverity(o.FailOn); err != nil {
			return nil, &UsageError{fmt.Errorf("--fail-on: %w", err)}
		}
	}
	all := Lookup(k8s.All())
	eng := engine.New(engine.Options{
		Rules:            rules,
		Severity:         res.Severity,
		Settings:         k8s.Settings{AllowedRegistries: cfg.AllowedRegistries, PSS: lv},
		ExemptNamespaces: cfg.ExemptNamespaces,
		Known:            func(n string) bool { return all(n) != nil },
	})
	rep.Rules = eng.Rules()
	if len(o.Paths) == 0 {
		return nil, &UsageError{errors.New("no path to scan (give files, directories, or - for stdin)")}
	}
	for _, p := range o.Paths {
		for _, r := range load(p, o) {
			rep.Files++
			rep.Scanned = append(rep.Scanned, firstFile(r))
			addLoad(rep, r)
			eng.Scan(r.Docs, rep)
		}
	}
	rep.Sort()
	return rep, nil
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

// load returns one Result per input found under path.
func load(path string, o Options) []*manifest.Result {
	if path == "-" {
		if o.Stdin == nil {
			return []*manifest.Result{failed("<stdin>", "no standard input")}
		}
		data, err := io.ReadAll(io.LimitReader(o.Stdin, manifest.MaxFileSize+1))
		if err != nil {
			return []*manifest.Result{failed("<stdin>", err.Error())}
		}
		return []*manifest.Result{manifest.Load("<stdin>", data)}
	}
	fi, err := os.Stat(path)
	if err != nil {
		return []*manifest.Result{failed(path, cleanErr(err))}
	}
	if !fi.IsDir() {
		return []*manifest.Result{loadFile(path)}
	}
	var out []*manifest.Result
	walkErr := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			out = append(out, failed(p, cleanErr(err)))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if p != path && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir // .git and friends
			}
			if r, ok := loadSpecialDir(p, o); ok {
				out = append(out, r)
				return fs.SkipDir
			}
			return nil
		}
		if manifestExts[strings.ToLower(filepath.Ext(p))] && !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		if manifestExts[strings.ToLower(filepath.Ext(p))] {
			out = append(out, loadFile(p))
		}
		return nil
	})
	if walkErr != nil {
		out = append(out, failed(path, cleanErr(walkErr)))
	}
	sort.SliceStable(out, func(i, j int) bool { return firstFile(out[i]) < firstFile(out[j]) })
	return out
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
