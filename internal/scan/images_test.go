package scan

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/image"
)

// requestLog counts a registry's requests by method and path.
type requestLog struct {
	mu sync.Mutex
	n  map[string]int
}

// reset forgets the requests so far (pushing the test images makes some).
func (l *requestLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n = map[string]int{}
}

func (l *requestLog) count(method, path string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n[method+" "+path]
}

// countingRegistry starts go-containerregistry's registry on 127.0.0.1, every request
// counted, and returns its host.
func countingRegistry(t *testing.T) (string, *requestLog) {
	t.Helper()
	l := &requestLog{n: map[string]int{}}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.n[r.Method+" "+r.URL.Path]++
		l.mu.Unlock()
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), l
}

// pushImage writes an image of one layer holding files (name -> content, executable)
// with config cfg to ref, and returns its manifest digest and its blobs.
func pushImage(t *testing.T, ref string, cfg v1.Config, files map[string]string) (v1.Hash, []v1.Hash) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for n, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, body)
	}
	tw.Close()
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.Append(empty.Image, mutate.Addendum{Layer: l, History: v1.History{CreatedBy: "RUN install " + ref}})
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.Config, cf.OS, cf.Architecture = cfg, "linux", "amd64"
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	cd, _ := img.ConfigName()
	ld, _ := l.Digest()
	return d, []v1.Hash{cd, ld}
}

// linesOf are the lines of doc that end with text.
func linesOf(t *testing.T, doc, text string) []int {
	t.Helper()
	var out []int
	for i, l := range strings.Split(doc, "\n") {
		if strings.HasSuffix(l, text) {
			out = append(out, i+1)
		}
	}
	if len(out) == 0 {
		t.Fatalf("%q is not in the fixture", text)
	}
	return out
}

