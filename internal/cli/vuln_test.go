package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/kharden/kharden/internal/source/vulndb"
)

// The tests never read the database of the machine they run on: KHARDEN_DB names one
// that does not exist unless a test names another.
func init() {
	os.Setenv("KHARDEN_DB", filepath.Join(os.TempDir(), fmt.Sprintf("kharden-cli-test-%d", os.Getpid()), "no-db"))
}

// Hand-written advisories for the packages of testImage's Debian 12 image (dpkgStatus):
// curl affected up to a fixed version (CVSS v3 7.5: high), glibc with no fix (Debian
// urgency low), and one that does not affect the installed curl.
var debianAdvisories = map[string]string{
	"DSA-9001-1.json": `{"id":"DSA-9001-1","modified":"2026-01-02T00:00:00Z","aliases":["CVE-2026-0001"],"summary":"curl - security update",
		"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
		"affected":[{"package":{"ecosystem":"Debian:12","name":"curl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"7.88.1-10+deb12u6"}]}]}],
		"references":[{"type":"ADVISORY","url":"https://security-tracker.debian.org/tracker/DSA-9001-1"}]}`,
	"DEBIAN-CVE-2026-0002.json": `{"id":"DEBIAN-CVE-2026-0002","modified":"2026-01-02T00:00:00Z","upstream":["CVE-2026-0002"],"aliases":["CVE-2026-0002"],
		"affected":[{"package":{"ecosystem":"Debian:12","name":"glibc"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}],
		"ecosystem_specific":{"urgency":"low"}}]}`,
	"DSA-9003-1.json": `{"id":"DSA-9003-1","modified":"2026-01-02T00:00:00Z","summary":"old curl",
		"affected":[{"package":{"ecosystem":"Debian:12","name":"curl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"7.88.1-10+deb12u1"}]}]}]}`,
}

