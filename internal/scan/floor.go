package scan

import (
	"bytes"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	yaml "go.yaml.in/yaml/v3"

	"github.com/kharden/kharden/internal/source/dockerfile"
	"github.com/kharden/kharden/internal/source/fsread"
	"github.com/kharden/kharden/internal/source/manifest"
)

// ParseOnly is the floor the scan benchmark compares against: it walks the same paths,
// reads the same files (the same way: regular files inside each path) and decodes every YAML document into a node tree with the same
// library, and parses every Dockerfile with BuildKit's parser alone, and does nothing
// else. It returns the number of files and of documents (a Dockerfile counts as one).
func ParseOnly(paths []string) (files, docs int) {
	for _, top := range paths {
		read := fsread.ReadFile // a file named as a path
		if root, err := fsread.OpenRoot(top); err == nil {
			defer root.Close()
			read = func(p string, limit int64) ([]byte, error) { return root.ReadFile(relTo(top, p), limit) }
		}
		_ = filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if dockerfile.IsDockerfileName(d.Name()) {
				if data, err := read(p, dockerfile.MaxFileSize); err == nil {
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
			data, err := read(p, manifest.MaxFileSize)
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
