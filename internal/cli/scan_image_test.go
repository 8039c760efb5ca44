package cli

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"golang.org/x/sys/unix"
)

// testImage writes an OCI layout of an image with two layers, cfg and files, and
// returns its oci: reference.
func testImage(t *testing.T, cfg v1.Config, layers ...map[string]string) string {
	t.Helper()
	img := empty.Image
	for i, files := range layers {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for name, body := range files {
			if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(body))}); err != nil {
				t.Fatal(err)
			}
			io.WriteString(tw, body)
		}
		tw.Close()
		b := buf.Bytes()
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
		if err != nil {
			t.Fatal(err)
		}
		if img, err = mutate.Append(img, mutate.Addendum{Layer: l, History: v1.History{CreatedBy: []string{"ADD base /", "RUN apt-get install -y curl"}[i%2]}}); err != nil {
			t.Fatal(err)
		}
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.Config, cf.OS, cf.Architecture = cfg, "linux", "amd64"
	img, err := mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	return "oci:" + dir
}

const dpkgStatus = "Package: curl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 7.88.1-10+deb12u5\n\n" +
	"Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc\nVersion: 2.36-9+deb12u4\n"

func TestScanImage(t *testing.T) {
	bad := testImage(t, v1.Config{User: "root", Env: []string{"API_TOKEN=abcdef123456"}},
		map[string]string{"etc/os-release": "ID=debian\nVERSION_ID=12\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"},
		map[string]string{"usr/bin/curl": "curl", "var/lib/dpkg/status": dpkgStatus})
	good := testImage(t, v1.Config{User: "65532"}, map[string]string{"app": "x"})

	code, out, errOut := run("", "scan", "image", "--no-config", bad, good)
	if code != 1 {
		t.Fatalf("exit %d, stderr %s\n%s", code, errOut, out)
	}
	for _, want := range []string{
		"os:        Debian GNU/Linux 12 (bookworm)",
		"deb   libc6  2.36-9+deb12u4     2      /var/lib/dpkg/status",
		"IM-0001 image-runs-as-root",
		"config.User",
		"IM-0002 image-network-tools  curl is in the image at /usr/bin/curl, added by layer 2 (sha256:",
		"RUN apt-get install -y curl",
		"IM-0003 image-secrets-in-env",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "abcdef123456") {
		t.Error("the output repeats the secret")
	}

	code, out, _ = run("", "scan", "image", "--no-config", "-o", "json", good)
	if code != 0 {
		t.Fatalf("good image: exit %d\n%s", code, out)
	}
	var rep struct {
		Results []json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json output: %v\n%s", err, out)
	}
	if len(rep.Results) != 0 {
		t.Errorf("good image: %d results", len(rep.Results))
	}
}

// TestScanImageErrors: an image that cannot be read is an error (exit 2) named in the
// report, and the other images are still scanned.
func TestScanImageErrors(t *testing.T) {
	good := testImage(t, v1.Config{User: "65532"}, map[string]string{"app": "x"})
	code, out, _ := run("", "scan", "image", "--no-config", "--timeout", "10s", "--insecure-registry", "127.0.0.1:1/no/such:1", good)
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if !strings.Contains(out, "127.0.0.1:1/no/such:1\n  -  error  ") || !strings.Contains(out, "connection refused") {
		t.Errorf("the unreachable registry is not reported:\n%s", out)
	}
	if !strings.Contains(out, good+"\n") || !strings.Contains(out, "packages:  0") {
		t.Errorf("the good image was not scanned:\n%s", out)
	}
	for _, c := range []struct {
		args []string
		err  string
	}{
		{[]string{"scan", "image"}, "requires at least 1 arg"},
		{[]string{"scan", "image", "--platform", "linux", good}, "os/arch"},
		{[]string{"scan", "image", "-o", "yaml", good}, "unknown output format"},
	} {
		code, out, errOut := run("", c.args...)
		if code != 2 || !strings.Contains(errOut+out, c.err) {
			t.Errorf("%v: exit %d, output %q %q, want %q", c.args, code, out, errOut, c.err)
		}
	}
}

