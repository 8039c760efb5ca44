package manifest

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// TestStreamSplitsAsLoad: Stream cuts a stream into the documents split cuts the same
// bytes into, at the same lines, however the batches fall.
func TestStreamSplitsAsLoad(t *testing.T) {
	long := strings.Repeat("y", 100<<10) // longer than the reader's buffer
	for _, in := range []string{
		"",
		"a: 1\n",
		"a: 1",
		"\ufeffa: 1\n---\nb: 2\n",
		"a: 1\r\n---\r\nb: 2\r\n",
		"a: 1\r",
		"---\n---\na: 1\n--- # c\nb: 2\n---\n",
		"a: 1\n--- {b: 2}\nc: 3\n",
		"a: " + long + "\n---\nb: 2\n",
		strings.Repeat("k: v\n---\n", 20000),
	} {
		var want []chunk
		split(bytes.TrimPrefix([]byte(in), []byte("\ufeff")), func(c chunk) { want = append(want, c) })
		var got []chunk
		if err := Stream(strings.NewReader(in), func(b *Batch) error {
			got = append(got, b.chunks...)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(norm(got), norm(want)) {
			t.Errorf("%.40q: Stream cut %d documents, split %d (or at other lines)", in, len(got), len(want))
		}
	}
}

func norm(cs []chunk) []chunk {
	for i := range cs {
		if len(cs[i].data) == 0 {
			cs[i].data = nil
		}
	}
	return cs
}

// TestStreamDocumentLimit: a document over MaxFileSize is an error at its first line and
// is not held; the documents after it are read.
func TestStreamDocumentLimit(t *testing.T) {
	in := "a: 1\n---\nb: |\n" + strings.Repeat("  "+strings.Repeat("z", 1<<10)+"\n", MaxFileSize>>10) + "---\nc: 3\n"
	var errs []*Error
	var notes int
	err := Stream(strings.NewReader(in), func(b *Batch) error {
		r := LoadBatch("f.yaml", b)
		errs = append(errs, r.Errors...)
		notes += len(r.Notes)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) != 1 || errs[0].Line != 3 || !strings.Contains(errs[0].Msg, "byte limit") {
		t.Errorf("errors %v, want one at line 3 about the limit", errs)
	}
	if notes != 2 { // a: 1 and c: 3 are read (and are no Kubernetes objects)
		t.Errorf("%d notes, want 2", notes)
	}
}
