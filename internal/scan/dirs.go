package scan

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kharden/kharden/internal/source/helm"
	"github.com/kharden/kharden/internal/source/kustomize"
	"github.com/kharden/kharden/internal/source/manifest"
)

// KustomizeOptions are passed to kustomizations found under the paths.
type KustomizeOptions struct {
	// AllowRemote lets kustomizations fetch the http(s) files they name (within
	// kustomize.DefaultRemoteTimeout and kustomize.MaxRemoteSize); off, a remote
	// reference is an error naming it. Git repositories are never fetched.
	AllowRemote bool
}

// Charts are rendered and kustomizations built instead of reading their files one by
// one: a chart's templates are not YAML until rendered, and a kustomization's resources
// are what it outputs, not what its directory holds. A chart reads nothing outside
// itself; a kustomization nothing outside the repository it was found in (see
// kustomizeRoot).
func init() {
	dirLoaders = []dirLoader{
		{[]string{helm.ChartFile}, helm.IsChart, func(dir string, o Options) (*manifest.Result, error) {
			return helm.Render(dir, helm.Options{ValuesFiles: o.Helm.ValuesFiles, Set: o.Helm.Set,
				ReleaseName: o.Helm.ReleaseName, Namespace: o.Helm.Namespace})
		}},
		{kustomize.FileNames(), kustomize.IsKustomization, func(dir string, o Options) (*manifest.Result, error) {
			return kustomize.Build(dir, kustomize.Options{Root: kustomizeRoot(scanRoot(dir, o.Paths)), AllowRemote: o.Kustomize.AllowRemote})
		}},
	}
}

// scanRoot is the path being scanned that dir was found under: the tree a kustomization
// may read from (an overlay's bases in ../base, not above).
func scanRoot(dir string, paths []string) string {
	root := dir
	for _, p := range paths {
		rel, err := filepath.Rel(p, dir)
		if err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && len(p) < len(root) {
			root = p
		}
	}
	return root
}

// kustomizeRoot widens a scanned path to the top of the git work tree it is in (the
// first directory upward holding .git, a directory or, in a submodule or worktree, a
// file), so that `kharden scan overlays/prod` builds an overlay whose base is in
// ../../base, as kustomize does. Outside a repository the scanned path itself is the
// limit. Either way nothing above it is read: not a CI runner's home, not /etc.
func kustomizeRoot(scanned string) string {
	abs, err := filepath.Abs(scanned)
	if err != nil {
		return scanned
	}
	for dir := abs; ; {
		if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return scanned
		}
		dir = parent
	}
}

// HasChart reports whether a Helm chart is among paths, or below one of them (where
// a scan would find it: not inside dot-directories). --set and --values apply to
// charts only; given without one, they are a mistake to tell the user about.
func HasChart(paths []string) bool {
	found := errors.New("found")
	for _, p := range paths {
		if p == "-" {
			continue
		}
		err := walkTree(p, treeVisitor{
			dir: func(q string, entries []fs.DirEntry) (bool, error) {
				if hasEntry(entries, []string{helm.ChartFile}) && helm.IsChart(q) {
					return false, found
				}
				return true, nil
			},
			file: func(string, fs.DirEntry) error { return nil },
			fail: func(string, error) error { return nil }, // a file, or unreadable: no chart
		})
		if err == found {
			return true
		}
	}
	return false
}

// uniquePaths drops the paths given again (the same file or directory, however
// written), so that each is scanned once.
func uniquePaths(paths []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		key := p
		if p != "-" {
			if abs, err := filepath.Abs(p); err == nil {
				key = abs
			}
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, p)
		}
	}
	return out
}
