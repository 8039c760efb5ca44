package scan

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	yaml "go.yaml.in/yaml/v3"

	"github.com/kharden/kharden/internal/source/dockerfile"
	"github.com/kharden/kharden/internal/source/fsread"
	"github.com/kharden/kharden/internal/source/manifest"
)

// ParseOnly is the floor the scan benchmark compares against: it walks the same paths,
// reads the same files (the same way: regular files inside each path) and decodes every
// YAML document into a node tree with the same library, and parses every Dockerfile with
// BuildKit's parser alone, and does nothing else. Files are read and decoded by workers
// goroutines (0: one per CPU, as the scan), so that the floor and the scan are compared
// on the same number of cores. It returns the number of files and of documents (a
// Dockerfile counts as one).
func ParseOnly(paths []string, workers int) (files, docs int) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	type job struct {
		root       *fsread.Root
		path, rel  string
		typ        fs.FileMode
		dockerfile bool
	}
	jobs := make(chan job, 4*workers)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, d := 0, 0
			for j := range jobs {
				// Files are read as the scan reads them (fsread.Root.ReadEntry), so that
				// the floor is not slower at reading than the scan.
				if j.dockerfile {
					data, err := j.root.ReadEntry(j.rel, j.typ, dockerfile.MaxFileSize)
					if err == nil {
						f++
						if _, err := parser.Parse(bytes.NewReader(data)); err == nil {
							d++
						}
					}
					continue
				}
				// A file the scan reads whole is read whole here too; a larger one the scan
				// streams, document by document, and so does the floor.
				var in io.Reader
				var fh *os.File
				data, err := j.root.ReadEntry(j.rel, j.typ, manifest.WholeFileSize)
				var tl *fsread.TooLargeError
				switch {
				case err == nil:
					in = bytes.NewReader(data)
				case errors.As(err, &tl):
					if fh, err = j.root.Open(j.rel); err != nil {
						continue
					}
					in = bufio.NewReaderSize(fh, 64<<10)
				default:
					continue
				}
				f++
				dec := yaml.NewDecoder(in)
				for {
					var n yaml.Node
					if dec.Decode(&n) != nil {
						break // io.EOF, or a syntax error the scan would report
					}
					d++
				}
				if fh != nil {
					fh.Close()
				}
			}
			mu.Lock()
			files, docs = files+f, docs+d
			mu.Unlock()
		}()
	}
	var roots []*fsread.Root
	for _, top := range paths {
		// A directory is the root its files are read through; a file named as a path is
		// read through its own directory.
		dir, rel := top, func(p string) string { return relTo(top, p) }
		if fi, err := os.Stat(top); err == nil && !fi.IsDir() {
			dir, rel = filepath.Dir(top), filepath.Base
		}
		root, err := fsread.OpenRoot(dir)
		if err != nil {
			continue
		}
		roots = append(roots, root)
		_ = filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if dockerfile.IsDockerfileName(d.Name()) {
				jobs <- job{root: root, path: p, rel: rel(p), typ: d.Type(), dockerfile: true}
				return nil
			}
			if manifestExts[strings.ToLower(filepath.Ext(p))] {
				jobs <- job{root: root, path: p, rel: rel(p), typ: d.Type()}
			}
			return nil
		})
	}
	close(jobs)
	wg.Wait()
	for _, r := range roots {
		r.Close()
	}
	return files, docs
}
