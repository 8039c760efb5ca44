package kustomize

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/kharden/kharden/internal/netguard"
	"github.com/kharden/kharden/internal/source/fsread"
	"github.com/kharden/kharden/internal/source/manifest"
)

// Limits on remote resources, when they are allowed.
const (
	// DefaultRemoteTimeout bounds one fetch, from connecting to the last byte.
	DefaultRemoteTimeout = 10 * time.Second
	// MaxRemoteSize bounds the bytes read from one URL.
	MaxRemoteSize = 8 << 20
	// maxFetches bounds the URLs fetched for one build.
	maxFetches = 32
)

// AllowRemoteFlag is the command-line flag that allows remote resources; errors name it.
const AllowRemoteFlag = "--allow-remote-resources"

// remoteDir is where fetched files appear, inside the kustomization that names them.
const remoteDir = ".kharden-remote"

// guardFS is the file system kustomize builds from. kustomize has no option to stop it
// fetching URLs (with an http.Client that has no timeout) or running git for a repository
// URL, and it follows bases anywhere on disk, so every file it reads goes through here:
//   - only paths below root (after following symlinks) exist, only regular files of at
//     most manifest.MaxFileSize are read, and nothing is written;
//   - every kustomization is checked, as kustomize itself parses it, for references to
//     URLs and git repositories before kustomize sees it, and so is every builtin plugin
//     config (apiVersion: builtin); git repositories are always refused, http(s) files
//     are refused unless allowed, and then fetched here, with a timeout and a size limit,
//     and served from memory under remoteDir in place of the URL;
//   - the top-level kustomization reads as if it listed originAnnotations (see Build).
type guardFS struct {
	filesys.FileSystem
	root string // resolved scan root: nothing outside it is read
	top  string // resolved directory of the kustomization being built

	allow   bool
	client  *http.Client
	timeout time.Duration
	fetched map[string]string // virtual path -> URL
	data    map[string][]byte // virtual path -> content
	// read keeps the local files kustomize read (other than kustomizations), by the
	// cleaned path it asked for, so that results can be placed in the very text built.
	read    map[string][]byte
	refused error // the first refusal: what the user is told
}

func newGuard(root, top string, o Options) *guardFS {
	g := &guardFS{FileSystem: filesys.MakeFsOnDisk(), root: root, top: top, allow: o.AllowRemote,
		timeout: o.RemoteTimeout, fetched: map[string]string{}, data: map[string][]byte{}, read: map[string][]byte{}}
	if g.timeout <= 0 {
		g.timeout = DefaultRemoteTimeout
	}
	if g.allow {
		g.client = &http.Client{Transport: netguard.New("kharden fetches remote resources from public addresses only", o.RemoteHosts...).Transport(nil)}
	}
	return g
}

func (g *guardFS) refuse(err error) error {
	if g.refused == nil {
		g.refused = err
	}
	return err
}

// resolve follows symlinks in p and checks that the result is below root. A path that
// does not exist is returned as is, for the disk to report.
func (g *guardFS) resolve(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(abs)
	if errors.Is(err, fs.ErrNotExist) && within(g.root, abs) {
		return abs, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		real = abs // not even whether it exists is told
	} else if err != nil {
		return "", err
	}
	if !within(g.root, real) {
		return "", g.refuse(fmt.Errorf("%s: not read: it is outside the scanned directory %s", abs, g.root))
	}
	return real, nil
}

func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

func (g *guardFS) ReadFile(p string) ([]byte, error) {
	if d, ok := g.data[filepath.Clean(p)]; ok {
		return d, g.checkPluginConfigs(p, d)
	}
	real, err := g.resolve(p)
	if err != nil {
		return nil, err
	}
	data, err := readRegular(real)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(konfig.RecognizedKustomizationFileNames(), filepath.Base(real)) {
		if err := g.checkPluginConfigs(p, data); err != nil {
			return data, err
		}
		g.read[filepath.Clean(p)] = data
		return data, nil
	}
	if data, err = g.kustomization(p, filepath.Dir(real), data); err != nil {
		return nil, err
	}
	if filepath.Dir(p) == g.top {
		if out, added := withOriginAnnotations(data); added {
			return out, nil
		}
	}
	return data, nil
}

// readRegular reads a regular file of bounded size (not a FIFO or device, which could
// block or never end); the error names the file.
func readRegular(p string) ([]byte, error) {
	data, err := fsread.ReadRegular(p, manifest.MaxFileSize)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, err
		}
		return nil, fmt.Errorf("%s: not read: %w", p, err)
	}
	return data, nil
}

