package kubejson

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	jsoniter "github.com/json-iterator/go"
	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// kinds are the root types, by the kind of document they are for.
var kinds = map[string]func() any{
	"Pod":                   func() any { return &corev1.Pod{} },
	"PodTemplate":           func() any { return &corev1.PodTemplate{} },
	"ReplicationController": func() any { return &corev1.ReplicationController{} },
	"Deployment":            func() any { return &appsv1.Deployment{} },
	"StatefulSet":           func() any { return &appsv1.StatefulSet{} },
	"DaemonSet":             func() any { return &appsv1.DaemonSet{} },
	"ReplicaSet":            func() any { return &appsv1.ReplicaSet{} },
	"Job":                   func() any { return &batchv1.Job{} },
	"CronJob":               func() any { return &batchv1.CronJob{} },
	"AdmissionRequest":      func() any { return &admissionv1.AdmissionRequest{} },
	"Service":               func() any { return &corev1.Service{} },
	"ConfigMap":             func() any { return &corev1.ConfigMap{} },
	"Secret":                func() any { return &corev1.Secret{} },
	"ServiceAccount":        func() any { return &corev1.ServiceAccount{} },
	"Namespace":             func() any { return &corev1.Namespace{} },
	"Role":                  func() any { return &rbacv1.Role{} },
	"ClusterRole":           func() any { return &rbacv1.ClusterRole{} },
	"RoleBinding":           func() any { return &rbacv1.RoleBinding{} },
	"ClusterRoleBinding":    func() any { return &rbacv1.ClusterRoleBinding{} },
	"NetworkPolicy":         func() any { return &networkingv1.NetworkPolicy{} },
	"ObjectMeta":            func() any { return &metav1.ObjectMeta{} },
}

var docSep = regexp.MustCompile(`(?m)^---[ \t]*$`)

// documents are the rule fixtures and the PSA conformance pods, as JSON.
func documents(t testing.TB) [][]byte {
	var files []string
	// The rule fixtures, and the PSA conformance pods of the newest version.
	for _, g := range []string{"../rules/k8s/testdata/*/*/*.yaml", "../../../shared/conformance/psa/testdata/*/v1.3[0-9]/*/*.yaml"} {
		m, _ := filepath.Glob(g)
		files = append(files, m...)
	}
	if len(files) < 100 {
		t.Fatalf("only %d fixture files found", len(files))
	}
	var docs [][]byte
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range docSep.Split(string(src), -1) {
			if js, err := yaml.YAMLToJSON([]byte(doc)); err == nil && len(js) > 4 {
				docs = append(docs, js)
			}
		}
	}
	return docs
}

// same checks Decode against encoding/json on data as every root type: whenever Decode
// succeeds, encoding/json succeeds too with the same value. It returns which kinds
// Decode took. Decode is for input already checked as JSON: on other input it must
// only not panic.
func same(t testing.TB, data []byte) map[string]bool {
	took := map[string]bool{}
	checks(t, data)
	if !json.Valid(data) {
		for _, mk := range kinds {
			Decode(data, mk())
		}
		return took
	}
	for kind, mk := range kinds {
		want, got := mk(), mk()
		werr := json.Unmarshal(data, want)
		if !Decode(data, got) {
			continue
		}
		took[kind] = true
		if werr != nil {
			t.Fatalf("%s: Decode took what encoding/json refuses (%v): %q", kind, werr, data)
		}
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("%s: values differ:\nencoding/json %+v\nDecode        %+v\ninput %q", kind, want, got, data)
		}
		// And to the API server's decoding: case-sensitive field names, and, where
		// DecodeStrict takes the input, no unknown or duplicate field.
		server := mk()
		if err := kjson.UnmarshalCaseSensitivePreserveInts(data, server); err != nil || !reflect.DeepEqual(server, got) {
			t.Fatalf("%s: Decode took %q, the API server's decoding gives %+v (%v)", kind, data, server, err)
		}
		strict := mk()
		if !DecodeStrict(data, strict) {
			continue
		}
		server = mk()
		errs, err := kjson.UnmarshalStrict(data, server, kjson.DisallowUnknownFields)
		if err != nil || len(errs) > 0 || !reflect.DeepEqual(server, strict) {
			t.Fatalf("%s: DecodeStrict took %q, strict decoding gives %+v (%v, %v)", kind, data, server, err, errs)
		}
	}
	return took
}

