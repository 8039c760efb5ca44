package cli

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/sign"
)

// signRegistry serves an in-process registry and returns its host.
func signRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// pushSmall writes a one-file image with cfg to ref and returns its digest.
func pushSmall(t *testing.T, ref string, cfg v1.Config) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	body := "ID=debian\nVERSION_ID=\"12\"\n"
	tw.WriteHeader(&tar.Header{Name: "etc/os-release", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))})
	io.WriteString(tw, body)
	tw.Close()
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.Append(empty.Image, mutate.Addendum{Layer: l})
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.Config, cf.OS, cf.Architecture = cfg, "linux", "amd64"
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	return d.String()
}

func TestKeygenSignVerify(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("KHARDEN_PASSWORD", "pw")
	if code, out, errOut := run("", "keygen", "--output-key-prefix", "ci"); code != 0 || !strings.Contains(out, "ci.key") {
		t.Fatalf("keygen: %d %s %s", code, out, errOut)
	}
	if fi, err := os.Stat("ci.key"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("ci.key: %v %v", fi, err)
	}
	keyBefore, _ := os.ReadFile("ci.key")
	if code, _, errOut := run("", "keygen", "--output-key-prefix", "ci"); code != 2 || !strings.Contains(errOut, "ci.key exists: not overwritten") {
		t.Errorf("keygen over existing files: %d %s", code, errOut)
	}
	if after, _ := os.ReadFile("ci.key"); !bytes.Equal(keyBefore, after) {
		t.Error("the key was overwritten")
	}
	os.WriteFile("other.pub", []byte("x"), 0o644)
	if code, _, errOut := run("", "keygen", "--output-key-prefix", "other"); code != 2 || !strings.Contains(errOut, "other.pub exists") {
		t.Errorf("keygen over an existing public key: %d %s", code, errOut)
	}
	if _, err := os.Stat("other.key"); err == nil {
		t.Error("other.key written although other.pub exists")
	}
	t.Setenv("KHARDEN_PASSWORD", "")
	os.Unsetenv("KHARDEN_PASSWORD")
	t.Setenv("COSIGN_PASSWORD", "pw")
	if code, _, errOut := run("", "keygen", "--output-key-prefix", "second"); code != 0 {
		t.Fatalf("keygen with COSIGN_PASSWORD: %s", errOut)
	}
	os.Unsetenv("COSIGN_PASSWORD")
	if code, _, errOut := run("", "keygen", "--output-key-prefix", "third"); code != 2 || !strings.Contains(errOut, "no password") {
		t.Errorf("keygen without password or terminal: %d %s", code, errOut)
	}
	t.Setenv("KHARDEN_PASSWORD", "pw")

	host := signRegistry(t)
	clean := pushSmall(t, host+"/team/app:1.0", v1.Config{User: "1000"})
	ssh := pushSmall(t, host+"/team/ssh:1.0", v1.Config{User: "1000", ExposedPorts: map[string]struct{}{"22/tcp": {}}})

	// Findings at or above --fail-on: not signed, exit 1, the finding named.
	code, out, errOut := run("", "sign", "--insecure-registry", "--no-config", "--key", "ci.key", host+"/team/ssh:1.0")
	if code != 1 || !strings.Contains(out, "not signed") || !strings.Contains(out, "high IM-") {
		t.Errorf("sign with findings: %d\n%s%s", code, out, errOut)
	}
	code, out, _ = run("", "verify", "--insecure-registry", "--key", "ci.pub", host+"/team/ssh:1.0")
	if code != 1 || !strings.Contains(out, "no signatures") || !strings.Contains(out, ssh) {
		t.Errorf("verify unsigned: %d\n%s", code, out)
	}
	// --no-scan signs anyway, and says so.
	code, out, errOut = run("", "sign", "--insecure-registry", "--no-scan", "--key", "ci.key", host+"/team/ssh:1.0")
	if code != 0 || !strings.Contains(out, "signed without scanning") {
		t.Errorf("sign --no-scan: %d\n%s%s", code, out, errOut)
	}
	// The clean image: signed with its scan attached.
	code, out, errOut = run("", "sign", "--insecure-registry", "--no-config", "--key", "ci.key", "-a", "git-sha=abc", host+"/team/app:1.0")
	if code != 0 || !strings.Contains(out, "attestation:") || !strings.Contains(out, "deploy:       "+host+"/team/app@"+clean) {
		t.Fatalf("sign: %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = run("", "verify", "--insecure-registry", "--key", "second.pub", "--key", "ci.pub", "--attestation", "--max-age", "1d", "-a", "git-sha=abc", host+"/team/app:1.0")
	if code != 0 || !strings.Contains(out, "verified:  yes") || !strings.Contains(out, "layer 0: verified by ci.pub") {
		t.Errorf("verify: %d\n%s%s", code, out, errOut)
	}
	// The image scanned with --no-scan has no attestation.
	code, out, _ = run("", "verify", "--insecure-registry", "--key", "ci.pub", "--attestation", host+"/team/ssh:1.0")
	if code != 1 || !strings.Contains(out, "no attestations") {
		t.Errorf("verify --attestation without one: %d\n%s", code, out)
	}
	// JSON, and a key that did not sign.
	code, out, _ = run("", "verify", "--insecure-registry", "--key", "second.pub", "-o", "json", host+"/team/app:1.0")
	var doc struct {
		Verified bool
		Images   []sign.Verification
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if code != 1 || doc.Verified || len(doc.Images) != 1 || doc.Images[0].Digest != clean ||
		!strings.Contains(doc.Images[0].Signatures[0].Reason, "no key verifies the signature (tried second.pub)") {
		t.Errorf("verify with another key: %d\n%s", code, out)
	}

	// --output FILE: the report in a file.
	if code, out, errOut := run("", "verify", "--insecure-registry", "--key", "ci.pub", "-o", "json", "--output", "verify.json", host+"/team/app:1.0"); code != 0 || out != "" {
		t.Errorf("verify --output: %d %q %s", code, out, errOut)
	}
	if b, err := os.ReadFile("verify.json"); err != nil || !bytes.Contains(b, []byte(`"verified": true`)) {
		t.Errorf("verify.json: %v\n%s", err, b)
	}

	// Errors: exit 2.
	os.WriteFile("bad.pub", []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"verify", "--insecure-registry", "--key", "bad.pub", host + "/team/app:1.0"}, "bad.pub"},
		{[]string{"verify", "--insecure-registry", host + "/team/app:1.0"}, "--key is required"},
		{[]string{"verify", "--key", "ci.pub", "--max-age", "7d", host + "/team/app:1.0"}, "add --attestation"},
		{[]string{"verify", "--key", "ci.pub", "--attestation", "--max-age", "seven", host + "/team/app:1.0"}, "--max-age"},
		{[]string{"verify", "--insecure-registry", "--key", "ci.pub", "127.0.0.1:1/app:1"}, "connection refused"},
		{[]string{"sign", "--insecure-registry", "--no-scan", "--key", "ci.pub", host + "/team/app:1.0"}, "not \"ENCRYPTED SIGSTORE PRIVATE KEY\""},
		{[]string{"sign", "--insecure-registry", "--no-scan", "--key", "ci.key", "-a", "novalue", host + "/team/app:1.0"}, "want key=value"},
	} {
		if code, _, errOut := run("", c.args...); code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: %d %s, want %q", c.args, code, errOut, c.want)
		}
	}
	t.Setenv("KHARDEN_PASSWORD", "wrong")
	if code, _, errOut := run("", "sign", "--insecure-registry", "--no-scan", "--key", "ci.key", host+"/team/app:1.0"); code != 2 || !strings.Contains(errOut, "wrong password") {
		t.Errorf("wrong password: %d %s", code, errOut)
	}
}

