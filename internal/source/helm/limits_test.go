package helm

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"text/template"
)

// chart writes a chart named name into dir from a map of files.
func writeChart(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	if _, ok := files["Chart.yaml"]; !ok {
		files["Chart.yaml"] = "apiVersion: v2\nname: " + filepath.Base(dir) + "\nversion: 0.1.0\n"
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const privilegedPod = `apiVersion: v1
kind: Pod
metadata:
  name: good
spec:
  containers:
  - name: c
    image: nginx:1.27
    securityContext:
      privileged: true
`

// A hostile chart costs an error for that chart only: the good chart next to it is
// rendered in full.
func TestHostileChartsAreStopped(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"tplRecursion": {
			"values.yaml":         "x: '{{ tpl .Values.x . }}'\n",
			"templates/loop.yaml": "a: {{ tpl .Values.x . }}\n",
		},
		"tplDoubling": {
			"values.yaml":         "x: '{{ tpl .Values.x . }}{{ tpl .Values.x . }}'\n",
			"templates/loop.yaml": "a: {{ tpl .Values.x . }}\n",
		},
		"includeDoubling": {
			"templates/_h.tpl":    `{{ define "d" }}{{ include "d" . }}{{ include "d" . }}x{{ end }}`,
			"templates/loop.yaml": `a: {{ include "d" . }}` + "\n",
		},
		"until": {
			"templates/loop.yaml": "{{ range until 100000000 }}- a\n{{ end }}",
		},
		"untilStep": {
			"templates/loop.yaml": "{{ range untilStep 0 1000000000 1 }}- a\n{{ end }}",
		},
		"seq": {
			"templates/loop.yaml": "{{ range seq 1 100000000 }}- a\n{{ end }}",
		},
		"nestedRanges": {
			"templates/loop.yaml": "{{ range $i := 100000 }}{{ range $j := 100000 }}{{ range $k := 100000 }}{{ end }}{{ end }}{{ end }}",
		},
		"rangeInTpl": {
			"values.yaml":         "x: '{{ range $i := 100000 }}{{ range $j := 100000 }}{{ end }}{{ end }}'\n",
			"templates/loop.yaml": "a: {{ tpl .Values.x . }}\n",
		},
		"hugeOutput": {
			"values.yaml":         "big: " + strings.Repeat("x", 1<<20) + "\n",
			"templates/loop.yaml": "{{ range $i := 40 }}{{ $.Values.big }}\n{{ end }}",
		},
		"doublingString": {
			"templates/loop.yaml": `{{ $s := "xxxxxxxx" }}{{ range $i := 64 }}{{ $s = print $s $s }}{{ end }}a: {{ len $s }}` + "\n",
		},
		"uniq": {
			"values.yaml":         "l: [" + strings.Repeat("1,", 20000) + "1]\n",
			"templates/loop.yaml": "a: {{ uniq .Values.l | len }}\n",
		},
		"repeat": {
			"templates/loop.yaml": `a: {{ repeat 2000000000 "x" }}` + "\n",
		},
		"printfWidth": {
			"templates/loop.yaml": `a: {{ printf "%2000000000d" 1 }}` + "\n",
		},
	} {
		t.Run(name, func(t *testing.T) {
			hostile := writeChart(t, filepath.Join(t.TempDir(), "hostile"), files)
			r, err := Render(hostile, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Errors) == 0 {
				t.Fatalf("no error; %d documents", len(r.Docs))
			}
			for _, e := range r.Errors {
				t.Logf("%s", e)
				if len(e.Msg) > 1000 {
					t.Errorf("error message of %d bytes", len(e.Msg))
				}
			}
			good := writeChart(t, filepath.Join(t.TempDir(), "good"), map[string]string{"templates/pod.yaml": privilegedPod})
			r, err = Render(good, Options{})
			if err != nil || len(r.Errors) != 0 || len(r.Docs) != 1 {
				t.Fatalf("good chart after it: %v %v %d documents", err, r.Errors, len(r.Docs))
			}
		})
	}
}

func TestHugeValuesFile(t *testing.T) {
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.yaml")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	line := []byte("k" + strings.Repeat("x", 60) + ": v\n")
	for n := 0; n <= MaxValuesSize; n += len(line) {
		if _, err := f.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	good := writeChart(t, filepath.Join(dir, "good"), map[string]string{"templates/pod.yaml": privilegedPod})
	_, err = Render(good, Options{ValuesFiles: []string{huge}})
	if err == nil || !strings.Contains(err.Error(), huge) || !strings.Contains(err.Error(), "more than the") {
		t.Errorf("error = %v", err)
	}
	// Nor in the chart.
	big, err := os.ReadFile(huge)
	if err != nil {
		t.Fatal(err)
	}
	bad := writeChart(t, filepath.Join(dir, "bad"), map[string]string{"templates/pod.yaml": privilegedPod, "values.yaml": string(big)})
	if _, err = Render(bad, Options{}); err == nil || !strings.Contains(err.Error(), "values.yaml: larger than") {
		t.Errorf("error = %v", err)
	}
	// Nor a FIFO, which would block.
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := mkfifo(fifo); err != nil {
		t.Skip(err)
	}
	_, err = Render(good, Options{ValuesFiles: []string{fifo}})
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("error = %v", err)
	}
}

// Files reached through a symlink that leaves the chart are not read; the link is named
// in a note.
func TestSymlinksOutOfTheChart(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret")
	if err := os.WriteFile(secret, []byte("s3cr3t-token"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "leak.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: leaked}\ndata: {a: s3cr3t-token}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := writeChart(t, filepath.Join(t.TempDir(), "c"), map[string]string{
		"templates/pod.yaml": privilegedPod,
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: files}\n" +
			"data:\n  secret: {{ .Files.Get \"files/secret\" | quote }}\n  glob: {{ range $p, $_ := .Files.Glob \"files/*\" }}{{ $p }} {{ end }}\n",
	})
	for link, target := range map[string]string{
		"templates/leak.yaml": filepath.Join(outside, "leak.yaml"),
		"files/secret":        secret,
		"files/dir":           outside,
		"values.yaml":         secret,
		"charts/sub":          outside,
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, link)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	// A symlink inside the chart is followed.
	if err := os.Symlink("pod.yaml", filepath.Join(dir, "templates", "alias.yml")); err != nil {
		t.Fatal(err)
	}
	r, err := Render(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range r.Docs {
		if strings.Contains(string(d.JSON), "s3cr3t") || d.Object.Name == "leaked" {
			t.Errorf("read through a symlink: %s", d.JSON)
		}
	}
	if len(r.Docs) != 3 { // pod.yaml, alias.yml, cm.yaml
		t.Errorf("%d documents, want 3", len(r.Docs))
	}
	var notes []string
	for _, n := range r.Notes {
		notes = append(notes, n.File+": "+n.Msg)
	}
	for _, link := range []string{"templates/leak.yaml", "files/secret", "files/dir", "values.yaml", "charts/sub"} {
		found := false
		for _, n := range r.Notes {
			found = found || n.File == filepath.Join(dir, link) && strings.Contains(n.Msg, "skipped")
		}
		if !found {
			t.Errorf("no note names %s; notes: %v", link, notes)
		}
	}
	for _, e := range r.Errors {
		t.Errorf("error: %v", e)
	}
}

func mkfifo(p string) error { return syscall.Mkfifo(p, 0o644) }

// Instrumenting a template changes neither what it prints nor its line numbers.
func TestInstrumentKeepsOutput(t *testing.T) {
	funcs := template.FuncMap{
		tickFunc: func() string { return "" },
		tplGate:  func(s any) any { return s },
		"tpl":    func(s string, _ any) string { return "T(" + s + ")" },
		"upper":  strings.ToUpper,
	}
	data := map[string]any{"l": []string{"a", "b"}, "e": []string{}, "x": "{{ .y }}", "m": map[string]int{"k": 1}}
	for _, text := range []string{
		"{{ range .l }}  {{ . }}\n{{ end }}",
		"{{ range .l -}}\n  {{ . }}\n{{- end }}",
		"{{- range $i, $v := .l }}\n{{- $i }}={{ $v -}}\n{{ end -}}",
		"{{ range .e }}x{{ else }}empty{{ end }}",
		"{{ range .l }}{{ end }}|{{ range .l }}  {{- end }}|",
		"{{ range .l }}{{/* c */}}{{ . }}{{ end }}",
		"{{ range .l -}} {{/* c */ -}} {{ . }}{{ end }}",
		"{{ define \"d\" }}  d{{ . }}{{ end }}{{ template \"d\" 1 }}{{ range .m }}{{ template \"d\" . }}{{ end }}",
		"{{ define \"d\" -}}\n  d\n{{- end }}[{{ template \"d\" }}]",
		"{{ tpl .x . }} {{ . | tpl (printf \"%s\" .x) }} {{ tpl `a b` $ }} {{ tpl \"a)b\" . | upper }} {{ tpl (.x) . }}",
		"{{ range .l }}{{ tpl $.x $ }}{{ end }}",
		"no actions",
	} {
		out := instrument(text)
		if strings.Count(out, "\n") != strings.Count(text, "\n") {
			t.Errorf("%q: lines changed: %q", text, out)
		}
		if text != "no actions" && !strings.Contains(out, tickFunc) && !strings.Contains(out, tplGate) {
			t.Errorf("%q: not instrumented", text)
		}
		run := func(s string) string {
			var b strings.Builder
			if err := template.Must(template.New("t").Funcs(funcs).Parse(s)).Execute(&b, data); err != nil {
				t.Fatalf("%q: %v", s, err)
			}
			return b.String()
		}
		if got, want := run(out), run(text); got != want {
			t.Errorf("%q\ninstrumented %q\nprints %q, want %q", text, out, got, want)
		}
	}
}

// An error is positioned in the template as written, not as instrumented.
func TestErrorColumnsAsWritten(t *testing.T) {
	line := `a: {{ range .Values.l }}{{ tpl "x" . }}{{ .a.b }}{{ end }}`
	dir := writeChart(t, filepath.Join(t.TempDir(), "c"), map[string]string{
		"values.yaml":      "l: [1]\n",
		"templates/x.yaml": "b: 1\n" + line + "\n",
	})
	r, err := Render(dir, Options{})
	if err != nil || len(r.Errors) != 1 {
		t.Fatalf("%v %v", err, r.Errors)
	}
	e := r.Errors[0]
	if want := strings.Index(line, ".a.b") + 1; e.Line != 2 || e.Column < want || e.Column > want+len(".a.b") {
		t.Errorf("error at %d:%d, want 2:%d (%s)", e.Line, e.Column, want, e.Msg)
	}
}