// checks holds the checked decoder (DecodeReview's) to json.Valid: checking takes
// exactly what json.Valid takes, but for nesting deeper than it follows, and decoding
// with checks takes nothing invalid.
func checks(t testing.TB, data []byte) {
	valid := json.Valid(data)
	d := decoder{data: data, checked: true}
	d.ws()
	ok := d.check(0)
	d.ws()
	ok = ok && d.pos == len(data)
	if ok && !valid || !ok && valid && bytes.Count(data, []byte("["))+bytes.Count(data, []byte("{")) < checkDepth {
		t.Fatalf("check says %v, json.Valid %v: %q", ok, valid, data)
	}
	if valid {
		return
	}
	for kind, mk := range kinds {
		if decode(decoder{data: data, checked: true}, mk()) {
			t.Fatalf("%s: a checked decode took invalid JSON: %q", kind, data)
		}
	}
	if _, ok := DecodeReview(data, func(metav1.GroupVersionKind) any { return &corev1.Pod{} }); ok {
		t.Fatalf("DecodeReview took invalid JSON: %q", data)
	}
}

// TestSameAsEncodingJSON: on every fixture, Decode gives encoding/json's value, and it
// takes nearly every document of its own kind (else it would only be slower).
func TestSameAsEncodingJSON(t *testing.T) {
	own, took, strict := 0, 0, 0
	for _, doc := range documents(t) {
		var tm struct{ Kind string }
		_ = json.Unmarshal(doc, &tm)
		ok := same(t, doc)
		if mk := kinds[tm.Kind]; mk != nil {
			own++
			if ok[tm.Kind] {
				took++
			}
			if DecodeStrict(doc, mk()) {
				strict++
			}
		}
	}
	t.Logf("Decode took %d of %d fixtures of its kinds, DecodeStrict %d", took, own, strict)
	if own < 100 || took < own*95/100 || strict < own*90/100 {
		t.Errorf("Decode took %d of %d fixtures of its kinds, DecodeStrict %d, want 95%% and 90%%", took, own, strict)
	}
}

