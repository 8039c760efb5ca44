package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/kharden/kharden/internal/admission"
	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/testkit/registry"
)

// kharden verify and the webhook give the same verdict on the same image and keys,
// with and without an attestation requirement.
func TestVerifyAdmissionParity(t *testing.T) {
	reg := registry.Start(t)
	s0, pub0 := registry.Key(t, 0)
	s1, _ := registry.Key(t, 1)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "cosign.pub")
	if err := os.WriteFile(keyFile, pub0, 0o600); err != nil {
		t.Fatal(err)
	}
	reg.Push(t, "team/signed:1")
	reg.Sign(t, "team/signed:1", s0, nil)
	reg.Push(t, "team/attested:1")
	reg.Sign(t, "team/attested:1", s0, registry.PassingScan(time.Now()))
	reg.Push(t, "team/stale:1")
	reg.Sign(t, "team/stale:1", s0, registry.PassingScan(time.Now().Add(-10*24*time.Hour)))
	reg.Push(t, "team/unsigned:1")
	reg.Push(t, "team/other-key:1")
	reg.Sign(t, "team/other-key:1", s1, nil)
	reg.Push(t, "team/original:1")
	d := reg.Sign(t, "team/original:1", s0, nil)
	reg.Copy(t, "team/original:1", "team/copy:1")
	sig := "sha256-" + strings.TrimPrefix(d, "sha256:") + ".sig"
	reg.Copy(t, "team/original:"+sig, "team/copy:"+sig)

	images := []string{"team/signed:1", "team/attested:1", "team/stale:1", "team/unsigned:1", "team/other-key:1", "team/copy:1"}
	for _, attest := range []bool{false, true} {
		doc := fmt.Sprintf("admission:\n  enforce: critical\n  imagePolicies:\n    - {name: p, images: [%q], keys: [cosign.pub]", reg.Host+"/team/*")
		args := []string{"verify", "--insecure-registry", "--key", keyFile}
		if attest {
			doc += ", attestation: {maxAge: 7d, failOn: high}"
			args = append(args, "--attestation", "--max-age", "7d", "--fail-on", "high")
		}
		cfg, err := config.Parse(filepath.Join(dir, "kharden.yaml"), []byte(doc+"}\n"))
		if err != nil {
			t.Fatal(err)
		}
		rev, err := admission.New(admission.Options{Config: cfg, Images: admission.ImageOptions{Registry: reg.Options()}})
		if err != nil {
			t.Fatal(err)
		}
		verified := 0
		for _, img := range images {
			code, out, errOut := run("", append(args, reg.Ref(img))...)
			if code != 0 && code != 1 {
				t.Fatalf("%s: exit %d: %s %s", img, code, out, errOut)
			}
			allowed := admits(t, rev, reg.Ref(img))
			if allowed != (code == 0) {
				t.Errorf("attestation %v, %s: kharden verify exits %d, the webhook admits: %v", attest, img, code, allowed)
			}
			if allowed {
				verified++
			}
		}
		if want := map[bool]int{false: 3, true: 1}[attest]; verified != want {
			t.Errorf("attestation %v: %d images verified, want %d", attest, verified, want)
		}
	}
}

func admits(t *testing.T, rev *admission.Reviewer, img string) bool {
	t.Helper()
	raw, err := yaml.YAMLToJSON([]byte(fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers: [{name: c, image: %q}]\n", img)))
	if err != nil {
		t.Fatal(err)
	}
	req := &admissionv1.AdmissionRequest{UID: "u", Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
		Resource: metav1.GroupVersionResource{Version: "v1", Resource: "pods"}, Namespace: "shop", Name: "p",
		Operation: admissionv1.Create, Object: runtime.RawExtension{Raw: raw}}
	return rev.Validate(context.Background(), req).Response.Allowed
}
