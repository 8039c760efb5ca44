package kustomize

import (
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/kharden/kharden/internal/source/manifest"
)

type doc struct {
	kind, namespace, name, origin string
}

func build(t *testing.T, dir string) *manifest.Result {
	t.Helper()
	r, err := Build(dir, Options{Root: "testdata"})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range r.Errors {
		t.Errorf("unexpected error: %v", e)
	}
	for _, n := range r.Notes {
		t.Errorf("unexpected note: %v", n)
	}
	return r
}

func sameDocs(t *testing.T, r *manifest.Result, file string, want []doc) {
	t.Helper()
	if len(r.Docs) != len(want) {
		t.Fatalf("got %d documents, want %d", len(r.Docs), len(want))
	}
	for i, d := range r.Docs {
		if d.File != file {
			t.Errorf("document %d: File %q, want %q", i, d.File, file)
		}
		got := doc{d.Object.Kind, d.Object.Namespace, d.Object.Name, d.Origin}
		if got != want[i] {
			t.Errorf("document %d = %v, want %v", i, got, want[i])
		}
	}
}

func at(t *testing.T, d *manifest.Document, path string, line, col int) {
	t.Helper()
	l, c, found := d.Locate(path)
	if found != path {
		t.Fatalf("%s: %s not found (nearest %q)", d.Object.Name, path, found)
	}
	if l != line || c != col {
		t.Errorf("%s: %s at %d:%d, want %d:%d", d.Object.Name, path, l, c, line, col)
	}
}

func TestBuildBase(t *testing.T) {
	r := build(t, "testdata/base")
	// kustomize build's legacy order: Service before Deployment.
	sameDocs(t, r, "testdata/base/kustomization.yaml (built)", []doc{
		{"Service", "", "web", "testdata/base/service.yaml"},
		{"Deployment", "", "web", "testdata/base/deployment.yaml"},
	})
	at(t, r.Docs[1], "spec.template.spec.containers[0].securityContext.privileged", 28, 11)
}

func TestBuildOverlayWithPatch(t *testing.T) {
	r := build(t, "testdata/overlays/prod")
	sameDocs(t, r, "testdata/overlays/prod/kustomization.yaml (built)", []doc{
		{"ConfigMap", "prod", "prod-settings-mgc92dd9c6", "testdata/overlays/prod/kustomization.yaml"},
		{"Service", "prod", "prod-web", "testdata/base/service.yaml"},
		{"Deployment", "prod", "prod-web", "testdata/base/deployment.yaml"},
		{"NetworkPolicy", "prod", "prod-deny-all", "testdata/overlays/prod/networkpolicy.yaml"},
	})
	d := r.Docs[2]
	for _, want := range []string{
		`"image":"registry.example/nginx:1.27-prod"`, // images transformer
		`"securityContext":{"privileged":true}`,      // the overlay's patch
	} {
		if !strings.Contains(string(d.JSON), want) {
			t.Errorf("deployment lacks %s: %s", want, d.JSON)
		}
	}
	if strings.Contains(string(d.JSON), "config.kubernetes.io/origin") {
		t.Errorf("origin annotation left in: %s", d.JSON)
	}
	// Lines of `kustomize build testdata/overlays/prod`.
	at(t, d, "spec.template.spec.containers[0].image", 35, 9)
	at(t, d, "spec.template.spec.containers[0].securityContext.privileged", 38, 11)
	at(t, r.Docs[3], "spec.policyTypes", 47, 3)
}

