package scan

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	yaml "go.yaml.in/yaml/v3"

	"github.com/kharden/kharden/internal/source/dockerfile"
)

// ParseOnly is the floor the scan benchmark compares against: it walks the same paths,
// reads the same files and decodes every YAML document into a node tree with the same
// library, and parses every Dockerfile with BuildKit's parser alone, and does nothing
// else. It returns the number of files and of documents (a Dockerfile counts as one).
func ParseOnly(paths []string) (files, docs int) {
	for _, root := range paths {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if dockerfile.IsDockerfileName(d.Name()) {
				if data, err := os.ReadFile(p); err == nil {
					files++
					if _, err := parser.Parse(bytes.NewReader(data)); err == nil {
						docs++
					}
				}
				return nil
			}
			if !manifestExts[strings.ToLower(filepath.Ext(p))] {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return nil
			}
			files++
			dec := yaml.NewDecoder(bytes.NewReader(data))
			for {
				var n yaml.Node
				if dec.Decode(&n) != nil {
					break // io.EOF, or a syntax error the scan would report
				}
				docs++
			}
			return nil
		})
	}
	return files, docs
}
