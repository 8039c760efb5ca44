// Command cluster measures `kharden audit cluster` on a large cluster: it starts a real
// kube-apiserver and etcd on 127.0.0.1 (internal/testkit/cluster), loads 10,000
// Deployments and 1,000 RBAC objects into it, then runs the audit as a subprocess and
// reports wall time and peak memory (the kernel's maxrss, and the peak of anonymous
// memory sampled from /proc). Run it with ./hack/bench.sh cluster.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	kcluster "github.com/kharden/kharden/internal/testkit/cluster"
)

func main() {
	kharden := flag.String("kharden", "bin/kharden", "kharden binary")
	deployments := flag.Int("deployments", 10000, "Deployments to create")
	rbacObjects := flag.Int("rbac", 1000, "RBAC objects to create (Roles, RoleBindings, ClusterRoles, ClusterRoleBindings in equal parts)")
	namespaces := flag.Int("namespaces", 10, "namespaces the namespaced objects are spread over")
	workers := flag.Int("workers", 32, "concurrent creates")
	runs := flag.Int("runs", 3, "audit runs; the fastest wall time and the largest memory peaks are kept")
	flag.Parse()

	bin, err := kcluster.BinDir()
	if err != nil {
		fail(err)
	}
	start := time.Now()
	c, err := kcluster.New(bin, kcluster.Options{})
	if err != nil {
		fail(err)
	}
	defer c.Stop()
	fmt.Printf("cluster up in %s (kube-apiserver and etcd on %s)\n", time.Since(start).Round(time.Millisecond), c.Host)

	cfg := c.Config()
	cfg.QPS, cfg.Burst = -1, 0 // no client-side rate limit while loading
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		fail(err)
	}
	start = time.Now()
	n, err := load(cs, *deployments, *rbacObjects, *namespaces, *workers)
	if err != nil {
		stop(c, err)
	}
	fmt.Printf("loaded %d objects (%d Deployments, %d RBAC objects, %d namespaces) in %s\n",
		n, *deployments, *rbacObjects, *namespaces, time.Since(start).Round(time.Millisecond))

	args := []string{"audit", "cluster", "--no-config", "--kubeconfig", c.KubeconfigPath, "-o", "json"}
	fmt.Printf("\n%s %v\n", *kharden, args)
	fmt.Printf("%-4s %10s %10s %10s %12s %10s %10s\n", "run", "wall", "peak RSS", "peak anon", "objects", "results", "output")
	best := time.Hour
	var rss, anon int64
	for i := 1; i <= *runs; i++ {
		m, err := measure(*kharden, args...)
		if err != nil {
			stop(c, err)
		}
		best, rss, anon = min(best, m.wall), max(rss, m.rss), max(anon, m.anon)
		fmt.Printf("%-4d %10s %9.1fM %9.1fM %12d %10d %9.1fM\n", i, m.wall.Round(time.Millisecond),
			float64(m.rss)/1024, float64(m.anon)/1024, m.objects, m.results, float64(m.bytes)/(1<<20))
	}
	fmt.Printf("best %9s %9.1fM %9.1fM   (targets: wall <= 10s, peak RSS <= 300 MiB)\n",
		best.Round(time.Millisecond), float64(rss)/1024, float64(anon)/1024)
}

// load creates the objects concurrently and returns how many it created.
func load(cs kubernetes.Interface, deployments, rbacObjects, namespaces, workers int) (int, error) {
	ctx := context.Background()
	nsName := func(i int) string { return fmt.Sprintf("bench-%02d", i%namespaces) }
	for i := range namespaces {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: nsName(i)}}, metav1.CreateOptions{}); err != nil {
			return 0, err
		}
	}
	jobs := make(chan func() error, workers)
	var created atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range jobs {
				if err := job(); err != nil {
					once.Do(func() { firstErr = err })
				} else {
					created.Add(1)
				}
			}
		}()
	}
	co := metav1.CreateOptions{}
	for i := range deployments {
		jobs <- func() error {
			_, err := cs.AppsV1().Deployments(nsName(i)).Create(ctx, deployment(i), co)
			return err
		}
	}
	quarter := rbacObjects / 4
	narrow := []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods", "services"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "list", "update"}},
	}
	wide := []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}}
	for i := range quarter {
		name := fmt.Sprintf("bench-%04d", i)
		r := narrow
		if i%10 == 0 { // some of them too broad, as in real clusters
			r = wide
		}
		subject := []rbacv1.Subject{{Kind: "ServiceAccount", Name: "default", Namespace: nsName(i)}}
		jobs <- func() error {
			_, err := cs.RbacV1().Roles(nsName(i)).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: r}, co)
			return err
		}
		jobs <- func() error {
			_, err := cs.RbacV1().RoleBindings(nsName(i)).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
				RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name}, Subjects: subject}, co)
			return err
		}
		jobs <- func() error {
			_, err := cs.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: r}, co)
			return err
		}
		jobs <- func() error {
			_, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
				RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name}, Subjects: subject}, co)
			return err
		}
	}
	close(jobs)
	wg.Wait()
	return int(created.Load()), firstErr
}

