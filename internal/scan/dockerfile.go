package scan

import (
	"bytes"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	kcrules "github.com/kharden/kharden/internal/rules/cluster"
	dfrules "github.com/kharden/kharden/internal/rules/dockerfile"
	imrules "github.com/kharden/kharden/internal/rules/image"
	"github.com/kharden/kharden/internal/rules/k8s"
	noderules "github.com/kharden/kharden/internal/rules/node"
	sprules "github.com/kharden/kharden/internal/rules/seccomp"
	"github.com/kharden/kharden/internal/source/dockerfile"
	"github.com/kharden/kharden/internal/source/fsread"
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
// Dockerfile rules, then image rules, then cluster rules, then node rules, then seccomp
// profile rules, each sorted by ID.
func AllRules() []*rule.Meta {
	out := append(k8s.Metas(k8s.All()), dfrules.Metas(dfrules.All())...)
	out = append(out, imrules.Metas(imrules.All())...)
	out = append(out, kcrules.Metas(kcrules.All())...)
	out = append(out, noderules.Metas(noderules.All())...)
	return append(out, sprules.Metas(sprules.All())...)
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
	if r := imrules.Lookup(name); r != nil {
		return &r.Meta
	}
	if r := kcrules.Lookup(name); r != nil {
		return &r.Meta
	}
	if r := noderules.Lookup(name); r != nil {
		return &r.Meta
	}
	if r := sprules.Lookup(name); r != nil {
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

// dockerfileInput is a Dockerfile to scan: its path, its build context ("" for its own
// directory), and how to read it without leaving the tree it was found in.
type dockerfileInput struct {
	path, context string
	read          func() ([]byte, error)
	// note is told in the report (why standard input was read as a Dockerfile).
	note string
}

// rootDockerfile is the Dockerfile p, found by walking dir, read through dir's root.
func rootDockerfile(root *fsread.Root, dir, p string) dockerfileInput {
	return dockerfileInput{path: p, read: func() ([]byte, error) {
		return root.ReadFile(relTo(dir, p), dockerfile.MaxFileSize)
	}}
}

// scanDockerfile loads one Dockerfile with its build context (its own directory when
// context is empty) and runs the Dockerfile rules on it. It reads the file itself, as
// dockerfile.Load would, so that the file is opened only through in.read.
func (s *Scanner) scanDockerfile(in dockerfileInput) *report.Report {
	part := &report.Report{Files: 1, Scanned: []string{in.path}, FailOn: s.head.FailOn}
	if in.note != "" {
		part.Notes = append(part.Notes, report.Problem{File: in.path, Message: in.note})
	}
	f, err := loadDockerfile(in)
	if err != nil {
		if me, ok := err.(*manifest.Error); ok {
			part.Errors = append(part.Errors, report.Problem{File: me.File, Line: me.Line, Column: me.Column, Message: me.Msg})
		} else {
			part.Errors = append(part.Errors, report.Problem{File: in.path, Message: err.Error()})
		}
		clipProblems(part)
		return part
	}
	s.dfEng.Scan(f, part)
	clipProblems(part)
	return part
}

func loadDockerfile(in dockerfileInput) (*dockerfile.File, error) {
	data, err := in.read()
	if err != nil {
		return nil, &manifest.Error{File: in.path, Msg: cleanErr(err)}
	}
	// A binary file is no Dockerfile, and its "first instruction" would be quoted in
	// the parse error: /proc/self/environ is one NUL-separated line of secrets.
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, &manifest.Error{File: in.path, Msg: "binary file: not a Dockerfile"}
	}
	f, err := dockerfile.Parse(in.path, data)
	if err != nil {
		return nil, err
	}
	f.ContextDir = in.context
	if f.ContextDir == "" {
		f.ContextDir = filepath.Dir(in.path)
	}
	if f.Ignore, err = dockerfile.ReadIgnore(in.path, f.ContextDir); err != nil {
		return nil, err
	}
	return f, nil
}

// walkDockerfiles calls df with each Dockerfile under dir (a chart or kustomization,
// whose manifests were loaded as one input), skipping hidden directories; dir was
// found by walking top, whose root they are read through.
func walkDockerfiles(root *fsread.Root, top, dir string, df func(dockerfileInput) error) error {
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
		if dockerfile.IsDockerfileName(d.Name()) {
			return df(rootDockerfile(root, top, p))
		}
		return nil
	})
}
