package webhook_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kharden/kharden/internal/admission"
	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/source/helm"
	"github.com/kharden/kharden/internal/source/manifest"
	kcluster "github.com/kharden/kharden/internal/testkit/cluster"
	"github.com/kharden/kharden/internal/webhook"
)

// The end-to-end test runs a real kube-apiserver and etcd (internal/testkit/cluster), the
// webhook server in this process on 127.0.0.1 with certificates from WriteCerts, and
// registers it with ValidatingWebhookConfiguration and MutatingWebhookConfiguration
// objects that reach it by URL, with the CA as caBundle: the API server itself calls the
// webhook, as it would in a cluster.

// e2e is the running setup.
type e2e struct {
	cluster *kcluster.Cluster
	cs      *kubernetes.Clientset
	url     string // https://127.0.0.1:port
	certDir string
	caPEM   []byte
	cancel  context.CancelFunc
	done    chan error
	stopped sync.Once
}

// chartSelectors are the namespace selectors of the chart's webhooks, by webhook name.
func chartSelectors(t *testing.T) map[string]*metav1.LabelSelector {
	t.Helper()
	rendered, err := helm.Render(chartDir, helm.Options{ReleaseName: "kharden", Namespace: "kharden"})
	if err != nil || len(rendered.Errors) > 0 {
		t.Fatalf("render: %v %v", err, rendered.Errors)
	}
	objs := objects(t, rendered.Docs)
	out := map[string]*metav1.LabelSelector{}
	for _, w := range decode[admissionregistrationv1.ValidatingWebhookConfiguration](t, objs["ValidatingWebhookConfiguration"][0]).Webhooks {
		out[w.Name] = w.NamespaceSelector
	}
	for _, w := range decode[admissionregistrationv1.MutatingWebhookConfiguration](t, objs["MutatingWebhookConfiguration"][0]).Webhooks {
		out[w.Name] = w.NamespaceSelector
	}
	return out
}

// e2eOptions vary the setup: the control plane's components, the webhook's config and
// its image verification.
type e2eOptions struct {
	cluster   kcluster.Options
	configure func(*config.Config)
	images    admission.ImageOptions
}

func startE2E(t *testing.T) *e2e { return startE2EWith(t, e2eOptions{}) }

