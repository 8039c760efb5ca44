package manifest

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unicode/utf8"
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
		// A whole text is cut into slices of itself, a stream into copies: the same
		// documents at the same lines.
		if utf8.Valid(data) && !bytes.HasPrefix(data, []byte("\ufeff")) {
			var whole, streamed []chunk
			split(data, func(c chunk) { whole = append(whole, c) })
			if err := Stream(bytes.NewReader(data), func(b *Batch) error {
				streamed = append(streamed, b.chunks...)
				return nil
			}); err == nil && !reflect.DeepEqual(norm(whole), norm(streamed)) {
				t.Errorf("split cut %d documents, Stream %d (or at other lines)", len(whole), len(streamed))
			}
		}
		r := Load("fuzz.yaml", data)
		for _, d := range r.Docs {
			d.Locate("spec.template.spec.containers[0].securityContext.privileged")
			d.Locate(`metadata.annotations["a.b/c"]`)
			var v map[string]any
			_ = d.Decode(&v)
		}
	})
}
