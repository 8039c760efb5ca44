// Command floor is the parse-only floor of the scan benchmark: it walks the same paths
// as `kharden scan`, reads the same files and decodes every YAML document with the same
// YAML library into its node tree, and does nothing else. Like the scan it reads with one
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
	paths := make(chan string, 4**jobs)
	var wg sync.WaitGroup
	for range *jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range paths {
				d, ok := decode(p)
				if ok {
					files.Add(1)
				}
				docs.Add(int64(d))
			}
		}()
	}
	for _, root := range flag.Args() {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			switch strings.ToLower(filepath.Ext(p)) {
			case ".yaml", ".yml", ".json":
				paths <- p
			}
			return nil
		})
	}
	close(paths)
	wg.Wait()
	fmt.Printf("%d files, %d documents\n", files.Load(), docs.Load())
}

// decode decodes every document of the file at p and returns how many there were.
func decode(p string) (docs int, ok bool) {
	f, err := os.Open(p)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	var in io.Reader = bufio.NewReaderSize(f, 64<<10)
	if fi, err := f.Stat(); err == nil && fi.Size() <= wholeFileSize {
		data, err := io.ReadAll(f)
		if err != nil {
			return 0, false
		}
		in = bytes.NewReader(data)
	}
	dec := yaml.NewDecoder(in)
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if !errors.Is(err, io.EOF) {
				fmt.Fprintln(os.Stderr, p, err)
			}
			return docs, true
		}
		docs++
	}
}
