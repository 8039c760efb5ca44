package helm

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"text/template"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"

	"github.com/kharden/kharden/internal/source/manifest"
)

// placed asserts where a field of d was written.
func placed(t *testing.T, d *manifest.Document, path, file string, line, col int, key, note string) {
	t.Helper()
	if _, found := d.Walk(path); found != path {
		t.Fatalf("%s %s: %s not found (nearest %q)", d.File, d.Object.Name, path, found)
	}
	p := d.Place(path)
	if p.File != file || p.Line != line || p.Column != col || p.ValuesKey != key || p.Note != note {
		t.Errorf("%s %s\n got  %s:%d:%d key %q note %q\n want %s:%d:%d key %q note %q",
			d.Object.Name, path, p.File, p.Line, p.Column, p.ValuesKey, p.Note, file, line, col, key, note)
	}
}

// Every field of a rendered chart is placed at the template line that wrote it and
// named by the values it came from: written in the template, in a helper (the helper's
// line; the include site in the note), in a range (the element's index in the key), in
// a values subtree printed by toYaml (the toYaml action's line; the key continues into
// the subtree), in a subchart (the key as the parent chart's values name it). Where the
// trace cannot follow, the field has the template but no line, and says so.
func TestPlaceTemplateLines(t *testing.T) {
	r := render(t, "testdata/mapped", Options{Set: []string{"image.tag=latest", "sub.hostNetwork=true"}})
	noProblems(t, r)
	const (
		deploy  = "testdata/mapped/templates/deployment.yaml"
		helpers = "testdata/mapped/templates/_helpers.tpl"
		sub     = "testdata/mapped/charts/sub/templates/pod.yaml"
		c0, c1  = "spec.template.spec.containers[0].", "spec.template.spec.containers[2]."
		psc     = "spec.template.spec.securityContext"
	)
	d := find(t, r, "Deployment", "release-name-mapped")
	placed(t, d, "metadata.name", deploy, 4, 3, "", "")
	placed(t, d, c0+"image", deploy, 18, 11, "image.repository, image.tag", "values keys image.repository, image.tag")
	placed(t, d, c0+"securityContext.privileged", helpers, 7, 1, "securityContext.privileged",
		"written by helper \"mapped.containerSecurity\" included at "+deploy+":20; values key securityContext.privileged")
	placed(t, d, "spec.template.metadata.labels.app", helpers, 11, 1, "", "written by helper \"mapped.labels\" included at "+deploy+":12")
	placed(t, d, "spec.template.spec.containers[1].image", deploy, 23, 11, "sidecars[0].image", "values key sidecars[0].image")
	placed(t, d, c1+"image", deploy, 23, 11, "sidecars[1].image", "values key sidecars[1].image")
	placed(t, d, c1+"securityContext.privileged", deploy, 26, 13, "sidecars[1].privileged", "values key sidecars[1].privileged")
	placed(t, d, c1+"securityContext.allowPrivilegeEscalation", deploy, 25, 13, "", "")
	placed(t, d, psc+".seccompProfile.type", deploy, 15, 9, "podSecurityContext.seccompProfile.type", "values key podSecurityContext.seccompProfile.type")
	// A field that is missing is placed at its nearest ancestor, named by the values
	// subtree it would belong to.
	if got := d.Place(psc + ".runAsUser"); got.Line != 14 || got.ValuesKey != "podSecurityContext" {
		t.Errorf("missing field placed at %+v, want line 14 and values key podSecurityContext", got)
	}

	placed(t, find(t, r, "Pod", "release-name-sub"), "spec.hostNetwork", sub, 6, 3, "sub.hostNetwork", "values key sub.hostNetwork")
	placed(t, find(t, r, "Pod", "untraced"), "spec.hostPID", "testdata/mapped/templates/untraced.yaml", 0, 0, "", noLine)
}

// A problem found in the rendered YAML is reported where the template wrote it.
func TestRenderedErrorsAtTemplateLines(t *testing.T) {
	dir := writeChart(t, filepath.Join(t.TempDir(), "c"), map[string]string{
		"values.yaml": "spec:\n  containers:\n    - name: a\n      image: b\n      bogus: 1\n",
		"templates/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n" +
			"spec:\n  {{- toYaml .Values.spec | nindent 2 }}\n",
	})
	r := render(t, dir, Options{})
	if len(r.Errors) != 1 {
		t.Fatalf("errors: %v", r.Errors)
	}
	if e := r.Errors[0]; e.File != filepath.Join(dir, "templates", "pod.yaml") || e.Line != 6 || e.Column != 3 || !strings.Contains(e.Msg, `unknown field "spec.containers[0].bogus"`) {
		t.Errorf("error %v, want it at the toYaml action, pod.yaml:6:3", e)
	}
}

