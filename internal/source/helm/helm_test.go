package helm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"

	"github.com/kharden/kharden/internal/source/manifest"
)

// doc is what a test expects of one loaded document.
type doc struct {
	file, kind, name string
}

func summary(r *manifest.Result) []doc {
	var out []doc
	for _, d := range r.Docs {
		out = append(out, doc{d.File, d.Object.Kind, d.Object.Name})
	}
	return out
}

func sameDocs(t *testing.T, got *manifest.Result, want []doc) {
	t.Helper()
	g := summary(got)
	if len(g) != len(want) {
		t.Fatalf("got %d documents, want %d:\n got  %v\n want %v", len(g), len(want), g, want)
	}
	for i := range want {
		if g[i] != want[i] {
			t.Errorf("document %d = %v, want %v", i, g[i], want[i])
		}
	}
}

func find(t *testing.T, r *manifest.Result, kind, name string) *manifest.Document {
	t.Helper()
	for _, d := range r.Docs {
		if d.Object.Kind == kind && d.Object.Name == name {
			return d
		}
	}
	t.Fatalf("no %s %s in %v", kind, name, summary(r))
	return nil
}

// at asserts that a field path of d resolves exactly (not to an ancestor), and is
// placed at line:col of the template d was rendered from.
func at(t *testing.T, d *manifest.Document, path string, line, col int) {
	t.Helper()
	if _, found := d.Walk(path); found != path {
		t.Fatalf("%s %s: %s not found (nearest %q)", d.File, d.Object.Name, path, found)
	}
	if p := d.Place(path); p.File != d.File || p.Line != line || p.Column != col {
		t.Errorf("%s: %s at %s:%d:%d, want %d:%d", d.File, path, p.File, p.Line, p.Column, line, col)
	}
}