// TestGivesUp: what encoding/json reads its own way is left to it.
func TestGivesUp(t *testing.T) {
	for _, in := range []string{
		`{"Spec":{}}`,                                    // another case
		`{"spec":{"containers":[]},"spec":{}}`,           // duplicate
		`{"spec":{"terminationGracePeriodSeconds":1.0}}`, // not an integer
		`{"spec":{"terminationGracePeriodSeconds":1e3}}`, // not an integer
		`{"spec":{"terminationGracePeriodSeconds":"1"}}`, // wrong type
		`{"spec":{"priority":2147483648}}`,               // overflows int32
		`{"metad\u0061ta":{}}`,                           // escaped key
		`{"metadata":{"name":"a"}} x`,                    // trailing data
		`{"metadata":{"name":"a"}`,                       // truncated
		`{"spec":{"containers":[{"name":"a"},]}}`,        // not JSON
		`{"spec":{"hostNetwork":"true"}}`,                // wrong type
		`{"metadata":{"labels":{"a":1}}}`,                // wrong type in a map
		`{"metadata":{"labels":{"\u00e9":"x"}}}`,         // escaped map key
		`{"spec":{"containers":{"name":"a"}}}`,           // object for an array
		`[` + strings.Repeat(`[`, 10) + strings.Repeat(`]`, 10) + `]`,
	} {
		if Decode([]byte(in), &corev1.Pod{}) {
			t.Errorf("Decode took %s", in)
		}
		same(t, []byte(in))
	}
	// Invalid JSON in what it skips is refused when checking (DecodeReview's way).
	for _, in := range []string{
		`{"unknown":[1,]}`, `{"unknown":01}`, `{"unknown":1.}`, `{"unknown":"\x"}`, `{"unknown":tru}`,
		`{"unknown":{"a" 1}}`, `{"unknown":"a` + "\n" + `"}`, `{"unknown":-}`, `{"unknown":1e}`,
		`{"unknown":[}`, `{"unknown":{"a":1,}}`, `{"unknown":"\u12"}`, `{"unknown":'a'}`,
	} {
		if decode(decoder{data: []byte(in), checked: true}, &corev1.Pod{}) {
			t.Errorf("a checked decode took %s", in)
		}
		same(t, []byte(in))
	}
	// An unknown member: Decode skips it, DecodeStrict refuses it, at any depth.
	for _, in := range []string{`{"unknown":1,"spec":{}}`, `{"spec":{"containers":[{"name":"a","imagePullPolicyX":"Always"}]}}`} {
		if !Decode([]byte(in), &corev1.Pod{}) || DecodeStrict([]byte(in), &corev1.Pod{}) {
			t.Errorf("Decode or DecodeStrict wrong on %s", in)
		}
	}
	// Bytes, base64 in JSON, go to encoding/json: a Secret's data.
	for in, ok := range map[string]bool{`{"data":{"a":"aGk=","b":null,"c":""}}`: true, `{"data":{"a":"!!"}}`: false, `{"data":{"a":1}}`: false} {
		if Decode([]byte(in), &corev1.Secret{}) != ok {
			t.Errorf("Decode of %s as a Secret: want %v", in, ok)
		}
		same(t, []byte(in))
	}
	// And what it takes: nulls, unknown members, escapes and non-ASCII in values.
	for _, in := range []string{
		`null`,
		`{"metadata":null,"spec":{"containers":null,"hostNetwork":null,"priority":null}}`,
		`{"unknown":{"a":[1,2,{"b":null}]},"spec":{"containers":[{"name":"a\u0041\n","image":"é"}]}}`,
		`{"spec":{"containers":[{"resources":{"limits":{"cpu":"100m","memory":null}}}],"overhead":{"cpu":"1"}}}`,
		`{"spec":{"containers":[]},"metadata":{"creationTimestamp":"2024-01-02T03:04:05Z","labels":{}}}`,
	} {
		if !Decode([]byte(in), &corev1.Pod{}) {
			t.Errorf("Decode refused %s", in)
		}
		same(t, []byte(in))
	}
}

// FuzzDecode holds Decode to encoding/json on any input, as every root type.
func FuzzDecode(f *testing.F) {
	for _, doc := range documents(f) {
		f.Add(doc)
	}
	f.Fuzz(func(t *testing.T, data []byte) { same(t, data) })
}

// TestGeneratedUpToDate: zz_generated.go is what the generator writes for the API types
// in go.mod (run `go generate ./internal/kubejson` after changing either).
func TestGeneratedUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator")
	}
	out := filepath.Join(t.TempDir(), "zz_generated.go")
	cmd := exec.Command("go", "run", "./gen", "-out", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generator: %v\n%s", err, b)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("zz_generated.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("zz_generated.go is stale: run go generate ./internal/kubejson")
	}
}

// BenchmarkDecode compares the generated decoders with json-iterator (what the webhook
// used before) and encoding/json on the fixtures of the generated kinds.
func BenchmarkDecode(b *testing.B) {
	type doc struct {
		data []byte
		mk   func() any
	}
	var docs []doc
	for _, d := range documents(b) {
		var tm struct{ Kind string }
		_ = json.Unmarshal(d, &tm)
		if mk := kinds[tm.Kind]; mk != nil && Decode(d, mk()) {
			docs = append(docs, doc{d, mk})
		}
	}
	iter := jsoniter.ConfigCompatibleWithStandardLibrary
	for _, c := range []struct {
		name   string
		decode func([]byte, any) bool
	}{
		{"kubejson", Decode},
		{"json-iterator", func(d []byte, v any) bool { return iter.Unmarshal(d, v) == nil }},
		{"encoding-json", func(d []byte, v any) bool { return json.Unmarshal(d, v) == nil }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				d := docs[i%len(docs)]
				if !c.decode(d.data, d.mk()) {
					b.Fatal("refused")
				}
				i++
			}
		})
	}
}