func TestParseAge(t *testing.T) {
	for in, want := range map[string]string{"7d": "168h0m0s", "36h": "36h0m0s", "1d12h": "36h0m0s", "0": "0s", "90m": "1h30m0s"} {
		got, err := parseAge(in)
		if err != nil || got.String() != want {
			t.Errorf("parseAge(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "d", "-1d", "7days", "x"} {
		if _, err := parseAge(bad); err == nil {
			t.Errorf("parseAge(%q) accepted", bad)
		}
	}
}

func TestScanPredicate(t *testing.T) {
	head := &report.Report{FailOn: rule.High, Rules: []*rule.Meta{{ID: "IM-0001"}, {ID: "IM-0002"}}}
	res := func(st rule.Status, sev rule.Severity) rule.Result {
		return rule.Result{Meta: head.Rules[0], Status: st, Severity: sev, Message: "m"}
	}
	p, err := scanPredicate(head, &report.Report{Scanned: []string{"r@sha256:x"}, Results: []rule.Result{res(rule.Fail, rule.Low), res(rule.Fail, rule.Medium)}})
	if err != nil || !p.Passed || p.Counts["low"] != 1 || p.Counts["medium"] != 1 || p.Counts["critical"] != 0 || p.FailOn != "high" ||
		p.Image != "r@sha256:x" || len(p.Rules) != 2 || p.Scanner.Name != "kharden" {
		t.Errorf("%+v %v", p, err)
	}
	if p, _ := scanPredicate(head, &report.Report{Results: []rule.Result{res(rule.Fail, rule.High)}}); p.Passed {
		t.Error("a high finding passed at high")
	}
	if _, err := scanPredicate(head, &report.Report{Results: []rule.Result{res(rule.Error, rule.Low)}}); err == nil || !strings.Contains(err.Error(), "could not be evaluated") {
		t.Errorf("a rule error: %v", err)
	}
	if _, err := scanPredicate(head, &report.Report{Errors: []report.Problem{{Message: "unreadable layer"}}}); err == nil || !strings.Contains(err.Error(), "unreadable layer") {
		t.Errorf("an unreadable image: %v", err)
	}
}