func render(t *testing.T, dir string, opt Options) *manifest.Result {
	t.Helper()
	r, err := Render(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func noProblems(t *testing.T, r *manifest.Result) {
	t.Helper()
	for _, e := range r.Errors {
		t.Errorf("unexpected error: %v", e)
	}
	for _, n := range r.Notes {
		t.Errorf("unexpected note: %v", n)
	}
}

func TestRenderDefaults(t *testing.T) {
	r := render(t, "testdata/web", Options{})
	noProblems(t, r)
	// Sorted by file; NOTES.txt and the empty render of extra.yaml are left out; the
	// pre-install hook and the chart test are in.
	sameDocs(t, r, []doc{
		{"testdata/web/charts/db/templates/statefulset.yaml", "StatefulSet", "release-name-db"},
		{"testdata/web/templates/deployment.yaml", "Deployment", "release-name-web"},
		{"testdata/web/templates/hook.yaml", "Job", "release-name-web-migrate"},
		{"testdata/web/templates/service.yaml", "Service", "release-name-web"},
		{"testdata/web/templates/tests/test-connection.yaml", "Pod", "release-name-web-test"},
	})
	d := find(t, r, "Deployment", "release-name-web")
	if d.Origin != "testdata/web" {
		t.Errorf("Origin = %q, want the chart directory", d.Origin)
	}
	if !strings.Contains(string(d.JSON), `"image":"nginx:1.27"`) || !strings.Contains(string(d.JSON), `"privileged":false`) {
		t.Errorf("default values not applied: %s", d.JSON)
	}
	// Lines are those of the template.
	at(t, d, "spec.template.spec.containers[0].image", 18, 11)
	at(t, d, "spec.template.spec.containers[0].securityContext.privileged", 20, 13)
	if got := find(t, r, "Service", "release-name-web").Object.Namespace; got != DefaultNamespace {
		t.Errorf("namespace = %q, want %q", got, DefaultNamespace)
	}
	db := find(t, r, "StatefulSet", "release-name-db")
	if db.Origin != filepath.Join("testdata", "web", "charts", "db") {
		t.Errorf("subchart Origin = %q", db.Origin)
	}
	at(t, db, "spec.template.spec.hostNetwork", 15, 7)
}

func TestRenderValuesAndSet(t *testing.T) {
	r := render(t, "testdata/web", Options{
		ValuesFiles: []string{"testdata/web/prod-values.yaml"},
		Set:         []string{"image.repository=registry.example/nginx", "db.enabled=false", "db.hostNetwork=true"},
		ReleaseName: "shop",
		Namespace:   "prod",
	})
	noProblems(t, r)
	// db.enabled=false switches the subchart off through its condition.
	sameDocs(t, r, []doc{
		{"testdata/web/templates/deployment.yaml", "Deployment", "shop-web"},
		{"testdata/web/templates/hook.yaml", "Job", "shop-web-migrate"},
		{"testdata/web/templates/service.yaml", "Service", "shop-web"},
		{"testdata/web/templates/tests/test-connection.yaml", "Pod", "shop-web-test"},
	})
	d := find(t, r, "Deployment", "shop-web")
	for _, want := range []string{
		`"image":"registry.example/nginx:1.27-prod"`, // --set over values file over values.yaml
		`"securityContext":{"privileged":true,"runAsNonRoot":true}`,
	} {
		if !strings.Contains(string(d.JSON), want) {
			t.Errorf("deployment lacks %s: %s", want, d.JSON)
		}
	}
	at(t, d, "spec.template.spec.containers[0].securityContext.privileged", 20, 13)
	if ns := find(t, r, "Service", "shop-web").Object.Namespace; ns != "prod" {
		t.Errorf("namespace = %q", ns)
	}
}

func TestRenderSetSubchartValue(t *testing.T) {
	r := render(t, "testdata/web", Options{Set: []string{"db.hostNetwork=true"}})
	noProblems(t, r)
	db := find(t, r, "StatefulSet", "release-name-db")
	if !strings.Contains(string(db.JSON), `"hostNetwork":true`) {
		t.Errorf("--set did not reach the subchart: %s", db.JSON)
	}
	at(t, db, "spec.template.spec.hostNetwork", 15, 7)
}

func TestRenderTemplateErrors(t *testing.T) {
	r := render(t, "testdata/broken", Options{})
	// The templates that render are still loaded.
	sameDocs(t, r, []doc{{"testdata/broken/templates/good.yaml", "ConfigMap", "good"}})
	want := []string{
		"testdata/broken/templates/syntax.yaml:4: template does not parse: function \"nosuchfunc\" not defined",
		"testdata/broken/templates/_helpers.tpl:7:10: template failed: <.Values.nothing.here>: nil pointer evaluating interface {}.here (while rendering testdata/broken/templates/deep.yaml)",
		"testdata/broken/templates/helper.yaml:6:14: template failed: allowed must be set",
		"testdata/broken/templates/nilptr.yaml:6:15: template failed: <.Values.missing.deeper.value>: nil pointer evaluating interface {}.deeper",
		"testdata/broken/templates/required.yaml:8:16: template failed: image.tag is required",
	}
	got := map[string]bool{}
	for _, e := range r.Errors {
		got[e.Error()] = true
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("missing error %s", w)
		}
	}
	if len(r.Errors) != len(want) {
		t.Errorf("got %d errors, want %d: %v", len(r.Errors), len(want), r.Errors)
	}
}

func TestRenderAliasesAndChartProblems(t *testing.T) {
	r := render(t, "testdata/aliased", Options{})
	// Both aliases of db render from the one template file on disk; the missing metrics
	// dependency is disabled by its condition, so not reported.
	sameDocs(t, r, []doc{
		{"testdata/aliased/charts/db/templates/pod.yaml", "Pod", "primary-primary"},
		{"testdata/aliased/charts/db/templates/pod.yaml", "Pod", "replica-replica"},
	})
	want := map[string]bool{
		`testdata/aliased/Chart.yaml:11:5: dependency "cache" is missing from charts/ (run helm dependency build); rendered without it`:   true,
		`testdata/aliased/Chart.yaml:16:1: chart requires kubeVersion >= 1.40.0, which Kubernetes v1.20.0 does not meet; rendered anyway`: true,
	}
	for _, e := range r.Errors {
		if !want[e.Error()] {
			t.Errorf("unexpected error %v", e)
		}
		delete(want, e.Error())
	}
	for w := range want {
		t.Errorf("missing error %s", w)
	}
	// A Kubernetes version that meets the constraint silences that error; enabling
	// metrics makes its absence an error.
	r = render(t, "testdata/aliased", Options{KubeVersion: "v1.41.2", Set: []string{"metrics.enabled=true"}})
	var got []string
	for _, e := range r.Errors {
		got = append(got, e.Error())
	}
	if len(got) != 2 || !strings.HasPrefix(got[0], `testdata/aliased/Chart.yaml:11:5: dependency "cache"`) || !strings.HasPrefix(got[1], `testdata/aliased/Chart.yaml:13:5: dependency "metrics"`) {
		t.Errorf("errors with kube version 1.41 and metrics on: %q", got)
	}
}

func TestRenderArchivedSubchart(t *testing.T) {
	// Copy the web chart with its db subchart packed as charts/db-0.1.0.tgz.
	dir := filepath.Join(t.TempDir(), "web")
	if err := os.CopyFS(dir, os.DirFS("testdata/web")); err != nil {
		t.Fatal(err)
	}
	db, err := loader.Load(filepath.Join(dir, "charts", "db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chartutil.Save(db, filepath.Join(dir, "charts")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "charts", "db")); err != nil {
		t.Fatal(err)
	}
	r := render(t, dir, Options{})
	noProblems(t, r)
	d := find(t, r, "StatefulSet", "release-name-db")
	archive := filepath.Join(dir, "charts", "db-0.1.0.tgz")
	if d.File != filepath.Join(archive, "templates", "statefulset.yaml") || d.Origin != archive {
		t.Errorf("archived subchart: File %q Origin %q", d.File, d.Origin)
	}
	at(t, d, "spec.template.spec.hostNetwork", 15, 7)
}

func TestRenderBadInput(t *testing.T) {
	for name, c := range map[string]struct {
		dir string
		opt Options
	}{
		"no chart":         {"testdata/nope", Options{}},
		"not a chart":      {"testdata", Options{}},
		"bad --set":        {"testdata/web", Options{Set: []string{"noequals"}}},
		"no values file":   {"testdata/web", Options{ValuesFiles: []string{"testdata/web/nope.yaml"}}},
		"bad release name": {"testdata/web", Options{ReleaseName: "Not_Valid"}},
		"bad kube version": {"testdata/web", Options{KubeVersion: "one"}},
	} {
		if _, err := Render(c.dir, c.opt); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestIsChart(t *testing.T) {
	for dir, want := range map[string]bool{
		"testdata/web":           true,
		"testdata/web/charts/db": true,
		"testdata/web/templates": false,
		"testdata/nope":          false,
	} {
		if got := IsChart(dir); got != want {
			t.Errorf("IsChart(%s) = %v", dir, got)
		}
	}
}

// A helper that does not parse takes down every template that includes it, each reported
// at its include; an error inside tpl is reported at the tpl call.
func TestRenderBrokenHelper(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "web")
	if err := os.CopyFS(dir, os.DirFS("testdata/web")); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"templates/_helpers.tpl": "{{- define \"web.fullname\" -}}\n{{ .Release.Name | nope }}\n{{- end -}}\n",
		"templates/tplerr.yaml":  "a: {{ tpl \"{{ .Values.q.r }}\" . }}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := render(t, dir, Options{})
	if len(r.Docs) != 1 || r.Docs[0].Object.Kind != "StatefulSet" {
		t.Errorf("documents: %v", summary(r))
	}
	noTemplate := `template failed: <include "web.fullname" .>: error calling include: template: no template "web.fullname" associated with template "gotpl"`
	want := map[string]bool{
		filepath.Join(dir, "templates/_helpers.tpl") + `:2: template does not parse: function "nope" not defined`:                   true,
		filepath.Join(dir, "templates/tplerr.yaml") + `:1:6: template failed: <.Values.q.r>: nil pointer evaluating interface {}.r`: true,
	}
	for _, f := range []string{"deployment.yaml", "hook.yaml", "service.yaml", "tests/test-connection.yaml"} {
		want[filepath.Join(dir, "templates", f)+":4:11: "+noTemplate] = true
	}
	for _, e := range r.Errors {
		if !want[e.Error()] {
			t.Errorf("unexpected error %v", e)
		}
		delete(want, e.Error())
	}
	for w := range want {
		t.Errorf("missing error %s", w)
	}
}
