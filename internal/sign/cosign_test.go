package sign

// Interoperability with cosign itself (github.com/sigstore/cosign/v2, built by
// hack/cosign/build.sh; hack/test.sh sets KHARDEN_COSIGN_DIR): cosign verifies kharden's
// signatures and attestations and reads its key files, and kharden verifies cosign's
// signatures and attestations and reads its key files. Without cosign the tests skip,
// and fail when CI=true.

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// cosignBinary is the cosign that hack/cosign/build.sh builds.
func cosignBinary(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("KHARDEN_COSIGN_DIR")
	if dir == "" {
		script, err := os.ReadFile("../../hack/cosign/build.sh")
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`(?m)^COSIGN_VERSION=(\S+)$`).FindSubmatch(script)
		if m == nil {
			t.Fatal("hack/cosign/build.sh pins no COSIGN_VERSION")
		}
		cache := os.Getenv("KHARDEN_COSIGN_CACHE")
		if cache == "" {
			home, _ := os.UserHomeDir()
			cache = filepath.Join(home, ".cache/kharden/cosign")
		}
		dir = filepath.Join(cache, string(m[1]))
	}
	bin := filepath.Join(dir, "cosign")
	if _, err := os.Stat(bin); err != nil {
		msg := "no " + bin + ": run hack/cosign/build.sh and set KHARDEN_COSIGN_DIR to the directory it prints"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (hack/test.sh does it)")
		}
		t.Skip(msg)
	}
	return bin
}

// cosignRunner runs cosign in a directory of its own, with its own home (no network
// but the test registry is needed).
type cosignRunner struct {
	bin, dir string
}

func newCosign(t *testing.T) *cosignRunner {
	return &cosignRunner{bin: cosignBinary(t), dir: t.TempDir()}
}