// The marks change nothing that a chart renders: every template renders as Helm renders
// the chart as written.
func TestTraceKeepsHelmOutput(t *testing.T) {
	tricky := writeChart(t, filepath.Join(t.TempDir(), "tricky"), map[string]string{
		"values.yaml": "l: [a, b]\nm: {z: 1, y: 2}\ne: []\ns: {k: v}\n",
		"templates/_h.tpl": "{{- define \"h\" -}}\n  x: {{ .Values.s.k }}\n{{- end }}\n" +
			"{{ define \"w\" }}  w{{ . }}{{ end }}\n{{- define \"blank\" }}  {{ end }}\n",
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: t\ndata:\n" +
			"  a: {{ .Values.nothing }}|{{ .Values.nothing | quote }}\n" +
			"  b: \"{{- range .Values.l }}  {{ . }}{{ end }}\"\n" +
			"  c: \"{{ range $i, $v := .Values.l -}} {{ $i }}={{ $v -}} {{ end }}\"\n" +
			"  d: \"{{ range .Values.e }}x{{ else }}empty{{ end }}\"\n" +
			"  e: \"{{ range $k, $v := .Values.m }}{{ $k }}{{ $v }}{{ end }}{{ template \"w\" 1 }}{{ include \"blank\" . }}\"\n" +
			"  f: |\n    {{- include \"h\" . | nindent 4 }}\n    {{ include \"h\" . | indent 2 | trim }}\n" +
			"  g: {{ with .Values.s }}{{ .k }}{{ end }}{{/* c */}}{{ include \"w\" 2 | quote }}\n" +
			"  h: {{ tpl \"{{ .Values.s.k }}\" . }} {{ include (print $.Template.BasePath \"/other.yaml\") . | sha256sum }}\n",
		"templates/other.yaml": "# x\n{{- /* nothing but a comment */ -}}\n",
	})
	for _, dir := range []string{"testdata/web", "testdata/mapped", tricky} {
		r := render(t, dir, Options{})
		noProblems(t, r)
		want := helmRender(t, dir)
		var got []string
		for _, d := range r.Docs {
			got = append(got, d.File+" "+string(d.JSON))
			if p := d.Place("metadata"); p.Line == 0 && !strings.HasSuffix(d.File, "untraced.yaml") {
				t.Errorf("%s: %s not traced: %+v", dir, d.File, p)
			}
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s renders\n%s\nwhere Helm renders\n%s", dir, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// helmRender renders a chart directory with Helm's engine alone, as Render loads it.
func helmRender(t *testing.T, dir string) []string {
	t.Helper()
	c, err := loader.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	vals := map[string]any{}
	if err := chartutil.ProcessDependencies(c, vals); err != nil {
		t.Fatal(err)
	}
	rv, err := util.ToRenderValues(c, vals, common.ReleaseOptions{Name: DefaultReleaseName, Namespace: DefaultNamespace, Revision: 1, IsInstall: true}, common.DefaultCapabilities.Copy())
	if err != nil {
		t.Fatal(err)
	}
	out, err := engine.Render(c, rv)
	if err != nil {
		t.Fatal(err)
	}
	var docs []string
	for _, name := range sortedKeys(out) {
		if strings.HasSuffix(name, "NOTES.txt") {
			continue
		}
		file := filepath.Join(dir, strings.TrimPrefix(name, c.Name()+"/"))
		for _, d := range manifest.Load(file, []byte(out[name])).Docs {
			docs = append(docs, d.File+" "+string(d.JSON))
		}
	}
	return docs
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// Tracing a template changes neither what it prints nor its line numbers, and its record
// is what it printed.
func TestTraceMarksKeepOutput(t *testing.T) {
	for _, text := range []string{
		"{{ range .l }}  {{ . }}\n{{ end }}",
		"{{ range .l -}}\n  {{ . }}\n{{- end }}",
		"{{- range $i, $v := .l }}\n{{- $i }}={{ $v -}}\n{{ end -}}",
		"{{ range .e }}x{{ else }}empty{{ end }}",
		"a\n{{- range .l -}} {{/* c */ -}} {{ . }}{{ end }}",
		"{{ define \"d\" }}  d{{ . }}{{ end }}{{ template \"d\" 1 }}{{ range .m }}{{ template \"d\" . }}{{ end }}",
		"x: {{ include \"d\" . | nindent 2 }}{{ define \"d\" }}a\nb: {{ .m.k }}{{ end }}\ny: {{ include \"d\" . | indent 4 }}{{ include \"d\" . | upper }}",
		"{{ .missing }}-{{ .missing | print }}-{{ .p }}{{ .n }}",
		"no actions\n",
		"",
	} {
		tr := newTracer()
		tf := tr.file(place{file: "t.yaml"}, text)
		out, _ := instrumentSpans(text, tf)
		if strings.Count(out, "\n") != strings.Count(text, "\n") {
			t.Errorf("%q: lines changed: %q", text, out)
		}
		run := func(s string, funcs template.FuncMap) string {
			var b strings.Builder
			tm := template.New("t.yaml").Funcs(template.FuncMap{tickFunc: func() string { return "" }, "upper": strings.ToUpper,
				"nindent": func(n int, s string) string { return "\n" + indent(n, s) }, "indent": indent}).Funcs(funcs)
			tm.Funcs(template.FuncMap{"include": func(name string, data any) (string, error) {
				var b strings.Builder
				err := tm.ExecuteTemplate(&b, name, data)
				return b.String(), err
			}})
			x := 3
			data := map[string]any{"l": []string{"a", "b"}, "e": []string{}, "m": map[string]any{"k": 1}, "p": &x, "n": (*int)(nil),
				"Template": map[string]any{"Name": "t.yaml"}}
			if err := template.Must(tm.Parse(s)).Execute(&b, data); err != nil {
				t.Fatalf("%q: %v", s, err)
			}
			return b.String()
		}
		tr.reset(map[string]*tfile{"t.yaml": tf})
		got, want := run(out, tr.funcs()), run(text, nil)
		if got != want {
			t.Errorf("%q\ntraced %q\nprints %q, want %q", text, out, got, want)
		}
		if f := tr.done["t.yaml"]; text != "" && (f == nil || f.out.String() != got) {
			t.Errorf("%q: record does not match what it printed", text)
		}
	}
}

func indent(n int, s string) string {
	pad := strings.Repeat(" ", n)
	return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
}

// A chart that calls the marks' functions itself, with any arguments, gets no line for
// what it spoiled, and no crash.
func TestTraceMarksCalledByChart(t *testing.T) {
	dir := writeChart(t, filepath.Join(t.TempDir(), "c"), map[string]string{
		"templates/pod.yaml": privilegedPod + "# {{ _khardenOut -1 1 }}{{ _khardenOut 1000000 2 }}{{ _khardenText -5 }}{{ _khardenText 99999 }}" +
			"{{ _khardenRet \"x\" }}{{ _khardenInc \"y\" }}{{ _khardenIter 7 }}{{ _khardenRange -1 }}{{ _khardenStart -1 . }}{{ _khardenEnd 99 . }}\n",
	})
	r := render(t, dir, Options{})
	if len(r.Docs) != 1 {
		t.Fatalf("documents: %v, errors %v", summary(r), r.Errors)
	}
	d := r.Docs[0]
	if p := d.Place("spec.containers[0].securityContext.privileged"); p.Line != 0 || p.Note != noLine {
		t.Errorf("spoiled trace placed at %+v", p)
	}
}

// A value read in a range over a map is named by its key, in the order range visits them.
func TestPlaceRangeOverMap(t *testing.T) {
	dir := writeChart(t, filepath.Join(t.TempDir(), "c"), map[string]string{
		"values.yaml": "env:\n  ZED: z\n  ALPHA: a\n",
		"templates/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: nginx:1.27\n      env:\n" +
			"        {{- range $k, $v := .Values.env }}\n        - name: {{ $k }}\n          value: {{ $v | quote }}\n        {{- end }}\n",
	})
	r := render(t, dir, Options{})
	noProblems(t, r)
	file := filepath.Join(dir, "templates", "pod.yaml")
	placed(t, r.Docs[0], "spec.containers[0].env[1].value", file, 12, 11, "env.ZED", "values key env.ZED")
	placed(t, r.Docs[0], "spec.containers[0].env[0].name", file, 11, 11, "", "")
}
