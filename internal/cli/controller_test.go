package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/kharden/kharden/internal/controller"
	"github.com/kharden/kharden/internal/source/helm"
	kcluster "github.com/kharden/kharden/internal/testkit/cluster"
)

func privilegedDeployment(name string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: appsv1.DeploymentSpec{
		Selector: &metav1.LabelSelector{MatchLabels: labels},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "web", Image: "nginx:1.27", SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}}}},
	}}
}

// Two kharden controller processes with leader election: one leads and writes the
// reports, the other waits; the leader killed (no release of the Lease), the other
// takes over and the reports follow the next change.
func TestControllerLeaderElection(t *testing.T) {
	c := kcluster.Start(t, kcluster.Options{})
	cfg := c.Config()
	ctx := context.Background()
	dyn := dynamic.NewForConfigOrDie(cfg)
	crds := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	files, _ := filepath.Glob("../../charts/kharden/crds/*.yaml")
	for _, f := range files {
		data, _ := os.ReadFile(f)
		var obj map[string]any
		if err := yaml.Unmarshal(data, &obj); err != nil {
			t.Fatal(err)
		}
		if _, err := dyn.Resource(crds).Create(ctx, &unstructured.Unstructured{Object: obj}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	cs := kubernetes.NewForConfigOrDie(cfg)
	for _, ns := range []string{"kharden", "shop"} {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cs.AppsV1().Deployments("shop").Create(ctx, privilegedDeployment("first"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	reports := schema.GroupVersionResource{Group: "wgpolicyk8s.io", Version: "v1alpha2", Resource: "policyreports"}
	// The Deployments the reports in shop find privileged, in order.
	reportNames := func() string {
		list, err := dyn.Resource(reports).Namespace("shop").List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range list.Items {
			rs, _, _ := unstructured.NestedSlice(r.Object, "results")
			for _, x := range rs {
				m := x.(map[string]any)
				if m["rule"] == "KM-0004" {
					name, _, _ := unstructured.NestedString(r.Object, "scope", "name")
					names = append(names, name)
				}
			}
		}
		slices.Sort(names)
		return strings.Join(names, ",")
	}
	wait := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not after 60 s", what)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// Waiting for the API server's first answer is the start's business, not the test's.
	for range 100 {
		if _, err := cs.Discovery().ServerResourcesForGroupVersion("wgpolicyk8s.io/v1alpha2"); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	args := []string{"controller", "--kubeconfig", c.KubeconfigPath, "--no-config", "--metrics-addr", "127.0.0.1:0",
		"--lease-namespace", "kharden", "--lease-duration", "3s", "--renew-deadline", "2s", "--retry-period", "250ms", "--debounce", "20ms"}
	first := start(t, nil, args...)
	wait("the first controller leads and writes", func() bool {
		_, e := first.output()
		return strings.Contains(e, " leads (Lease kharden/kharden-controller)") && reportNames() == "first"
	})
	second := start(t, nil, args...)
	wait("the second controller waits", func() bool {
		_, e := second.output()
		return strings.Contains(e, "waits for the Lease") && strings.Contains(e, " leads; ")
	})
	_, e := second.output()
	if strings.Contains(e, " leads (Lease") {
		t.Fatalf("both lead:\n%s", e)
	}
	// The metrics of a waiting replica are served too.
	addr := regexp.MustCompile(`metrics on (http://\S+)`).FindStringSubmatch(e)
	if addr == nil {
		t.Fatalf("no metrics address in:\n%s", e)
	}
	resp, err := http.Get(addr[1])
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range []string{"kharden_controller_queue_depth", "kharden_controller_reconcile_duration_seconds", "go_goroutines"} {
		if !strings.Contains(string(body), m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}

	first.cmd.Process.Signal(syscall.SIGKILL)
	<-first.done
	if _, err := cs.AppsV1().Deployments("shop").Create(ctx, privilegedDeployment("second"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	wait("the second controller takes over and the report follows", func() bool {
		_, e := second.output()
		return strings.Contains(e, " leads (Lease kharden/kharden-controller)") && reportNames() == "first,second"
	})
	second.cmd.Process.Signal(syscall.SIGTERM)
	if !second.exited() {
		t.Fatal("the controller did not stop on SIGTERM")
	}
	if _, e := second.output(); !strings.Contains(e, "SIGTERM") && !strings.Contains(e, "terminated") {
		t.Logf("stderr after SIGTERM:\n%s", e)
	}
}

// The chart with controller.enabled: kharden scan passes it (the only suppression is
// the image digest the values leave unset), the controller's RBAC grants what it reads
// and writes and no Secrets, and the dashboard asks for metrics the controller serves.
func TestControllerChart(t *testing.T) {
	withImages := []string{"controller.enabled=true", "controller.images.enabled=true", "controller.images.pullSecret=regcred"}
	code, out, errOut := run("", "scan", "--no-config", "--fail-on", "info", "-o", "json", chartDir, "--set", strings.Join(withImages, ","))
	var rep struct {
		Results, Errors, Notes []json.RawMessage
		Suppressed             []struct {
			Slug string `json:"slug"`
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 || len(rep.Results)+len(rep.Errors)+len(rep.Notes) > 0 {
		t.Fatalf("scan of the chart with the controller: exit %d %v %s\n%s", code, err, errOut, out)
	}
	for _, s := range rep.Suppressed {
		if s.Slug != "image-digest" {
			t.Errorf("suppressed %s", s.Slug)
		}
	}
	rendered, err := helm.Render(chartDir, helm.Options{ReleaseName: "kharden", Namespace: "kharden", Set: withImages})
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.ClusterRole
	var dep appsv1.Deployment
	var dashboard corev1.ConfigMap
	for _, d := range rendered.Docs {
		switch {
		case d.Object.Kind == "ClusterRole" && d.Object.Name == "kharden-controller":
			json.Unmarshal(d.JSON, &role)
		case d.Object.Kind == "Deployment" && d.Object.Name == "kharden-controller":
			json.Unmarshal(d.JSON, &dep)
		case d.Object.Kind == "ConfigMap" && d.Object.Name == "kharden-controller-dashboard":
			json.Unmarshal(d.JSON, &dashboard)
		}
	}
	granted := map[string]bool{}
	for _, r := range role.Rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				if res == "secrets" {
					t.Error("the controller may read Secrets")
				}
				if slices.Contains(r.Verbs, "watch") {
					granted[g+"/"+res] = true
				}
			}
		}
	}
	for _, need := range []string{"/pods", "/namespaces", "/serviceaccounts", "apps/deployments", "batch/cronjobs", "rbac.authorization.k8s.io/clusterrolebindings",
		"networking.k8s.io/networkpolicies", "admissionregistration.k8s.io/validatingwebhookconfigurations", "wgpolicyk8s.io/policyreports", "wgpolicyk8s.io/clusterpolicyreports"} {
		if !granted[need] {
			t.Errorf("the ClusterRole does not let the controller watch %s", need)
		}
	}
	if len(dep.Spec.Template.Spec.Containers) != 1 || dep.Spec.Template.Spec.Containers[0].Args[0] != "controller" {
		t.Fatalf("controller Deployment: %+v", dep.Spec.Template.Spec.Containers)
	}
	if args := strings.Join(dep.Spec.Template.Spec.Containers[0].Args, " "); !strings.Contains(args, "--images --db=/var/lib/kharden/db --db-update-interval=24h --allow-registry=*") {
		t.Errorf("controller.images.enabled: args %s", args)
	}
	// Every flag the chart passes is one kharden controller takes.
	cmd := newController(IO{})
	for _, a := range dep.Spec.Template.Spec.Containers[0].Args[1:] {
		name := strings.TrimPrefix(strings.SplitN(a, "=", 2)[0], "--")
		if cmd.Flags().Lookup(name) == nil {
			t.Errorf("the chart passes --%s, which kharden controller does not take", name)
		}
	}
	board := dashboard.Data["kharden-controller.json"]
	var parsed map[string]any
	if err := json.Unmarshal([]byte(board), &parsed); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	reg := prometheus.NewRegistry()
	controller.NewMetrics(reg)
	families, _ := reg.Gather()
	served := map[string]bool{}
	for _, f := range families {
		served[f.GetName()] = true
	}
	// Gather leaves out vectors without series: name them from the registration.
	for _, vec := range []string{"kharden_controller_results", "kharden_controller_objects_audited_total", "kharden_controller_images", "kharden_controller_image_reads_total"} {
		served[vec] = true
	}
	for _, m := range regexp.MustCompile(`kharden_controller_[a-z_]+`).FindAllString(board, -1) {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m, "_bucket"), "_sum"), "_count")
		if !served[base] {
			t.Errorf("the dashboard asks for %s, which the controller does not serve", m)
		}
	}
}

// The image flags of kharden controller need --images, and bad values are refused
// before anything connects.
func TestControllerImageFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--allow-registry", "ghcr.io"}, "--allow-registry applies to --images, which is not given"},
		{[]string{"--db-update-interval", "24h"}, "--db-update-interval applies to --images, which is not given"},
		{[]string{"--ignore-unfixed"}, "--ignore-unfixed applies to --images, which is not given"},
		{[]string{"--images", "--allow-registry", "ghcr.io/team", "--leader-elect=false", "--metrics-addr", "", "--no-config"}, `--allow-registry "ghcr.io/team": not a registry`},
		{[]string{"--images", "--image-pulls", "0", "--leader-elect=false", "--metrics-addr", "", "--no-config"}, "--image-pulls 0: want at least 1"},
	} {
		code, _, errOut := run("", append([]string{"controller", "--kubeconfig", filepath.Join(t.TempDir(), "none")}, tc.args...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

// The container's memory limit is read from cgroup v2, then v1; none when unlimited.
func TestContainerMemoryLimit(t *testing.T) {
	for _, tc := range []struct {
		file, content string
		want          int64
		ok            bool
	}{
		{"memory.max", "536870912\n", 512 << 20, true},
		{"memory.max", "max\n", 0, false},
		{"memory/memory.limit_in_bytes", "268435456\n", 256 << 20, true},
		{"memory/memory.limit_in_bytes", "9223372036854771712\n", 0, false},
		{"", "", 0, false},
	} {
		root := t.TempDir()
		if tc.file != "" {
			os.MkdirAll(filepath.Dir(filepath.Join(root, tc.file)), 0o755)
			os.WriteFile(filepath.Join(root, tc.file), []byte(tc.content), 0o644)
		}
		got, ok := containerMemoryLimit(root)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s %q: %d %v, want %d %v", tc.file, tc.content, got, ok, tc.want, tc.ok)
		}
	}
}