// TestScanImageSBOM: -o cyclonedx and -o spdx-json write the inventory as an SBOM,
// with the time of SOURCE_DATE_EPOCH, the same bytes on every run, and exit 0 even
// where the rules would fail; an image that cannot be read is on standard error, the
// others are in the SBOM, and the exit code is 2.
func TestScanImageSBOM(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1796639400")
	img := testImage(t, v1.Config{User: "root"},
		map[string]string{"etc/os-release": "ID=debian\nVERSION_ID=12\n"},
		map[string]string{"var/lib/dpkg/status": dpkgStatus})
	for _, c := range []struct{ format, probe string }{
		{"cyclonedx", `"timestamp": "2026-12-07T10:30:00Z"`},
		{"spdx-json", `"created": "2026-12-07T10:30:00Z"`},
	} {
		code, out, errOut := run("", "scan", "image", "--no-config", "-o", c.format, img)
		if code != 0 || errOut != "" {
			t.Fatalf("%s: exit %d, stderr %q", c.format, code, errOut)
		}
		if !strings.Contains(out, c.probe) || !strings.Contains(out, "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc") {
			t.Errorf("%s output lacks %s or the libc6 purl:\n%s", c.format, c.probe, out)
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("%s: %v", c.format, err)
		}
		if _, again, _ := run("", "scan", "image", "--no-config", "-o", c.format, img); again != out {
			t.Errorf("%s: two runs differ", c.format)
		}
		code, out, errOut = run("", "scan", "image", "--no-config", "--timeout", "10s", "--insecure-registry", "-o", c.format, "127.0.0.1:1/no/such:1", img)
		if code != 2 || !strings.Contains(errOut, "127.0.0.1:1/no/such:1") || !strings.Contains(out, "libc6") {
			t.Errorf("%s with an unreachable image: exit %d, stderr %q, stdout %d bytes", c.format, code, errOut, len(out))
		}
	}
	t.Setenv("SOURCE_DATE_EPOCH", "last tuesday")
	if code, _, errOut := run("", "scan", "image", "--no-config", "-o", "cyclonedx", img); code != 2 || !strings.Contains(errOut, "SOURCE_DATE_EPOCH") {
		t.Errorf("a bad SOURCE_DATE_EPOCH: exit %d, %q", code, errOut)
	}
}

// TestScanImageProgress: a progress line goes to standard error when it is a terminal
// (a real pseudo-terminal here), and nothing when it is not.
func TestScanImageProgress(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	img := testImage(t, v1.Config{User: "65532"}, map[string]string{"a": "x"}, map[string]string{"b": "y"})
	if code, _, errOut := run("", "scan", "image", "--no-config", img); code != 0 || errOut != "" {
		t.Fatalf("not a terminal: exit %d, stderr %q", code, errOut)
	}

	ptm, pts := openPTY(t)
	got := make(chan string)
	go func() {
		b, _ := io.ReadAll(ptm) // ends with EIO when the terminal's other side is closed
		got <- string(b)
	}()
	var out bytes.Buffer
	code := Run([]string{"scan", "image", "--no-config", img}, IO{In: strings.NewReader(""), Out: &out, Err: pts})
	pts.Close()
	line := <-got
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out.String())
	}
	// Each layer from its start to its whole stored size.
	started, finished := map[string]bool{}, map[string]bool{}
	for _, m := range regexp.MustCompile(`/001: layer (\d) of 2, (\d+) KiB of (\d+) KiB`).FindAllStringSubmatch(line, -1) {
		started[m[1]] = started[m[1]] || m[2] == "0"
		finished[m[1]] = finished[m[1]] || m[2] == m[3]
	}
	for _, l := range []string{"1", "2"} {
		if !started[l] || !finished[l] {
			t.Errorf("the terminal got %q: layer %s started %v, read to its end %v", line, l, started[l], finished[l])
		}
	}
	if !strings.HasSuffix(line, "\r\x1b[K") {
		t.Errorf("the progress line is not cleared at the end: %q", line)
	}
	if strings.Contains(out.String(), "layer 1 of 2") {
		t.Error("progress went to standard output")
	}
}

