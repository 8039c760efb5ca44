// Package kustomize builds a kustomization, the way `kustomize build` does, and loads the
// resulting resources as manifests.
//
// Positions. A built resource is the product of its source file, patches, generators and
// transformers, so no single file holds all of its lines. Each document is loaded from
// the build output (byte for byte `kustomize build <dir>`, so the rules judge what kubectl
// would apply) under the kustomization file's name, and its Place names the file the
// user wrote: the resource's source file and the line there of every field the source
// holds as built (see placer), or the kustomization without a line for what a patch,
// transformer or generator made, or a remote file gave. Document.Origin names the file
// the resource came from, or the kustomization whose generator made it.
//
// Origins come from kustomize's own origin tracking (the config.kubernetes.io/origin
// annotation that `buildMetadata: [originAnnotations]` turns on). krusty has no option for
// it, so the top-level kustomization is read through a file system that adds
// originAnnotations to its buildMetadata; the annotations are removed before the output
// is rendered, even when the kustomization asked for them, so that no verdict depends on
// them.
//
// Trust. A kustomization may come from a repository its user does not trust, so the same
// file system (guardFS) keeps the build inside the scanned directory and off the network
// and git unless allowed; see guardFS.
package kustomize

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/api/types"

	"github.com/kharden/kharden/internal/source/manifest"
)

// IsKustomization reports whether dir holds a kustomization file (kustomization.yaml,
// kustomization.yml or Kustomization).
func IsKustomization(dir string) bool {
	return kustomizationFile(dir) != ""
}

// FileNames are the names of a kustomization file, in the order kustomize looks for them.
func FileNames() []string { return konfig.RecognizedKustomizationFileNames() }

func kustomizationFile(dir string) string {
	for _, n := range konfig.RecognizedKustomizationFileNames() {
		if fi, err := os.Stat(filepath.Join(dir, n)); err == nil && fi.Mode().IsRegular() {
			return n
		}
	}
	return ""
}

// Options are what a build may reach beyond the kustomization's own directory.
type Options struct {
	// Root is the scanned directory: no file outside it is read, whether named with ..,
	// through a symlink or as a base. Empty means the kustomization's directory.
	Root string
	// AllowRemote lets http(s) files named by the kustomization be fetched, each within
	// RemoteTimeout (default DefaultRemoteTimeout) and MaxRemoteSize. Git repositories
	// are never fetched: kharden runs no program.
	AllowRemote   bool
	RemoteTimeout time.Duration
	// RemoteHosts are hosts the user named, which may be at any address. The URLs are
	// the kustomization's choice, so every other fetch, redirects included, must go to a
	// public address (netguard): never the runner's loopback, private network or cloud
	// metadata service.
	RemoteHosts []string
}

// Build builds the kustomization in dir from the local file system with kustomize's
// defaults (load restrictor on, no plugins, no Helm, kustomize build's output order)
// within the limits of o, and loads the result. A kustomization that does not build
// becomes a manifest.Error at the kustomization file; an error is returned only when dir
// holds no kustomization.
func Build(dir string, o Options) (*manifest.Result, error) {
	name := kustomizationFile(dir)
	if name == "" {
		return nil, fmt.Errorf("%s: no kustomization file (%v)", dir, konfig.RecognizedKustomizationFileNames())
	}
	kfile := filepath.Join(dir, name)
	if o.Root == "" {
		o.Root = dir
	}
	top, err := realAbs(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	root, err := realAbs(o.Root)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.Root, err)
	}
	fsys := newGuard(root, top, o)
	// kustomize names files by absolute path; name them as the user did.
	rel := strings.NewReplacer(top+string(filepath.Separator), dir+string(filepath.Separator),
		root+string(filepath.Separator), o.Root+string(filepath.Separator))
	fail := func(err error) (*manifest.Result, error) {
		msg := strings.TrimPrefix(rel.Replace(err.Error()), kfile+": ") // the error's File says it
		return &manifest.Result{Errors: []*manifest.Error{{File: kfile, Msg: "kustomize build failed: " + clip(msg)}}}, nil
	}
	if !within(root, top) {
		return fail(fmt.Errorf("%s is outside the scanned directory %s", top, root))
	}

	opts := krusty.MakeDefaultOptions()
	// Unspecified means what the kustomize CLI does by default: the legacy order, unless
	// the kustomization's sortOptions say otherwise.
	opts.Reorder = krusty.ReorderOptionUnspecified
	opts.LoadRestrictions = types.LoadRestrictionsRootOnly
	// The absolute path: a relative one such as github.com/org/repo would be taken for a
	// repository URL.
	m, err := krusty.MakeKustomizer(opts).Run(fsys, top)
	if err != nil {
		if fsys.refused != nil {
			err = fsys.refused // what kustomize wraps it in says less
		}
		return fail(err)
	}

	origins := map[identity][]source{}
	for _, r := range m.Resources() {
		id := identityOf(r.GetApiVersion(), r.GetKind(), r.GetNamespace(), r.GetName())
		o, err := r.GetOrigin()
		if err != nil {
			o = nil
		}
		origins[id] = append(origins[id], fsys.sourceOf(dir, o))
	}
	// The rules judge the objects as kustomize build prints them without kharden's
	// tracking, and as a cluster would store them: the origin annotations go, even those
	// the kustomization asked for, since no verdict may depend on them.
	if err := m.RemoveOriginAnnotations(); err != nil {
		return nil, fmt.Errorf("%s: removing origin annotations: %w", dir, err)
	}
	out, err := m.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("%s: rendering the build output: %w", dir, err)
	}
	res := manifest.Load(kfile, out)
	files := sourceFiles{}
	for _, d := range res.Docs {
		id := identityOf(d.Object.APIVersion, d.Object.Kind, d.Object.Namespace, d.Object.Name)
		var src source
		if q := origins[id]; len(q) > 0 {
			src, origins[id] = q[0], q[1:]
		}
		d.Origin = src.name
		d.Place = newPlacer(kfile, src, d, files).place
	}
	placeProblems(kfile, res)
	return res, nil
}

