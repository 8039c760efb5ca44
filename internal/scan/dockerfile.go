package scan

import (
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	kcrules "github.com/kharden/kharden/internal/rules/cluster"
	dfrules "github.com/kharden/kharden/internal/rules/dockerfile"
	"github.com/kharden/kharden/internal/rules/k8s"
	noderules "github.com/kharden/kharden/internal/rules/node"
	"github.com/kharden/kharden/internal/source/dockerfile"
	"github.com/kharden/kharden/internal/source/manifest"
)

// DockerfileRules selects the Dockerfile rules of a profile, adjusted by a resolved
// config: the default profile runs the rules that are on by default; the pss-* profiles,
// which are about pods, run only the Dockerfile rules the config enables.
func DockerfileRules(profile string, res *config.Resolved) []*dfrules.Rule {
	name, _, _ := strings.Cut(profile, ":")
	var out []*dfrules.Rule
	for _, r := range dfrules.All() {
		on := r.Default && (name == "" || name == "default")
		if res != nil {
			if v, ok := res.Enabled[r.ID]; ok {
				on = v
			}
		}
		if on {
			out = append(out, r)
		}
	}
	return out
}

// AllRules returns the metadata of every rule of every domain: manifest rules, then
// Dockerfile rules, then cluster rules, then node rules, each sorted by ID.
func AllRules() []*rule.Meta {
	out := append(k8s.Metas(k8s.All()), dfrules.Metas(dfrules.All())...)
	out = append(out, kcrules.Metas(kcrules.All())...)
	return append(out, noderules.Metas(noderules.All())...)
}

// LookupAny finds the metadata of a rule of any domain by slug or ID (case-insensitive
// ID), or returns nil. Config files, suppressions and `kharden explain` name rules this way.
func LookupAny(name string) *rule.Meta {
	if r := Lookup(k8s.All())(name); r != nil {
		return &r.Meta
	}
	if r := lookupDockerfile(name); r != nil {
		return &r.Meta
	}
	if r := kcrules.Lookup(name); r != nil {
		return &r.Meta
	}
	if r := noderules.Lookup(name); r != nil {
		return &r.Meta
	}
	return nil
}

func lookupDockerfile(name string) *dfrules.Rule {
	for _, r := range dfrules.All() {
		if r.Slug == name || strings.EqualFold(r.ID, name) {
			return r
		}
	}
	return nil
}

// scanDockerfile loads one Dockerfile with its build context (its own directory when
// context is empty) and runs the Dockerfile rules on it.
func (s *Scanner) scanDockerfile(path, context string) *report.Report {
	part := &report.Report{Files: 1, Scanned: []string{path}, FailOn: s.head.FailOn}
	f, err := dockerfile.Load(path, context)
	if err != nil {
		if me, ok := err.(*manifest.Error); ok {
			part.Errors = append(part.Errors, report.Problem{File: me.File, Line: me.Line, Column: me.Column, Message: me.Msg})
		} else {
			part.Errors = append(part.Errors, report.Problem{File: path, Message: err.Error()})
		}
		return part
	}
	s.dfEng.Scan(f, part)
	return part
}

// walkDockerfiles calls df with each Dockerfile under dir (a chart or kustomization,
// whose manifests were loaded as one input), skipping hidden directories.
func walkDockerfiles(dir string, df func(string) error) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // the manifest walk reports unreadable directories
		}
		if d.IsDir() {
			if p != dir && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		if dockerfile.IsDockerfileName(d.Name()) && (d.Type().IsRegular() || d.Type()&fs.ModeSymlink != 0) {
			return df(p)
		}
		return nil
	})
}
