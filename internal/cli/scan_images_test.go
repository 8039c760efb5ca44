package cli

import (
	"bytes"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
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

// kharden scan --images: an unreadable image is an error at its image: line (exit 2),
// the manifest findings are still there, and the image rules are in the report's rules.
// The registry flags are refused without --images.
func TestScanImagesFlag(t *testing.T) {
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: 127.0.0.1:1/no/such:1\n    securityContext: {privileged: true}\n"
	file := filepath.Join(t.TempDir(), "pod.yaml")
	os.WriteFile(file, []byte(pod), 0o644)

	code, _, errOut := run("", "scan", "--no-config", "--insecure-registry", file)
	if code != 2 || !strings.Contains(errOut, "--insecure-registry applies to --images") {
		t.Errorf("--insecure-registry without --images: exit %d, stderr %q", code, errOut)
	}
	code, out, errOut := run("", "scan", "--no-config", "--images", "--insecure-registry", "--timeout", "10s", "-o", "sarif", file)
	if code != 2 {
		t.Fatalf("exit %d, want 2; stderr %s\n%s", code, errOut, out)
	}
	for _, want := range []string{`"id": "IM-0001"`, `"id": "KM-`, "privileged", "image 127.0.0.1:1/no/such:1 (container \\\"c\\\"): could not be read", "refused by kharden: it is a loopback address", "--allow-registry", `"startLine":7,`} {
		if !strings.Contains(out, want) {
			t.Errorf("SARIF output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, `"id": "IM-0012"`) {
		t.Error("IM-0012 is listed, but scan --images leaves it to the manifest rules")
	}
}

// On a terminal, scan --images shows which layer of which image is being read, and
// clears the line before the report and at the end.
func TestScanImagesProgress(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	ref := host + "/team/app:1"
	img, err := layout.ImageIndexFromPath(strings.TrimPrefix(testImage(t, v1.Config{User: "65532"}, map[string]string{"a": "x"}, map[string]string{"b": "y"}), "oci:"))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := img.IndexManifest()
	im, err := img.Image(m.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := name.ParseReference(ref, name.Insecure)
	if err := remote.Write(r, im); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "pod.yaml")
	os.WriteFile(file, []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers:\n  - name: c\n    image: "+ref+"\n"), 0o644)

	ptm, pts := openPTY(t)
	got := make(chan string)
	go func() {
		b, _ := io.ReadAll(ptm)
		got <- string(b)
	}()
	var out bytes.Buffer
	code := Run([]string{"scan", "--no-config", "--images", "--insecure-registry", "--allow-registry", host, file}, IO{In: strings.NewReader(""), Out: &out, Err: pts})
	pts.Close()
	line := <-got
	if code != 1 {
		t.Fatalf("exit %d\n%s", code, out.String())
	}
	if !strings.Contains(line, "/team/app@") || !strings.Contains(line, ": layer 2 of 2, ") || !strings.HasSuffix(line, "\r\x1b[K") {
		t.Errorf("the terminal got %q", line)
	}
	if strings.Contains(out.String(), "layer 1 of 2") {
		t.Error("progress went to standard output")
	}
}
