package scan

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestWalkTreeAsWalkDir: walkTree visits what filepath.WalkDir does, in the same order,
// with the same paths, but for dot-directories below the top; and it hands each
// directory its entries.
func TestWalkTreeAsWalkDir(t *testing.T) {
	top := "../../examples"
	var want []string
	err := filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != top && strings.HasPrefix(d.Name(), ".") {
			return fs.SkipDir
		}
		want = append(want, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = walkTree(top, treeVisitor{
		dir: func(p string, entries []fs.DirEntry) (bool, error) {
			got = append(got, p)
			des, err := os.ReadDir(p)
			if err != nil || len(des) != len(entries) {
				t.Errorf("%s: entries %d, ReadDir %d (%v)", p, len(entries), len(des), err)
			}
			return true, nil
		},
		file: func(p string, d fs.DirEntry) error { got = append(got, p); return nil },
		fail: func(p string, err error) error { t.Errorf("%s: %v", p, err); return nil },
	})
	if err != nil || len(want) < 10 || !slices.Equal(got, want) {
		t.Errorf("walkTree %v (%v)\nWalkDir %v", got, err, want)
	}
}

// TestLinkedTopIsScanned: a directory named through a symbolic link is scanned; it
// was taken for a file, and the scan passed with nothing read.
func TestLinkedTopIsScanned(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "real/pod.yaml", pod(""))
	link := filepath.Join(dir, "link")
	if err := os.Symlink(filepath.Join(dir, "real"), link); err != nil {
		t.Fatal(err)
	}
	rep := run(t, Options{Paths: []string{link}})
	if len(rep.Scanned) != 1 || rep.Scanned[0] != filepath.Join(link, "pod.yaml") || ids(rep.Results)["KM-0004"] == 0 {
		t.Errorf("scanned %v, results %v", rep.Scanned, ids(rep.Results))
	}
}

// TestSpecialDirsByEntries: a chart and each kustomization file name are found from
// the directory's entries; a directory named like the file, or a link to a file
// outside, is no chart.
func TestSpecialDirsByEntries(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "chart/Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n")
	write(t, dir, "chart/templates/pod.yaml", pod(""))
	for _, n := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		write(t, dir, "k-"+n+"/"+n, "resources: [pod.yaml]\n")
		write(t, dir, "k-"+n+"/pod.yaml", pod(""))
	}
	write(t, dir, "notchart/Chart.yaml/pod.yaml", pod(""))
	rep := run(t, Options{Paths: []string{dir}})
	var got []string
	for _, s := range rep.Scanned {
		rel, _ := filepath.Rel(dir, s)
		got = append(got, filepath.ToSlash(rel))
	}
	want := []string{"chart/templates/pod.yaml", "k-Kustomization/Kustomization", "k-kustomization.yaml/kustomization.yaml", "k-kustomization.yml/kustomization.yml", "notchart/Chart.yaml/pod.yaml"}
	if !slices.Equal(got, want) {
		t.Errorf("scanned %v, want %v", got, want)
	}
	for _, e := range rep.Errors {
		t.Errorf("error: %+v", e)
	}
}
