package image

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// npmExpected is npm query '*' of the fixture: LOCATION NAME VERSION DEV, the project
// itself (empty location) left out.
type npmPackage struct{ location, name, version string }

func npmExpected(t *testing.T, dev bool) []npmPackage {
	var out []npmPackage
	for _, l := range expectedLines(t, "testdata/node/expected.txt") {
		f := strings.Fields(l)
		if len(f) != 4 {
			continue // the project, at location ""
		}
		if f[3] == "true" && !dev {
			continue
		}
		out = append(out, npmPackage{f[0], f[1], f[2]})
	}
	return out
}

func TestNodeModules(t *testing.T) {
	img := imageOf(t, v1.Config{}, "amd64",
		step{"COPY . /app", treeOf(t, "testdata/node/app", "app")})
	im := scan(t, "oci:"+writeLayout(t, img), Options{})
	if len(im.Errors) > 0 {
		t.Fatalf("errors: %+v", im.Errors)
	}
	// node_modules is there: its packages are read, dev ones included (they are
	// installed), and the lock file is not.
	var got, want []string
	for _, p := range im.Packages {
		got = append(got, p.File+" "+p.Name+" "+p.Version)
		if p.Type != "npm" || p.Layer != 0 {
			t.Errorf("%s: type %s, layer %d", p.Name, p.Type, p.Layer)
		}
		b, err := os.ReadFile(filepath.Join("testdata/node", strings.TrimPrefix(p.File, "/")))
		if err != nil {
			t.Fatal(err)
		}
		var m struct{ License string }
		_ = json.Unmarshal(b, &m)
		if p.License != m.License || p.License == "" {
			t.Errorf("%s: licence %q, its package.json says %q", p.Name, p.License, m.License)
		}
	}
	for _, e := range npmExpected(t, true) {
		want = append(want, "/app/"+e.location+"/package.json "+e.name+" "+e.version)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("packages:\n got %q\nwant %q", got, want)
	}
	for _, p := range im.Packages {
		if p.Name == "@tootallnate/once" && p.PURL != "pkg:npm/%40tootallnate/once@2.0.0" {
			t.Errorf("purl = %s", p.PURL)
		}
	}
}

func TestNodeLockFileWithoutNodeModules(t *testing.T) {
	img := imageOf(t, v1.Config{}, "amd64",
		step{"COPY . /app", treeOf(t, "testdata/node/app", "app")},
		step{"RUN rm -rf node_modules", []file{reg("app/.wh.node_modules", "")}})
	im := scan(t, "oci:"+writeLayout(t, img), Options{})
	if len(im.Errors) > 0 {
		t.Fatalf("errors: %+v", im.Errors)
	}
	var got, want []string
	for _, p := range im.Packages {
		got = append(got, p.Name+" "+p.Version)
		if p.File != "/app/package-lock.json" || p.Layer != 0 {
			t.Errorf("%s: file %s, layer %d", p.Name, p.File, p.Layer)
		}
	}
	for _, e := range npmExpected(t, false) {
		want = append(want, e.name+" "+e.version)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("packages (development ones left out):\n got %q\nwant %q", got, want)
	}
}

func TestNodeErrors(t *testing.T) {
	pkgs, errs := parsePackageJSON([]byte("{\n  \"name\": \"x\",\n  \"version\": 1.0.0\n}\n"))
	if len(pkgs) != 0 || len(errs) != 1 || errs[0].line != 3 {
		t.Errorf("bad JSON: %+v %+v, want an error at line 3", pkgs, errs)
	}
	pkgs, errs = parsePackageJSON([]byte(`{"type": "module"}`))
	if len(pkgs)+len(errs) != 0 {
		t.Errorf("a stub package.json: %+v %+v, want nothing", pkgs, errs)
	}
	for in, want := range map[string]string{
		`{"name":"a","version":"1","license":{"type":"ISC"}}`:                          "ISC",
		`{"name":"a","version":"1","licenses":[{"type":"MIT"},{"type":"Apache-2.0"}]}`: "MIT OR Apache-2.0",
	} {
		pkgs, _ := parsePackageJSON([]byte(in))
		if len(pkgs) != 1 || pkgs[0].License != want {
			t.Errorf("%s: %+v, want licence %s", in, pkgs, want)
		}
	}
	// Lock file version 1: nested dependencies.
	v1lock := `{"lockfileVersion":1,"dependencies":{"a":{"version":"1.0.0","dependencies":{"b":{"version":"2.0.0"}}},"c":{"version":"3.0.0","dev":true}}}`
	pkgs, errs = parsePackageLock([]byte(v1lock))
	var got []string
	for _, p := range pkgs {
		got = append(got, p.Name+"@"+p.Version)
	}
	if len(errs) != 0 || !slices.Equal(got, []string{"a@1.0.0", "b@2.0.0"}) {
		t.Errorf("lock v1: %q %+v", got, errs)
	}
	// Keys that name no package are not packages (found by fuzzing).
	for _, in := range []string{
		`{"packages":{"node_modules/":{"version":"0"},"node_modules/a/node_modules/":{"version":"1"},"node_modules/b":{"version":"2"}}}`,
		`{"lockfileVersion":1,"dependencies":{"":{"version":"0"},"b":{"version":"2"}}}`,
	} {
		pkgs, errs := parsePackageLock([]byte(in))
		if len(errs) != 0 || len(pkgs) != 1 || pkgs[0].Name != "b" {
			t.Errorf("%s: %+v %+v, want only b", in, pkgs, errs)
		}
	}
}
