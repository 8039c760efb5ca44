// Command floor is the parse-only floor of the scan benchmark: it walks the same paths
// as `kharden scan`, reads the same files the same way (internal/source/fsread, which
// links nothing but golang.org/x/sys) and decodes every YAML document with the same YAML
// library into its node tree, and does nothing else. Like the scan it reads with one
// worker per CPU unless -j says otherwise, so that both are measured on the same cores.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kharden/kharden/internal/source/fsread"
)

// wholeFileSize is manifest.WholeFileSize (this program links only the YAML library): a
// larger file is decoded as a stream, as the scan reads it.
const wholeFileSize = 1 << 20

func main() {
	jobs := flag.Int("j", 0, "files read at once (0: one per CPU)")
	flag.Parse()
	if *jobs <= 0 {
		*jobs = runtime.GOMAXPROCS(0)
	}
	var docs, files atomic.Int64
	type job struct {
		root *fsread.Root
		rel  string
		typ  fs.FileMode
	}
	work := make(chan job, 4**jobs)
	var wg sync.WaitGroup
	for range *jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				d, ok := decode(j.root, j.rel, j.typ)
				if ok {
					files.Add(1)
				}
				docs.Add(int64(d))
			}
		}()
	}
	var roots []*fsread.Root
	for _, top := range flag.Args() {
		// A file named as a path is read through its own directory.
		dir, one, typ := top, "", fs.FileMode(0)
		if fi, err := os.Lstat(top); err == nil && !fi.IsDir() {
			dir, one, typ = filepath.Dir(top), filepath.Base(top), fi.Mode().Type()
		}
		root, err := fsread.OpenRoot(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			continue
		}
		roots = append(roots, root)
		if one != "" {
			work <- job{root, one, typ}
			continue
		}
		_ = filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			switch strings.ToLower(filepath.Ext(p)) {
			case ".yaml", ".yml", ".json":
				rel, err := filepath.Rel(top, p)
				if err == nil {
					work <- job{root, rel, d.Type()}
				}
			}
			return nil
		})
	}
	close(work)
	wg.Wait()
	for _, r := range roots {
		r.Close()
	}
	fmt.Printf("%d files, %d documents\n", files.Load(), docs.Load())
}

// decode decodes every document of the file rel and returns how many there were.
func decode(root *fsread.Root, rel string, typ fs.FileMode) (docs int, ok bool) {
	var in io.Reader
	data, err := root.ReadEntry(rel, typ, wholeFileSize)
	var tl *fsread.TooLargeError
	switch {
	case err == nil:
		in = bytes.NewReader(data)
	case errors.As(err, &tl):
		f, err := root.Open(rel)
		if err != nil {
			return 0, false
		}
		defer f.Close()
		in = bufio.NewReaderSize(f, 64<<10)
	default:
		return 0, false
	}
	dec := yaml.NewDecoder(in)
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if !errors.Is(err, io.EOF) {
				fmt.Fprintln(os.Stderr, rel, err)
			}
			return docs, true
		}
		docs++
	}
}
