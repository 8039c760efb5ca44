package kustomize

import (
	"path/filepath"
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

// at checks where a field path of d is placed for the reader: file, line and column,
// and for a place without a line, words the note must hold.
func at(t *testing.T, d *manifest.Document, path, file string, line, col int, note ...string) {
	t.Helper()
	pos := d.Place(path)
	if pos.File != file || pos.Line != line || pos.Column != col {
		t.Errorf("%s: %s at %s:%d:%d, want %s:%d:%d", d.Object.Name, path, pos.File, pos.Line, pos.Column, file, line, col)
	}
	for _, n := range note {
		if !strings.Contains(pos.Note, n) {
			t.Errorf("%s: %s: note %q lacks %q", d.Object.Name, path, pos.Note, n)
		}
	}
	if len(note) == 0 && pos.Note != "" {
		t.Errorf("%s: %s: unexpected note %q", d.Object.Name, path, pos.Note)
	}
}

func TestBuildBase(t *testing.T) {
	r := build(t, "testdata/base")
	// kustomize build's legacy order: Service before Deployment.
	sameDocs(t, r, "testdata/base/kustomization.yaml", []doc{
		{"Service", "", "web", "testdata/base/service.yaml"},
		{"Deployment", "", "web", "testdata/base/deployment.yaml"},
	})
	at(t, r.Docs[1], "spec.template.spec.containers[0].securityContext.privileged", "testdata/base/deployment.yaml", 18, 13)
	at(t, r.Docs[1], "", "testdata/base/deployment.yaml", 1, 1)
	// A missing field: its nearest ancestor, in the source.
	at(t, r.Docs[1], "spec.template.spec.containers[0].resources.limits.cpu", "testdata/base/deployment.yaml", 15, 11)
	at(t, r.Docs[0], "spec.ports[0].port", "testdata/base/service.yaml", 9, 7)
}

// An overlay: what its patches, transformers and generators made is in no file the user
// wrote, so it is placed at the overlay's kustomization without a line, and says so.
func TestBuildOverlayWithPatch(t *testing.T) {
	r := build(t, "testdata/overlays/prod")
	const kfile = "testdata/overlays/prod/kustomization.yaml"
	sameDocs(t, r, kfile, []doc{
		{"ConfigMap", "prod", "prod-settings-mgc92dd9c6", kfile},
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
	at(t, d, "spec.template.spec.containers[0].image", kfile, 0, 0, "sets spec.template.spec.containers[0].image", "testdata/base/deployment.yaml")
	at(t, d, "spec.template.spec.containers[0].securityContext.privileged", kfile, 0, 0, "sets")
	at(t, d, "spec.template.spec.containers[0].securityContext", "testdata/base/deployment.yaml", 17, 11)
	at(t, d, "metadata.namespace", kfile, 0, 0, "adds metadata.namespace")
	at(t, d, "metadata.name", kfile, 0, 0, "sets metadata.name")
	at(t, r.Docs[3], "spec.policyTypes", "testdata/overlays/prod/networkpolicy.yaml", 7, 3)
	at(t, r.Docs[0], "data.mode", kfile, 0, 0, "a generator of "+kfile)
}

// A patch that adds a container and a field: the new ones have no line; the container
// the base wrote keeps its lines though its index changed.
func TestPlaceThroughPatchedLists(t *testing.T) {
	r := build(t, "testdata/overlays/sidecar")
	const kfile = "testdata/overlays/sidecar/kustomization.yaml"
	d := r.Docs[1]
	if !strings.Contains(string(d.JSON), `"containers":[{"image":"busybox:1.36","name":"sidecar"},{"image":"nginx:1.27","name":"web"`) {
		t.Fatalf("the patch did not put the sidecar first: %s", d.JSON)
	}
	at(t, d, "spec.template.spec.containers[0].image", kfile, 0, 0, "adds spec.template.spec.containers[0]")
	at(t, d, "spec.template.spec.containers[1].image", "testdata/base/deployment.yaml", 16, 11)
	at(t, d, "spec.template.spec.containers[1].resources.limits.memory", kfile, 0, 0, "adds spec.template.spec.containers[1].resources")
	at(t, d, "spec.template.spec.containers[1].securityContext.runAsNonRoot", "testdata/base/deployment.yaml", 17, 11)
}

// Two documents of one file whose names overlap once prefixed: each resource is found in
// its own document.
func TestPlaceInMultiDocumentFile(t *testing.T) {
	r := build(t, "testdata/multi")
	const file = "testdata/multi/apps.yaml"
	for _, d := range r.Docs {
		switch d.Object.Name {
		case "team-web":
			at(t, d, "spec.template.spec.hostPID", file, 29, 7)
		case "team-web-canary":
			at(t, d, "spec.template.spec.hostNetwork", file, 13, 7)
		default:
			t.Errorf("unexpected %s", d.Object.Name)
		}
	}
}

// Problems found in the build output are placed in the source too.
func TestBuildOutputErrorsPlaced(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "kustomization.yaml"), "namePrefix: x-\nresources:\n- pod.yaml\n")
	write(t, filepath.Join(dir, "pod.yaml"), `apiVersion: v1
kind: Pod
metadata:
  name: typo
spec:
  containers:
    - name: app
      image: busybox:1.36
      securityContxt:
        privileged: true
`)
	r, err := Build(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Errors) != 1 {
		t.Fatalf("errors %v, want one", r.Errors)
	}
	if e := r.Errors[0]; e.File != filepath.Join(dir, "pod.yaml") || e.Line != 9 || e.Column != 7 || !strings.Contains(e.Msg, "securityContxt") {
		t.Errorf("error = %v, want pod.yaml:9:7 about securityContxt", e)
	}
}

// The documents must be exactly those of a plain build, as `kustomize build` prints it
// (same content, same lines), despite the origin tracking added for Place, except that
// no origin annotation is left for the rules to judge.
func TestBuildMatchesPlainBuild(t *testing.T) {
	for _, dir := range []string{"testdata/base", "testdata/overlays/prod", "testdata/overlays/keeps-origin", "testdata/plain"} {
		r := build(t, dir)
		opts := krusty.MakeDefaultOptions()
		opts.Reorder = krusty.ReorderOptionUnspecified
		m, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.RemoveOriginAnnotations(); err != nil {
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

// Origin annotations the kustomization asks for are removed too: no verdict may depend
// on them.
func TestBuildRemovesRequestedOriginAnnotations(t *testing.T) {
	r := build(t, "testdata/overlays/keeps-origin")
	sameDocs(t, r, "testdata/overlays/keeps-origin/kustomization.yml", []doc{
		{"Service", "", "web", "testdata/base/service.yaml"},
		{"Deployment", "", "web", "testdata/base/deployment.yaml"},
	})
	for _, d := range r.Docs {
		if strings.Contains(string(d.JSON), "config.kubernetes.io/origin") {
			t.Errorf("origin annotation left in: %s", d.JSON)
		}
	}
	at(t, r.Docs[1], "spec.template.spec.containers[0].image", "testdata/base/deployment.yaml", 16, 11)
}

func TestBuildFlowStyleKustomization(t *testing.T) {
	r := build(t, "testdata/plain")
	sameDocs(t, r, "testdata/plain/Kustomization", []doc{{"Pod", "", "lonely", "testdata/plain/pod.yaml"}})
	at(t, r.Docs[0], "spec.containers[0].image", "testdata/plain/pod.yaml", 8, 7)
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
