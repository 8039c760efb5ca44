package scan

import (
	"strings"

	"github.com/kharden/kharden/internal/config"
	sprules "github.com/kharden/kharden/internal/rules/seccomp"
	"github.com/kharden/kharden/internal/source/manifest"
	"github.com/kharden/kharden/internal/source/seccomp"
)

// SeccompRules selects the seccomp profile rules of a profile, adjusted by a resolved
// config, as DockerfileRules does: the default profile runs those on by default, the
// pss-* profiles only those the config enables.
func SeccompRules(profile string, res *config.Resolved) []*sprules.Rule {
	name, _, _ := strings.Cut(profile, ":")
	var out []*sprules.Rule
	for _, r := range sprules.All() {
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

// loadManifest loads a file's data: an OCI seccomp profile (seccomp.Sniff) as one
// profile document, anything else as manifests.
func loadManifest(p string, data []byte) *manifest.Result {
	if seccomp.Sniff(data) {
		return seccomp.Load(p, data)
	}
	return manifest.Load(p, data)
}

// splitProfiles separates the seccomp profiles among documents: OCI profile files go to
// the seccomp engine only, Security Profiles Operator objects to both engines (they are
// Kubernetes objects too).
func splitProfiles(docs []*manifest.Document) (objects, profiles []*manifest.Document) {
	for _, d := range docs {
		if !seccomp.Is(d) {
			objects = append(objects, d)
			continue
		}
		profiles = append(profiles, d)
		if d.Object.APIVersion != "" {
			objects = append(objects, d)
		}
	}
	return objects, profiles
}