// newPlacer finds the document a built resource came from.
func newPlacer(kfile string, src source, d *manifest.Document, files sourceFiles) *placer {
	p := &placer{kfile: kfile, src: src, built: d, file: kfile}
	switch {
	case src.data != nil:
		p.file = src.name
		if p.doc = find(files.docs(src), d.Object.Kind, d.Object.Name); p.doc == nil {
			p.note = "kharden cannot tell which document of " + src.name + " it is"
		}
	case src.generated:
		p.file, p.note = src.name, "a generator of "+src.name+" made it"
	case src.remote:
		p.note = "the kustomization fetched it from " + src.name
	case src.name != "":
		// An origin kustomize names but did not read through the guard: no line from it.
		p.note = "kustomize names " + src.name + " as its origin, which kharden did not read"
	default:
		p.note = "kustomize does not say where it came from"
	}
	return p
}

// placeProblems moves the errors and notes found in the build output to the files the
// user wrote, as results are; one that cannot be placed there is at the kustomization
// with the line of the build output in its message.
func placeProblems(kfile string, res *manifest.Result) {
	for _, e := range append(slices.Clip(res.Errors), res.Notes...) {
		pos := manifest.Position{File: kfile}
		if d := docAt(res.Docs, e.Line); d != nil && d.Place != nil {
			if path, ok := d.PathAt(e.Line, e.Column); ok {
				pos = d.Place(path)
			}
		}
		if pos.Line == 0 && e.Line > 0 {
			pos.Note = strings.TrimPrefix(pos.Note+"; line "+strconv.Itoa(e.Line)+" of the kustomize build output", "; ")
		}
		e.File, e.Line, e.Column = pos.File, pos.Line, pos.Column
		if pos.Note != "" {
			e.Msg += " (" + pos.Note + ")"
		}
	}
}

// docAt is the document of docs (in file order) whose text holds line, if any does.
func docAt(docs []*manifest.Document, line int) *manifest.Document {
	var at *manifest.Document
	for _, d := range docs {
		if d.Root.Line > line {
			break
		}
		at = d
	}
	return at
}

// maxMessage bounds an error message, which may quote a kustomization or a resource.
const maxMessage = 1000

func clip(s string) string { return manifest.Clip(s, maxMessage) }

func realAbs(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

type identity struct{ apiVersion, kind, namespace, name string }

func identityOf(apiVersion, kind, namespace, name string) identity {
	return identity{apiVersion, kind, namespace, name}
}

// sourceOf turns kustomize's origin into the source of a resource, named as the user can
// open it: origin paths are relative to the directory being built; a fetched file is
// named by its URL, a repository by its URL and path.
func (g *guardFS) sourceOf(dir string, o *resource.Origin) source {
	if o != nil && o.Repo == "" && o.Path != "" {
		if u, ok := g.fetched[filepath.Join(g.top, o.Path)]; ok {
			return source{name: u, remote: true}
		}
	}
	switch {
	case o == nil:
		return source{}
	case o.Repo != "":
		s := o.Repo + "//" + o.Path
		if o.Ref != "" {
			s += "?ref=" + o.Ref
		}
		return source{name: s, remote: true}
	case o.ConfiguredIn != "":
		return source{name: filepath.Join(dir, o.ConfiguredIn), generated: true}
	case o.Path != "":
		return source{name: filepath.Join(dir, o.Path), data: g.localData(o.Path)}
	}
	return source{}
}

// withOriginAnnotations adds originAnnotations to a kustomization's buildMetadata. When
// the field is absent from a block mapping it appends one line, so that every existing
// line keeps its number for kustomize's error messages; otherwise it edits the parsed
// document. It reports false, leaving data alone, when the option is already there or the
// document is not a mapping.
func withOriginAnnotations(data []byte) ([]byte, bool) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return data, false
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != "buildMetadata" {
			continue
		}
		seq := m.Content[i+1]
		if seq.Kind != yaml.SequenceNode {
			return data, false // kustomize will say what is wrong with it
		}
		for _, v := range seq.Content {
			if v.Value == types.OriginAnnotations {
				return data, false
			}
		}
		seq.Content = append(seq.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: types.OriginAnnotations})
		out, err := yaml.Marshal(&doc)
		if err != nil {
			return data, false
		}
		return out, true
	}
	if m.Style&yaml.FlowStyle == 0 {
		out := append(bytes.TrimRight(slices.Clone(data), " \t\r\n"), "\nbuildMetadata: ["+types.OriginAnnotations+"]\n"...)
		// Check that the line landed in the kustomization (not in a second document, say).
		dec := yaml.NewDecoder(bytes.NewReader(out))
		var check, next yaml.Node
		if dec.Decode(&check) == nil && dec.Decode(&next) == io.EOF && len(check.Content) == 1 {
			if c := check.Content[0]; c.Kind == yaml.MappingNode && len(c.Content) == len(m.Content)+2 && c.Content[len(c.Content)-2].Value == "buildMetadata" {
				return out, true
			}
		}
	}
	m.Content = append(m.Content,
		&yaml.Node{Kind: yaml.ScalarNode, Value: "buildMetadata"},
		&yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: types.OriginAnnotations}}})
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return data, false
	}
	return out, true
}