func (g *guardFS) Open(p string) (filesys.File, error) {
	real, err := g.resolve(p)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(real); err == nil && !fi.Mode().IsRegular() && !fi.IsDir() {
		return nil, fmt.Errorf("%s: not read: not a regular file (%s)", p, fi.Mode().Type())
	}
	return g.FileSystem.Open(real)
}

func (g *guardFS) CleanedAbs(p string) (filesys.ConfirmedDir, string, error) {
	if c := filepath.Clean(p); g.data[c] != nil {
		return filesys.ConfirmedDir(filepath.Dir(c)), filepath.Base(c), nil
	}
	if _, err := g.resolve(p); err != nil {
		return "", "", err
	}
	return g.FileSystem.CleanedAbs(p)
}

func (g *guardFS) Exists(p string) bool {
	if g.data[filepath.Clean(p)] != nil {
		return true
	}
	_, err := g.resolve(p)
	return err == nil && g.FileSystem.Exists(p)
}

func (g *guardFS) IsDir(p string) bool {
	_, err := g.resolve(p)
	return err == nil && g.FileSystem.IsDir(p)
}

func (g *guardFS) ReadDir(p string) ([]string, error) {
	if _, err := g.resolve(p); err != nil {
		return nil, err
	}
	return g.FileSystem.ReadDir(p)
}

func (g *guardFS) Glob(pattern string) ([]string, error) {
	all, err := g.FileSystem.Glob(pattern)
	return slices.DeleteFunc(all, func(p string) bool {
		real, err := filepath.EvalSymlinks(p)
		return err != nil || !within(g.root, real)
	}), err
}

func (g *guardFS) Walk(p string, fn filepath.WalkFunc) error {
	if _, err := g.resolve(p); err != nil {
		return err
	}
	return g.FileSystem.Walk(p, fn)
}

var errReadOnly = errors.New("kharden builds kustomizations read-only")

func (g *guardFS) Create(string) (filesys.File, error) { return nil, errReadOnly }
func (g *guardFS) Mkdir(string) error                  { return errReadOnly }
func (g *guardFS) MkdirAll(string) error               { return errReadOnly }
func (g *guardFS) RemoveAll(string) error              { return errReadOnly }
func (g *guardFS) WriteFile(string, []byte) error      { return errReadOnly }

// ref is a reference from a kustomization to a file or directory.
type ref struct {
	field, value string
	key          string // "key=" of a generator's files entry
	fileOnly     bool   // kustomize only loads it as a file (never as a base)
}

// kustomization checks the references of the kustomization file at p (in dir) and, when
// remote resources are allowed, fetches its http(s) files and points it at them.
func (g *guardFS) kustomization(p, dir string, data []byte) ([]byte, error) {
	var k types.Kustomization
	if err := k.Unmarshal(data); err != nil {
		return data, nil // kustomize reports it
	}
	k.FixKustomization()
	refs, inline := references(&k)
	for _, s := range inline {
		if err := g.checkPluginConfigs(p, []byte(s)); err != nil {
			return nil, err
		}
	}
	replace := map[string]string{}
	for _, r := range refs {
		switch kind := classify(r.value, r.fileOnly); {
		case kind == local:
		case kind == gitRepo:
			if !g.allow {
				return nil, g.refuse(fmt.Errorf("%s: %s: remote base %q not fetched: remote resources are off (%s allows http(s) files, never git)", p, r.field, r.value, AllowRemoteFlag))
			}
			return nil, g.refuse(fmt.Errorf("%s: %s: %q is a git repository: kharden does not run git (vendor it into the scanned directory)", p, r.field, r.value))
		case !g.allow:
			return nil, g.refuse(fmt.Errorf("%s: %s: remote resource %q not fetched: remote resources are off (%s fetches http(s) files)", p, r.field, r.value, AllowRemoteFlag))
		default:
			virtual, err := g.fetch(dir, r.value)
			if err != nil {
				return nil, g.refuse(fmt.Errorf("%s: %s: %w", p, r.field, err))
			}
			rel, _ := filepath.Rel(dir, virtual)
			replace[r.key+r.value] = r.key + filepath.ToSlash(rel)
		}
	}
	if len(replace) == 0 {
		return data, nil
	}
	out, err := replaceScalars(data, replace)
	if err != nil {
		return nil, g.refuse(fmt.Errorf("%s: rewriting remote references: %w", p, err))
	}
	// What kustomize will read must hold no URL any more.
	var again types.Kustomization
	if err := again.Unmarshal(out); err != nil {
		return nil, g.refuse(fmt.Errorf("%s: rewriting remote references: %w", p, err))
	}
	again.FixKustomization()
	refs, _ = references(&again)
	for _, r := range refs {
		if classify(r.value, r.fileOnly) != local {
			return nil, g.refuse(fmt.Errorf("%s: %s: remote reference %q left after fetching", p, r.field, r.value))
		}
	}
	return out, nil
}

