package scan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/source/image"
)

func TestImageExceptionPatterns(t *testing.T) {
	for _, c := range []struct {
		pattern, ref string
		want         bool
	}{
		{"nginx", "nginx:1.27", true},
		{"nginx", "docker.io/library/nginx@sha256:" + strings.Repeat("a", 64), true},
		{"docker.io/nginx", "index.docker.io/library/nginx:1", true},
		{"bitnami/redis", "docker.io/bitnami/redis:7", true},
		{"nginx", "ghcr.io/nginx:1", false},
		{"ghcr.io/vendor/*", "ghcr.io/vendor/agent:1", true},
		{"ghcr.io/vendor/*", "ghcr.io/vendor/tools/agent:1", false},
		{"ghcr.io/vendor/**", "ghcr.io/vendor/tools/agent:1", true},
		{"ghcr.io/vendor/**", "ghcr.io/vendor:1", true},
		{"ghcr.io/vendor/**", "ghcr.io/vendorx/agent:1", false},
		{"registry.local:5000/team/*", "registry.local:5000/team/app:2", true},
		{"localhost:5000/app", "localhost:5000/app:2", true},
		{"oci:build/out", "oci:build/out", true},
		{"oci:build/*", "oci:build/other", true},
		{"oci:build/out", "build/out:1", false},
	} {
		if got := matchRepo(normaliseRepo(c.pattern), repoOf(c.ref)); got != c.want {
			t.Errorf("%s on %s: %v, want %v (%s against %s)", c.pattern, c.ref, got, c.want, normaliseRepo(c.pattern), repoOf(c.ref))
		}
	}
}

// Under scan --images, the config's image exceptions apply to the images the
// workloads name, as for kharden scan image, and an unused one is noted at the end.
func TestImagesExceptions(t *testing.T) {
	host, _ := countingRegistry(t)
	app, other := host+"/team/app:1", host+"/other/app:1"
	pushImage(t, app, v1.Config{User: "65532"}, map[string]string{"usr/bin/curl": "curl"})
	pushImage(t, other, v1.Config{User: "65532"}, map[string]string{"usr/bin/curl": "curl"})
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers:\n  - name: a\n    image: " + app +
		"\n  - name: b\n    image: " + other + "\n"
	file := filepath.Join(t.TempDir(), "pod.yaml")
	os.WriteFile(file, []byte(pod), 0o644)
	cfg, err := config.Parse("k.yaml", []byte("images:\n  exceptions:\n"+
		"  - images: ["+host+"/team/**]\n    rules: [image-network-tools]\n    reason: probes use it\n"+
		"  - images: [quay.io/x]\n    rules: [image-network-tools]\n    reason: unused\n"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(Options{Paths: []string{file}, Config: cfg, Images: true, Image: image.Options{Insecure: true}, Registries: []string{host}, Vulns: VulnOptions{Off: true}})
	if err != nil {
		t.Fatal(err)
	}
	var got, suppressed []string
	for _, r := range rep.Results {
		if r.Meta.ID == "IM-0002" {
			got = append(got, r.Message)
		}
	}
	for _, r := range rep.Suppressed {
		suppressed = append(suppressed, r.Meta.ID+" "+r.Message+" | "+r.Suppressed)
	}
	if len(got) != 1 || !strings.Contains(got[0], other) {
		t.Errorf("IM-0002 results: %q", got)
	}
	if len(suppressed) != 1 || !strings.HasPrefix(suppressed[0], "IM-0002 image "+app) || !strings.HasSuffix(suppressed[0], "| images.exceptions[0]: probes use it") {
		t.Errorf("suppressed: %q", suppressed)
	}
	if len(rep.Notes) != 1 || rep.Notes[0].File != "k.yaml" || rep.Notes[0].Line != 6 || !strings.Contains(rep.Notes[0].Message, "images.exceptions[1] accepts no finding") {
		t.Errorf("notes: %+v", rep.Notes)
	}
}