func startE2EWith(t *testing.T, eo e2eOptions) *e2e {
	t.Helper()
	c := kcluster.Start(t, eo.cluster)
	cs, err := kubernetes.NewForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files, err := webhook.WriteCerts(dir, webhook.CertOptions{Hosts: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(files.CA)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	inf := admission.NewNamespaceInformer(cs, 0)
	inf.Start(ctx)
	if !inf.WaitForSync(ctx) {
		t.Fatal("namespace informer did not sync")
	}
	// The exceptions of the config deploy/webhook ships, which admit the node audit in
	// its namespace; nothing else of that config.
	shipped := loadFile(t, deployDir+"/webhook.yaml")
	shippedCfg, err := config.Parse("kharden.yaml", []byte(decodeAs[corev1.ConfigMap](t, objects(t, shipped.Docs)["ConfigMap"][0]).Data["kharden.yaml"]))
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{Admission: config.Admission{Exceptions: shippedCfg.Admission.Exceptions}}
	if eo.configure != nil {
		eo.configure(cfg)
	}
	if eo.images.Secrets == nil {
		eo.images.Secrets = admission.ClientSecrets{Client: cs}
	}
	rev, err := admission.New(admission.Options{Config: cfg, Namespaces: inf, Images: eo.images})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := webhook.New(webhook.Options{Reviewer: rev, CertFile: files.Cert, KeyFile: files.Key, Ready: inf.Synced,
		NoKeepAlive: true, CertCheckInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &e2e{cluster: c, cs: cs, url: "https://" + ln.Addr().String(), certDir: dir, caPEM: caPEM, cancel: cancel, done: make(chan error, 1)}
	go func() { e.done <- srv.Serve(ctx, ln) }()
	t.Cleanup(e.stop)
	e.register(t)
	return e
}

func (e *e2e) stop() {
	e.stopped.Do(func() {
		e.cancel()
		select {
		case <-e.done:
		case <-time.After(30 * time.Second):
		}
	})
}

// register creates the webhook configurations as the Helm chart does: enforcing
// namespaces fail closed, the others (warn, audit, no label) fail open; kube-system is
// left out; mutation only where a namespace opts in.
func (e *e2e) register(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	rules := []admissionregistrationv1.RuleWithOperations{
		{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
			Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods", "replicationcontrollers", "podtemplates"}}},
		{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
			Rule: admissionregistrationv1.Rule{APIGroups: []string{"apps"}, APIVersions: []string{"v1"}, Resources: []string{"deployments", "statefulsets", "daemonsets", "replicasets"}}},
		{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
			Rule: admissionregistrationv1.Rule{APIGroups: []string{"batch"}, APIVersions: []string{"v1"}, Resources: []string{"jobs", "cronjobs"}}},
	}
	// The namespace selectors are the chart's own, so that what is tested here (which
	// webhook, failing closed or open, sees which namespace) is what the chart installs.
	sel := chartSelectors(t)
	none := admissionregistrationv1.SideEffectClassNone
	hook := func(name, path string) (admissionregistrationv1.WebhookClientConfig, *metav1.LabelSelector) {
		url := e.url + path
		if sel[name] == nil {
			t.Fatalf("the chart has no webhook %s", name)
		}
		return admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: e.caPEM}, sel[name]
	}
	enforceCC, enforceSel := hook("enforce.kharden.io", "/validate")
	otherCC, otherSel := hook("check.kharden.io", "/validate")
	mutateCC, mutateSel := hook("mutate.kharden.io", "/mutate")
	vwc := &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "kharden"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{
			{Name: "enforce.kharden.io", ClientConfig: enforceCC, NamespaceSelector: enforceSel, Rules: rules,
				FailurePolicy: ptr.To(admissionregistrationv1.Fail), SideEffects: &none, AdmissionReviewVersions: []string{"v1"}, TimeoutSeconds: ptr.To[int32](5)},
			{Name: "check.kharden.io", ClientConfig: otherCC, NamespaceSelector: otherSel, Rules: rules,
				FailurePolicy: ptr.To(admissionregistrationv1.Ignore), SideEffects: &none, AdmissionReviewVersions: []string{"v1"}, TimeoutSeconds: ptr.To[int32](5)},
		},
	}
	mwc := &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "kharden"},
		Webhooks: []admissionregistrationv1.MutatingWebhook{
			{Name: "mutate.kharden.io", ClientConfig: mutateCC, NamespaceSelector: mutateSel, Rules: rules,
				FailurePolicy: ptr.To(admissionregistrationv1.Ignore), SideEffects: &none, AdmissionReviewVersions: []string{"v1"},
				TimeoutSeconds: ptr.To[int32](5), ReinvocationPolicy: ptr.To(admissionregistrationv1.IfNeededReinvocationPolicy)},
		},
	}
	if _, err := e.cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, vwc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, mwc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The API server reads webhook configurations through an informer: wait until a pod
	// the webhook denies is denied.
	ns := e.namespace(t, map[string]string{admission.LabelEnforce: "high"})
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := e.cs.CoreV1().Pods(ns).Create(ctx, pod("probe", privilegedSpec()), metav1.CreateOptions{})
		if err != nil && strings.Contains(err.Error(), "kharden") {
			return
		}
		if err == nil {
			_ = e.cs.CoreV1().Pods(ns).Delete(ctx, "probe", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)})
		}
		if time.Now().After(deadline) {
			t.Fatalf("the webhook is not called: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// namespace creates a namespace with labels and its default ServiceAccount (which
// kube-controller-manager would create and the ServiceAccount admission plugin needs).
func (e *e2e) namespace(t *testing.T, labels map[string]string) string {
	t.Helper()
	ctx := context.Background()
	ns, err := e.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "e2e-", Labels: labels}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.cs.CoreV1().ServiceAccounts(ns.Name).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	return ns.Name
}

func pod(name string, spec corev1.PodSpec) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "web"}}, Spec: spec}
}

func privilegedSpec() corev1.PodSpec {
	return corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27",
		SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}}}
}

// hardenedSpec passes every default rule and the restricted level.
func hardenedSpec() corev1.PodSpec {
	return corev1.PodSpec{
		AutomountServiceAccountToken: ptr.To(false),
		SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To[int64](10001),
			RunAsGroup: ptr.To[int64](10001), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
		Containers: []corev1.Container{{Name: "web",
			Image:           "registry.example.com/web@sha256:0000000000000000000000000000000000000000000000000000000000000000",
			ImagePullPolicy: corev1.PullAlways,
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("128Mi")}},
			SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false), ReadOnlyRootFilesystem: ptr.To(true),
				Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}}},
	}
}