// references lists what a kustomization loads from files or bases, and its inline
// plugin configs and patches.
func references(k *types.Kustomization) (refs []ref, inline []string) {
	add := func(field string, fileOnly bool, values ...string) {
		for _, v := range values {
			if v != "" {
				refs = append(refs, ref{field: field, value: v, fileOnly: fileOnly})
			}
		}
	}
	add("resources", false, k.Resources...)
	add("components", false, k.Components...)
	add("crds", true, k.Crds...)
	add("configurations", true, k.Configurations...)
	for field, list := range map[string][]string{"generators": k.Generators, "transformers": k.Transformers, "validators": k.Validators} {
		for _, v := range list {
			if strings.Contains(v, "\n") {
				inline = append(inline, v)
			} else {
				add(field, false, v)
			}
		}
	}
	// Deprecated fields are still read by kustomize, so they are checked.
	//lint:ignore SA1019 kustomize still reads it
	for _, p := range k.PatchesStrategicMerge {
		if strings.Contains(string(p), "\n") {
			inline = append(inline, string(p))
		} else {
			add("patchesStrategicMerge", true, string(p))
		}
	}
	//lint:ignore SA1019 kustomize still reads it
	for field, list := range map[string][]types.Patch{"patches": k.Patches, "patchesJson6902": k.PatchesJson6902} {
		for _, p := range list {
			add(field, true, p.Path)
			if p.Patch != "" {
				inline = append(inline, p.Patch)
			}
		}
	}
	for _, r := range k.Replacements {
		add("replacements", true, r.Path)
	}
	add("openapi", true, k.OpenAPI["path"])
	gen := func(field string, src types.KvPairSources) {
		for _, f := range src.FileSources {
			r := ref{field: field, value: f, fileOnly: true}
			if key, v, ok := strings.Cut(f, "="); ok {
				r.key, r.value = key+"=", v
			}
			refs = append(refs, r)
		}
		add(field, true, src.EnvSources...)
		add(field, true, src.EnvSource)
	}
	for _, c := range k.ConfigMapGenerator {
		gen("configMapGenerator", c.KvPairSources)
	}
	for _, s := range k.SecretGenerator {
		gen("secretGenerator", s.KvPairSources)
	}
	return refs, inline
}

// pluginPathKeys are the fields of kustomize's builtin plugin configs that name files.
var pluginPathKeys = map[string]bool{"path": true, "paths": true, "files": true, "envs": true, "env": true,
	"valuesFile": true, "additionalValuesFiles": true, "targetFilePath": true}

// checkPluginConfigs refuses builtin plugin configs (apiVersion: builtin) in data that
// name a URL or repository, since kustomize would fetch those for the plugin itself, and
// JSON patches that would write one into a plugin config (a value set at a path ending
// in one of pluginPathKeys).
func (g *guardFS) checkPluginConfigs(p string, data []byte) error {
	if !bytes.Contains(data, []byte("builtin")) && !bytes.Contains(data, []byte("op")) {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			return nil // the end, or not YAML: kustomize reports that
		}
		if len(doc.Content) == 0 {
			continue
		}
		if v := remoteInConfig(doc.Content[0]); v != "" {
			return g.refuse(fmt.Errorf("%s: plugin config names %q: kharden does not fetch files for plugins (only resources; %s)", p, v, AllowRemoteFlag))
		}
	}
}

func remoteInConfig(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		if value(n, "apiVersion") == konfig.BuiltinPluginApiVersion {
			return remoteIn(n, false)
		}
	case yaml.SequenceNode: // a JSON patch
		for _, op := range n.Content {
			if op.Kind != yaml.MappingNode {
				continue
			}
			segs := strings.Split(value(op, "path"), "/")
			for len(segs) > 1 && (strings.Trim(segs[len(segs)-1], "0123456789") == "" || segs[len(segs)-1] == "-") {
				segs = segs[:len(segs)-1]
			}
			if v := valueNode(op, "value"); v != nil {
				if s := remoteIn(v, pluginPathKeys[segs[len(segs)-1]]); s != "" {
					return s
				}
			}
		}
	}
	return ""
}

