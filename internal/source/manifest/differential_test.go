package manifest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	kjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/kharden/kharden/internal/rule"
)

// reference reads a stream as kubectl does: apimachinery's YAMLReader splits it and
// sigs.k8s.io/yaml turns each document into JSON; List kinds are expanded into their
// items. It returns the objects as canonical JSON, and whether kubectl would refuse
// part of the stream.
func reference(data []byte) (docs []string, failed bool) {
	if isUTF16(data) {
		data = fromUTF16(data)
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	rd := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		chunk, err := rd.Read()
		if err == io.EOF {
			return docs, failed
		}
		if err != nil {
			return docs, true
		}
		js, err := sigsyaml.YAMLToJSON(chunk)
		if err != nil {
			failed = true
			continue
		}
		docs = expand(js, docs)
	}
}

func expand(js []byte, docs []string) []string {
	var obj map[string]any
	if json.Unmarshal(js, &obj) != nil {
		return docs // null, a list or a scalar: not an object
	}
	api, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	if api == "" || kind == "" {
		return docs
	}
	if items, ok := obj["items"].([]any); ok && strings.HasSuffix(kind, "List") {
		for _, it := range items {
			b, _ := json.Marshal(it)
			docs = expand(b, docs)
		}
		return docs
	}
	return append(docs, canonical(js))
}

// canonical re-encodes JSON with sorted keys and exact numbers.
func canonical(js []byte) string {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "invalid: " + err.Error()
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// checkParity compares Load with the reference on one input: the objects must be the
// same JSON in the same order, and where the reference refuses part of the input Load
// must report an error. Every value in an object's JSON must also be found in the YAML
// tree, at a node that reads as the same value, so positions and any reading of the
// tree agree with what is decoded.
func checkParity(t *testing.T, name string, data []byte) {
	t.Helper()
	want, refused := reference(data)
	r := Load(name, data)
	var got []string
	for _, d := range r.Docs {
		got = append(got, canonical(d.JSON))
	}
	switch {
	case refused && len(r.Errors) == 0:
		t.Errorf("%s: kubectl refuses it, Load reports no error", name)
	case len(r.Errors) == 0 && strings.Join(got, "\n") != strings.Join(want, "\n"):
		t.Errorf("%s: objects differ\n got: %.2000s\nwant: %.2000s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
	case len(r.Errors) > 0:
		// Load may refuse more than kubectl (limits), and kubectl stops at its first
		// error, but no object may differ from what kubectl reads.
		if refused {
			if r.Errors[0].Line > 0 { // not refused whole (binary, too large)
				missing(t, name, want, got, "Load")
			}
		} else {
			missing(t, name, got, want, "kubectl")
		}
	}
	for _, d := range r.Docs {
		// DecodeMeta reads the metadata's own JSON: it must give what decoding the
		// whole object into a struct of its metadata gives.
		var whole struct {
			Metadata metav1.ObjectMeta `json:"metadata"`
		}
		var meta metav1.ObjectMeta
		werr, merr := d.Decode(&whole), d.DecodeMeta(&meta)
		if (werr == nil) != (merr == nil) || werr == nil && !reflect.DeepEqual(whole.Metadata, meta) {
			t.Errorf("%s: %s %s: DecodeMeta %+v (%v), the whole object's metadata %+v (%v)", name, d.Object.Kind, d.Object.Name, meta, merr, whole.Metadata, werr)
		}
	}
	for _, d := range r.Docs {
		// Load reads the head of an object from where objectJSON wrote it: it must be
		// what decoding the object's JSON gives.
		var h head
		var meta headMeta
		if err := kjson.UnmarshalCaseSensitivePreserveInts(d.JSON, &h); err != nil {
			t.Errorf("%s: %s %s: %v", name, d.Object.Kind, d.Object.Name, err)
			continue
		}
		if len(h.Metadata) > 0 && h.Metadata[0] == '{' {
			_ = kjson.UnmarshalCaseSensitivePreserveInts(h.Metadata, &meta)
		}
		want := rule.Object{APIVersion: str(h.APIVersion), Kind: str(h.Kind), Name: str(meta.Name), Namespace: str(meta.Namespace)}
		if want.Name == "" && str(meta.GenerateName) != "" {
			want.Name = str(meta.GenerateName) + "*"
		}
		if d.Object != want {
			t.Errorf("%s: object %+v, its JSON says %+v", name, d.Object, want)
		}
	}
	if isUTF16(data) {
		data = fromUTF16(data) // as Load reads it
	}
	for _, d := range r.Docs {
		var v any
		dec := json.NewDecoder(bytes.NewReader(d.JSON))
		dec.UseNumber()
		if dec.Decode(&v) == nil {
			budget := 20_000
			checkTree(t, name, data, d, "", v, &budget)
		}
	}
}

// missing reports the objects of sub that full lacks.
func missing(t *testing.T, name string, sub, full []string, by string) {
	t.Helper()
	left := map[string]int{}
	for _, s := range full {
		left[s]++
	}
	for _, s := range sub {
		if left[s] == 0 {
			t.Errorf("%s: object not read the same by %s: %.1000s", name, by, s)
			return
		}
		left[s]--
	}
}

func checkTree(t *testing.T, name string, src []byte, d *Document, path string, v any, budget *int) {
	t.Helper()
	if *budget--; *budget < 0 {
		return
	}
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			checkTree(t, name, src, d, JoinKey(path, k), c, budget)
		}
		return
	case []any:
		for i, c := range v {
			checkTree(t, name, src, d, path+"["+strconv.Itoa(i)+"]", c, budget)
		}
		return
	}
	n := nodeAt(d, path)
	if n == nil {
		t.Errorf("%s: %s %s: no YAML node at %s", name, d.Object.Kind, d.Object.Name, path)
		return
	}
	if n.Kind != yaml.ScalarNode {
		return
	}
	if s, ok := v.(string); ok && s == n.Value && n.Style == 0 && bareTag(src) {
		// A plain scalar with the non-specific tag ("key: ! 1", "key: !") is a string
		// to sigs.k8s.io/yaml but resolved by yaml.v3, which keeps no trace of the tag:
		// the node is still the one that holds the value, which is all the tree is read
		// for (the objects' comparison above holds the value itself).
		return
	}
	text, err := yaml.Marshal(&yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: "v"}, n}})
	if err != nil {
		return
	}
	js, err := sigsyaml.YAMLToJSON(text)
	if err != nil {
		return
	}
	b, _ := json.Marshal(v)
	if got := canonical(js); got != `{"v":`+canonical(b)+`}` {
		t.Errorf("%s: %s %s: %s is %s, but the YAML node at %d:%d reads %s", name, d.Object.Kind, d.Object.Name, path, b, n.Line, n.Column, got)
	}
}

