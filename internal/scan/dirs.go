package scan

import (
	"github.com/kharden/kharden/internal/source/helm"
	"github.com/kharden/kharden/internal/source/kustomize"
	"github.com/kharden/kharden/internal/source/manifest"
)

// Charts are rendered and kustomizations built instead of reading their files one by
// one: a chart's templates are not YAML until rendered, and a kustomization's resources
// are what it outputs, not what its directory holds.
func init() {
	dirLoaders = []dirLoader{
		{helm.IsChart, func(dir string, o Options) (*manifest.Result, error) {
			return helm.Render(dir, helm.Options{ValuesFiles: o.Helm.ValuesFiles, Set: o.Helm.Set,
				ReleaseName: o.Helm.ReleaseName, Namespace: o.Helm.Namespace})
		}},
		{kustomize.IsKustomization, func(dir string, _ Options) (*manifest.Result, error) {
			return kustomize.Build(dir)
		}},
	}
}
