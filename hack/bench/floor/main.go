// Command floor is the parse-only floor of the scan benchmark: it walks the same paths
// as `kharden scan`, reads the same files and decodes every YAML document with the same
// YAML library into its node tree, and does nothing else.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

func main() {
	docs, files := 0, 0
	for _, root := range os.Args[1:] {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			switch strings.ToLower(filepath.Ext(p)) {
			case ".yaml", ".yml", ".json":
			default:
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
				if err := dec.Decode(&n); err != nil {
					if !errors.Is(err, io.EOF) {
						fmt.Fprintln(os.Stderr, p, err)
					}
					break
				}
				docs++
			}
			return nil
		})
	}
	fmt.Printf("%d files, %d documents\n", files, docs)
}