// TestScanImages: the images of workloads are read once each, however many containers
// name them, and their findings are placed at each container's image field; an image
// that cannot be read is an error there, and the rest is still judged.
func TestScanImages(t *testing.T) {
	host, reqs := countingRegistry(t)
	app, tools, missing := host+"/team/app:1", host+"/team/tools:2", host+"/team/missing:3"
	_, appBlobs := pushImage(t, app, v1.Config{User: "root"}, map[string]string{"usr/bin/curl": "curl"})
	toolsDigest, toolsBlobs := pushImage(t, tools, v1.Config{User: "65532"}, map[string]string{"bin/wget": "wget"})
	// The same content by digest: resolved once more, read no more.
	toolsByDigest := host + "/team/tools@" + toolsDigest.String()

	deploy := func(name, annotations, spec string) string {
		return fmt.Sprintf("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %s\n  namespace: shop\n%s"+
			"spec:\n  selector: {matchLabels: {app: %s}}\n  template:\n    metadata: {labels: {app: %s}}\n    spec:\n%s",
			name, annotations, name, name, spec)
	}
	doc := deploy("a", "", "      containers:\n      - name: web\n        image: "+app+"\n") + "---\n" +
		deploy("b", "  annotations:\n    ignore.kharden.io/image-runs-as-root: \"the vendor's image; expires=2999-01-01\"\n",
			"      initContainers:\n      - name: fetch\n        image: "+tools+"\n"+
				"      containers:\n      - name: web\n        image: "+app+"\n"+
				"      - name: side\n        image: "+missing+"\n"+
				"      - name: again\n        image: "+toolsByDigest+"\n")
	file := filepath.Join(t.TempDir(), "deploy.yaml")
	if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	reqs.reset()
	rep, err := Run(Options{Paths: []string{file}, Config: &config.Config{}, Jobs: 2,
		Images: true, Image: image.Options{Insecure: true}, Registries: []string{host}})
	if err != nil {
		t.Fatal(err)
	}

	// One resolution per reference, one read per digest.
	for _, ref := range []struct{ repo, tag string }{{"team/app", "1"}, {"team/tools", "2"}, {"team/missing", "3"}, {"team/tools", toolsDigest.String()}} {
		if n := reqs.count("HEAD", "/v2/"+ref.repo+"/manifests/"+ref.tag); n != 1 {
			t.Errorf("%s:%s resolved %d times, want 1", ref.repo, ref.tag, n)
		}
	}
	for repo, blobs := range map[string][]v1.Hash{"team/app": appBlobs, "team/tools": toolsBlobs} {
		for _, b := range blobs {
			if n := reqs.count("GET", "/v2/"+repo+"/blobs/"+b.String()); n != 1 {
				t.Errorf("%s blob %s fetched %d times, want 1", repo, b, n)
			}
		}
	}
	if n := reqs.count("GET", "/v2/team/tools/manifests/"+toolsDigest.String()); n != 1 {
		t.Errorf("the tools manifest fetched %d times, want 1", n)
	}

	type at struct {
		id   string
		line int
	}
	got := map[at][]rule.Result{}
	for _, r := range rep.Results {
		got[at{r.Meta.ID, r.Location.Line}] = append(got[at{r.Meta.ID, r.Location.Line}], r)
	}
	apps := linesOf(t, doc, "image: "+app)
	aLine, bApp := apps[0], apps[1]
	bTools := linesOf(t, doc, "image: "+tools)[0]
	bMissing := linesOf(t, doc, "image: "+missing)[0]
	bAgain := linesOf(t, doc, "image: "+toolsByDigest)[0]

	want := func(id string, line int, parts ...string) {
		t.Helper()
		rs := got[at{id, line}]
		if len(rs) != 1 {
			t.Errorf("%s at line %d: %d results, want 1 (all: %v)", id, line, len(rs), rep.Results)
			return
		}
		for _, p := range parts {
			if !strings.Contains(rs[0].Message, p) {
				t.Errorf("%s at line %d: message %q lacks %q", id, line, rs[0].Message, p)
			}
		}
		if rs[0].Location.File != file || !strings.HasSuffix(rs[0].Location.FieldPath, ".image") {
			t.Errorf("%s at line %d: located at %+v", id, line, rs[0].Location)
		}
	}
	want("IM-0002", aLine, "image "+app+` (container "web")`, "/usr/bin/curl", "layer 1 (sha256:", "RUN install "+app)
	want("IM-0001", aLine, "runs as \"root\"")
	want("IM-0002", bApp, `(container "web")`, "/usr/bin/curl")
	want("IM-0002", bTools, `(container "fetch")`, "/bin/wget", "RUN install "+tools)
	want("IM-0002", bAgain, `(container "again")`, "/bin/wget")
	// The same place as the manifest rule that judges the same field.
	if im, km := got[at{"IM-0001", aLine}], got[at{"KM-0000", aLine}]; len(im) == 1 {
		for _, r := range rep.Results {
			if r.Meta.Slug == "image-digest" && r.Location.Line == aLine {
				km = append(km, r)
			}
		}
		if len(km) != 1 || km[0].Location.Column != im[0].Location.Column || km[0].Location.FieldPath != im[0].Location.FieldPath {
			t.Errorf("IM-0001 at %+v, image-digest at %v", im[0].Location, km)
		}
	}
	// Deployment b's annotation suppresses its own IM-0001 only.
	if rs := got[at{"IM-0001", bApp}]; len(rs) != 0 {
		t.Errorf("IM-0001 on b not suppressed: %v", rs)
	}
	suppressed := 0
	for _, r := range rep.Suppressed {
		if r.Meta.ID == "IM-0001" && r.Location.Line == bApp {
			suppressed++
		}
	}
	if suppressed != 1 {
		t.Errorf("%d suppressed IM-0001 at line %d, want 1: %v", suppressed, bApp, rep.Suppressed)
	}
	// IM-0012 is left to the manifest rules on the same field.
	for _, r := range rep.Results {
		if r.Meta.ID == "IM-0012" {
			t.Errorf("IM-0012 ran: %v", r)
		}
	}
	// The missing image: an error at its field, naming it.
	errs := 0
	for _, e := range rep.Errors {
		if e.Line == bMissing && e.File == file && strings.Contains(e.Message, "image "+missing) && strings.Contains(e.Message, "could not be read") {
			errs++
		} else {
			t.Errorf("unexpected error %+v", e)
		}
	}
	if errs != 1 {
		t.Errorf("%d errors for %s at line %d, want 1: %v", errs, missing, bMissing, rep.Errors)
	}
}

