package controller

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kharden/kharden/internal/scan"
	"github.com/kharden/kharden/internal/source/image"
	"github.com/kharden/kharden/internal/source/vulndb"
	kcluster "github.com/kharden/kharden/internal/testkit/cluster"
	"github.com/kharden/kharden/internal/testkit/registry"
)

const (
	curlAdvisory = `{"id":"DSA-9001-1","modified":"2026-01-02T00:00:00Z","aliases":["CVE-2026-0001"],"summary":"curl - security update",
	"affected":[{"package":{"ecosystem":"Debian:12","name":"curl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"7.88.1-10+deb12u6"}]}],
	"ecosystem_specific":{"urgency":"high"}}]}`
	zlibAdvisory = `{"id":"DSA-9002-1","modified":"2026-02-02T00:00:00Z","aliases":["CVE-2026-0002"],"summary":"zlib - security update",
	"affected":[{"package":{"ecosystem":"Debian:12","name":"zlib1g"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:1.2.13.dfsg-1+deb12u1"}]}],
	"ecosystem_specific":{"urgency":"medium"}}]}`
)

// importDB (re)builds the database in dir from advisories (file name -> OSV JSON).
func importDB(t *testing.T, dir string, advisories map[string]string) {
	t.Helper()
	in := t.TempDir()
	for n, b := range advisories {
		if err := os.WriteFile(filepath.Join(in, n), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := vulndb.Import(context.Background(), dir, []string{in}, vulndb.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
}

// debian is a Debian 12 image's files with curl and zlib at the given versions.
func debian(curl, zlib string) map[string]string {
	return map[string]string{
		"etc/os-release": "ID=debian\nVERSION_ID=12\n",
		"var/lib/dpkg/status": "Package: curl\nStatus: install ok installed\nVersion: " + curl + "\nArchitecture: amd64\n\n" +
			"Package: zlib1g\nStatus: install ok installed\nVersion: " + zlib + "\nArchitecture: amd64\n",
	}
}

// running sets a pod's status as a kubelet would: running on node, each container
// with its image and the runtime's image ID.
func setRunning(t *testing.T, cs kubernetes.Interface, pod *corev1.Pod, node string, ids ...string) {
	t.Helper()
	cur, err := cs.CoreV1().Pods(pod.Namespace).Get(context.Background(), pod.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cur.Status.Phase = corev1.PodRunning
	cur.Status.ContainerStatuses = nil
	for i, c := range cur.Spec.Containers {
		cur.Status.ContainerStatuses = append(cur.Status.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Image: c.Image, ImageID: ids[i], Ready: true,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}}})
	}
	if _, err := cs.CoreV1().Pods(pod.Namespace).UpdateStatus(context.Background(), cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func podOf(ns, name, node string, owner *metav1.OwnerReference, images ...string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": "web"}}, Spec: corev1.PodSpec{NodeName: node}}
	if owner != nil {
		p.OwnerReferences = []metav1.OwnerReference{*owner}
	}
	for i, im := range images {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: fmt.Sprintf("c%d", i), Image: im,
			SecurityContext: &corev1.SecurityContext{RunAsNonRoot: ptr.To(true), AllowPrivilegeEscalation: ptr.To(false)}})
	}
	return p
}

// The controller reads each image pods run once, by digest, puts its vulnerabilities
// in the report of the pod's workload at the container's image field, matches the
// images again without reading them when the database changes, and never reads what
// is not a registry reference or from a registry not allowed.
func TestImagesInUse(t *testing.T) {
	c := kcluster.Shared(t)
	cfg := c.Config()
	installCRDs(t, cfg)
	cs := kubernetes.NewForConfigOrDie(cfg)
	dyn := dynamic.NewForConfigOrDie(cfg)
	ctx := context.Background()

	reg := registry.Start(t)
	vulnerable := reg.PushFiles(t, "team/app:1", debian("7.88.1-10+deb12u5", "1:1.2.13.dfsg-1"))
	fixed := reg.PushFiles(t, "team/app:2", debian("7.88.1-10+deb12u6", "1:1.2.13.dfsg-1+deb12u1"))
	other := registry.Start(t) // a registry the controller may not read
	elsewhere := other.PushFiles(t, "team/app:1", debian("7.88.1-10+deb12u5", "1:1.2.13.dfsg-1"))
	pushed := other.Requests()
	db := filepath.Join(t.TempDir(), "db")
	importDB(t, db, map[string]string{"DSA-9001-1.json": curlAdvisory})

	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{GenerateName: "worker-"}}
	node, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.CoreV1().Nodes().Delete(context.Background(), node.Name, metav1.DeleteOptions{}) })
	node.Status.NodeInfo = corev1.NodeSystemInfo{OperatingSystem: "linux", Architecture: "amd64"}
	if _, err := cs.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	ns := newNamespace(t, cs, "images")
	app1 := reg.Ref("team/app:1")
	dep, err := cs.AppsV1().Deployments(ns).Create(ctx, privileged("web", false), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: ns,
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: dep.Name, UID: dep.UID, Controller: ptr.To(true)}}},
		Spec: appsv1.ReplicaSetSpec{Selector: dep.Spec.Selector, Template: dep.Spec.Template}}
	if rs, err = cs.AppsV1().ReplicaSets(ns).Create(ctx, rs, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	byRS := &metav1.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: ptr.To(true)}
	var pods []*corev1.Pod
	for i, spec := range []struct {
		name  string
		owner *metav1.OwnerReference
		image string
		id    string
	}{
		{"web-1-a", byRS, app1, reg.Host + "/team/app@" + vulnerable},
		{"web-1-b", byRS, app1, "docker-pullable://" + reg.Host + "/team/app@" + vulnerable}, // cri-dockerd's form: the same image
		{"solo", nil, app1, reg.Host + "/team/app@" + vulnerable},
		{"local", nil, "app:dev", "sha256:" + strings.Repeat("ab", 32)},
		{"sneaky", nil, "app:dev", "rootfs:/etc"},
		{"foreign", nil, other.Ref("team/app:1"), other.Host + "/team/app@" + elsewhere},
		{"late", nil, reg.Ref("team/late:1"), reg.Host + "/team/late@" + fixed}, // not in the registry yet
	} {
		p, err := cs.CoreV1().Pods(ns).Create(ctx, podOf(ns, spec.name, node.Name, spec.owner, spec.image), metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("pod %d: %v", i, err)
		}
		setRunning(t, cs, p, node.Name, spec.id)
		pods = append(pods, p)
	}

	guard, err := scan.NewRegistryGuard([]string{reg.Host}, true)
	if err != nil {
		t.Fatal(err)
	}
	scanner := func() (*scan.ImageScanner, error) {
		return scan.NewImage(scan.ImageOptions{Image: image.Options{Insecure: true, Transport: guard.Transport, Timeout: 10 * time.Second},
			Vulns: scan.VulnOptions{DB: db}})
	}
	r := start(t, cfg, func(o *Options) {
		o.Images = &ImageOptions{Scanner: scanner, DB: db, Allow: guard.Allow, Check: 200 * time.Millisecond}
	})

	manifest := "/v2/team/app/manifests/" + vulnerable
	want := func(es []entry, rule, object, field, msg string) string {
		for _, e := range es {
			if e.rule == rule && e.object == object && e.field == field && strings.Contains(e.message, msg) {
				return ""
			}
		}
		return fmt.Sprintf("no %s on %s at %s with %q", rule, object, field, msg)
	}
	check := func(what string, conds ...func(es []entry) string) {
		t.Helper()
		eventually(t, what, func() (bool, string) {
			es := reported(t, dyn)
			var why []string
			for _, c := range conds {
				if w := c(es); w != "" {
					why = append(why, w)
				}
			}
			return len(why) == 0, strings.Join(why, "; ")
		})
	}
	web, solo := "Deployment/"+ns+"/web", "Pod/"+ns+"/solo"
	check("the images' verdicts in the reports",
		func(es []entry) string {
			return want(es, "DSA-9001-1", web, "spec.template.spec.containers[0].image", "image "+app1+" at "+vulnerable+` (container "c0"): curl 7.88.1-10+deb12u5 is affected by DSA-9001-1`)
		},
		func(es []entry) string { return want(es, "DSA-9001-1", solo, "spec.containers[0].image", "curl") },
		func(es []entry) string {
			return want(es, "image-read", "Pod/"+ns+"/local", "spec.containers[0].image", "no registry digest")
		},
		func(es []entry) string {
			return want(es, "image-read", "Pod/"+ns+"/sneaky", "spec.containers[0].image", "not a registry reference")
		},
		func(es []entry) string {
			return want(es, "image-read", "Pod/"+ns+"/foreign", "spec.containers[0].image", "not among those --allow-registry names")
		},
		func(es []entry) string {
			return want(es, "image-read", "Pod/"+ns+"/late", "spec.containers[0].image", "could not be read")
		},
	)
	// An image that could not be read is tried again.
	reg.Copy(t, "team/app:2", "team/late:1")
	check("the image read at last", func(es []entry) string {
		if has(es, "image-read", "Pod/"+ns+"/late") {
			return "the late image's error is still reported"
		}
		return ""
	})
	es := reported(t, dyn)
	n := 0
	for _, e := range es {
		if e.rule == "DSA-9001-1" && e.object == web {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the Deployment's report has %d results of DSA-9001-1 for its two pods running one image, want 1", n)
	}
	// The audit's own results on the workloads are still there.
	if !has(es, "KM-0005", web) && !slices.ContainsFunc(es, func(e entry) bool { return e.object == web && !strings.HasPrefix(e.rule, "DSA-") }) {
		t.Errorf("the Deployment's audit results are gone")
	}
	if got := reg.RequestsTo("GET", manifest); got != 1 {
		t.Errorf("the image three pods run was read %d times, want once", got)
	}
	if got := other.Requests(); got != pushed {
		t.Errorf("the registry not allowed received %d requests", got-pushed)
	}

	// A new database: every image matched again, none read again.
	reads := reg.Requests()
	importDB(t, db, map[string]string{"DSA-9001-1.json": curlAdvisory, "DSA-9002-1.json": zlibAdvisory})
	check("the new advisory in the reports",
		func(es []entry) string {
			return want(es, "DSA-9002-1", web, "spec.template.spec.containers[0].image", "zlib1g")
		},
		func(es []entry) string { return want(es, "DSA-9002-1", solo, "spec.containers[0].image", "zlib1g") },
	)
	if got := reg.Requests(); got != reads {
		t.Errorf("a database update read images again: %d registry requests", got-reads)
	}

	// The workload moves to the fixed image: its vulnerabilities go, solo's stay.
	for _, p := range pods[:2] {
		setRunning(t, cs, p, node.Name, reg.Host+"/team/app@"+fixed)
	}
	check("the fixed image's verdict",
		func(es []entry) string {
			if slices.ContainsFunc(es, func(e entry) bool { return e.object == web && strings.HasPrefix(e.rule, "DSA-") }) {
				return "the Deployment still has vulnerability results"
			}
			return ""
		},
		func(es []entry) string { return want(es, "DSA-9002-1", solo, "spec.containers[0].image", "zlib1g") },
	)

	var m dto.Metric
	if err := r.metrics.ImageReads.WithLabelValues("ok").Write(&m); err != nil {
		t.Fatal(err)
	}
	if got := m.GetCounter().GetValue(); got != 3 {
		t.Errorf("image reads: %v, want 3 (the vulnerable image, the late one, the fixed one)", got)
	}
	if err := r.metrics.DBReloads.Write(&m); err != nil || m.GetCounter().GetValue() != 1 {
		t.Errorf("database reloads: %v (%v), want 1", m.GetCounter().GetValue(), err)
	}
}