func valueNode(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func value(m *yaml.Node, key string) string {
	if v := valueNode(m, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// remoteIn returns the first remote reference under a path key of n.
func remoteIn(n *yaml.Node, pathValue bool) string {
	switch n.Kind {
	case yaml.ScalarNode:
		// A generator's files entry may be key=path.
		_, after, _ := strings.Cut(n.Value, "=")
		if pathValue && (classify(n.Value, true) != local || after != "" && classify(after, true) != local) {
			return n.Value
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if v := remoteIn(n.Content[i+1], pluginPathKeys[n.Content[i].Value]); v != "" {
				return v
			}
		}
	case yaml.SequenceNode, yaml.DocumentNode:
		for _, c := range n.Content {
			if v := remoteIn(c, pathValue); v != "" {
				return v
			}
		}
	case yaml.AliasNode:
		if n.Alias != nil {
			return remoteIn(n.Alias, pathValue)
		}
	}
	return ""
}

type refKind int

const (
	local refKind = iota
	httpFile
	gitRepo
)

var scpUser = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]*@`)

// classify tells how kustomize would treat a reference. It errs towards remote: it
// takes in everything kustomize's loader fetches over HTTP (an http or https URL) or its
// git cloner clones (any scheme, user@host:path, github.com/...; an optional git::
// prefix). An http(s) URL with the marks of a repository (a // path separator, _git/,
// .git, or a ref, version, timeout or submodules query) is a repository; so is any URL
// where kustomize only accepts a directory (components).
func classify(v string, fileOnly bool) refKind {
	s := v
	if len(s) >= 5 && strings.EqualFold(s[:5], "git::") {
		s = s[5:]
	}
	u, err := url.Parse(s)
	isHTTP := err == nil && (u.Scheme == "http" || u.Scheme == "https")
	lower := strings.ToLower(s)
	switch {
	case isHTTP && !fileOnly && gitMarks(u):
		return gitRepo
	case isHTTP && s == v:
		return httpFile
	case isHTTP, strings.Contains(s, "://"), scpUser.MatchString(s),
		strings.HasPrefix(lower, "github.com/"), strings.HasPrefix(lower, "github.com:"):
		if fileOnly {
			return httpFile // refused or fetched over HTTP; never cloned
		}
		return gitRepo
	}
	return local
}

func gitMarks(u *url.URL) bool {
	q := u.Query()
	return strings.Contains(strings.TrimPrefix(u.Path, "/"), "//") || strings.Contains(u.Path, "_git/") ||
		strings.Contains(u.Path, ".git") || q.Has("ref") || q.Has("version") || q.Has("timeout") || q.Has("submodules")
}

// fetch gets one http(s) file into memory and returns the path it is served under, in
// dir.
func (g *guardFS) fetch(dir, rawURL string) (string, error) {
	if len(g.fetched) >= maxFetches {
		return "", fmt.Errorf("%q not fetched: more than %d remote files in one build", rawURL, maxFetches)
	}
	ctx, cancel := context.WithTimeout(context.Background(), g.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return "", fmt.Errorf("%q: %w", rawURL, err)
	}
	resp, err := g.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("%q: no answer within %v", rawURL, g.timeout)
		}
		return "", fmt.Errorf("%q: %w", rawURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", fmt.Errorf("%q: %s", rawURL, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxRemoteSize+1))
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("%q: not read within %v", rawURL, g.timeout)
		}
		return "", fmt.Errorf("%q: %w", rawURL, err)
	}
	if len(data) > MaxRemoteSize {
		return "", fmt.Errorf("%q: larger than %d MiB", rawURL, MaxRemoteSize>>20)
	}
	u, _ := url.Parse(rawURL)
	base := path.Base(u.Path)
	if base == "/" || base == "." || base == "" {
		base = "resource"
	}
	virtual := filepath.Join(dir, remoteDir, fmt.Sprint(len(g.fetched)+1), base)
	g.fetched[virtual] = rawURL
	g.data[virtual] = data
	return virtual, nil
}

// replaceScalars rewrites the scalar values of a YAML document found in replace.
func replaceScalars(data []byte, replace map[string]string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.ScalarNode {
			if r, ok := replace[n.Value]; ok {
				n.Value = r
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
	return yaml.Marshal(&doc)
}
