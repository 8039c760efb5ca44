package admission

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"

	imrules "github.com/kharden/kharden/internal/rules/image"
	"github.com/kharden/kharden/internal/scan"
	"github.com/kharden/kharden/internal/source/image"
	"github.com/kharden/kharden/internal/testkit/registry"
)

// The webhook and kharden scan --images give the same verdict, with the same reason, on
// the same images under the same image policies: signed, unsigned, wrongly keyed,
// copied from another repository, attested and stale.
func TestImagePolicyScanParity(t *testing.T) {
	s := newImageSetup(t)
	s0, _ := registry.Key(t, 0)
	s1, _ := registry.Key(t, 1)
	reg := s.reg
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
	reg.Push(t, "elsewhere/app:1")
	images := []string{"team/signed:1", "team/attested:1", "team/stale:1", "team/unsigned:1", "team/other-key:1", "team/copy:1", "elsewhere/app:1"}

	for _, attest := range []bool{false, true} {
		cfg := s.config(t, "")
		if attest {
			cfg = s.config(t, "      attestation: {maxAge: 7d, failOn: high}\n")
		}
		r := s.reviewer(t, cfg, ImageOptions{})

		var doc strings.Builder
		doc.WriteString("apiVersion: v1\nkind: Pod\nmetadata: {name: app, namespace: shop}\nspec:\n  containers:\n")
		for i, img := range images {
			fmt.Fprintf(&doc, "  - {name: c%d, image: %s}\n", i, reg.Ref(img))
		}
		file := filepath.Join(t.TempDir(), "pod.yaml")
		if err := os.WriteFile(file, []byte(doc.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		rep, err := scan.Run(scan.Options{Paths: []string{file}, Config: cfg, Images: true, Image: image.Options{Insecure: true},
			Registries: []string{reg.Host}, Vulns: scan.VulnOptions{Off: true}})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Errors) != 0 {
			t.Fatalf("scan errors: %+v", rep.Errors)
		}
		found := map[string]string{}
		for _, res := range rep.Results {
			if res.Meta.ID == imrules.SignatureVerified.ID {
				found[res.Location.FieldPath] = res.Message
			}
		}
		denied := 0
		for i, img := range images {
			resp := r.Validate(context.Background(), request(t, admissionv1.Create, imagePod("shop", false, "", reg.Ref(img)))).Response
			msg, flagged := found[fmt.Sprintf("spec.containers[%d].image", i)]
			if resp.Allowed == flagged {
				t.Errorf("attestation %v, %s: the webhook admits: %v; scan finds: %q", attest, img, resp.Allowed, msg)
				continue
			}
			if flagged {
				denied++
				_, reason, _ := strings.Cut(msg, `image policy "team-signed": `)
				if reason == "" || !strings.Contains(resp.Result.Message, reason) {
					t.Errorf("%s: scan's reason %q is not the webhook's:\n%s", img, reason, resp.Result.Message)
				}
			}
		}
		if want := map[bool]int{false: 3, true: 5}[attest]; denied != want {
			t.Errorf("attestation %v: %d images not verified, want %d", attest, denied, want)
		}
	}
}
