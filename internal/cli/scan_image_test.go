package cli

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
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
