package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/krew"
)

// The command archives each release binary and writes their sums into the manifest;
// a missing binary is an error naming the command that builds them.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SOURCE_DATE_EPOCH", "1796000000")
	for _, p := range krew.Platforms {
		if err := os.WriteFile(filepath.Join(dir, krew.Binary("0.2.0", p)), []byte("binary for "+p.OS+"/"+p.Arch), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "kharden.yaml")
	if err := run([]string{"-dir", dir, "-o", out, "-version", "0.2.0"}); err != nil {
		t.Fatal(err)
	}
	manifest, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range krew.Platforms {
		archive, err := os.ReadFile(filepath.Join(dir, krew.ArchiveName("0.2.0", p)))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(archive)
		line := "uri: " + krew.DownloadURL + "/v0.2.0/" + krew.ArchiveName("0.2.0", p) + "\n    sha256: \"" + hex.EncodeToString(sum[:]) + "\"\n"
		if !strings.Contains(string(manifest), line) {
			t.Errorf("%v: the manifest lacks\n%s", p, line)
		}
	}
	if strings.Contains(string(manifest), krew.Placeholder) {
		t.Error("a placeholder is left")
	}
	// The same binaries and time give the same archives, hence the same manifest.
	if err := run([]string{"-dir", dir, "-o", out + ".2", "-version", "0.2.0"}); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(out + ".2")
	if !bytes.Equal(manifest, again) {
		t.Error("a second run wrote another manifest")
	}

	os.Remove(filepath.Join(dir, krew.Binary("0.2.0", krew.Platforms[3])))
	err = run([]string{"-dir", dir, "-o", out, "-version", "0.2.0"})
	if err == nil || !strings.Contains(err.Error(), "go run ./hack/release binaries") {
		t.Errorf("missing binary: %v", err)
	}
}