func deployment(name string, spec corev1.PodSpec) *appsv1.Deployment {
	return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}}, Spec: spec}}}
}

// warnings collects the Warning headers client-go receives.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) HandleWarningHeader(code int, agent, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, text)
}

func (w *warnings) all() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.msgs, "\n")
}

func TestE2E(t *testing.T) {
	e := startE2E(t)
	ctx := context.Background()

	t.Run("privileged pod denied with kharden's message", func(t *testing.T) {
		ns := e.namespace(t, map[string]string{admission.LabelEnforce: "high"})
		_, err := e.cs.CoreV1().Pods(ns).Create(ctx, pod("bad", privilegedSpec()), metav1.CreateOptions{})
		if err == nil {
			t.Fatal("privileged pod admitted")
		}
		msg := err.Error()
		for _, want := range []string{`admission webhook "enforce.kharden.io" denied the request`, "Pod " + ns + "/bad violates enforce level high",
			"KM-0004 (privileged)", "spec.containers[0].securityContext.privileged"} {
			if !strings.Contains(msg, want) {
				t.Errorf("message lacks %q:\n%s", want, msg)
			}
		}
		if !apierrors.IsForbidden(err) {
			t.Errorf("not a 403: %v", err)
		}
	})

	t.Run("a pod of thousands of privileged containers is denied unjudged", func(t *testing.T) {
		ns := e.namespace(t, map[string]string{admission.LabelEnforce: "high"})
		spec := privilegedSpec()
		web := spec.Containers[0]
		spec.Containers = nil
		for i := range 3000 {
			c := *web.DeepCopy()
			c.Name = fmt.Sprintf("c%d", i)
			spec.Containers = append(spec.Containers, c)
		}
		_, err := e.cs.CoreV1().Pods(ns).Create(ctx, pod("many", spec), metav1.CreateOptions{})
		if err == nil {
			t.Fatal("pod of 3,000 privileged containers admitted")
		}
		if msg := err.Error(); !apierrors.IsForbidden(err) || !strings.Contains(msg, "Pod "+ns+"/many has 3000 containers, more than the 100") || len(msg) > 1024 {
			t.Errorf("%d bytes: %.500s", len(msg), msg)
		}
	})

	t.Run("compliant pod admitted", func(t *testing.T) {
		ns := e.namespace(t, map[string]string{admission.LabelEnforce: "info"})
		if _, err := e.cs.CoreV1().Pods(ns).Create(ctx, pod("good", hardenedSpec()), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("violating deployment denied in enforce mode", func(t *testing.T) {
		ns := e.namespace(t, map[string]string{admission.LabelEnforce: "pss-baseline"})
		_, err := e.cs.AppsV1().Deployments(ns).Create(ctx, deployment("web", privilegedSpec()), metav1.CreateOptions{})
		if err == nil || !strings.Contains(err.Error(), "spec.template.spec.containers[0].securityContext.privileged") ||
			!strings.Contains(err.Error(), "KM-0109") {
			t.Fatalf("deployment: %v", err)
		}
		if _, err := e.cs.AppsV1().Deployments(ns).Create(ctx, deployment("ok", hardenedSpec()), metav1.CreateOptions{}); err != nil {
			t.Errorf("compliant deployment: %v", err)
		}
	})

	t.Run("violating deployment warned in warn mode", func(t *testing.T) {
		ns := e.namespace(t, map[string]string{admission.LabelWarn: "high"})
		var w warnings
		cfg := e.cluster.Config()
		cfg.WarningHandler = &w
		cs := kubernetes.NewForConfigOrDie(cfg)
		if _, err := cs.AppsV1().Deployments(ns).Create(ctx, deployment("web", privilegedSpec()), metav1.CreateOptions{}); err != nil {
			t.Fatalf("warn mode denied: %v", err)
		}
		got := w.all()
		if !strings.Contains(got, "kharden (warn high): KM-0004 [critical] spec.template.spec.containers[0].securityContext.privileged") {
			t.Errorf("warnings:\n%s", got)
		}
	})

	t.Run("audit annotations reach the audit log", func(t *testing.T) {
		ns := e.namespace(t, map[string]string{admission.LabelAudit: "low"})
		if _, err := e.cs.CoreV1().Pods(ns).Create(ctx, pod("audited", privilegedSpec()), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		want := `"check.kharden.io/audit-violations":"`
		deadline := time.Now().Add(15 * time.Second)
		for {
			data, _ := os.ReadFile(e.cluster.AuditLogPath)
			if line := lineWith(string(data), want, `"namespace":"`+ns+`"`); line != "" {
				if !strings.Contains(line, "KM-0004") {
					t.Errorf("audit event: %s", line)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no audit event with %s for namespace %s", want, ns)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("mutation is stored", func(t *testing.T) {
		// Mutation runs before validation: a bare pod passes the restricted level once its
		// defaults are filled in.
		ns := e.namespace(t, map[string]string{admission.LabelMutate: "true", admission.LabelEnforce: "pss-restricted"})
		bare := corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27"}}}
		created, err := e.cs.CoreV1().Pods(ns).Create(ctx, pod("bare", bare), metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("bare pod in a mutating restricted namespace: %v", err)
		}
		stored, err := e.cs.CoreV1().Pods(ns).Get(ctx, created.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sc := stored.Spec.Containers[0].SecurityContext
		psc := stored.Spec.SecurityContext
		if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" ||
			psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("stored pod not hardened: container %+v, pod %+v", sc, psc)
		}
		// A legacy seccomp annotation for the runtime's default, which Kubernetes ignores,
		// gets the field beside it, and the API server takes the pair.
		annotated := pod("annotated", bare)
		annotated.Annotations = map[string]string{corev1.SeccompPodAnnotationKey: corev1.SeccompProfileRuntimeDefault}
		if created, err := e.cs.CoreV1().Pods(ns).Create(ctx, annotated, metav1.CreateOptions{}); err != nil {
			t.Errorf("pod with a runtime/default seccomp annotation: %v", err)
		} else if psc := created.Spec.SecurityContext; psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("pod with a runtime/default seccomp annotation: stored without the field: %+v", psc)
		}
		// Explicit values are kept: an explicit allowPrivilegeEscalation: true is not
		// overridden, and the restricted level then denies the pod.
		explicit := corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27",
			SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(true)}}}}
		_, err = e.cs.CoreV1().Pods(ns).Create(ctx, pod("explicit", explicit), metav1.CreateOptions{})
		if err == nil || !strings.Contains(err.Error(), "allowPrivilegeEscalation") {
			t.Errorf("explicit allowPrivilegeEscalation: true: %v", err)
		}
	})

	t.Run("certificate rotation under traffic", func(t *testing.T) {
		ns := e.namespace(t, map[string]string{admission.LabelEnforce: "high"})
		before := e.servedSerial(t)
		var n, failures atomic.Int64
		var firstFailure atomic.Value
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					name := fmt.Sprintf("w%d-%d", w, i)
					good := i%2 == 0
					spec := hardenedSpec()
					if !good {
						spec = privilegedSpec()
					}
					_, err := e.cs.CoreV1().Pods(ns).Create(ctx, pod(name, spec), metav1.CreateOptions{})
					n.Add(1)
					ok := (good && err == nil) || (!good && err != nil && strings.Contains(err.Error(), "KM-0004"))
					if !ok {
						failures.Add(1)
						firstFailure.CompareAndSwap(nil, fmt.Sprintf("%s (compliant %v): %v", name, good, err))
					}
				}
			}()
		}
		for range 5 {
			time.Sleep(300 * time.Millisecond)
			if _, err := webhook.WriteCerts(e.certDir, webhook.CertOptions{Hosts: []string{"127.0.0.1"}}); err != nil {
				t.Error(err)
			}
		}
		time.Sleep(300 * time.Millisecond)
		close(stop)
		wg.Wait()
		after := e.servedSerial(t)
		if after == before {
			t.Error("the rotated certificate is not served")
		}
		t.Logf("%d pod creates during 5 certificate rotations, %d failures", n.Load(), failures.Load())
		if failures.Load() > 0 {
			t.Errorf("%d of %d creates went wrong during rotation; first: %v", failures.Load(), n.Load(), firstFailure.Load())
		}
		if n.Load() < 20 {
			t.Errorf("only %d creates during rotation", n.Load())
		}
	})

	t.Run("the chart's objects are valid for the API server", func(t *testing.T) {
		// A server-side dry run of every object the chart renders: the API server's own
		// validation, without installing anything.
		rendered, err := helm.Render("../../charts/kharden", helm.Options{ReleaseName: "kharden", Namespace: "kharden"})
		if err != nil || len(rendered.Errors) > 0 {
			t.Fatalf("render: %v %v", err, rendered.Errors)
		}
		if _, err := e.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kharden"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		dry := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict"}
		for _, d := range rendered.Docs {
			var err error
			switch d.Object.Kind {
			case "ServiceAccount":
				_, err = e.cs.CoreV1().ServiceAccounts("kharden").Create(ctx, decodeAs[corev1.ServiceAccount](t, d.JSON), dry)
			case "ConfigMap":
				_, err = e.cs.CoreV1().ConfigMaps("kharden").Create(ctx, decodeAs[corev1.ConfigMap](t, d.JSON), dry)
			case "Secret":
				_, err = e.cs.CoreV1().Secrets("kharden").Create(ctx, decodeAs[corev1.Secret](t, d.JSON), dry)
			case "Service":
				_, err = e.cs.CoreV1().Services("kharden").Create(ctx, decodeAs[corev1.Service](t, d.JSON), dry)
			case "Deployment":
				_, err = e.cs.AppsV1().Deployments("kharden").Create(ctx, decodeAs[appsv1.Deployment](t, d.JSON), dry)
			case "PodDisruptionBudget":
				_, err = e.cs.PolicyV1().PodDisruptionBudgets("kharden").Create(ctx, decodeAs[policyv1.PodDisruptionBudget](t, d.JSON), dry)
			case "ClusterRole":
				_, err = e.cs.RbacV1().ClusterRoles().Create(ctx, decodeAs[rbacv1.ClusterRole](t, d.JSON), dry)
			case "ClusterRoleBinding":
				_, err = e.cs.RbacV1().ClusterRoleBindings().Create(ctx, decodeAs[rbacv1.ClusterRoleBinding](t, d.JSON), dry)
			case "ValidatingWebhookConfiguration":
				_, err = e.cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx,
					decodeAs[admissionregistrationv1.ValidatingWebhookConfiguration](t, d.JSON), dry)
			case "MutatingWebhookConfiguration":
				_, err = e.cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx,
					decodeAs[admissionregistrationv1.MutatingWebhookConfiguration](t, d.JSON), dry)
			default:
				t.Errorf("rendered %s: not checked", d.Object.Kind)
			}
			if err != nil {
				t.Errorf("%s %s: %v", d.Object.Kind, d.Object.Name, err)
			}
		}
	})

	t.Run("a pod's own ignore annotations exempt nothing", func(t *testing.T) {
		ns := e.namespace(t, map[string]string{admission.LabelEnforce: "high"})
		p := pod("self-exempt", privilegedSpec())
		p.Annotations = map[string]string{"ignore.kharden.io/privileged": "trust me", "ignore.kharden.io/allow-privilege-escalation": "trust me",
			"ignore.kharden.io/run-as-non-root": "trust me"}
		_, err := e.cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
		if err == nil {
			t.Fatal("a privileged pod exempting itself by annotations is admitted")
		}
		if msg := err.Error(); !strings.Contains(msg, "KM-0004") || !strings.Contains(msg, "admission.exceptions") {
			t.Errorf("denial: %s", msg)
		}
	})

	t.Run("an enforce label in another spelling is reported, not read", func(t *testing.T) {
		// kharden.io/enforce: High is no level: both webhooks see the namespace (the
		// fail-closed one, so that it stays closed in an outage) and deny, naming the value
		// to write.
		ns := e.namespace(t, map[string]string{admission.LabelEnforce: "High"})
		_, err := e.cs.CoreV1().Pods(ns).Create(ctx, pod("good", hardenedSpec()), metav1.CreateOptions{})
		if err == nil || !strings.Contains(err.Error(), `.kharden.io" denied the request`) ||
			!strings.Contains(err.Error(), `kharden.io/enforce: "High"`) || !strings.Contains(err.Error(), `write "high"`) {
			t.Errorf("pod in a namespace labelled enforce=High: %v", err)
		}
	})

	t.Run("the node audit's objects are valid and admitted where kharden enforces", func(t *testing.T) {
		// deploy/node-audit and the chart's node audit, dry-run in their namespace labelled
		// kharden.io/enforce: high: the API server validates every field (recursiveReadOnly
		// included), and kharden admits the DaemonSet because the webhook config's
		// exceptions accept, with reasons, exactly what the node audit needs (its own
		// annotations serve kharden scan, and exempt nothing at admission).
		const ns = "kharden-node-audit"
		if _, err := e.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns,
			Labels: map[string]string{admission.LabelEnforce: "high"}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}},
			metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
		data, err := os.ReadFile("../../deploy/node-audit/daemonset.yaml")
		if err != nil {
			t.Fatal(err)
		}
		plain := manifest.Load("daemonset.yaml", data)
		rendered, err := helm.Render("../../charts/kharden", helm.Options{ReleaseName: "kharden", Namespace: "kharden",
			Set: []string{"nodeAudit.enabled=true", "nodeAudit.namespace=" + ns}})
		if err != nil || len(rendered.Errors) > 0 || len(plain.Errors) > 0 {
			t.Fatalf("render: %v %v %v", err, rendered.Errors, plain.Errors)
		}
		dry := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict"}
		daemonSets := 0
		for _, d := range append(plain.Docs, rendered.Docs...) {
			if d.Object.Kind != "Namespace" && !strings.Contains(d.Object.Name, "node-audit") {
				continue
			}
			var err error
			switch d.Object.Kind {
			case "Namespace":
				nso := decodeAs[corev1.Namespace](t, d.JSON)
				nso.Name += "-dry-run" // the real one exists, labelled for the webhook
				_, err = e.cs.CoreV1().Namespaces().Create(ctx, nso, dry)
			case "ServiceAccount":
				sa := decodeAs[corev1.ServiceAccount](t, d.JSON)
				sa.Namespace = ns
				_, err = e.cs.CoreV1().ServiceAccounts(ns).Create(ctx, sa, dry)
			case "NetworkPolicy":
				np := decodeAs[networkingv1.NetworkPolicy](t, d.JSON)
				np.Namespace = ns
				_, err = e.cs.NetworkingV1().NetworkPolicies(ns).Create(ctx, np, dry)
			case "DaemonSet":
				daemonSets++
				ds := decodeAs[appsv1.DaemonSet](t, d.JSON)
				ds.Namespace = ns
				_, err = e.cs.AppsV1().DaemonSets(ns).Create(ctx, ds, dry)
			default:
				t.Errorf("rendered %s: not checked", d.Object.Kind)
			}
			if err != nil {
				t.Errorf("%s %s: %v", d.Object.Kind, d.Object.Name, err)
			}
		}
		if daemonSets != 2 {
			t.Errorf("%d node audit DaemonSets checked, want 2", daemonSets)
		}
	})

	t.Run("webhook down", func(t *testing.T) {
		enforcing := e.namespace(t, map[string]string{admission.LabelEnforce: "high"})
		misspelt := e.namespace(t, map[string]string{admission.LabelEnforce: "High"})
		warning := e.namespace(t, map[string]string{admission.LabelWarn: "high"})
		e.stop()
		// failurePolicy Fail: the create is refused, whatever the pod; also where the
		// enforce label is no level, which kharden denies when it is up.
		for _, ns := range []string{enforcing, misspelt} {
			_, err := e.cs.CoreV1().Pods(ns).Create(ctx, pod("good", hardenedSpec()), metav1.CreateOptions{})
			if err == nil || !strings.Contains(err.Error(), `failed calling webhook "enforce.kharden.io"`) {
				t.Errorf("failurePolicy Fail with the webhook down, namespace %s: %v", ns, err)
			}
		}
		// failurePolicy Ignore: the create succeeds, even for a violating pod.
		if _, err := e.cs.CoreV1().Pods(warning).Create(ctx, pod("bad", privilegedSpec()), metav1.CreateOptions{}); err != nil {
			t.Errorf("failurePolicy Ignore with the webhook down: %v", err)
		}
	})
}

func decodeAs[T any](t *testing.T, raw []byte) *T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return &v
}

func lineWith(data string, subs ...string) string {
	for _, l := range strings.Split(data, "\n") {
		all := true
		for _, s := range subs {
			if !strings.Contains(l, s) {
				all = false
				break
			}
		}
		if all {
			return l
		}
	}
	return ""
}

// servedSerial is the serial number of the certificate a new connection gets.
func (e *e2e) servedSerial(t *testing.T) string {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(e.caPEM)
	conn, err := tls.Dial("tcp", strings.TrimPrefix(e.url, "https://"), &tls.Config{RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
}
