package image

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedFiles adds the files matching pattern as seeds.
func seedFiles(f *testing.F, pattern string) {
	f.Helper()
	files, _ := filepath.Glob(pattern)
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

// checkErrors fails on an error without a message or at a line past the input.
func checkErrors(t *testing.T, what string, b []byte, pkgs []Package, errs []lineError) {
	t.Helper()
	lines := bytes.Count(b, []byte("\n")) + 1
	for _, p := range pkgs {
		if p.Name == "" || p.Version == "" {
			t.Errorf("%s: a package without name or version: %+v", what, p)
		}
	}
	for _, e := range errs {
		if e.msg == "" || e.line < 0 || e.line > lines {
			t.Errorf("%s: error at line %d of %d: %q", what, e.line, lines, e.msg)
		}
	}
}

// FuzzRpmHeader feeds header blobs (the real ones of the fixture, mutated) and whole
// databases in the three formats to the rpm parsers.
func FuzzRpmHeader(f *testing.F) {
	b, err := os.ReadFile("testdata/rpm/rpmdb.sqlite")
	if err != nil {
		f.Fatal(err)
	}
	blobs, err := sqliteRpmBlobs(b)
	if err != nil {
		f.Fatal(err)
	}
	for _, bl := range blobs {
		if len(bl.blob) < 4096 {
			f.Add(bl.blob)
			f.Add(ndbOf([][]byte{bl.blob}))
		}
	}
	f.Add([]byte("SQLite format 3\x00\x10\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := parseRpmHeader(b); err == nil && (p.Name == "" || p.Version == "") {
			t.Errorf("a package without name or version: %+v", p)
		}
		pkgs, errs := parseRpmDB(b)
		checkErrors(t, "rpmdb", b, pkgs, errs)
	})
}

// FuzzPythonMetadata: METADATA and PKG-INFO.
func FuzzPythonMetadata(f *testing.F) {
	seedFiles(f, "testdata/python/site-packages/*/METADATA")
	seedFiles(f, "testdata/python/site-packages/*/PKG-INFO")
	f.Add([]byte("Name: x\nVersion: 1\nLicense: MIT\n  continued\nClassifier: License :: X\n\nbody"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pkgs, errs := parsePythonMetadata(b)
		checkErrors(t, "METADATA", b, pkgs, errs)
		_ = pypiName(string(b))
	})
}

// FuzzPackageJSON: package.json and package-lock.json.
func FuzzPackageJSON(f *testing.F) {
	seedFiles(f, "testdata/node/app/node_modules/*/package.json")
	seedFiles(f, "testdata/node/app/package-lock.json")
	f.Add([]byte(`{"lockfileVersion":1,"dependencies":{"a":{"version":"1","dependencies":{"b":{"version":"2"}}}}}`))
	// Found by CI's fuzzing: keys that name no package.
	f.Add([]byte(`{"packages":{"node_modules/":{"version":"0"}}}`))
	f.Add([]byte(`{"dependencies":{"":{"version":"0"}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		pkgs, errs := parsePackageJSON(b)
		checkErrors(t, "package.json", b, pkgs, errs)
		pkgs, errs = parsePackageLock(b)
		checkErrors(t, "package-lock.json", b, pkgs, errs)
	})
}

// FuzzManifest: MANIFEST.MF and pom.properties, alone and in a jar.
func FuzzManifest(f *testing.F) {
	f.Add([]byte("Manifest-Version: 1.0\r\nImplementation-Title: x\r\nImplementation-Ver\r\n sion: 1.2\r\n\r\nName: a/\r\n"))
	f.Add([]byte("groupId=g\nartifactId=a\nversion=1\n"))
	f.Add([]byte(" leading\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseManifest(b)
		if err == nil {
			for k := range m {
				if k == "" || strings.ContainsAny(k, " \t") {
					t.Errorf("a header named %q", k)
				}
			}
		} else if !strings.HasPrefix(err.Error(), "line ") {
			t.Errorf("an error without its line: %v", err)
		}
		_ = parseProperties(b)
		for _, name := range []string{"META-INF/MANIFEST.MF", "META-INF/maven/g/a/pom.properties"} {
			jar := zipBytes(name, b)
			pkgs, errs := parseJar("x-1.0.jar", jar, int64(len(jar)))
			checkErrors(t, "jar", nil, pkgs, errs)
		}
	})
}

// zipBytes is an archive holding b as name.
func zipBytes(name string, b []byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	if w, err := zw.Create(name); err == nil {
		_, _ = w.Write(b)
	}
	_ = zw.Close()
	return buf.Bytes()
}
