package manifest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kharden/kharden/internal/kube"
)

// BenchmarkLoad loads every file of the shared corpus and decodes its objects as the
// engine does.
func BenchmarkLoad(b *testing.B) {
	var files [][]byte
	_ = filepath.WalkDir(filepath.Join("..", "..", "..", "..", "shared", "corpus"), func(p string, e os.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() && (filepath.Ext(p) == ".yaml" || filepath.Ext(p) == ".yml") {
			if data, err := os.ReadFile(p); err == nil {
				files = append(files, data)
			}
		}
		return nil
	})
	if len(files) == 0 {
		b.Skip("no shared corpus")
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range files {
			for _, d := range Load("f.yaml", f).Docs {
				if typed := kube.New(d.Object.APIVersion, d.Object.Kind); typed != nil {
					_ = d.Decode(typed)
				}
			}
		}
	}
}
