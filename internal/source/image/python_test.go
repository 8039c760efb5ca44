package image

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// treeOf turns the directory root of testdata into the files of a layer under prefix.
func treeOf(t *testing.T, root, prefix string) []file {
	t.Helper()
	var out []file
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		name := strings.TrimSuffix(prefix+"/"+filepath.ToSlash(rel), "/.")
		if d.IsDir() {
			out = append(out, dir(name+"/"))
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out = append(out, reg(name, string(b)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// expectedLines reads a fixture's expected.txt, made by its make.sh with the
// ecosystem's own tool.
func expectedLines(t *testing.T, p string) []string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

func TestPythonPackages(t *testing.T) {
	const sp = "usr/lib/python3/dist-packages"
	img := imageOf(t, v1.Config{}, "amd64",
		step{"ADD rootfs.tar /", []file{reg("etc/os-release", debianRelease)}},
		step{"RUN pip install", treeOf(t, "testdata/python/site-packages", sp)})
	im := scan(t, "oci:"+writeLayout(t, img), Options{})
	if len(im.Errors) > 0 {
		t.Fatalf("errors: %+v", im.Errors)
	}
	var got []string
	byName := map[string]Package{}
	for _, p := range im.Packages {
		if p.Type != "pypi" || p.Layer != 1 || !strings.HasPrefix(p.File, "/"+sp+"/") {
			t.Errorf("%s: type %s, layer %d, file %s", p.Name, p.Type, p.Layer, p.File)
		}
		got = append(got, p.Name+" "+p.Version)
		byName[p.Name] = p
	}
	slices.Sort(got)
	if want := expectedLines(t, "testdata/python/expected.txt"); !slices.Equal(got, want) {
		t.Errorf("packages:\n got %q\nwant %q", got, want)
	}
	// The licence comes from License-Expression, License or the classifiers, in that order.
	for name, field := range map[string]string{"attrs": "License-Expression: ", "PyYAML": "License: ", "blinker": "Classifier: License :: OSI Approved :: "} {
		p := byName[name]
		meta, err := os.ReadFile(filepath.Join("testdata/python/site-packages", filepath.Base(filepath.Dir(p.File)), filepath.Base(p.File)))
		if err != nil {
			t.Fatal(err)
		}
		if p.License == "" || !strings.Contains(string(meta), "\n"+field+p.License+"\n") {
			t.Errorf("%s: licence %q is not its %s field", name, p.License, field)
		}
	}
	if p := byName["PyYAML"]; p.PURL != "pkg:pypi/pyyaml@6.0" || !slices.Equal(p.Files, []string{"/" + sp + "/PyYAML-6.0.dist-info/RECORD"}) {
		t.Errorf("PyYAML: purl %s, files %q", p.PURL, p.Files)
	}
	if p := byName["PyJWT"]; !strings.HasSuffix(p.File, ".egg-info/PKG-INFO") || p.Files != nil {
		t.Errorf("PyJWT: file %s, files %q", p.File, p.Files)
	}
}

func TestPythonMetadataErrors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		line int
	}{
		{"Metadata-Version: 2.1\nName: x\n", 1},
		{"Metadata-Version: 2.1\nVersion: 1\n", 1},
		{"Metadata-Version: 2.1\nthis is not a field\nName: x\n", 2},
		{" continued\nName: x\n", 1},
		{"Name: x\nVersion: 1\x00\n", 2},
	} {
		pkgs, errs := parsePythonMetadata([]byte(tc.in))
		if len(pkgs) != 0 || len(errs) != 1 || errs[0].line != tc.line {
			t.Errorf("%q: packages %+v, errors %+v, want one error at line %d", tc.in, pkgs, errs, tc.line)
		}
	}
	if got := pypiName("Foo.Bar__baz-Qux"); got != "foo-bar-baz-qux" {
		t.Errorf("pypiName = %s", got)
	}
}
