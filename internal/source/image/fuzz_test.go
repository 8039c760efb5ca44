package image

import (
	"strings"
	"testing"
)

// FuzzParseDatabases feeds the same bytes to the dpkg, status.d and apk parsers: none
// may panic, every package they return has a name and a version, and every error is
// at a line of the input.
func FuzzParseDatabases(f *testing.F) {
	f.Add([]byte(dpkgEntry("libc6", "2.36-9", "glibc (2.36-9)") + "\n" + dpkgEntry("curl", "7.88.1-10", "")))
	f.Add([]byte("Package: tzdata\nVersion: 2024a\n"))
	f.Add([]byte(apkDB))
	f.Add([]byte("P:x\nV:1\n\n\x00\n garbage\n:\nPackage:\n \n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		lines := strings.Count(string(b), "\n") + 1
		check := func(what string, pkgs []Package, errs []lineError) {
			for _, p := range pkgs {
				if p.Name == "" || p.Version == "" {
					t.Errorf("%s: package without name or version: %+v", what, p)
				}
			}
			for _, e := range errs {
				if e.line < 1 || e.line > lines || e.msg == "" {
					t.Errorf("%s: error at line %d of %d: %q", what, e.line, lines, e.msg)
				}
			}
		}
		pkgs, errs := parseDpkg(b, false)
		check("dpkg", pkgs, errs)
		pkgs, errs = parseDpkg(b, true)
		check("status.d", pkgs, errs)
		pkgs, errs = parseApk(b)
		check("apk", pkgs, errs)
		_ = parseOSRelease(b)
	})
}