// The documents must be exactly those of a plain build, as `kustomize build` prints it:
// same content, same lines, despite the origin tracking added for Origin.
func TestBuildMatchesPlainBuild(t *testing.T) {
	for _, dir := range []string{"testdata/base", "testdata/overlays/prod", "testdata/overlays/keeps-origin", "testdata/plain"} {
		r := build(t, dir)
		opts := krusty.MakeDefaultOptions()
		opts.Reorder = krusty.ReorderOptionUnspecified
		m, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), dir)
		if err != nil {
			t.Fatal(err)
		}
		out, err := m.AsYaml()
		if err != nil {
			t.Fatal(err)
		}
		plain := manifest.Load("plain", out)
		if len(plain.Docs) != len(r.Docs) {
			t.Fatalf("%s: %d documents, plain build has %d", dir, len(r.Docs), len(plain.Docs))
		}
		for i, d := range r.Docs {
			p := plain.Docs[i]
			if string(d.JSON) != string(p.JSON) || d.Root.Line != p.Root.Line {
				t.Errorf("%s: document %d differs from the plain build:\n%s (line %d)\n%s (line %d)", dir, i, d.JSON, d.Root.Line, p.JSON, p.Root.Line)
			}
		}
	}
}

func TestBuildKeepsRequestedOriginAnnotations(t *testing.T) {
	r := build(t, "testdata/overlays/keeps-origin")
	sameDocs(t, r, "testdata/overlays/keeps-origin/kustomization.yml (built)", []doc{
		{"Service", "", "web", "testdata/base/service.yaml"},
		{"Deployment", "", "web", "testdata/base/deployment.yaml"},
	})
	if !strings.Contains(string(r.Docs[0].JSON), `"config.kubernetes.io/origin":"path: ../../base/service.yaml\n"`) {
		t.Errorf("the kustomization asked for origin annotations: %s", r.Docs[0].JSON)
	}
}

func TestBuildFlowStyleKustomization(t *testing.T) {
	r := build(t, "testdata/plain")
	sameDocs(t, r, "testdata/plain/Kustomization (built)", []doc{{"Pod", "", "lonely", "testdata/plain/pod.yaml"}})
	at(t, r.Docs[0], "spec.containers[0].image", 7, 5)
}

func TestBuildFailure(t *testing.T) {
	r, err := Build("testdata/overlays/broken", Options{Root: "testdata"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Docs) != 0 || len(r.Errors) != 1 {
		t.Fatalf("got %d documents and errors %v", len(r.Docs), r.Errors)
	}
	e := r.Errors[0]
	if e.File != "testdata/overlays/broken/kustomization.yaml" || !strings.Contains(e.Msg, "testdata/overlays/broken/missing.yaml") {
		t.Errorf("error = %v", e)
	}
	if _, err := Build("testdata", Options{}); err == nil {
		t.Error("Build of a directory without a kustomization: no error")
	}
}

func TestWithOriginAnnotations(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		// Appended as one line, so the lines above keep their numbers.
		{"resources:\n- a.yaml\n", "resources:\n- a.yaml\nbuildMetadata: [originAnnotations]\n"},
		{"---\nresources: [a.yaml] # c\n\n", "---\nresources: [a.yaml] # c\nbuildMetadata: [originAnnotations]\n"},
		// Added to an existing list.
		{"buildMetadata: [managedByLabel]\n", "buildMetadata: [managedByLabel, originAnnotations]\n"},
		// A flow mapping is rewritten.
		{`{"resources": ["a.yaml"]}`, "{\"resources\": [\"a.yaml\"], buildMetadata: [originAnnotations]}\n"},
		// A second document would swallow an appended line.
		{"resources: [a.yaml]\n---\n", "resources: [a.yaml]\nbuildMetadata:\n    - originAnnotations\n"},
	} {
		got, ok := withOriginAnnotations([]byte(c.in))
		if !ok || string(got) != c.want {
			t.Errorf("withOriginAnnotations(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
	for _, in := range []string{"buildMetadata: [originAnnotations]\n", "- a\n", "a: [\n"} {
		if got, ok := withOriginAnnotations([]byte(in)); ok || string(got) != in {
			t.Errorf("withOriginAnnotations(%q) changed it to %q", in, got)
		}
	}
}

func TestIsKustomization(t *testing.T) {
	for dir, want := range map[string]bool{
		"testdata/base":                  true,
		"testdata/overlays/keeps-origin": true,
		"testdata/plain":                 true,
		"testdata/overlays":              false,
		"testdata/nope":                  false,
	} {
		if got := IsKustomization(dir); got != want {
			t.Errorf("IsKustomization(%s) = %v", dir, got)
		}
	}
}