// deployment is a web service of a realistic size; every third one is hardened, the
// others have the usual gaps (no securityContext, a mutable tag, no limits).
func deployment(i int) *appsv1.Deployment {
	name := fmt.Sprintf("web-%05d", i)
	labels := map[string]string{"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "bench", "tier": "frontend"}
	c := corev1.Container{
		Name:  "web",
		Image: "registry.example.com/shop/web:1." + strconv.Itoa(i%50),
		Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
		Env: []corev1.EnvVar{
			{Name: "LOG_LEVEL", Value: "info"},
			{Name: "DB_HOST", Value: "postgres.db.svc.cluster.local"},
			{Name: "DB_PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: "db"}, Key: "password"}}},
		},
		ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(8080)}}},
	}
	spec := corev1.PodSpec{Containers: []corev1.Container{c}}
	if i%3 == 0 {
		spec.AutomountServiceAccountToken = ptr.To(false)
		spec.SecurityContext = &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To[int64](10001),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}}
		c := &spec.Containers[0]
		c.Image = "registry.example.com/shop/web@sha256:3f8a5b1c4d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708"
		c.Resources = corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("256Mi")},
		}
		c.SecurityContext = &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false), ReadOnlyRootFilesystem: ptr.To(true),
			Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}
	}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec},
		},
	}
}

type measurement struct {
	wall             time.Duration
	rss, anon        int64 // KiB
	objects, results int
	bytes            int64
}

// measure runs the audit, counting its output, and returns wall time, peak RSS (the
// kernel's maxrss) and the peak of anonymous memory, sampled from /proc every
// millisecond.
func measure(bin string, args ...string) (measurement, error) {
	var m measurement
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	out := &tailWriter{}
	cmd.Stdout, cmd.Stderr = out, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return m, err
	}
	done := make(chan struct{})
	peakAnon := make(chan int64)
	go func() {
		var peak int64
		status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			if data, err := os.ReadFile(status); err == nil {
				if mm := rssAnon.FindSubmatch(data); mm != nil {
					v, _ := strconv.ParseInt(string(mm[1]), 10, 64)
					peak = max(peak, v)
				}
			}
			select {
			case <-done:
				peakAnon <- peak
				return
			case <-t.C:
			}
		}
	}()
	err := cmd.Wait()
	m.wall = time.Since(start)
	close(done)
	m.anon = <-peakAnon
	if cmd.ProcessState == nil {
		return m, err
	}
	// The loaded cluster has findings: exit code 1 is expected.
	if code := cmd.ProcessState.ExitCode(); code != 0 && code != 1 {
		return m, fmt.Errorf("%s %v: exit %d: %s", bin, args, code, stderr.String())
	}
	m.rss = cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
	m.bytes = out.n
	// The summary is the last key of the JSON report.
	var summary struct {
		Objects    int            `json:"objects"`
		BySeverity map[string]int `json:"bySeverity"`
	}
	if i := bytes.LastIndex(out.tail, []byte(`"summary": `)); i >= 0 {
		rest := out.tail[i+len(`"summary": `):]
		if err := json.NewDecoder(bytes.NewReader(rest)).Decode(&summary); err == nil {
			m.objects = summary.Objects
			for _, n := range summary.BySeverity {
				m.results += n
			}
		}
	}
	return m, nil
}

// tailWriter counts what is written and keeps the last few KiB.
type tailWriter struct {
	n    int64
	tail []byte
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	w.tail = append(w.tail, p...)
	if len(w.tail) > 8192 {
		w.tail = append(w.tail[:0], w.tail[len(w.tail)-4096:]...)
	}
	return len(p), nil
}

var _ io.Writer = (*tailWriter)(nil)

var rssAnon = regexp.MustCompile(`RssAnon:\s+(\d+) kB`)

func stop(c *kcluster.Cluster, err error) {
	_ = c.Stop()
	fail(err)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench cluster:", err)
	os.Exit(2)
}
