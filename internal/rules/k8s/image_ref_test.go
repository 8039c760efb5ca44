package k8s

import (
	"regexp"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kharden/kharden/internal/rule"
)

func TestParseImage(t *testing.T) {
	const d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, c := range []struct {
		in                        string
		domain, path, tag, digest string
	}{
		{"nginx", "docker.io", "library/nginx", "", ""},
		{"nginx:1.25", "docker.io", "library/nginx", "1.25", ""},
		{"bitnami/redis:7", "docker.io", "bitnami/redis", "7", ""},
		{"docker.io/nginx", "docker.io", "library/nginx", "", ""},
		{"index.docker.io/library/nginx:latest", "docker.io", "library/nginx", "latest", ""},
		{"localhost/app", "localhost", "app", "", ""},
		{"localhost:5000/app", "localhost:5000", "app", "", ""},
		{"localhost:5000/app:1.0", "localhost:5000", "app", "1.0", ""},
		{"registry.example.com:5000/team/app", "registry.example.com:5000", "team/app", "", ""},
		{"Registry.Example.com/app", "registry.example.com", "app", "", ""},
		{"ghcr.io/acme/app@" + d, "ghcr.io", "acme/app", "", d},
		{"ghcr.io/acme/app:1.0@" + d, "ghcr.io", "acme/app", "1.0", d},
		{"registry:5000/app:1", "registry:5000", "app", "1", ""},
	} {
		r := parseImage(c.in)
		if r.Domain != c.domain || r.Path != c.path || r.Tag != c.tag || r.Digest != c.digest {
			t.Errorf("parseImage(%q) = %+v, want domain %q path %q tag %q digest %q", c.in, r, c.domain, c.path, c.tag, c.digest)
		}
	}
}

func TestAllowedImage(t *testing.T) {
	for _, c := range []struct {
		image   string
		allowed []string
		want    bool
	}{
		{"registry.example.com/app:1", []string{"registry.example.com"}, true},
		{"registry.example.com/app:1", []string{"registry.example.com/"}, true},
		{"registry.example.com.evil.io/app:1", []string{"registry.example.com"}, false},
		{"registry.example.com:5000/app:1", []string{"registry.example.com"}, false},
		{"registry.example.com:5000/app:1", []string{"registry.example.com:5000"}, true},
		{"ghcr.io/acme/app", []string{"ghcr.io/acme/"}, true},
		{"ghcr.io/acme", []string{"ghcr.io/acme/"}, true},
		{"ghcr.io/acmecorp/app", []string{"ghcr.io/acme"}, false},
		{"nginx:1.25", []string{"docker.io"}, true},
		{"nginx:1.25", []string{"index.docker.io/"}, true},
		{"nginx:1.25", []string{"docker.io/library/"}, true},
		{"nginx:1.25", []string{"nginx"}, true},
		{"nginx:1.25", []string{"docker.io/nginx"}, true},
		{"nginx-evil:1", []string{"nginx"}, false},
		{"bitnami/redis", []string{"bitnami/"}, true},
		{"docker.io/bitnami/redis", []string{"bitnami"}, true},
		{"bitnamievil/redis", []string{"bitnami"}, false},
		{"quay.io/prometheus/node-exporter", []string{"docker.io", " ", ""}, false},
	} {
		if got := allowedImage(parseImage(c.image), c.allowed); got != c.want {
			t.Errorf("allowedImage(%q, %q) = %v, want %v", c.image, c.allowed, got, c.want)
		}
	}
}

// TestUntrustedRegistryUnconfigured checks that no allow-list means no findings.
func TestUntrustedRegistryUnconfigured(t *testing.T) {
	pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx"}}}}
	in := NewInput(rule.Object{APIVersion: "v1", Kind: "Pod", Name: "web"}, &pod.ObjectMeta, pod, &Settings{})
	if got := UntrustedRegistry.Check(in); len(got) != 0 {
		t.Errorf("findings without allowed registries: %v", got)
	}
	in.Settings.AllowedRegistries = []string{"registry.example.com"}
	if got := UntrustedRegistry.Check(in); len(got) != 1 {
		t.Errorf("findings with allowed registries: %v, want one", got)
	}
}

// TestPinned: Pinned takes exactly the digests of this pattern.
func TestPinned(t *testing.T) {
	pattern := regexp.MustCompile(`^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$`)
	h64, h128 := strings.Repeat("0123456789abcdef", 4), strings.Repeat("fedcba9876543210", 8)
	for _, d := range []string{
		"", "sha256:" + h64, "sha512:" + h128, "sha256:" + h128, "sha512:" + h64, "sha256:" + h64[1:],
		"sha256:" + h64 + "0", "sha256:" + strings.ToUpper(h64), "sha256:" + h64[1:] + "g", "sha384:" + h64,
		"sha256" + h64, ":" + h64, "sha256::" + h64[1:], "SHA256:" + h64, " sha256:" + h64[1:], "sha256:" + h64[1:] + "\n",
	} {
		if got, want := (imageRef{Digest: d}).Pinned(), pattern.MatchString(d); got != want {
			t.Errorf("Pinned(%q) = %v, want %v", d, got, want)
		}
	}
}