// run runs cosign with args and returns its exit code and output.
func (c *cosignRunner) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Dir = c.dir
	cmd.Env = []string{"HOME=" + c.dir, "TUF_ROOT=" + filepath.Join(c.dir, "tuf"), "COSIGN_PASSWORD=" + testPassword, "PATH=/usr/bin:/bin"}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("cosign %v: did not end: %s", args, errOut.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

// mustRun runs cosign and fails the test unless it exits 0.
func (c *cosignRunner) mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := c.run(t, args...)
	if code != 0 {
		t.Fatalf("cosign %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// writeKeys writes kharden key pair i as NAME.key and NAME.pub in dir.
func writeKeys(t *testing.T, dir, name string, i int) (string, string) {
	t.Helper()
	testKey(t, i)
	k, p := filepath.Join(dir, name+".key"), filepath.Join(dir, name+".pub")
	if err := os.WriteFile(k, keyPEMs[i][0], 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, keyPEMs[i][1], 0o644); err != nil {
		t.Fatal(err)
	}
	return k, p
}

func TestCosignVerifiesKharden(t *testing.T) {
	cosign := newCosign(t)
	tr := newRegistry(t)
	d := tr.push(t, "team/app:1.0")
	_, pub := writeKeys(t, cosign.dir, "kharden", 0)
	_, otherPub := writeKeys(t, cosign.dir, "other", 1)
	s, _ := testKey(t, 0)
	signOrFail(t, tr, "team/app:1.0", s, SignOptions{Annotations: map[string]string{"ci": "build-7"}, Scan: passingScan(time.Now())})

	ref := tr.host + "/team/app:1.0"
	flags := []string{"--insecure-ignore-tlog=true", "--allow-insecure-registry"}
	out := cosign.mustRun(t, append([]string{"verify", "--key", pub, "-a", "ci=build-7"}, append(flags, ref)...)...)
	var verified []struct {
		Critical struct {
			Identity struct {
				DockerReference string `json:"docker-reference"`
			}
			Image struct {
				DockerManifestDigest string `json:"docker-manifest-digest"`
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &verified); err != nil || len(verified) != 1 ||
		verified[0].Critical.Image.DockerManifestDigest != d.DigestStr() || verified[0].Critical.Identity.DockerReference != d.Repository.Name() {
		t.Errorf("cosign verify printed %s (%v)", out, err)
	}
	cosign.mustRun(t, append([]string{"verify-attestation", "--key", pub, "--type", ScanPredicateType}, append(flags, ref)...)...)

	// What cosign refuses: another key, another predicate type, an annotation not there.
	for _, args := range [][]string{
		{"verify", "--key", otherPub},
		{"verify", "--key", pub, "-a", "ci=build-8"},
		{"verify-attestation", "--key", otherPub, "--type", ScanPredicateType},
		{"verify-attestation", "--key", pub, "--type", "https://example.com/other/v1"},
	} {
		if code, out, errOut := cosign.run(t, append(args, append(flags, ref)...)...); code == 0 {
			t.Errorf("cosign %v accepted: %s%s", args, out, errOut)
		}
	}
}

func TestKhardenVerifiesCosign(t *testing.T) {
	cosign := newCosign(t)
	tr := newRegistry(t)
	d := tr.push(t, "team/app:1.0")
	cosign.mustRun(t, "generate-key-pair")
	cosignKey, err := LoadPrivateKey(filepath.Join(cosign.dir, "cosign.key"), []byte(testPassword))
	if err != nil {
		t.Fatalf("kharden reads cosign's private key: %v", err)
	}
	cosignPub, err := LoadPublicKey(filepath.Join(cosign.dir, "cosign.pub"))
	if err != nil {
		t.Fatalf("kharden reads cosign's public key: %v", err)
	}
	if cosignKey.Public.ID != cosignPub.ID {
		t.Fatal("cosign's key files hold different keys for kharden")
	}
	khKey, khPubFile := writeKeys(t, cosign.dir, "kharden", 0)
	_, khPub := testKey(t, 0)
	_, otherPub := testKey(t, 1)

	flags := []string{"--tlog-upload=false", "--allow-insecure-registry", "-y"}
	ref := tr.host + "/team/app:1.0"
	// cosign signs with its key (tag resolved by cosign), then with kharden's key file.
	cosign.mustRun(t, append([]string{"sign", "--key", "cosign.key", "-a", "team=shop"}, append(flags, ref)...)...)
	cosign.mustRun(t, append([]string{"sign", "--key", khKey}, append(flags, d.String())...)...)

	v := verify(t, tr, "team/app:1.0", VerifyOptions{Keys: []*PublicKey{cosignPub, khPub}, Annotations: map[string]string{"team": "shop"}})
	if !v.Verified || v.Digest != d.DigestStr() || len(v.Signatures) != 2 {
		t.Fatalf("kharden verify of cosign's signatures: %+v\n%s", v, reasons(v))
	}
	if v.Signatures[0].Key != cosignPub.Name || !v.Signatures[0].Verified {
		t.Errorf("cosign's signature: %+v", v.Signatures[0])
	}
	if v.Signatures[1].Key != khPub.Name || !strings.Contains(v.Signatures[1].Reason, "without the annotation team=shop") {
		t.Errorf("cosign's signature with kharden's key: %+v", v.Signatures[1])
	}
	if v := verify(t, tr, "team/app:1.0", VerifyOptions{Keys: []*PublicKey{otherPub}}); v.Verified {
		t.Error("cosign's signatures verified with a key that made none")
	}

	// kharden appends its signature, made with cosign's key, to cosign's .sig image; cosign
	// verifies it (and still its own).
	out := signOrFail(t, tr, "team/app:1.0", cosignKey, SignOptions{Annotations: map[string]string{"by": "kharden"}})
	if !out.Appended {
		t.Fatal("not appended")
	}
	verifyFlags := []string{"--insecure-ignore-tlog=true", "--allow-insecure-registry"}
	cosign.mustRun(t, append([]string{"verify", "--key", "cosign.pub", "-a", "by=kharden"}, append(verifyFlags, ref)...)...)
	cosign.mustRun(t, append([]string{"verify", "--key", khPubFile}, append(verifyFlags, ref)...)...)
	if v := verify(t, tr, "team/app:1.0", VerifyOptions{Keys: []*PublicKey{cosignPub, khPub}}); len(v.Signatures) != 3 || !v.Signatures[0].Verified || !v.Signatures[1].Verified || !v.Signatures[2].Verified {
		t.Errorf("after appending: %s", reasons(v))
	}

	// cosign attests a kharden scan predicate: kharden verifies the attestation.
	pred, err := json.Marshal(ScanPredicate{Time: time.Now().UTC(), Scanner: Scanner{Name: "kharden", Version: "test"}, FailOn: "high", Counts: map[string]int{"low": 1}, Passed: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cosign.dir, "scan.json"), pred, 0o644); err != nil {
		t.Fatal(err)
	}
	cosign.mustRun(t, append([]string{"attest", "--key", "cosign.key", "--type", ScanPredicateType, "--predicate", "scan.json"}, append(flags, ref)...)...)
	v = verify(t, tr, "team/app:1.0", VerifyOptions{Keys: []*PublicKey{cosignPub}, Attestation: &AttestationPolicy{MaxAge: time.Hour, FailOn: "high"}})
	if !v.Verified || len(v.Attestations) != 1 || v.Attestations[0].Key != cosignPub.Name {
		t.Errorf("kharden verify of cosign's attestation: %s", reasons(v))
	}
	if v := verify(t, tr, "team/app:1.0", VerifyOptions{Keys: []*PublicKey{cosignPub}, Attestation: &AttestationPolicy{FailOn: "low"}}); v.Verified {
		t.Error("a scan with a low finding passed at low")
	}
}
