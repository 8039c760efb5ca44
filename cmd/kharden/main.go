// Command kharden checks Kubernetes security best practice. See `kharden --help`.
package main

import (
	"os"

	"github.com/kharden/kharden/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Name: cli.ProgramName(os.Args[0])}))
}