// nodeAt follows a field path through the YAML tree as Locate does.
func nodeAt(d *Document, path string) *yaml.Node {
	segs, err := SplitPath(path)
	if err != nil {
		return nil
	}
	n := d.Root
	for _, s := range segs {
		n = deref(n)
		if s.Key != "" {
			n = lookup(n, s.Key)
		} else if n != nil && n.Kind == yaml.SequenceNode && s.Index < len(n.Content) {
			n = n.Content[s.Index]
		} else {
			n = nil
		}
		if n == nil {
			return nil
		}
	}
	return deref(n)
}

// parityInputs returns the fuzz seeds, every YAML fixture of the repository and the
// shared corpus (when it is there).
func parityInputs(t testing.TB) map[string][]byte {
	in := map[string][]byte{}
	for _, dir := range []string{"testdata/fuzz/FuzzLoad", "testdata/fuzz/FuzzDecodeParity"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, f := range files {
			if data, err := os.ReadFile(f); err == nil {
				if seed, ok := fuzzSeed(data); ok {
					in[f] = seed
				}
			}
		}
	}
	root := filepath.Join("..", "..", "..")
	add := func(dir string, fixture func(rel string) bool) {
		_ = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() && e.Name() == ".git" {
				return filepath.SkipDir
			}
			rel, _ := filepath.Rel(root, p)
			ext := filepath.Ext(p)
			if !e.Type().IsRegular() || ext != ".yaml" && ext != ".yml" && ext != ".json" || !fixture(filepath.ToSlash(rel)) {
				return nil
			}
			if info, err := e.Info(); err != nil || info.Size() > 1<<20 {
				return nil
			}
			if data, err := os.ReadFile(p); err == nil {
				in[rel] = data
			}
			return nil
		})
	}
	add(filepath.Join(root, "internal"), func(rel string) bool {
		return strings.Contains(rel, "/testdata/") && !strings.HasSuffix(rel, ".json")
	})
	add(filepath.Join(root, "examples"), func(string) bool { return true })
	add(filepath.Join(root, "..", "shared", "corpus"), func(string) bool { return true })
	return in
}