// importAdvisories builds a database of advisories (file name -> JSON) as kharden db
// import does, and returns its directory.
func importAdvisories(t *testing.T, advisories map[string]string) string {
	t.Helper()
	in := t.TempDir()
	for name, body := range advisories {
		if err := os.WriteFile(filepath.Join(in, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db := filepath.Join(t.TempDir(), "db")
	if _, err := vulndb.Import(context.Background(), db, []string{in}, vulndb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	return db
}

func debianImage(t *testing.T) string {
	return testImage(t, v1.Config{User: "65532"},
		map[string]string{"etc/os-release": "ID=debian\nVERSION_ID=12\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"},
		map[string]string{"var/lib/dpkg/status": dpkgStatus})
}

// jsonReport is the part of the JSON report the vulnerability tests read.
type jsonReport struct {
	Results []struct {
		RuleID        string `json:"ruleID"`
		Slug          string `json:"slug"`
		Title         string `json:"title"`
		Severity      string `json:"severity"`
		Message       string `json:"message"`
		Practices     []string
		Location      struct{ File, FieldPath string }
		Vulnerability struct {
			ID, Package, Version, Ecosystem, File, SeveritySource string
			Aliases, Fixed                                        []string
			Layer                                                 int
			Score                                                 float64
		} `json:"vulnerability"`
	} `json:"results"`
	Suppressed []struct {
		RuleID      string `json:"ruleID"`
		Suppression struct{ Reason string }
	} `json:"suppressed"`
	Errors []struct{ File, Message string }
	Notes  []struct {
		File    string
		Line    int
		Message string
	}
}

func parseJSONReport(t *testing.T, out string) jsonReport {
	t.Helper()
	var rep jsonReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return rep
}

func TestScanImageVulnerabilities(t *testing.T) {
	db := importAdvisories(t, debianAdvisories)
	img := debianImage(t)

	code, out, errOut := run("", "scan", "image", "--no-config", "--db", db, "-o", "json", img)
	if code != 1 {
		t.Fatalf("exit %d (want 1: a high finding), stderr %s\n%s", code, errOut, out)
	}
	validateReport(t, "../../docs/schema/report.schema.json", out)
	rep := parseJSONReport(t, out)
	if len(rep.Results) != 2 || len(rep.Errors) != 0 || len(rep.Notes) != 0 {
		t.Fatalf("want 2 results and no problem:\n%s", out)
	}
	curl, glibc := rep.Results[0], rep.Results[1]
	if curl.Vulnerability.Package != "curl" {
		curl, glibc = glibc, curl
	}
	if curl.RuleID != "DSA-9001-1" || curl.Slug != "vulnerability" || curl.Title != "curl - security update" || curl.Severity != "high" ||
		curl.Location.File != img || curl.Location.FieldPath != "/var/lib/dpkg/status (curl)" ||
		curl.Vulnerability.Version != "7.88.1-10+deb12u5" || !slices.Equal(curl.Vulnerability.Fixed, []string{"7.88.1-10+deb12u6"}) ||
		!slices.Equal(curl.Vulnerability.Aliases, []string{"CVE-2026-0001"}) || curl.Vulnerability.Layer != 2 || curl.Vulnerability.Score != 7.5 ||
		curl.Vulnerability.Ecosystem != "Debian:12" || !slices.Equal(curl.Practices, []string{"B19"}) {
		t.Errorf("curl finding: %+v", curl)
	}
	for _, want := range []string{"curl 7.88.1-10+deb12u5 is affected by DSA-9001-1 (CVE-2026-0001): curl - security update; fixed in 7.88.1-10+deb12u6; high, CVSS 3.1 base score 7.5",
		"found in /var/lib/dpkg/status, added by layer 2 (sha256:"} {
		if !strings.Contains(curl.Message, want) {
			t.Errorf("curl message %q lacks %q", curl.Message, want)
		}
	}
	if glibc.RuleID != "DEBIAN-CVE-2026-0002" || glibc.Severity != "low" || glibc.Vulnerability.Package != "libc6" ||
		!strings.HasPrefix(glibc.Message, "libc6 2.36-9+deb12u4 (source glibc 2.36-9+deb12u4) is affected by DEBIAN-CVE-2026-0002 (CVE-2026-0002); no fixed version known; low, as Debian rates it") {
		t.Errorf("glibc finding: %+v", glibc)
	}

	// SARIF: one rule per advisory, with its summary and page.
	code, out, _ = run("", "scan", "image", "--no-config", "--db", db, "-o", "sarif", img)
	if code != 1 {
		t.Fatalf("sarif: exit %d", code)
	}
	var doc struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID, HelpURI      string
						ShortDescription struct{ Text string }
					}
				}
			}
			Results []struct {
				RuleID    string
				RuleIndex int
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	rules := doc.Runs[0].Tool.Driver.Rules
	byID := map[string]int{}
	for i, r := range rules {
		byID[r.ID] = i
	}
	i, ok := byID["DSA-9001-1"]
	if !ok || rules[i].HelpURI != "https://security-tracker.debian.org/tracker/DSA-9001-1" || rules[i].ShortDescription.Text != "curl - security update" {
		t.Errorf("SARIF rules lack DSA-9001-1 as written: %+v", rules)
	}
	if j, ok := byID["DEBIAN-CVE-2026-0002"]; !ok || rules[j].HelpURI != "https://osv.dev/vulnerability/DEBIAN-CVE-2026-0002" {
		t.Errorf("SARIF rules lack DEBIAN-CVE-2026-0002 with its osv.dev page: %+v", rules)
	}
	if _, ok := byID["DSA-9003-1"]; ok {
		t.Error("SARIF lists an advisory that found nothing")
	}
	for _, r := range doc.Runs[0].Results {
		if rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s points at rule %d", r.RuleID, r.RuleIndex)
		}
	}

	// Text and JUnit name the advisory too.
	code, out, _ = run("", "scan", "image", "--no-config", "--no-packages", "--db", db, img)
	if code != 1 || !strings.Contains(out, "high  DSA-9001-1 vulnerability  curl 7.88.1-10+deb12u5 is affected by DSA-9001-1") {
		t.Errorf("text: exit %d\n%s", code, out)
	}
	code, out, _ = run("", "scan", "image", "--no-config", "--db", db, "-o", "junit", img)
	if code != 1 || !strings.Contains(out, "DSA-9001-1") {
		t.Errorf("junit: exit %d\n%s", code, out)
	}

	// --fail-on critical: the findings are below it.
	if code, _, _ := run("", "scan", "image", "--no-config", "--db", db, "--fail-on", "critical", img); code != 0 {
		t.Errorf("--fail-on critical: exit %d", code)
	}
	// --ignore-unfixed drops glibc's; --no-vulns drops both.
	_, out, _ = run("", "scan", "image", "--no-config", "--db", db, "--ignore-unfixed", "-o", "json", img)
	if rep := parseJSONReport(t, out); len(rep.Results) != 1 || rep.Results[0].RuleID != "DSA-9001-1" {
		t.Errorf("--ignore-unfixed: %+v", rep.Results)
	}
	code, out, _ = run("", "scan", "image", "--no-config", "--db", db, "--no-vulns", "-o", "json", img)
	if rep := parseJSONReport(t, out); code != 0 || len(rep.Results) != 0 || len(rep.Notes) != 0 {
		t.Errorf("--no-vulns: exit %d %+v", code, rep)
	}
	// A database older than --max-db-age: a warning note, and the findings still.
	code, out, _ = run("", "scan", "image", "--no-config", "--db", db, "--max-db-age", "1ns", "-o", "json", img)
	if rep := parseJSONReport(t, out); code != 1 || len(rep.Results) != 2 || len(rep.Notes) != 1 || rep.Notes[0].File != db ||
		!strings.Contains(rep.Notes[0].Message, "warning: the vulnerability database in "+db+" was last updated") {
		t.Errorf("--max-db-age 1ns: exit %d, notes %+v", code, rep.Notes)
	}
	if code, _, errOut := run("", "scan", "image", "--no-config", "--db", db, "--max-db-age", "soon", img); code != 2 || !strings.Contains(errOut, `--max-db-age: "soon" is not an age`) {
		t.Errorf("--max-db-age soon: exit %d, %s", code, errOut)
	}
}

// No database: one note saying so and how to get one, and the image rules' verdict as
// without matching.
func TestScanImageNoDatabase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "none")
	img := debianImage(t)
	for _, args := range [][]string{{"--db", dir}, nil} {
		if args == nil {
			t.Setenv("KHARDEN_DB", dir)
		}
		code, out, errOut := run("", append(append([]string{"scan", "image", "--no-config", "-o", "json"}, args...), img)...)
		rep := parseJSONReport(t, out)
		if code != 0 || len(rep.Results) != 0 || len(rep.Notes) != 1 || rep.Notes[0].File != dir ||
			!strings.Contains(rep.Notes[0].Message, "no vulnerability database") || !strings.Contains(rep.Notes[0].Message, "kharden db update") ||
			!strings.Contains(rep.Notes[0].Message, "kharden db import") {
			t.Errorf("%v: exit %d, stderr %s\n%s", args, code, errOut, out)
		}
	}
	// The SBOM outputs do not match, and say nothing of it.
	code, out, errOut := run("", "scan", "image", "--no-config", "--db", dir, "-o", "cyclonedx", img)
	if code != 0 || errOut != "" || strings.Contains(out, "vulnerab") {
		t.Errorf("cyclonedx: exit %d, stderr %q", code, errOut)
	}
}

