package manifest

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// load loads src and decodes its only document as a Pod.
func loadPod(t *testing.T, src string) (*Result, *corev1.Pod) {
	t.Helper()
	r := Load("p.yaml", []byte(src))
	if len(r.Docs) != 1 {
		t.Fatalf("want 1 document, got %d (errors %v)", len(r.Docs), r.Errors)
	}
	var p corev1.Pod
	if err := r.Docs[0].Decode(&p); err != nil {
		t.Fatal(err)
	}
	return r, &p
}

const podHead = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"

// TestMergeKeyLaterWins: kubectl and Helm (sigs.k8s.io/yaml on yaml.v2) apply a merge
// key where it stands, so a later merge overrides an earlier explicit key.
func TestMergeKeyLaterWins(t *testing.T) {
	cases := []struct {
		name, spec              string
		hostNetwork, privileged bool
		line, col               int // of the privileged key that decides
	}{
		{"merge after key", "  hostNetwork: false\n  <<: {hostNetwork: true}\n  containers:\n  - name: c\n    image: x\n    securityContext:\n      privileged: false\n      <<: {privileged: true}\n", true, true, 12, 12},
		{"key after merge", "  <<: {hostNetwork: true}\n  hostNetwork: false\n  containers:\n  - name: c\n    image: x\n    securityContext:\n      <<: {privileged: true}\n      privileged: false\n", false, false, 12, 7},
		{"first of merged list", "  containers:\n  - name: c\n    image: x\n    securityContext:\n      privileged: false\n      <<: [{privileged: true}, {privileged: false}]\n", false, true, 10, 13},
		{"anchor", "  containers:\n  - &c {name: c, image: x, securityContext: &s {privileged: true}}\n  - name: d\n    image: x\n    securityContext:\n      privileged: false\n      <<: *s\n", false, true, 6, 49},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, p := loadPod(t, podHead+c.spec)
			if len(r.Errors) != 0 {
				t.Fatalf("errors %v", r.Errors)
			}
			last := p.Spec.Containers[len(p.Spec.Containers)-1]
			if p.Spec.HostNetwork != c.hostNetwork || *last.SecurityContext.Privileged != c.privileged {
				t.Errorf("hostNetwork %v privileged %v, want %v %v", p.Spec.HostNetwork, *last.SecurityContext.Privileged, c.hostNetwork, c.privileged)
			}
			path := "spec.containers[" + string(rune('0'+len(p.Spec.Containers)-1)) + "].securityContext.privileged"
			if line, col, found := r.Docs[0].Locate(path); line != c.line || col != c.col || found != path {
				t.Errorf("Locate = %d:%d %q, want %d:%d", line, col, found, c.line, c.col)
			}
		})
	}
}

// TestFieldNamesCaseSensitive: the API server decodes field names case-sensitively and
// its strict field validation (kubectl's default) refuses unknown ones.
func TestFieldNamesCaseSensitive(t *testing.T) {
	src := podHead + "  containers:\n  - name: c\n    image: x\n    securityContext:\n      privileged: true\n      Privileged: false\n"
	r, p := loadPod(t, src)
	if !*p.Spec.Containers[0].SecurityContext.Privileged {
		t.Error("Privileged: false folded into privileged")
	}
	if len(r.Errors) != 1 || r.Errors[0].Line != 10 || r.Errors[0].Column != 7 ||
		!strings.Contains(r.Errors[0].Msg, `unknown field "spec.containers[0].securityContext.Privileged"`) {
		t.Errorf("errors %v", r.Errors)
	}

	r, p = loadPod(t, podHead+"  hostNetwork: false\n  HostNetwork: true\n  containers:\n  - name: c\n    image: x\n    securityContext: {Privileged: true}\n")
	if p.Spec.HostNetwork || p.Spec.Containers[0].SecurityContext.Privileged != nil {
		t.Errorf("case variants read: hostNetwork %v privileged %v", p.Spec.HostNetwork, p.Spec.Containers[0].SecurityContext.Privileged)
	}
	if len(r.Errors) != 2 || r.Errors[0].Line != 6 || r.Errors[1].Line != 10 {
		t.Errorf("errors %v", r.Errors)
	}
}

// TestDuplicateKeyLaterWins: kubectl keeps the later of two equal keys; the document is
// judged with it, and the duplicate is an error at its key.
func TestDuplicateKeyLaterWins(t *testing.T) {
	r, p := loadPod(t, podHead+"  hostNetwork: false\n  containers: [{name: c, image: x}]\n  hostNetwork: true\n")
	if !p.Spec.HostNetwork {
		t.Error("earlier duplicate kept")
	}
	if len(r.Errors) != 1 || r.Errors[0].Line != 7 || !strings.Contains(r.Errors[0].Msg, `duplicate key "hostNetwork"`) {
		t.Errorf("errors %v", r.Errors)
	}
}

// TestYAML11StringFieldIsError: kubectl reads an unquoted yes as a boolean, and the API
// server refuses a boolean in a string field.
func TestYAML11StringFieldIsError(t *testing.T) {
	r := Load("p.yaml", []byte(podHead+"  containers:\n  - name: c\n    image: x\n    env: [{name: A, value: yes}]\n"))
	var p corev1.Pod
	err := r.Docs[0].Decode(&p)
	if err == nil || err.Line != 8 || !strings.Contains(err.Msg, "must be a string, not bool") {
		t.Errorf("got %v", err)
	}
}

// TestSeparators: documents are split at "---" lines as kubectl splits them, and a
// separator followed by content is an error whose content is still checked.
func TestSeparators(t *testing.T) {
	src := "--- # first\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n--- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n---\n\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
	r := Load("s.yaml", []byte(src))
	if len(r.Docs) != 3 || r.Docs[1].Object.Name != "b" || r.Docs[2].Root.Line != 9 {
		t.Fatalf("docs %d", len(r.Docs))
	}
	if len(r.Errors) != 1 || r.Errors[0].Line != 5 || !strings.Contains(r.Errors[0].Msg, "invalid document separator") {
		t.Errorf("errors %v", r.Errors)
	}
}

// TestManyDocuments: empty documents cost no parse, and a file of more than
// MaxDocuments documents is an error after the first MaxDocuments are read.
func TestManyDocuments(t *testing.T) {
	r := Load("e.yaml", []byte(strings.Repeat("---\n# nothing\n", 200_000)))
	if len(r.Errors)+len(r.Docs)+len(r.Notes) != 0 {
		t.Errorf("empty documents: %v %v", r.Errors, r.Notes)
	}
	r = Load("n.yaml", []byte(strings.Repeat("a: 1\n---\n", MaxDocuments+5)))
	if len(r.Notes) != MaxDocuments || len(r.Errors) != 1 || r.Errors[0].Line != 2*MaxDocuments+1 || !strings.Contains(r.Errors[0].Msg, "more than 100000 documents") {
		t.Errorf("%d notes, errors %v", len(r.Notes), r.Errors)
	}
}