// fuzzSeed reads a corpus file of the go test fuzz v1 format holding one []byte.
func fuzzSeed(data []byte) ([]byte, bool) {
	s := strings.TrimPrefix(string(data), "go test fuzz v1\n")
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "[]byte(") || !strings.HasSuffix(s, ")") {
		return nil, false
	}
	v, err := strconv.Unquote(s[len("[]byte(") : len(s)-1])
	return []byte(v), err == nil
}

// TestDecodeParity is the differential test of items 1-2 of issue 12: Load reads every
// fixture, fuzz seed and corpus file as kubectl does.
func TestDecodeParity(t *testing.T) {
	in := parityInputs(t)
	if len(in) < 100 {
		t.Fatalf("only %d inputs found", len(in))
	}
	for name, data := range in {
		checkParity(t, name, data)
	}
	t.Logf("%d inputs", len(in))
}

// numbers is a stream of one-value documents of a kind no rule reads, so that any
// difference fails the comparison (an error anywhere makes it a looser one).
var numbers = func() string {
	var b strings.Builder
	for _, v := range strings.Fields("0.3 100.0 1. .5 +.5 -.5e3 1e3 1E+3 1e-7 1e21 1e999 .1e999 0400 08 0x1F 0X1f 0o17 0b101 -0b101 0b2 1_000 +5 -0 -01 +0x10 9223372036854775807 9223372036854775808 18446744073709551616 -9223372036854775809 -c -exc 7beee9ce 10.0.2.15:3260 1:20 0x 0b -0b2 _1 1__0 1_.5 0_1 2001-12-14 2001-12-14t21:59:43.10-05:00 2002-1-2T10:00:00Z 1234-x 12345-6 1.0e+3") {
		b.WriteString("kind: T\napiVersion: x/v1\na: " + v + "\n---\n")
	}
	return b.String()
}()

// FuzzDecodeParity runs the differential on generated input.
func FuzzDecodeParity(f *testing.F) {
	for _, data := range parityInputs(f) {
		if len(data) < 4<<10 {
			f.Add(data)
		}
	}
	// Backslashes in every style: only a double-quoted scalar reads them as escapes.
	for _, s := range []string{
		"kind: ConfigMap\napiVersion: v1\ndata:\n  run.sh: |\n    echo a \\\n      b\n  re: ^a\\.b$\n  q: 'c:\\dir'\n",
		"kind: ConfigMap\napiVersion: v1\ndata: {re: a\\d+, k\\: v}\n",
		"kind: ConfigMap\napiVersion: v1\ndata:\n  a: \"tab\\there\\x41\\u00e9\\/\"\n  b: >\n    x \\\n    y\n",
		"kind: ConfigMap\napiVersion: v1\ndata:\n  \"k\\u0041\": \"\\N\\_\\L\\P\"\n",
		// Plain scalars in every number form YAML 1.1 has, and look-alikes that are text,
		// each in a document of its own; then NaN and the infinities, which kubectl's
		// conversion refuses.
		numbers,
		"kind: T\napiVersion: x/v1\na: [.inf, -.Inf, +.INF, .NaN]\n",
		"kind: T\napiVersion: x/v1\na: 2001-12-14 21:59:43.10\n",
		// The non-specific tag, which yaml.v3 drops and yaml.v2 reads as "a string".
		"kind: T\napiVersion: x/v1\na: [! 1, ! true, ! , !<!> 2, ! x]\nb: ! 3\n",
		"kind: T\napiVersion: x/v1\nb: ! {c: ! null}\nd: \"Hi! 1\"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParity(t, "fuzz.yaml", data)
	})
}
