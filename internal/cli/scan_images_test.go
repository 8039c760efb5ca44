package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// The images section of .kharden.yaml sets the limits of the image rules that take one.
func TestScanImageConfigLimits(t *testing.T) {
	ref := testImage(t, v1.Config{User: "65532", ExposedPorts: map[string]struct{}{"80/tcp": {}, "443/tcp": {}}},
		map[string]string{"a": "1"}, map[string]string{"b": "2"}, map[string]string{"c": "3"})
	cfg := filepath.Join(t.TempDir(), "k.yaml")
	os.WriteFile(cfg, []byte("rules: {enable: [image-many-exposed-ports]}\nimages:\n  maxLayers: 2\n  maxExposedPorts: 1\n"), 0o644)

	code, out, errOut := run("", "scan", "image", "--no-packages", "--fail-on", "info", "--config", cfg, ref)
	if code != 1 {
		t.Fatalf("exit %d, stderr %s\n%s", code, errOut, out)
	}
	for _, want := range []string{"IM-0011 image-layer-count", "3 layers, more than 2", "IM-0005 image-many-exposed-ports"} {
		if !strings.Contains(out, want) {
			t.Errorf("with the limits lowered, the output lacks %q:\n%s", want, out)
		}
	}
	// The defaults (20 layers, 3 ports) accept the same image.
	os.WriteFile(cfg, []byte("rules: {enable: [image-many-exposed-ports]}\n"), 0o644)
	code, out, _ = run("", "scan", "image", "--no-packages", "--fail-on", "info", "--config", cfg, ref)
	if code != 0 || strings.Contains(out, "IM-0011") || strings.Contains(out, "IM-0005") {
		t.Errorf("default limits: exit %d\n%s", code, out)
	}
	// A negative limit is a config error at its line.
	os.WriteFile(cfg, []byte("images:\n  maxLayers: -3\n"), 0o644)
	code, _, errOut = run("", "scan", "image", "--config", cfg, ref)
	if code != 2 || !strings.Contains(errOut, cfg+":2: images.maxLayers: -3 is negative") {
		t.Errorf("negative limit: exit %d, stderr %q", code, errOut)
	}
}
