// Command release builds what kharden ships, with no container engine needed:
//
//	go run ./hack/release image      # bin/linux-ARCH/kharden and the image as an OCI layout in bin/image
//	go run ./hack/release binaries   # bin/release/kharden_VERSION_OS_ARCH[.exe] and SHA256SUMS
//
// Times come from SOURCE_DATE_EPOCH, else the last commit's time, so that two builds
// of one commit are the same bytes. The Go that builds is release.Toolchain, or
// GOTOOLCHAIN when set.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kharden/kharden/internal/release"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(2)
	}
}

func run(args []string) error {
	if len(args) == 0 || (args[0] != "image" && args[0] != "binaries") {
		return fmt.Errorf("usage: release image|binaries [flags]")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	out := fs.String("out", "bin", "directory the results go in")
	platforms := fs.String("platforms", "", "comma-separated os/arch list (default: linux/amd64,linux/arm64 for image; linux, darwin, windows x amd64, arm64 for binaries)")
	version := fs.String("version", "", "version to stamp (default: the VERSION file)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *version == "" {
		b, err := os.ReadFile("VERSION")
		if err != nil {
			return fmt.Errorf("run from the repository's root: %w", err)
		}
		*version = strings.TrimSpace(string(b))
	}
	created, err := sourceDate()
	if err != nil {
		return err
	}
	ctx := context.Background()
	list := func(def string) []string {
		if *platforms != "" {
			return strings.Split(*platforms, ",")
		}
		return strings.Split(def, ",")
	}
	start := time.Now()
	switch args[0] {
	case "image":
		bins := map[string]string{}
		for _, p := range list("linux/amd64,linux/arm64") {
			goos, arch, _ := strings.Cut(p, "/")
			bin := filepath.Join(*out, goos+"-"+arch, "kharden")
			if err := release.Build(ctx, release.BuildOptions{Dir: ".", GOOS: goos, GOARCH: arch, Out: bin, Version: *version, Toolchain: toolchain()}); err != nil {
				return err
			}
			bins[p] = bin
		}
		rootfs := filepath.Join(*out, "rootfs")
		if err := release.StageRootFS(rootfs, "hack/image/rootfs", "/etc/ssl/certs/ca-certificates.crt"); err != nil {
			return err
		}
		idx, err := release.Image(release.ImageOptions{Binaries: bins, RootFS: rootfs,
			Version: *version, Revision: gitOut("rev-parse", "HEAD"), Source: "https://github.com/kharden/kharden", Created: created})
		if err != nil {
			return err
		}
		dir := filepath.Join(*out, "image")
		if err := release.WriteLayout(dir, idx); err != nil {
			return err
		}
		d, _ := idx.Digest()
		fmt.Printf("%s:%s as an OCI layout in %s (index %s), in %v\n", release.Repository, *version, dir, d, time.Since(start).Round(time.Second))
		fmt.Printf("push it with: crane push %s %s:%s\n", dir, release.Repository, *version)
	case "binaries":
		dir := filepath.Join(*out, "release")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		sums := map[string]string{}
		for _, p := range list("linux/amd64,linux/arm64,darwin/amd64,darwin/arm64,windows/amd64,windows/arm64") {
			goos, arch, _ := strings.Cut(p, "/")
			name := fmt.Sprintf("kharden_%s_%s_%s", *version, goos, arch)
			if goos == "windows" {
				name += ".exe"
			}
			bin := filepath.Join(dir, name)
			if err := release.Build(ctx, release.BuildOptions{Dir: ".", GOOS: goos, GOARCH: arch, Out: bin, Version: *version, Toolchain: toolchain()}); err != nil {
				return err
			}
			sum, err := sha256File(bin)
			if err != nil {
				return err
			}
			sums[name] = sum
			fmt.Println(bin)
		}
		names := make([]string, 0, len(sums))
		for n := range sums {
			names = append(names, n)
		}
		sort.Strings(names)
		var b strings.Builder
		for _, n := range names {
			fmt.Fprintf(&b, "%s  %s\n", sums[n], n)
		}
		if err := os.WriteFile(filepath.Join(dir, "SHA256SUMS"), []byte(b.String()), 0o644); err != nil {
			return err
		}
		fmt.Printf("%d binaries and SHA256SUMS in %s, in %v\n", len(names), dir, time.Since(start).Round(time.Second))
	}
	return nil
}

// toolchain is GOTOOLCHAIN when set, else release.Toolchain.
func toolchain() string {
	if t := os.Getenv("GOTOOLCHAIN"); t != "" && t != "auto" && t != "local" {
		return t
	}
	return release.Toolchain
}

// sourceDate is SOURCE_DATE_EPOCH, else the last commit's time, else the epoch.
func sourceDate() (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		s = gitOut("log", "-1", "--format=%ct")
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

func gitOut(args ...string) string {
	out, err := exec.Command("git", args...).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func sha256File(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
