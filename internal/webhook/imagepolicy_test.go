package webhook_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kharden/kharden/internal/admission"
	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/source/helm"
	kcluster "github.com/kharden/kharden/internal/testkit/cluster"
	"github.com/kharden/kharden/internal/testkit/registry"
)

// The chart's values for image policies render into a config the webhook accepts, and
// give the webhook get (only) on Secrets, which it has not without them.
func TestChartImagePolicies(t *testing.T) {
	_, pub := registry.Key(t, 0)
	values := map[string]any{"config": map[string]any{"admission": map[string]any{
		"enforce": "high",
		"imagePolicies": []any{map[string]any{
			"name": "prod", "images": []string{"registry.example.com/**"}, "keys": []string{string(pub)},
			"attestation": map[string]any{"maxAge": "7d", "failOn": "high"},
		}},
	}}}
	b, err := yaml.Marshal(values)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	secretsRule := func(opts helm.Options) *rbacv1.PolicyRule {
		rendered, err := helm.Render(chartDir, opts)
		if err != nil || len(rendered.Errors) > 0 {
			t.Fatalf("render: %v %v", err, rendered.Errors)
		}
		objs := objects(t, rendered.Docs)
		cm := decodeAs[corev1.ConfigMap](t, objs["ConfigMap"][0])
		cfg, err := config.Parse("kharden.yaml", []byte(cm.Data["kharden.yaml"]))
		if err != nil {
			t.Fatal(err)
		}
		rev, err := admission.New(admission.Options{Config: cfg})
		if err != nil {
			t.Fatalf("the rendered config: %v", err)
		}
		if len(opts.ValuesFiles) > 0 && !slices.Equal(rev.ImagePolicies(), []string{"prod"}) {
			t.Errorf("image policies %v, want [prod]", rev.ImagePolicies())
		}
		role := decodeAs[rbacv1.ClusterRole](t, objs["ClusterRole"][0])
		for i, r := range role.Rules {
			if slices.Contains(r.Resources, "secrets") {
				return &role.Rules[i]
			}
		}
		return nil
	}
	if r := secretsRule(helm.Options{ReleaseName: "kharden", Namespace: "kharden"}); r != nil {
		t.Errorf("without image policies the webhook may read Secrets: %+v", r)
	}
	r := secretsRule(helm.Options{ReleaseName: "kharden", Namespace: "kharden", ValuesFiles: []string{file}})
	if r == nil || !slices.Equal(r.Verbs, []string{"get"}) {
		t.Errorf("with image policies: secrets rule %+v, want get only", r)
	}
}

// End to end: the real API server calls the webhook, which verifies images in a
// registry in this process; the controller manager makes a Deployment's pods.
func TestE2EImagePolicies(t *testing.T) {
	reg := registry.Start(t)
	signer, pub := registry.Key(t, 0)
	signed := reg.Push(t, "team/signed:1")
	reg.Sign(t, "team/signed:1", signer, nil)
	reg.Push(t, "team/unsigned:1")
	e := startE2EWith(t, e2eOptions{
		cluster: kcluster.Options{ControllerManager: true},
		configure: func(c *config.Config) {
			c.Admission.ImagePolicies = []config.ImagePolicy{{Name: "team-signed", Images: []string{reg.Host + "/team/*"}, Keys: []string{string(pub)}}}
		},
		images: admission.ImageOptions{Registry: reg.Options()},
	})
	ctx := context.Background()
	ns := e.namespace(t, map[string]string{admission.LabelEnforce: "critical", admission.LabelMutate: "true"})

	_, err := e.cs.AppsV1().Deployments(ns).Create(ctx, deployment("unsigned", imageSpec(reg.Ref("team/unsigned:1"))), metav1.CreateOptions{})
	if err == nil {
		t.Fatal("a Deployment of an unsigned image is admitted")
	}
	for _, want := range []string{`admission webhook "enforce.kharden.io" denied the request`, "Deployment " + ns + "/unsigned",
		reg.Ref("team/unsigned:1"), `image policy "team-signed"`, "no signatures"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("denial lacks %q:\n%v", want, err)
		}
	}
	if !apierrors.IsForbidden(err) {
		t.Errorf("not a 403: %v", err)
	}

	d, err := e.cs.AppsV1().Deployments(ns).Create(ctx, deployment("signed", imageSpec(reg.Ref("team/signed:1"))), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("a Deployment of a signed image: %v", err)
	}
	pinned := reg.Ref("team/signed@" + signed)
	if got := d.Spec.Template.Spec.Containers[0].Image; got != pinned {
		t.Errorf("stored image %q, want it pinned to %q", got, pinned)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		pods, err := e.cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=signed"})
		if err != nil {
			t.Fatal(err)
		}
		if len(pods.Items) > 0 {
			if got := pods.Items[0].Spec.Containers[0].Image; got != pinned {
				t.Errorf("pod image %q, want %q", got, pinned)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the Deployment's pod was not created")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// imageSpec is a hardened pod spec running img.
func imageSpec(img string) corev1.PodSpec {
	s := hardenedSpec()
	s.Containers[0].Image = img
	return s
}
