// Command krew writes kharden's krew plugin manifest and the archives it points at:
//
//	go run ./hack/release binaries   # bin/release/kharden_VERSION_OS_ARCH[.exe]
//	go run ./hack/krew               # bin/release/kharden_VERSION_OS_ARCH.tar.gz, plugins/kharden.yaml
//
// Each archive holds one release binary as kharden (kharden.exe), dated
// SOURCE_DATE_EPOCH or the last commit's time, so one set of binaries gives the same
// archives. Upload the archives beside the binaries to the release vVERSION; then
// plugins/kharden.yaml is the manifest to submit to krew's index. With -placeholder
// no binary is read and every SHA-256 is a placeholder (the manifest between releases).
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kharden/kharden/internal/krew"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "krew:", err)
		os.Exit(2)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("krew", flag.ContinueOnError)
	dir := fs.String("dir", "bin/release", "directory of the release binaries, where the archives are written")
	out := fs.String("o", "plugins/kharden.yaml", "the manifest to write")
	version := fs.String("version", "", "version (default: the VERSION file)")
	placeholder := fs.Bool("placeholder", false, "read no binary: every SHA-256 a placeholder")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *version == "" {
		b, err := os.ReadFile("VERSION")
		if err != nil {
			return fmt.Errorf("run from the repository's root: %w", err)
		}
		*version = strings.TrimSpace(string(b))
	}
	sums := map[string]string{}
	if !*placeholder {
		mtime, err := sourceDate()
		if err != nil {
			return err
		}
		for _, p := range krew.Platforms {
			bin, err := os.ReadFile(filepath.Join(*dir, krew.Binary(*version, p)))
			if err != nil {
				return fmt.Errorf("%w (build the binaries first: go run ./hack/release binaries)", err)
			}
			var b bytes.Buffer
			if err := krew.Archive(&b, bin, p, mtime); err != nil {
				return err
			}
			name := krew.ArchiveName(*version, p)
			if err := os.WriteFile(filepath.Join(*dir, name), b.Bytes(), 0o644); err != nil {
				return err
			}
			sum := sha256.Sum256(b.Bytes())
			sums[name] = hex.EncodeToString(sum[:])
			fmt.Println(filepath.Join(*dir, name))
		}
	}
	m, err := krew.Manifest(*version, sums)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, m, 0o644); err != nil {
		return err
	}
	fmt.Println(*out)
	return nil
}

// sourceDate is SOURCE_DATE_EPOCH, else the last commit's time, else the epoch, as
// for the release's binaries and image.
func sourceDate() (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		if out, err := exec.Command("git", "log", "-1", "--format=%ct").Output(); err == nil {
			s = strings.TrimSpace(string(out))
		}
	}
	if s == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: not seconds since the epoch", s)
	}
	return time.Unix(n, 0).UTC(), nil
}
