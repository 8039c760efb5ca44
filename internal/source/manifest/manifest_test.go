package manifest

import (
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

const pod = `# leading comment
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
  annotations:
    container.apparmor.security.beta.kubernetes.io/web: runtime/default
spec:
  containers:
    - name: web
      image: nginx:1.27
    - name: sidecar
      image: busybox
      securityContext:
        privileged: true
---
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {a: "1"}
`

func TestLoadPositions(t *testing.T) {
	r := Load("pod.yaml", []byte(pod))
	if len(r.Errors) != 0 || len(r.Docs) != 2 {
		t.Fatalf("errors %v, %d docs", r.Errors, len(r.Docs))
	}
	d := r.Docs[0]
	if d.Object.Kind != "Pod" || d.Object.Name != "web" || d.Object.Namespace != "shop" {
		t.Errorf("object %+v", d.Object)
	}
	cases := []struct {
		path, found string
		line, col   int
	}{
		{"spec.containers[1].securityContext.privileged", "spec.containers[1].securityContext.privileged", 16, 9},
		{"spec.containers[0].securityContext.runAsNonRoot", "spec.containers[0]", 11, 7},
		{"spec.containers[0].image", "spec.containers[0].image", 12, 7},
		{`metadata.annotations["container.apparmor.security.beta.kubernetes.io/web"]`, `metadata.annotations["container.apparmor.security.beta.kubernetes.io/web"]`, 8, 5},
		{"spec.volumes[0]", "spec", 9, 1},
		{"", "", 2, 1},
	}
	for _, c := range cases {
		line, col, found := d.Locate(c.path)
		if line != c.line || col != c.col || found != c.found {
			t.Errorf("Locate(%q) = %d:%d %q, want %d:%d %q", c.path, line, col, found, c.line, c.col, c.found)
		}
	}
	var p corev1.Pod
	if err := d.Decode(&p); err != nil {
		t.Fatal(err)
	}
	if !*p.Spec.Containers[1].SecurityContext.Privileged {
		t.Error("privileged not decoded")
	}
	if r.Docs[1].Object.Kind != "ConfigMap" {
		t.Errorf("second doc %+v", r.Docs[1].Object)
	}
}

func TestLoadJSONAndList(t *testing.T) {
	src := `{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}, "spec": {"containers": [{"name": "c", "image": "x"}]}},
  {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "b"}}
]}`
	r := Load("list.json", []byte(src))
	if len(r.Errors) != 0 || len(r.Docs) != 2 {
		t.Fatalf("errors %v, %d docs", r.Errors, len(r.Docs))
	}
	line, _, _ := r.Docs[1].Locate("metadata.name")
	if r.Docs[1].Object.Name != "b" || line != 3 {
		t.Errorf("second item: %+v at line %d", r.Docs[1].Object, line)
	}
}

func TestLoadBadInput(t *testing.T) {
	bomb := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for i := 'b'; i <= 'j'; i++ {
		prev := string(i - 1)
		bomb += string(i) + ": &" + string(i) + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
	}
	bomb = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n" + indent(bomb)
	cases := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"syntax", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n", 4, "invalid YAML"},
		{"tab", "apiVersion: v1\nkind: Pod\nmetadata:\n\tname: x\n", 4, "invalid YAML"},
		{"anchor", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: *nope\n", 4, "unknown anchor"},
		{"binary", "\x00\x01\x02ELF", 0, "binary file"},
		{"duplicate", "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nkind: Service\n", 4, `duplicate key "kind"`},
		{"bomb", bomb, 0, "alias expansion exceeds"},
		{"list items", "apiVersion: v1\nkind: List\nitems: 3\n", 3, "items must be a list"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Load(c.name+".yaml", []byte(c.src))
			if len(r.Errors) != 1 {
				t.Fatalf("want 1 error, got %v", r.Errors)
			}
			e := r.Errors[0]
			if !strings.Contains(e.Msg, c.msg) || c.line != 0 && e.Line != c.line {
				t.Errorf("got %v, want line %d and %q", e, c.line, c.msg)
			}
		})
	}
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n  ") + "\n"
}

