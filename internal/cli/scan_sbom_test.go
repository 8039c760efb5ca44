package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// cachedDir is a directory a hack script builds: env, else def. Absent, the test
// skips, or fails with CI=true.
func cachedDir(t *testing.T, env, def, check, script string) string {
	t.Helper()
	dir := os.Getenv(env)
	if dir == "" {
		dir = def
	}
	if _, err := os.Stat(filepath.Join(dir, check)); err != nil {
		msg := "no " + filepath.Join(dir, check) + ": run " + script + " and set " + env + " to the directory it prints"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (hack/test.sh does it)")
		}
		t.Skip(msg)
	}
	return dir
}

// debianRootfs is the root filesystem hack/debian-rootfs/build.sh makes.
func debianRootfs(t *testing.T) string {
	home, _ := os.UserHomeDir()
	cache := os.Getenv("KHARDEN_DEBIAN_CACHE")
	if cache == "" {
		cache = filepath.Join(home, ".cache/kharden/debian-rootfs")
	}
	return cachedDir(t, "KHARDEN_DEBIAN_ROOTFS", filepath.Join(cache, "bookworm-minbase-amd64"), "var/lib/dpkg/status", "hack/debian-rootfs/build.sh")
}

// syft is the Syft hack/syft/build.sh builds, at the version it pins.
func syft(t *testing.T) string {
	script, err := os.ReadFile("../../hack/syft/build.sh")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^SYFT_VERSION=(\S+)$`).FindSubmatch(script)
	if m == nil {
		t.Fatal("hack/syft/build.sh pins no SYFT_VERSION")
	}
	home, _ := os.UserHomeDir()
	cache := os.Getenv("KHARDEN_SYFT_CACHE")
	if cache == "" {
		cache = filepath.Join(home, ".cache/kharden/syft")
	}
	return filepath.Join(cachedDir(t, "KHARDEN_SYFT_DIR", filepath.Join(cache, string(m[1])), "syft", "hack/syft/build.sh"), "syft")
}

// bookwormAdvisories are hand-written advisories against the real packages of the
// Debian bookworm minbase root filesystem, each a case of what an SBOM reader can get
// wrong: bash is a binNMU (5.2.15-2+b13 of source 5.2.15-2); util-linux's binaries
// have an epoch their source does not; libcap2's source version has one; e2fsprogs
// is fixed in a version between its source's and its binNMU binaries'; glibc's last
// affected version is just below the one installed.
var bookwormAdvisories = map[string]string{
	"DSA-9101-1.json": `{"id":"DSA-9101-1","modified":"2026-01-02T00:00:00Z","aliases":["CVE-2026-1001"],
		"affected":[{"package":{"ecosystem":"Debian:12","name":"bash"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"5.2.15-3"}]}]}]}`,
	"DSA-9102-1.json": `{"id":"DSA-9102-1","modified":"2026-01-02T00:00:00Z",
		"affected":[{"package":{"ecosystem":"Debian:12","name":"util-linux"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.38.1-5+deb12u4"}]}]}]}`,
	"DSA-9103-1.json": `{"id":"DSA-9103-1","modified":"2026-01-02T00:00:00Z",
		"affected":[{"package":{"ecosystem":"Debian:12","name":"libcap2"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"1:2.60-1"},{"fixed":"1:2.66-4+deb12u4"}]}]}]}`,
	"DSA-9104-1.json": `{"id":"DSA-9104-1","modified":"2026-01-02T00:00:00Z",
		"affected":[{"package":{"ecosystem":"Debian:12","name":"e2fsprogs"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.47.0-2+b1"}]}]}]}`,
	"DSA-9105-1.json": `{"id":"DSA-9105-1","modified":"2026-01-02T00:00:00Z",
		"affected":[{"package":{"ecosystem":"Debian:12","name":"glibc"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"last_affected":"2.36-9+deb12u13"}]}]}]}`,
}

// findingSet is the vulnerability findings of a JSON report as "ID package version",
// sorted.
func findingSet(t *testing.T, out string) []string {
	t.Helper()
	rep := parseJSONReport(t, out)
	if len(rep.Errors) > 0 {
		t.Errorf("errors: %+v", rep.Errors)
	}
	var s []string
	for _, r := range rep.Results {
		if r.Vulnerability.ID != "" {
			s = append(s, r.RuleID+" "+r.Vulnerability.Package+" "+r.Vulnerability.Version)
		}
	}
	slices.Sort(s)
	return s
}

// The SBOMs kharden writes and those Syft writes of the same Debian root filesystem
// give, through kharden scan sbom, the findings kharden scan image gives on it.
func TestScanSBOMSameAsImage(t *testing.T) {
	rootfs := debianRootfs(t)
	db := importAdvisories(t, bookwormAdvisories)
	ref := "rootfs:" + rootfs
	// No advisory rates its vulnerability: medium, which --fail-on medium fails on.
	code, out, errOut := run("", "scan", "image", "--no-config", "--db", db, "--fail-on", "medium", "-o", "json", ref)
	if code != 1 {
		t.Fatalf("scan image: exit %d, %s", code, errOut)
	}
	want := findingSet(t, out)
	// What the advisories must find, and not: bash (by its source version), the
	// util-linux binaries (bsdutils, libblkid1, ... mount, util-linux), libcap2,
	// e2fsprogs' binaries (libcom-err2, libext2fs2, libss2, e2fsprogs, logsave), not
	// glibc's.
	var ids []string
	for _, f := range want {
		id, rest, _ := strings.Cut(f, " ")
		ids = append(ids, id)
		if strings.HasPrefix(rest, "libc6 ") {
			t.Errorf("scan image finds %s, past its last affected version", f)
		}
	}
	for _, w := range []string{"DSA-9101-1 bash 5.2.15-2+b13", "DSA-9102-1 bsdutils 1:2.38.1-5+deb12u3", "DSA-9102-1 libblkid1 2.38.1-5+deb12u3",
		"DSA-9103-1 libcap2 1:2.66-4+deb12u3+b1", "DSA-9104-1 libcom-err2 1.47.0-2+b2"} {
		if !slices.Contains(want, w) {
			t.Errorf("scan image does not find %s:\n%s", w, strings.Join(want, "\n"))
		}
	}
	if slices.Contains(ids, "DSA-9105-1") || len(want) < 10 {
		t.Errorf("scan image findings:\n%s", strings.Join(want, "\n"))
	}

	dir := t.TempDir()
	sboms := map[string]string{}
	for _, format := range []string{"cyclonedx", "spdx-json"} {
		code, out, errOut := run("", "scan", "image", "--no-config", "-o", format, ref)
		if code != 0 {
			t.Fatalf("-o %s: exit %d, %s", format, code, errOut)
		}
		f := filepath.Join(dir, "kharden."+format+".json")
		os.WriteFile(f, []byte(out), 0o644)
		sboms["kharden "+format] = f
	}
	if bin := syftOrSkip(t); bin != "" {
		cdx, spdx := filepath.Join(dir, "syft.cdx.json"), filepath.Join(dir, "syft.spdx.json")
		cmd := exec.Command(bin, "scan", "dir:"+rootfs, "-q", "-o", "cyclonedx-json="+cdx, "-o", "spdx-json="+spdx)
		cmd.Env = append(os.Environ(), "SYFT_CHECK_FOR_APP_UPDATE=false", "SYFT_CACHE_DIR="+t.TempDir())
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: %v\n%s", cmd, err, stderr.String())
		}
		sboms["Syft cyclonedx-json"], sboms["Syft spdx-json"] = cdx, spdx
	}
	for name, f := range sboms {
		code, out, errOut := run("", "scan", "sbom", "--no-config", "--db", db, "--fail-on", "medium", "-o", "json", f)
		if code != 1 {
			t.Errorf("%s: exit %d, %s\n%s", name, code, errOut, out)
			continue
		}
		validateReport(t, "../../docs/schema/report.schema.json", out)
		if got := findingSet(t, out); !slices.Equal(got, want) {
			t.Errorf("%s gives other findings than scan image:\n%s\nwant\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
		} else {
			t.Logf("%s: the %d findings of scan image", name, len(got))
		}
	}
}

// syftOrSkip is Syft, or "" when it is not built and this is not CI: the kharden
// SBOMs are still checked.
func syftOrSkip(t *testing.T) string {
	var bin string
	t.Run("syft", func(t *testing.T) { bin = syft(t) })
	return bin
}

// SBOMs that cannot be read are errors naming the file, and the others are still
// matched; without a database, a note.
func TestScanSBOMErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	notJSON := write("a.txt", "name version\n")
	other := write("b.json", `{"name": "x"}`)
	noPURL := write("c.json", `{"spdxVersion": "SPDX-2.3", "packages": [{"SPDXID": "SPDXRef-a", "name": "a"}]}`)
	good := write("d.json", `{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [
		{"type": "operating-system", "name": "debian", "version": "12"},
		{"type": "library", "name": "curl", "version": "7.88.1-10+deb12u5", "purl": "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64"}]}`)
	db := importAdvisories(t, debianAdvisories)
	code, out, _ := run("", "scan", "sbom", "--no-config", "--db", db, "-o", "json", notJSON, other, noPURL, good)
	rep := parseJSONReport(t, out)
	if code != 2 || len(rep.Results) != 1 || rep.Results[0].RuleID != "DSA-9001-1" || rep.Results[0].Location.File != good {
		t.Errorf("exit %d\n%s", code, out)
	}
	var errs []string
	for _, e := range rep.Errors {
		errs = append(errs, e.File+": "+e.Message)
	}
	for _, w := range []string{notJSON + ": not JSON", other + ": neither a CycloneDX JSON BOM", noPURL + ": the SPDX-2.3 document names no package by a package URL"} {
		if !slices.ContainsFunc(errs, func(e string) bool { return strings.HasPrefix(e, w) }) {
			t.Errorf("errors lack %q: %q", w, errs)
		}
	}
	code, out, _ = run("", "scan", "sbom", "--no-config", "--db", filepath.Join(dir, "none"), "-o", "json", good)
	if rep := parseJSONReport(t, out); code != 0 || len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0].Message, "no vulnerability database") {
		t.Errorf("no database: exit %d\n%s", code, out)
	}
}
