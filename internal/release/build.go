package release

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// BuildOptions say how to compile one kharden binary.
type BuildOptions struct {
	// Dir is the module's root.
	Dir          string
	GOOS, GOARCH string
	// Out is the binary to write.
	Out     string
	Version string
	// Toolchain, when set, is the GOTOOLCHAIN of the build ("go1.27.3"): a release is
	// built with the newest approved Go, whose standard library has the fixes the
	// machine's own Go lacks.
	Toolchain string
}

// Toolchain is the Go that builds a release: the newest approved one, whose standard
// library has the security fixes that the Go of a build machine (1.26.8) lacks. The go
// command fetches it from the module proxy on first use.
const Toolchain = "go1.27.3"

// Flags are the build's flags: no paths of the build machine, no VCS stamp, no build
// ID, symbols stripped, the version stamped, so that the same source and Go give the
// same bytes.
func Flags(version string) []string {
	return []string{"-trimpath", "-buildvcs=false",
		"-ldflags=-s -w -buildid= -X github.com/kharden/kharden/internal/cli.Version=" + version}
}

// Build compiles ./cmd/kharden statically (no cgo) for o.GOOS/o.GOARCH.
func Build(ctx context.Context, o BuildOptions) error {
	if err := os.MkdirAll(filepath.Dir(o.Out), 0o755); err != nil {
		return err
	}
	args := append([]string{"build"}, Flags(o.Version)...)
	args = append(args, "-o", o.Out, "./cmd/kharden")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = o.Dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+o.GOOS, "GOARCH="+o.GOARCH, "GOFLAGS=-mod=readonly")
	if o.Toolchain != "" {
		cmd.Env = append(cmd.Env, "GOTOOLCHAIN="+o.Toolchain)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build for %s/%s: %w\n%s", o.GOOS, o.GOARCH, err, strings.TrimSpace(string(out)))
	}
	return nil
}
