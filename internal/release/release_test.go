package release

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/layout"
	yaml "go.yaml.in/yaml/v3"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/scan"
	"github.com/kharden/kharden/internal/source/vulndb"
)

// root is the repository's root, two levels up.
const root = "../.."

func version(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// The image built from the repository, as `make image` builds it: a static binary
// compiled with the release flags and the release Go, on no base, as 65532; kharden's
// own image scan, vulnerabilities included (the real Go vulnerability database), finds
// nothing in it, and the same inputs give the same digest.
func TestImage(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles kharden with the release flags")
	}
	govulndb := os.Getenv("KHARDEN_GOVULNDB")
	if govulndb == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("KHARDEN_GOVULNDB is not set: hack/test.sh fetches the Go vulnerability database (hack/vulndb/fetch.sh)")
		}
		t.Skip("KHARDEN_GOVULNDB is not set; run ./hack/vulndb/fetch.sh")
	}
	db := filepath.Join(t.TempDir(), "db")
	if _, err := vulndb.Import(context.Background(), db, []string{filepath.Join(govulndb, "data", "osv")}, vulndb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// hack/test.sh builds the binary before the tests (hack/release/test-binary.sh), so
	// that the release Go's compile is not inside this test's time limit.
	bin := os.Getenv("KHARDEN_RELEASE_BINARY")
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("KHARDEN_RELEASE_BINARY is not set: hack/test.sh builds it (hack/release/test-binary.sh)")
		}
		bin = filepath.Join(dir, "linux-amd64", "kharden")
		if err := Build(context.Background(), BuildOptions{Dir: root, GOOS: "linux", GOARCH: "amd64", Out: bin, Version: version(t), Toolchain: Toolchain}); err != nil {
			t.Fatal(err)
		}
	}
	rootfs := filepath.Join(dir, "rootfs")
	if err := StageRootFS(rootfs, filepath.Join(root, "hack/image/rootfs"), "/etc/ssl/certs/ca-certificates.crt"); err != nil {
		t.Fatal(err)
	}
	o := ImageOptions{Binaries: map[string]string{"linux/amd64": bin}, RootFS: rootfs, Version: version(t),
		Revision: "0123456789abcdef", Source: "https://github.com/kharden/kharden", Created: time.Unix(1765000000, 0).UTC()}
	idx, err := Image(o)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Image(o)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := idx.Digest()
	d2, _ := again.Digest()
	if d1 != d2 {
		t.Errorf("two builds of the same inputs: %s and %s", d1, d2)
	}
	out := filepath.Join(dir, "image")
	if err := WriteLayout(out, idx); err != nil {
		t.Fatal(err)
	}

	// What the image is.
	p, err := layout.FromPath(out)
	if err != nil {
		t.Fatal(err)
	}
	li, _ := p.ImageIndex()
	m, _ := li.IndexManifest()
	if len(m.Manifests) != 1 || m.Manifests[0].Platform.Architecture != "amd64" {
		t.Fatalf("index: %+v", m.Manifests)
	}
	img, err := li.Image(m.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	if cf.Config.User != User || strings.Join(cf.Config.Entrypoint, " ") != Binary || cf.Config.Labels["org.opencontainers.image.version"] != version(t) {
		t.Errorf("config: %+v", cf.Config)
	}

	// kharden's own image scan, vulnerabilities included: nothing to report.
	sc, err := scan.NewImage(scan.ImageOptions{Config: &config.Config{}, FailOn: "info", Vulns: scan.VulnOptions{DB: db}})
	if err != nil {
		t.Fatal(err)
	}
	im, part := sc.Scan(context.Background(), "oci:"+out)
	if im == nil || len(part.Results) != 0 || len(part.Errors) != 0 || len(part.Notes) != 0 {
		t.Fatalf("scan image: results %v, errors %v, notes %v", part.Results, part.Errors, part.Notes)
	}
	var files []string
	for _, f := range []string{"/kharden", "/etc/passwd", "/etc/ssl/certs/ca-certificates.crt", "/bin/sh"} {
		if _, _, err := im.FS.Lookup(f); err == nil {
			files = append(files, f)
		}
	}
	if strings.Join(files, " ") != "/kharden /etc/passwd /etc/ssl/certs/ca-certificates.crt" {
		t.Errorf("files in the image: %v", files)
	}
	// The Go kharden was built with: the stdlib version the image's inventory reports.
	built := ""
	for _, pkg := range im.Packages {
		if pkg.Name == "stdlib" {
			built = pkg.Version
		}
	}
	t.Logf("the image's kharden was built by Go %s (this test runs on %s), and has no known vulnerability", built, runtime.Version())
	if !strings.Contains(built, strings.TrimPrefix(Toolchain, "go")) {
		t.Errorf("the image's kharden was built by Go %q, not the release Go %s", built, Toolchain)
	}
}

// The Dockerfile, for container engines, says what the built image is, and kharden's
// own Dockerfile scan finds nothing in it.
func TestDockerfile(t *testing.T) {
	rep, err := scan.Run(scan.Options{Dockerfiles: []string{filepath.Join(root, "Dockerfile")}, Config: &config.Config{}, FailOn: "info"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 0 || len(rep.Errors) != 0 {
		t.Errorf("Dockerfile scan: %v %v", rep.Results, rep.Errors)
	}
	f, err := os.Open(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := map[string]string{}
	for s := bufio.NewScanner(f); s.Scan(); {
		if k, v, ok := strings.Cut(s.Text(), " "); ok && (k == "USER" || k == "ENTRYPOINT") {
			got[k] = v
		}
	}
	if got["USER"] != User || got["ENTRYPOINT"] != `["`+Binary+`"]` {
		t.Errorf("Dockerfile USER %q, ENTRYPOINT %q; the built image has %q and %q", got["USER"], got["ENTRYPOINT"], User, Binary)
	}
}

// The chart and the manifests under deploy/ run the image this repository builds.
func TestDeployedImageIsBuilt(t *testing.T) {
	want := Repository + ":" + version(t)
	b, err := os.ReadFile(filepath.Join(root, "charts/kharden/values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values struct {
		Image struct{ Repository, Tag string }
	}
	if err := yaml.Unmarshal(b, &values); err != nil {
		t.Fatal(err)
	}
	if got := values.Image.Repository + ":" + values.Image.Tag; got != want {
		t.Errorf("chart image %s, built %s", got, want)
	}
	re := regexp.MustCompile(`image: (ghcr\.io/kharden/\S+)`)
	err = filepath.WalkDir(filepath.Join(root, "deploy"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			if m[1] != want {
				t.Errorf("%s runs %s, built %s", p, m[1], want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