// openPTY opens a pseudo-terminal: its controlling side and the terminal.
func openPTY(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { ptm.Close() })
	if err := unix.IoctlSetPointerInt(int(ptm.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetUint32(int(ptm.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Raw output, so that the line is read as written (no \n to \r\n).
	tio, err := unix.IoctlGetTermios(int(pts.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	tio.Oflag &^= unix.OPOST
	if err := unix.IoctlSetTermios(int(pts.Fd()), unix.TCSETS, tio); err != nil {
		t.Fatal(err)
	}
	return ptm, pts
}

// TestImageRulesRegistered: the image rules are rules like every other: listed, explained,
// and turned off or re-graded by the config kharden scan image reads.
func TestImageRulesRegistered(t *testing.T) {
	code, out, _ := run("", "rules")
	if code != 0 || !strings.Contains(out, "IM-0001  image-runs-as-root") {
		t.Errorf("kharden rules: exit %d, lacks IM-0001:\n%s", code, out)
	}
	for _, name := range []string{"IM-0001", "im-0001", "image-runs-as-root"} {
		code, out, _ := run("", "explain", name)
		if code != 0 || !strings.Contains(out, "IM-0001 image-runs-as-root") || !strings.Contains(out, "disable: [image-runs-as-root]") {
			t.Errorf("kharden explain %s: exit %d\n%s", name, code, out)
		}
	}

	img := testImage(t, v1.Config{User: "root"}, map[string]string{"usr/bin/curl": "curl"})
	code, out, _ = run("", "scan", "image", "--no-config", "--fail-on", "medium", "-o", "json", img)
	if code != 1 || !strings.Contains(out, `"IM-0001"`) || !strings.Contains(out, `"IM-0002"`) {
		t.Fatalf("without config: exit %d\n%s", code, out)
	}
	cfg := t.TempDir() + "/kharden.yaml"
	os.WriteFile(cfg, []byte("rules:\n  disable: [image-runs-as-root]\n  severity: {IM-0002: low}\n"), 0o644)
	code, out, _ = run("", "scan", "image", "--config", cfg, "--fail-on", "medium", "-o", "json", img)
	var rep struct {
		Results []struct {
			RuleID   string `json:"ruleID"`
			Severity string `json:"severity"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	sev := map[string]string{}
	for _, r := range rep.Results {
		sev[r.RuleID] = r.Severity
	}
	if code != 0 || sev["IM-0001"] != "" || sev["IM-0002"] != "low" {
		t.Errorf("with image-runs-as-root disabled and IM-0002 low: exit %d, results %v\n%s", code, sev, out)
	}
	os.WriteFile(cfg, []byte("rules:\n  disable: [image-no-such-rule]\n"), 0o644)
	if code, out, errOut := run("", "scan", "image", "--config", cfg, img); code != 2 || !strings.Contains(out+errOut, "image-no-such-rule") {
		t.Errorf("an unknown rule in the config: exit %d, %q %q", code, out, errOut)
	}
}

// The config's images.exceptions accept image rules' findings on chosen images, with a
// reason, until their expiry; one that accepts nothing is noted; a bad one is an error
// at its line.
func TestScanImageExceptions(t *testing.T) {
	bad := testImage(t, v1.Config{User: "root"}, map[string]string{"usr/bin/curl": "curl"})
	cfg := filepath.Join(t.TempDir(), "kharden.yaml")
	os.WriteFile(cfg, []byte("images:\n  exceptions:\n"+
		"  - images: ['"+bad+"']\n    rules: [image-network-tools]\n    reason: the health check needs it (ops, 2026-12)\n"+
		"  - images: ['"+bad+"']\n    rules: [IM-0001]\n    reason: old\n    expires: 2020-01-31\n"+
		"  - images: [ghcr.io/vendor/**]\n    rules: [image-runs-as-root]\n    reason: vendor images\n"), 0o644)
	code, out, errOut := run("", "scan", "image", "--no-packages", "--no-vulns", "--config", cfg, "-o", "json", "--fail-on", "medium", bad)
	if code != 1 {
		t.Fatalf("exit %d, stderr %s\n%s", code, errOut, out)
	}
	var rep struct {
		Results []struct {
			RuleID  string `json:"ruleID"`
			Message string `json:"message"`
		} `json:"results"`
		Suppressed []struct {
			RuleID      string `json:"ruleID"`
			Suppression struct {
				Reason string `json:"reason"`
			} `json:"suppression"`
		} `json:"suppressed"`
		Notes []struct {
			File    string `json:"file"`
			Line    int    `json:"line"`
			Message string `json:"message"`
		} `json:"notes"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(rep.Suppressed) != 1 || rep.Suppressed[0].RuleID != "IM-0002" || rep.Suppressed[0].Suppression.Reason != "images.exceptions[0]: the health check needs it (ops, 2026-12)" {
		t.Errorf("suppressed: %+v\n%s", rep.Suppressed, out)
	}
	if len(rep.Results) != 1 || rep.Results[0].RuleID != "IM-0001" || !strings.HasSuffix(rep.Results[0].Message, "(exception images.exceptions[1] expired on 2020-01-31)") {
		t.Errorf("results: %+v", rep.Results)
	}
	if len(rep.Notes) != 1 || rep.Notes[0].File != cfg || rep.Notes[0].Line != 10 || rep.Notes[0].Message != "images.exceptions[2] accepts no finding of the images scanned" {
		t.Errorf("notes: %+v", rep.Notes)
	}

	os.WriteFile(cfg, []byte("images:\n  exceptions:\n"+
		"  - images: ['ghcr.io/[x']\n    rules: [image-network-tools]\n    reason: r\n"+
		"  - images: [nginx]\n    rules: [privileged, image-nope]\n"+
		"  - images: [nginx@sha256:ab]\n    rules: [image-network-tools]\n    reason: r\n    expires: soon\n"), 0o644)
	code, _, errOut = run("", "scan", "image", "--config", cfg, bad)
	for _, want := range []string{
		cfg + `:3: images.exceptions[0]: "ghcr.io/[x" is not a repository pattern`,
		cfg + `:6: images.exceptions[1]: "privileged" is not an image rule`,
		cfg + `:6: images.exceptions[1]: "image-nope" is not an image rule`,
		cfg + ":6: images.exceptions[1]: reason is required",
		cfg + `:8: images.exceptions[2]: "nginx@sha256:ab" is not a repository pattern`,
		cfg + `:8: images.exceptions[2]: expires "soon" is not a date`,
	} {
		if code != 2 || !strings.Contains(errOut, want) {
			t.Errorf("exit %d, stderr lacks %q:\n%s", code, want, errOut)
		}
	}
}