// vulnerabilities.ignore in the config and OpenVEX statements set findings aside with
// their reason; unused entries are noted at their line; an expired one sets nothing
// aside and says so.
func TestScanImageVulnerabilitySuppression(t *testing.T) {
	db := importAdvisories(t, debianAdvisories)
	img := debianImage(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "kharden.yaml")
	os.WriteFile(cfg, []byte("vulnerabilities:\n  ignore:\n"+
		"  - id: CVE-2026-0002\n    packages: [glibc]\n    reason: not reachable (sec team, 2026-12)\n"+
		"  - id: CVE-2026-0001\n    reason: old\n    expires: 2020-01-31\n"+
		"  - id: CVE-2099-0001\n    reason: unused\n"), 0o644)
	code, out, errOut := run("", "scan", "image", "--config", cfg, "--db", db, "-o", "json", img)
	rep := parseJSONReport(t, out)
	if code != 1 || len(rep.Results) != 1 || rep.Results[0].RuleID != "DSA-9001-1" || !strings.HasSuffix(rep.Results[0].Message, "(vulnerabilities.ignore[1] expired on 2020-01-31)") {
		t.Fatalf("exit %d, stderr %s\n%s", code, errOut, out)
	}
	if len(rep.Suppressed) != 1 || rep.Suppressed[0].RuleID != "DEBIAN-CVE-2026-0002" || rep.Suppressed[0].Suppression.Reason != "vulnerabilities.ignore[0]: not reachable (sec team, 2026-12)" {
		t.Errorf("suppressed: %+v", rep.Suppressed)
	}
	if len(rep.Notes) != 1 || rep.Notes[0].File != cfg || rep.Notes[0].Line != 9 || !strings.Contains(rep.Notes[0].Message, "vulnerabilities.ignore[2] (CVE-2099-0001) accepts no finding") {
		t.Errorf("notes: %+v", rep.Notes)
	}

	// OpenVEX: not_affected on the curl package (by its purl, any version) sets the
	// DSA aside by its CVE alias; under_investigation on glibc changes nothing.
	vex := filepath.Join(dir, "app.openvex.json")
	os.WriteFile(vex, []byte(`{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.com/vex/1",
  "author": "sec team",
  "timestamp": "2026-11-01T00:00:00Z",
  "version": 1,
  "statements": [
    {
      "vulnerability": {"name": "CVE-2026-0001"},
      "products": [{"@id": "pkg:deb/debian/curl?arch=amd64"}],
      "status": "not_affected",
      "justification": "vulnerable_code_not_in_execute_path"
    },
    {
      "vulnerability": {"name": "DEBIAN-CVE-2026-0002"},
      "products": [{"@id": "pkg:deb/debian/libc6"}],
      "status": "under_investigation"
    }
  ]
}
`), 0o644)
	code, out, _ = run("", "scan", "image", "--no-config", "--db", db, "--vex", vex, "-o", "json", img)
	rep = parseJSONReport(t, out)
	if code != 0 || len(rep.Results) != 1 || rep.Results[0].RuleID != "DEBIAN-CVE-2026-0002" {
		t.Errorf("with VEX: exit %d\n%s", code, out)
	}
	if len(rep.Suppressed) != 1 || rep.Suppressed[0].RuleID != "DSA-9001-1" || rep.Suppressed[0].Suppression.Reason != "VEX "+vex+":8: not_affected: vulnerable_code_not_in_execute_path" {
		t.Errorf("suppressed by VEX: %+v", rep.Suppressed)
	}

	// Bad VEX and bad config entries: exit 2, positioned.
	os.WriteFile(vex, []byte(`{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [
  {"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:deb/debian/curl"}], "status": "not_affected"}]}`), 0o644)
	code, _, errOut = run("", "scan", "image", "--no-config", "--db", db, "--vex", vex, img)
	if code != 2 || !strings.Contains(errOut, vex+":2: statements[0]: status not_affected needs a justification") {
		t.Errorf("bad VEX: exit %d, %s", code, errOut)
	}
	os.WriteFile(vex, []byte("{\"@context\": \"https://openvex.dev/ns\",\n \"statements\": [\n  {\"vulnerability\": \"CVE-1\",}]}"), 0o644)
	if code, _, errOut = run("", "scan", "image", "--no-config", "--db", db, "--vex", vex, img); code != 2 || !strings.Contains(errOut, vex+":3: not JSON") {
		t.Errorf("VEX not JSON: exit %d, %s", code, errOut)
	}
	os.WriteFile(cfg, []byte("vulnerabilities:\n  maxDBAge: a week\n  ignore:\n  - id: CVE-1\n  - packages: [x]\n    reason: r\n    expires: soon\n"), 0o644)
	code, _, errOut = run("", "scan", "image", "--config", cfg, "--db", db, img)
	for _, want := range []string{cfg + ":2: vulnerabilities.maxDBAge: \"a week\" is not an age", cfg + ":4: vulnerabilities.ignore[0]: reason is required",
		cfg + ":5: vulnerabilities.ignore[1]: id: name one advisory", cfg + ":5: vulnerabilities.ignore[1]: expires \"soon\" is not a date"} {
		if code != 2 || !strings.Contains(errOut, want) {
			t.Errorf("bad config: exit %d, stderr lacks %q:\n%s", code, want, errOut)
		}
	}
	// A command that matches nothing refuses the bad age too, at its line.
	manifests := filepath.Join(dir, "manifests")
	os.Mkdir(manifests, 0o755)
	os.WriteFile(filepath.Join(manifests, "cm.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"), 0o644)
	os.WriteFile(cfg, []byte("vulnerabilities:\n  maxDBAge: a week\n"), 0o644)
	if code, _, errOut = run("", "scan", "--config", cfg, manifests); code != 2 || !strings.Contains(errOut, cfg+":2: vulnerabilities.maxDBAge: \"a week\" is not an age") {
		t.Errorf("scan of manifests with a bad maxDBAge: exit %d, %s", code, errOut)
	}
}
