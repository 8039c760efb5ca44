package audit_test

import (
	"context"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kharden/kharden/internal/audit"
	kcluster "github.com/kharden/kharden/internal/testkit/cluster"
)

// On a real API server: a Deployment whose pod spec leaves automountServiceAccountToken
// unset is judged with its ServiceAccount as the server returns it (KM-0035 passes when
// the ServiceAccount opts out, and names it when it does not), and a RoleBinding to the
// namespace's default ServiceAccount is reported once, by KM-0057, as kharden scan reports
// the same YAML (KC-0012, deprecated for it, does not run by default).
func TestAuditJudgesPodsWithTheirServiceAccounts(t *testing.T) {
	c := kcluster.Shared(t)
	cs := clientset(t, c.Config())
	ctx := context.Background()
	ns := namespace(t, cs, "sa")
	for name, automount := range map[string]*bool{"quiet": ptr.To(false), "loud": nil} {
		if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name},
			AutomountServiceAccountToken: automount}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		labels := map[string]string{"app": name}
		d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name + "-app"}, Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{
				ServiceAccountName: name,
				Containers:         []corev1.Container{{Name: "app", Image: "registry.example.com/app:1.0"}},
			}},
		}}
		if _, err := cs.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "default-view"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "default"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	rep, _, err := audit.Run(ctx, c.Config(), audit.Options{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	const path = "spec.template.spec.automountServiceAccountToken"
	if got := find(rep.Results, "KM-0035", "k8s://"+ns+"/Deployment/quiet-app", path); len(got) != 0 {
		t.Errorf("KM-0035 on a Deployment whose ServiceAccount opts out: %+v", got)
	}
	got := find(rep.Results, "KM-0035", "k8s://"+ns+"/Deployment/loud-app", path)
	if len(got) != 1 || !strings.Contains(got[0].Message, `neither the pod spec nor its ServiceAccount "`+ns+`/loud"`) {
		t.Errorf("KM-0035 on loud-app: %+v\n%s", got, dump(rep.Results, "k8s://"+ns+"/Deployment/loud-app"))
	}
	binding := "k8s://" + ns + "/RoleBinding/default-view"
	if got := find(rep.Results, "KM-0057", binding, "subjects[0]"); len(got) != 1 ||
		got[0].Message != `ServiceAccount `+ns+`/default is bound to ClusterRole view in namespace "`+ns+`"` {
		t.Errorf("KM-0057 on the binding: %+v", got)
	}
	if got := find(rep.Results, "KC-0012", binding, "subjects[0]"); len(got) != 0 {
		t.Errorf("the deprecated KC-0012 runs by default: %+v", got)
	}
}
