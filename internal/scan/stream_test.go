package scan

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/manifest"
)

// bigPod is one document of the large file: a privileged pod (KM-0004 at the line of
// privileged: true, the 12th of the document) using the ServiceAccount the file ends with.
const bigPod = `apiVersion: v1
kind: Pod
metadata:
  name: web-%d
  namespace: shop
spec:
  serviceAccountName: quiet
  containers:
  - name: app
    image: nginx:1.27
    securityContext:
      privileged: true
`

// quietSA opts out of token automounting: KM-0035 must not fire for any pod above it,
// though the pods are checked in batches that do not hold it.
const quietSA = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: quiet
  namespace: shop
automountServiceAccountToken: false
`

// TestLargeFileStreamed: a multi-document file larger than manifest.WholeFileSize is read
// in batches spread over the workers, with every finding at its own document's line, the
// file's ServiceAccounts seen by every batch, and the same report as the file loaded whole.
func TestLargeFileStreamed(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	pods := 0
	for b.Len() <= 3*manifest.WholeFileSize {
		fmt.Fprintf(&b, "---\n"+bigPod, pods)
		pods++
	}
	b.WriteString("---\n" + quietSA)
	p := write(t, dir, "big.yaml", b.String())

	rep := run(t, Options{Paths: []string{p}, Jobs: 3})
	if rep.Files != 1 || rep.Objects != pods+1 || len(rep.Errors) != 0 {
		t.Fatalf("files %d, objects %d (want 1, %d), errors %v", rep.Files, rep.Objects, pods+1, rep.Errors)
	}
	var lines []int
	for _, r := range rep.Results {
		if r.Meta.ID == "KM-0035" {
			t.Errorf("%s: KM-0035 though the pod's ServiceAccount opts out", r.Location)
		}
		if r.Meta.ID == "KM-0004" {
			if r.Location.File != p {
				t.Errorf("KM-0004 in %s", r.Location.File)
			}
			lines = append(lines, r.Location.Line)
		}
	}
	if len(lines) != pods {
		t.Fatalf("%d KM-0004 findings, want one per pod (%d)", len(lines), pods)
	}
	for i, l := range lines {
		// Each document is "---" and bigPod's 12 lines; privileged is its 12th.
		if want := i*13 + 13; l != want {
			t.Fatalf("pod %d: KM-0004 at line %d, want %d", i, l, want)
		}
	}

	// The same content read whole (as a file under the limit is) gives the same report.
	s, err := New(Options{Paths: []string{p}})
	if err != nil {
		t.Fatal(err)
	}
	whole := s.scanManifests(manifest.Load(p, []byte(b.String()))).part
	whole.Sort()
	if !reflect.DeepEqual(results(whole.Results), results(rep.Results)) {
		t.Error("streamed results differ from the file's read whole")
	}
}

func results(rs []rule.Result) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = fmt.Sprintf("%s %s %s", r.Location, r.Meta.ID, r.Message)
	}
	return out
}

// TestLargeFileOrder: a large file is one input among others, emitted in its place.
func TestLargeFileOrder(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", fmt.Sprintf(bigPod, 0))
	var b strings.Builder
	for i := 0; b.Len() <= 2*manifest.WholeFileSize; i++ {
		fmt.Fprintf(&b, "---\n"+bigPod, i)
	}
	write(t, dir, "b.yaml", b.String())
	write(t, dir, "c.yaml", fmt.Sprintf(bigPod, 0))
	s, err := New(Options{Paths: []string{dir}, Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	err = s.Each(t.Context(), func(part *report.Report) error {
		for _, r := range part.Results {
			if r.Meta.ID != "KM-0004" {
				continue // KM-0035 waits for the ServiceAccount, after every input
			}
			if n := len(files); n == 0 || files[n-1] != filepath.Base(r.Location.File) {
				files = append(files, filepath.Base(r.Location.File))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a.yaml", "b.yaml", "c.yaml"}; !reflect.DeepEqual(files, want) {
		t.Errorf("results by file in the order %v, want %v", files, want)
	}
}

// TestLargeFileNotStreamable: a large file that starts as JSON is one document, read
// whole as before (under MaxFileSize).
func TestLargeFileNotStreamable(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "big.json")
	pad := strings.Repeat("x", manifest.WholeFileSize)
	doc := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","annotations":{"pad":"` + pad + `"}},` +
		`"spec":{"containers":[{"name":"app","image":"nginx:1.27","securityContext":{"privileged":true}}]}}`
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := run(t, Options{Paths: []string{p}})
	if rep.Objects != 1 || ids(rep.Results)["KM-0004"] != 1 {
		t.Errorf("objects %d, KM-0004 %d: want 1 and 1", rep.Objects, ids(rep.Results)["KM-0004"])
	}
}
