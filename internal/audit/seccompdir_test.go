package audit

import (
	"os"
	"path/filepath"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/kharden/kharden/internal/source/cluster"
)

// With --seccomp-dir, the running workloads' Localhost profiles are looked for in it;
// without, the rule does not run.
func TestAuditSeccompDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "web.json"), []byte(`{"defaultAction": "SCMP_ACT_ERRNO"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	localhost := func(name string) corev1.PodTemplateSpec {
		return corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27",
			SecurityContext: &corev1.SecurityContext{SeccompProfile: &corev1.SeccompProfile{
				Type: corev1.SeccompProfileTypeLocalhost, LocalhostProfile: ptr.To(name)}}}}}}
	}
	s := &cluster.Snapshot{Deployments: []appsv1.Deployment{
		{ObjectMeta: meta("shop", "web", "d1"), Spec: appsv1.DeploymentSpec{Template: localhost("web.json")}},
		{ObjectMeta: meta("shop", "api", "d2"), Spec: appsv1.DeploymentSpec{Template: localhost("api.json")}},
	}}
	const field = "spec.template.spec.containers[0].securityContext.seccompProfile.localhostProfile"
	for _, d := range []string{dir, ""} {
		found := map[string]bool{}
		for _, p := range collect(t, newAuditor(t, Options{SeccompDir: d}), s) {
			found[p.Scanned[0]] = has(p, "KM-0058", field)
		}
		want := map[string]bool{"k8s://shop/Deployment/api": d != "", "k8s://shop/Deployment/web": false}
		for obj, w := range want {
			if found[obj] != w {
				t.Errorf("--seccomp-dir %q: KM-0058 on %s: %v, want %v", d, obj, found[obj], w)
			}
		}
	}
	if _, err := build(Options{SeccompDir: filepath.Join(dir, "web.json")}, nil); err == nil {
		t.Error("a file as --seccomp-dir is accepted")
	}
}