func TestWrongTypeIsPositioned(t *testing.T) {
	src := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: x\n    securityContext:\n      privileged: \"yes\"\n"
	r := Load("p.yaml", []byte(src))
	var p corev1.Pod
	err := r.Docs[0].Decode(&p)
	if err == nil || err.Line != 9 || !strings.Contains(err.Msg, "privileged must be a boolean") {
		t.Fatalf("got %v", err)
	}
}

func TestNotKubernetesIsNote(t *testing.T) {
	r := Load("values.yaml", []byte("replicas: 3\nimage: {tag: x}\n---\n- a\n"))
	if len(r.Errors) != 0 || len(r.Docs) != 0 || len(r.Notes) != 2 {
		t.Fatalf("errors %v docs %d notes %v", r.Errors, len(r.Docs), r.Notes)
	}
}

func TestJSONMatchesYAMLSemantics(t *testing.T) {
	src := "apiVersion: v1\nkind: X\nmetadata: {name: x}\nbase: &b {a: 1, b: two}\nm:\n  <<: *b\n  b: 2\nvals: [0x1F, 1_000, 0o17, 1.5, true, ~, 2024-01-01, \"007\", yes, 0777]\n"
	r := Load("x.yaml", []byte(src))
	if len(r.Errors) != 0 {
		t.Fatal(r.Errors)
	}
	var got map[string]any
	if err := json.Unmarshal(r.Docs[0].JSON, &got); err != nil {
		t.Fatalf("%v: %s", err, r.Docs[0].JSON)
	}
	m := got["m"].(map[string]any)
	if m["a"] != 1.0 || m["b"] != 2.0 {
		t.Errorf("merge: %v", m)
	}
	vals := got["vals"].([]any)
	// YAML 1.1, as kubectl reads it: yes is a boolean and 0777 an octal integer.
	want := []any{31.0, 1000.0, 15.0, 1.5, true, nil, "2024-01-01", "007", true, 511.0}
	for i := range want {
		if vals[i] != want[i] {
			t.Errorf("vals[%d] = %#v, want %#v", i, vals[i], want[i])
		}
	}
}

func TestYAML11BooleansInBoolFields(t *testing.T) {
	src := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: yes\n  containers:\n  - name: c\n    image: x\n    env: [{name: A, value: \"yes\"}]\n    securityContext: {privileged: on}\n  - name: d\n    image: x\n    securityContext: {privileged: Off}\n"
	r := Load("p.yaml", []byte(src))
	var p corev1.Pod
	if err := r.Docs[0].Decode(&p); err != nil {
		t.Fatal(err)
	}
	if !p.Spec.HostNetwork || !*p.Spec.Containers[0].SecurityContext.Privileged || *p.Spec.Containers[1].SecurityContext.Privileged {
		t.Errorf("booleans not read: %+v", p.Spec)
	}
	if p.Spec.Containers[0].Env[0].Value != "yes" {
		t.Errorf("string field changed: %q", p.Spec.Containers[0].Env[0].Value)
	}
}

func TestClip(t *testing.T) {
	for _, c := range []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"0123456789abc", 10, "0123456789... (3 bytes more)"},
		// Never inside a character: é is two bytes, cut before it.
		{"012345678é", 9, "012345678... (2 bytes more)"},
		{"01234567é", 9, "01234567... (2 bytes more)"},
	} {
		if got := Clip(c.in, c.max); got != c.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
		}
	}
}

// A "comment" line that goes on after a line break other than "\n" is content to YAML,
// and kubectl applies what follows: Load must read it, not skip the document as blank.
func TestOtherLineBreaksAreNotComments(t *testing.T) {
	for name, br := range map[string]string{"CR": "\r", "NEL": "\u0085", "LS": "\u2028", "PS": "\u2029"} {
		data := "# review me" + br + "apiVersion: v1" + br + "kind: Pod" + br + "metadata: {name: p}" + br + "spec: {hostNetwork: true}\n"
		r := Load("p.yaml", []byte(data))
		if len(r.Errors) > 0 || len(r.Docs) != 1 || !strings.Contains(string(r.Docs[0].JSON), `"hostNetwork":true`) {
			t.Errorf("%s: docs %d, errors %v", name, len(r.Docs), r.Errors)
		}
	}
	if r := Load("tab.yaml", []byte("  \t# c\n")); len(r.Errors) == 0 {
		t.Errorf("a tab before a line's first character: no error; kubectl refuses it")
	}
}