// Under --images, a kustomization's and a chart's findings are where those loaders place
// the image field: the resource file's line, and the chart template's line with the
// values key that sets it.
func TestScanImagesKustomizeHelm(t *testing.T) {
	host, _ := countingRegistry(t)
	app := host + "/team/app:1"
	pushImage(t, app, v1.Config{User: "65532"}, map[string]string{"usr/bin/curl": "curl"})
	deployment := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector: {matchLabels: {app: web}}\n" +
		"  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - name: web\n        image: %s\n"
	top := t.TempDir()
	kdir, chart := filepath.Join(top, "k"), filepath.Join(top, "chart")
	for p, body := range map[string]string{
		filepath.Join(kdir, "kustomization.yaml"):        "namePrefix: prod-\nresources:\n- deploy.yaml\n",
		filepath.Join(kdir, "deploy.yaml"):               fmt.Sprintf(deployment, app),
		filepath.Join(chart, "Chart.yaml"):               "apiVersion: v2\nname: web\nversion: 0.1.0\n",
		filepath.Join(chart, "values.yaml"):              "image: " + app + "\n",
		filepath.Join(chart, "templates", "deploy.yaml"): fmt.Sprintf(deployment, "{{ .Values.image }}"),
	} {
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Mkdir(filepath.Join(top, ".git"), 0o755)
	rep, err := Run(Options{Paths: []string{kdir, chart}, Config: &config.Config{}, Images: true, Image: image.Options{Insecure: true}, Registries: []string{host}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Errors) != 0 {
		t.Errorf("errors: %v", rep.Errors)
	}
	line := linesOf(t, fmt.Sprintf(deployment, app), "image: "+app)[0]
	want := map[string]bool{filepath.Join(kdir, "deploy.yaml"): false, filepath.Join(chart, "templates", "deploy.yaml"): false}
	for _, r := range rep.Results {
		if r.Meta.ID != "IM-0002" {
			continue
		}
		if _, ok := want[r.Location.File]; !ok || r.Location.Line != line {
			t.Errorf("IM-0002 at %s:%d, want line %d of %v", r.Location.File, r.Location.Line, line, want)
			continue
		}
		want[r.Location.File] = true
		if strings.HasPrefix(r.Location.File, chart) && r.Location.ValuesKey != "image" {
			t.Errorf("chart finding: values key %q, want image", r.Location.ValuesKey)
		}
	}
	for f, found := range want {
		if !found {
			t.Errorf("no IM-0002 in %s: %v", f, rep.Results)
		}
	}
}

// The registries are the manifests' choice: kharden reaches a loopback (or private,
// link-local) address only for a registry the user named, never through a redirect
// from a named one, and with --allow-registry no other registry at all.
func TestImagesRegistryGuard(t *testing.T) {
	host, reqs := countingRegistry(t)
	ref := host + "/team/app:1"
	pushImage(t, ref, v1.Config{User: "65532"}, map[string]string{"usr/bin/curl": "curl"})
	file := filepath.Join(t.TempDir(), "pod.yaml")
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers:\n  - name: c\n    image: " + ref + "\n"
	if err := os.WriteFile(file, []byte(pod), 0o644); err != nil {
		t.Fatal(err)
	}
	scanWith := func(registries ...string) *report.Report {
		t.Helper()
		reqs.reset()
		rep, err := Run(Options{Paths: []string{file}, Config: &config.Config{}, Images: true,
			Image: image.Options{Insecure: true}, Registries: registries})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	imageErrors := func(rep *report.Report) string {
		var b strings.Builder
		for _, e := range rep.Errors {
			b.WriteString(e.Message + "\n")
		}
		return b.String()
	}
	total := func() int {
		reqs.mu.Lock()
		defer reqs.mu.Unlock()
		n := 0
		for _, c := range reqs.n {
			n += c
		}
		return n
	}

	for _, c := range []struct {
		registries []string
		want       string
	}{
		{nil, "refused by kharden: it is a loopback address"},
		{[]string{"*"}, "refused by kharden: it is a loopback address"},
		{[]string{"ghcr.io"}, "registry " + host + " is not among those --allow-registry names"},
	} {
		rep := scanWith(c.registries...)
		if got := imageErrors(rep); !strings.Contains(got, c.want) {
			t.Errorf("--allow-registry %v: errors %q, want %q", c.registries, got, c.want)
		}
		if n := total(); n != 0 {
			t.Errorf("--allow-registry %v: the registry got %d requests", c.registries, n)
		}
	}
	for _, named := range [][]string{{host}, {"ghcr.io", host}, {"*", host}} {
		rep := scanWith(named...)
		if got := imageErrors(rep); got != "" {
			t.Errorf("--allow-registry %v: errors %q", named, got)
		}
		if !hasResult(rep, "IM-0002") {
			t.Errorf("--allow-registry %v: curl not found in the image", named)
		}
	}

	// A named registry that sends the blobs elsewhere (as registries do, to a CDN) does
	// not take kharden to an address the user did not name.
	var hit atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit.Store(true) }))
	defer other.Close()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	redirecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
			http.Redirect(w, r, strings.Replace(other.URL, "127.0.0.1", "localhost", 1)+r.URL.Path, http.StatusTemporaryRedirect)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	defer redirecting.Close()
	rhost := strings.TrimPrefix(redirecting.URL, "http://")
	pushImage(t, rhost+"/team/app:1", v1.Config{}, map[string]string{"usr/bin/curl": "curl"})
	os.WriteFile(file, []byte(strings.ReplaceAll(pod, host, rhost)), 0o644)
	rep, err := Run(Options{Paths: []string{file}, Config: &config.Config{}, Images: true,
		Image: image.Options{Insecure: true}, Registries: []string{rhost}})
	if err != nil {
		t.Fatal(err)
	}
	if got := imageErrors(rep); !strings.Contains(got, "connection to localhost refused by kharden") {
		t.Errorf("redirect to an unnamed loopback host: errors %q", got)
	}
	if hit.Load() {
		t.Error("the redirect's target was reached")
	}

	// Entries that are not registries are usage errors.
	for _, bad := range []string{"ghcr.io/team", "host:port:x", ""} {
		if _, err := New(Options{Paths: []string{file}, Config: &config.Config{}, Images: true, Registries: []string{bad}}); err == nil || !strings.Contains(err.Error(), "--allow-registry") {
			t.Errorf("--allow-registry %q: %v", bad, err)
		}
	}
}

func hasResult(rep *report.Report, id string) bool {
	for _, r := range rep.Results {
		if r.Meta.ID == id {
			return true
		}
	}
	return false
}
