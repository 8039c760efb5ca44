package scan

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/source/image"
	"github.com/kharden/kharden/internal/source/vulndb"
	"github.com/kharden/kharden/internal/vuln"
)

// The tests never read the database of the machine they run on.
func init() {
	os.Setenv("KHARDEN_DB", filepath.Join(os.TempDir(), fmt.Sprintf("kharden-scan-test-%d", os.Getpid()), "no-db"))
}

// testDB imports advisories (file name -> OSV JSON) into a new database.
func testDB(t *testing.T, advisories map[string]string) string {
	t.Helper()
	in := t.TempDir()
	for n, b := range advisories {
		if err := os.WriteFile(filepath.Join(in, n), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db := filepath.Join(t.TempDir(), "db")
	if _, err := vulndb.Import(context.Background(), db, []string{in}, vulndb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	return db
}

const curlAdvisory = `{"id":"DSA-9001-1","modified":"2026-01-02T00:00:00Z","aliases":["CVE-2026-0001"],"summary":"curl - security update",
	"affected":[{"package":{"ecosystem":"Debian:12","name":"curl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"7.88.1-10+deb12u6"}]}],
	"ecosystem_specific":{"urgency":"high"}}]}`

// Under scan --images, each image's vulnerabilities are results at the image field of
// every container naming it, suppressible by the config like scan image's.
func TestImagesVulnerabilities(t *testing.T) {
	db := testDB(t, map[string]string{"DSA-9001-1.json": curlAdvisory})
	host, reqs := countingRegistry(t)
	app := host + "/team/app:1"
	pushImage(t, app, v1.Config{User: "65532"}, map[string]string{
		"etc/os-release":      "ID=debian\nVERSION_ID=12\n",
		"var/lib/dpkg/status": "Package: curl\nStatus: install ok installed\nVersion: 7.88.1-10+deb12u5\nArchitecture: amd64\n",
	})
	reqs.reset()
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers:\n  - name: a\n    image: " + app +
		"\n  - name: b\n    image: " + app + "\n"
	file := filepath.Join(t.TempDir(), "pod.yaml")
	os.WriteFile(file, []byte(pod), 0o644)
	sc, err := New(Options{Paths: []string{file}, Images: true, Image: image.Options{Insecure: true}, Registries: []string{host}, Vulns: VulnOptions{DB: db}})
	if err != nil {
		t.Fatal(err)
	}
	if !sc.Head().OpenRules {
		t.Error("the head of a scan --images with vulnerabilities does not say rules come as it goes")
	}
	rep, err := Run(Options{Paths: []string{file}, Images: true, Image: image.Options{Insecure: true}, Registries: []string{host}, Vulns: VulnOptions{DB: db}})
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, r := range rep.Results {
		if r.Vulnerability == nil {
			continue
		}
		found = append(found, fmt.Sprintf("%s %s:%d %s", r.Meta.ID, r.Location.File, r.Location.Line, r.Location.FieldPath))
		if !strings.HasPrefix(r.Message, "image "+app+" (container \"") || !strings.Contains(r.Message, "curl 7.88.1-10+deb12u5 is affected by DSA-9001-1 (CVE-2026-0001)") ||
			r.Severity.String() != "high" {
			t.Errorf("result %s: %s (%s)", r.Meta.ID, r.Message, r.Severity)
		}
	}
	want := []string{"DSA-9001-1 " + file + ":7 spec.containers[0].image", "DSA-9001-1 " + file + ":9 spec.containers[1].image"}
	if strings.Join(found, "\n") != strings.Join(want, "\n") {
		t.Errorf("vulnerability results:\n%s\nwant\n%s", strings.Join(found, "\n"), strings.Join(want, "\n"))
	}
	if len(rep.Notes) != 0 || len(rep.Errors) != 0 {
		t.Errorf("problems: %+v %+v", rep.Errors, rep.Notes)
	}

	// Suppressed by the config: both containers, and the entry is used.
	cfg, err := config.Parse("k.yaml", []byte("vulnerabilities:\n  ignore:\n  - id: CVE-2026-0001\n    packages: [pkg:deb/debian/curl]\n    reason: accepted\n"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err = Run(Options{Paths: []string{file}, Config: cfg, Images: true, Image: image.Options{Insecure: true}, Registries: []string{host}, Vulns: VulnOptions{DB: db}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rep.Suppressed {
		if r.Vulnerability != nil && r.Suppressed == "vulnerabilities.ignore[0]: accepted" {
			n++
		}
	}
	if n != 2 || len(rep.Notes) != 0 {
		t.Errorf("%d suppressed vulnerability results, notes %+v", n, rep.Notes)
	}

	// Without a database: one note, only when an image was read.
	rep, err = Run(Options{Paths: []string{file}, Images: true, Image: image.Options{Insecure: true}, Registries: []string{host}, Vulns: VulnOptions{DB: filepath.Join(t.TempDir(), "none")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0].Message, "no vulnerability database") {
		t.Errorf("notes without a database: %+v", rep.Notes)
	}
}

func TestVulnIgnoreCovers(t *testing.T) {
	cfg, err := config.Parse("k.yaml", []byte("vulnerabilities:\n  ignore:\n"+
		"  - {id: cve-2026-1, reason: any package}\n"+
		"  - {id: GHSA-x, packages: [openssl, 'pkg:golang/golang.org/x/net'], reason: some}\n"))
	if err != nil {
		t.Fatal(err)
	}
	xs, err := newVulnIgnores(cfg, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	f := func(name, source, purl string) *vuln.Finding {
		return &vuln.Finding{Name: source, Package: vuln.Package{Name: name, Source: source, PURL: purl}}
	}
	for _, c := range []struct {
		x    int
		ids  []string
		f    *vuln.Finding
		want bool
	}{
		{0, []string{"DSA-1", "CVE-2026-1"}, f("curl", "curl", ""), true},
		{0, []string{"CVE-2026-2"}, f("curl", "curl", ""), false},
		{1, []string{"GHSA-x"}, f("libssl3", "openssl", ""), true},
		{1, []string{"GHSA-x"}, f("curl", "curl", ""), false},
		{1, []string{"GO-1", "GHSA-x"}, f("golang.org/x/net", "golang.org/x/net", "pkg:golang/golang.org/x/net@v0.1.0"), true},
		{1, []string{"GO-1", "GHSA-x"}, f("golang.org/x/text", "golang.org/x/text", "pkg:golang/golang.org/x/text@v0.1.0"), false},
	} {
		if got := xs[c.x].covers(c.ids, c.f); got != c.want {
			t.Errorf("entry %d on %v %s: %v, want %v", c.x, c.ids, c.f.Package.Name, got, c.want)
		}
	}
}
