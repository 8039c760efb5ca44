package scan

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/report"
	imrules "github.com/kharden/kharden/internal/rules/image"
	"github.com/kharden/kharden/internal/source/image"
	"github.com/kharden/kharden/internal/testkit/registry"
)

// policyScan scans doc with --images under a config of image policies (policies is
// the YAML of admission.imagePolicies' entries, flow style) and a key file cosign.pub.
func policyScan(t *testing.T, reg *registry.Registry, pub []byte, policies, doc string) *report.Report {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cosign.pub"), pub, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(filepath.Join(dir, "kharden.yaml"), []byte("admission:\n  imagePolicies:\n"+policies))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "pods.yaml")
	if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := Run(Options{Paths: []string{file}, Config: cfg, Images: true, Image: image.Options{Insecure: true, Timeout: 10 * time.Second},
		Registries: []string{reg.Host}, Vulns: VulnOptions{Off: true}})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// podDoc is a Pod in namespace ns (none when empty) with one container per image.
func podDoc(name, ns string, images ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n", name)
	if ns != "" {
		fmt.Fprintf(&b, "  namespace: %s\n", ns)
	}
	b.WriteString("spec:\n  containers:\n")
	for i, img := range images {
		fmt.Fprintf(&b, "  - name: c%d\n    image: %s\n", i, img)
	}
	return b.String()
}

// signatureFindings are the image-signature-verified findings by object and field.
func signatureFindings(rep *report.Report) map[string]string {
	out := map[string]string{}
	for _, r := range rep.Results {
		if r.Meta.ID == imrules.SignatureVerified.ID {
			out[r.Location.Object.Name+" "+r.Location.FieldPath] = fmt.Sprintf("%d: %s", r.Location.Line, r.Message)
		}
	}
	return out
}

// TestScanImagePolicies: kharden scan --images verifies each image an image policy
// covers, as the webhook does, and reports those that do not verify at the image field
// with the reason.
func TestScanImagePolicies(t *testing.T) {
	reg := registry.Start(t)
	s0, pub0 := registry.Key(t, 0)
	s1, _ := registry.Key(t, 1)
	reg.Push(t, "team/signed:1")
	reg.Sign(t, "team/signed:1", s0, nil)
	reg.Push(t, "team/unsigned:1")
	reg.Push(t, "team/other-key:1")
	reg.Sign(t, "team/other-key:1", s1, nil)
	reg.Push(t, "team/original:1")
	d := reg.Sign(t, "team/original:1", s0, nil)
	reg.Copy(t, "team/original:1", "team/copy:1")
	sig := "sha256-" + strings.TrimPrefix(d, "sha256:") + ".sig"
	reg.Copy(t, "team/original:"+sig, "team/copy:"+sig)
	reg.Push(t, "elsewhere/app:1")
	reg.Push(t, "team/stale:1")
	reg.Sign(t, "team/stale:1", s0, registry.PassingScan(time.Now().Add(-10*24*time.Hour)))

	doc := podDoc("shop", "shop", reg.Ref("team/signed:1"), reg.Ref("team/unsigned:1"), reg.Ref("team/other-key:1"),
		reg.Ref("team/copy:1"), reg.Ref("elsewhere/app:1")) +
		podDoc("free", "free", reg.Ref("team/unsigned:1")) + // the policy is for shop-* and shop only
		podDoc("anywhere", "", reg.Ref("team/unsigned:1")) // no namespace: every policy judges it
	rep := policyScan(t, reg, pub0, fmt.Sprintf("    - {name: team-signed, images: [%q], namespaces: [shop, shop-*], keys: [cosign.pub]}\n", reg.Host+"/team/*"), doc)
	if len(rep.Errors) != 0 {
		t.Fatalf("errors: %+v", rep.Errors)
	}
	got := signatureFindings(rep)
	want := map[string][]string{
		"shop spec.containers[1].image":     {"12: ", "image " + reg.Ref("team/unsigned:1") + ` (container "c1")`, `not verified by image policy "team-signed"`, "no signatures"},
		"shop spec.containers[2].image":     {"14: ", "no key verifies the signature"},
		"shop spec.containers[3].image":     {"16: ", "a signature copied from another repository"},
		"anywhere spec.containers[0].image": {"no signatures"},
	}
	for k, parts := range want {
		msg, ok := got[k]
		if !ok {
			t.Errorf("no finding at %s; findings: %v", k, got)
			continue
		}
		for _, p := range parts {
			if !strings.Contains(msg, p) {
				t.Errorf("%s: %q does not hold %q", k, msg, p)
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("findings %v, want at %d fields", got, len(want))
	}
	found := false
	for _, m := range rep.Rules {
		found = found || m.ID == imrules.SignatureVerified.ID
	}
	if !found {
		t.Errorf("the report's rules do not list %s", imrules.SignatureVerified.ID)
	}

	// With an attestation requirement, a stale scan is a finding.
	rep = policyScan(t, reg, pub0, fmt.Sprintf("    - {name: attested, images: [%q], keys: [cosign.pub], attestation: {maxAge: 7d}}\n", reg.Host+"/team/stale"),
		podDoc("web", "shop", reg.Ref("team/stale:1")))
	if got := signatureFindings(rep); len(got) != 1 || !strings.Contains(got["web spec.containers[0].image"], "attestation") {
		t.Errorf("stale attestation: %v", got)
	}
}

// TestScanImagePoliciesOff: without image policies, or with the rule disabled, nothing
// is verified; a bad policy is a usage error naming its line.
func TestScanImagePoliciesOff(t *testing.T) {
	reg := registry.Start(t)
	_, pub0 := registry.Key(t, 0)
	reg.Push(t, "team/unsigned:1")
	doc := podDoc("web", "shop", reg.Ref("team/unsigned:1"))
	file := filepath.Join(t.TempDir(), "pod.yaml")
	if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := Run(Options{Paths: []string{file}, Config: &config.Config{}, Images: true, Image: image.Options{Insecure: true},
		Registries: []string{reg.Host}, Vulns: VulnOptions{Off: true}})
	if err != nil {
		t.Fatal(err)
	}
	if got := signatureFindings(rep); len(got) != 0 {
		t.Errorf("no image policies: %v", got)
	}
	for _, m := range rep.Rules {
		if m.ID == imrules.SignatureVerified.ID {
			t.Errorf("no image policies, yet the report lists %s", m.ID)
		}
	}
	rep = policyScan(t, reg, pub0, fmt.Sprintf("    - {name: p, images: [%q], keys: [cosign.pub]}\nrules:\n  disable: [image-signature-verified]\n", reg.Host+"/team/*"), doc)
	if got := signatureFindings(rep); len(got) != 0 {
		t.Errorf("rule disabled: %v", got)
	}

	cfg, err := config.Parse("kharden.yaml", []byte("admission:\n  imagePolicies:\n    - {name: p, images: [\"reg.example/app:1\"], keys: [missing.pub]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(Options{Paths: []string{file}, Config: cfg, Images: true})
	if err == nil || !strings.Contains(err.Error(), "admission.imagePolicies[0]") || !strings.Contains(err.Error(), "missing.pub") {
		t.Errorf("bad policy: %v", err)
	}
}

// TestScanImagePoliciesRegistryDown: a registry that cannot be reached is an error at
// the image field (exit 2), never a pass.
func TestScanImagePoliciesRegistryDown(t *testing.T) {
	reg := registry.Start(t)
	_, pub0 := registry.Key(t, 0)
	reg.Push(t, "team/unsigned:1")
	reg.SetDown(true)
	rep := policyScan(t, reg, pub0, fmt.Sprintf("    - {name: p, images: [%q], keys: [cosign.pub]}\n", reg.Host+"/team/*"),
		podDoc("web", "shop", reg.Ref("team/unsigned:1")))
	if len(rep.Errors) == 0 {
		t.Fatalf("registry down: no error; results %+v", rep.Results)
	}
	if e := rep.Errors[0]; e.Line != 10 || !strings.Contains(e.Message, reg.Ref("team/unsigned:1")) {
		t.Errorf("error %+v, want at line 10 naming the image", e)
	}

	// The image is read, then its signatures cannot be: the verification goes through
	// the scan's transport (the --allow-registry guard), and its failure is an error.
	reg.SetDown(false)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cosign.pub"), pub0, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(filepath.Join(dir, "kharden.yaml"), []byte(fmt.Sprintf("admission:\n  imagePolicies:\n    - {name: p, images: [%q], keys: [cosign.pub]}\n", reg.Host+"/team/*")))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "pod.yaml")
	if err := os.WriteFile(file, []byte(podDoc("web", "shop", reg.Ref("team/unsigned:1"))), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err = Run(Options{Paths: []string{file}, Config: cfg, Images: true, Registries: []string{reg.Host}, Vulns: VulnOptions{Off: true},
		Image: image.Options{Insecure: true, Transport: sigRefused{http.DefaultTransport}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Errors) != 1 || rep.Errors[0].Line != 10 || !strings.Contains(rep.Errors[0].Message, `could not be verified by image policy "p"`) {
		t.Errorf("errors %+v, want one at line 10: could not be verified", rep.Errors)
	}
	if got := signatureFindings(rep); len(got) != 0 {
		t.Errorf("findings %v, want the error only", got)
	}
}

// sigRefused fails the requests for signatures.
type sigRefused struct{ next http.RoundTripper }

func (s sigRefused) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.Contains(r.URL.Path, ".sig") {
		return nil, errors.New("refused by the test")
	}
	return s.next.RoundTrip(r)
}
