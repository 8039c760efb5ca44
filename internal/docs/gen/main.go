// Command gen writes the generated documentation (docs/rules/, docs/practices.md,
// docs/cis-1.12.md).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kharden/kharden/internal/docs"
)

func main() {
	root := flag.String("root", ".", "repository root")
	flag.Parse()
	files, err := docs.Generate(*root)
	if err == nil {
		err = docs.Write(*root, files)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %d files under %s\n", len(files), filepath.Join(*root, "docs"))
}
