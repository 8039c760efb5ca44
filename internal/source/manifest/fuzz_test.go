package manifest

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad checks that no input makes the loader panic, and that every document it
// returns can be located and decoded. The seed corpus is testdata/fuzz/FuzzLoad plus
// the rule fixtures.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("../../rules/k8s/testdata/*/*/*.yaml")
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(pod))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := Load("fuzz.yaml", data)
		for _, d := range r.Docs {
			d.Locate("spec.template.spec.containers[0].securityContext.privileged")
			d.Locate(`metadata.annotations["a.b/c"]`)
			var v map[string]any
			_ = d.Decode(&v)
		}
	})
}
