package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/kharden/kharden/internal/testkit"
	kcluster "github.com/kharden/kharden/internal/testkit/cluster"
)

// apiServerLatency measures what the webhook adds to a pod create through a real
// kube-apiserver: it registers the webhook (by URL, with its CA) as the Helm chart does,
// then creates compliant pods in a namespace the webhook judges (enforce high, warn
// pss-restricted, audit low) and in one its selector leaves out (kharden's own), in
// alternating rounds, one create at a time and then 8 at a time.
func apiServerLatency(kharden, dir string, creates, procs int) error {
	bin, err := kcluster.BinDir()
	if err != nil {
		return err
	}
	start := time.Now()
	c, err := kcluster.New(bin, kcluster.Options{})
	if err != nil {
		return err
	}
	defer c.Stop()
	fmt.Printf("kube-apiserver and etcd on %s, up in %s\n", c.Host, time.Since(start).Round(time.Millisecond))
	srv, err := startServer(kharden, filepath.Join(dir, "apiserver"), procs, "--kubeconfig", c.KubeconfigPath)
	if err != nil {
		return err
	}
	defer srv.stop()
	cfg := c.Config()
	cfg.QPS, cfg.Burst = -1, 0
	cfg.WarningHandler = rest.NoWarnings{} // the warn level's warnings, expected
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx := context.Background()
	judged, err := namespace(ctx, cs, "shop", map[string]string{"kharden.io/enforce": "high", "kharden.io/warn": "pss-restricted", "kharden.io/audit": "low"})
	if err != nil {
		return err
	}
	excluded, err := namespace(ctx, cs, "kharden", nil)
	if err != nil {
		return err
	}
	if err := register(ctx, cs, "https://"+srv.addr+"/validate", srv.caPEM); err != nil {
		return err
	}
	// Wait until the API server calls the webhook.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		bad := benchPod(testkit.RealisticPodSpec(0, true))
		_, err := cs.CoreV1().Pods(judged).Create(ctx, bad, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil && strings.Contains(err.Error(), "kharden") {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the webhook is not called: %v", err)
		}
	}
	fmt.Printf("\npod creates through the API server (compliant pods; %d per row, in alternating rounds)\n", creates)
	fmt.Printf("%-32s %12s %9s %9s %9s %9s\n", "namespace", "concurrency", "mean", "p50", "p99", "max")
	for _, conc := range []int{1, 8} {
		lat := map[string][]time.Duration{}
		rounds := 6
		for r := range rounds {
			for _, ns := range []string{excluded, judged} {
				ls, err := createPods(ctx, cs, ns, creates/rounds, conc)
				if err != nil {
					return err
				}
				lat[ns] = append(lat[ns], ls...)
				_ = r
			}
		}
		stats := func(ls []time.Duration) (mean, p50, p99, max time.Duration) {
			slices.Sort(ls)
			var sum time.Duration
			for _, l := range ls {
				sum += l
			}
			return sum / time.Duration(len(ls)), ls[len(ls)/2], ls[len(ls)*99/100], ls[len(ls)-1]
		}
		m0, a0, b0, x0 := stats(lat[excluded])
		m1, a1, b1, x1 := stats(lat[judged])
		fmt.Printf("%-32s %12d %9s %9s %9s %9s\n", "without webhook (excluded)", conc, fmtDur(m0), fmtDur(a0), fmtDur(b0), fmtDur(x0))
		fmt.Printf("%-32s %12d %9s %9s %9s %9s\n", "with webhook (enforce high)", conc, fmtDur(m1), fmtDur(a1), fmtDur(b1), fmtDur(x1))
		// Mean and median only: tails of two independent samples do not subtract.
		fmt.Printf("%-32s %12d %9s %9s\n", "added by the webhook", conc, fmtDur(m1-m0), fmtDur(a1-a0))
	}
	return nil
}

func namespace(ctx context.Context, cs kubernetes.Interface, name string, labels map[string]string) (string, error) {
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{}); err != nil {
		return "", err
	}
	// The ServiceAccount admission plugin needs the default account, which
	// kube-controller-manager would create.
	_, err := cs.CoreV1().ServiceAccounts(name).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "shop-app"}}, metav1.CreateOptions{})
	return name, err
}

// register creates the validating webhooks as charts/kharden does, reaching the server by
// URL.
func register(ctx context.Context, cs kubernetes.Interface, url string, ca []byte) error {
	levels := []string{"info", "low", "medium", "high", "critical", "pss-baseline", "pss-restricted"}
	notSystem := metav1.LabelSelectorRequirement{Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"kube-system", "kharden"}}
	rules := []admissionregistrationv1.RuleWithOperations{{
		Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
		Rule:       admissionregistrationv1.Rule{APIGroups: []string{"", "apps", "batch"}, APIVersions: []string{"v1"}, Resources: []string{"pods", "deployments", "statefulsets", "daemonsets", "replicasets", "jobs", "cronjobs"}},
	}}
	none := admissionregistrationv1.SideEffectClassNone
	hook := func(name string, policy admissionregistrationv1.FailurePolicyType, op metav1.LabelSelectorOperator) admissionregistrationv1.ValidatingWebhook {
		return admissionregistrationv1.ValidatingWebhook{
			Name: name, ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: ca},
			NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{notSystem,
				{Key: "kharden.io/enforce", Operator: op, Values: levels}}},
			Rules: rules, FailurePolicy: &policy, SideEffects: &none, AdmissionReviewVersions: []string{"v1"}, TimeoutSeconds: ptr.To[int32](5),
		}
	}
	_, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "kharden"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{
			hook("enforce.kharden.io", admissionregistrationv1.Fail, metav1.LabelSelectorOpIn),
			hook("check.kharden.io", admissionregistrationv1.Ignore, metav1.LabelSelectorOpNotIn),
		},
	}, metav1.CreateOptions{})
	return err
}

func benchPod(spec corev1.PodSpec) *corev1.Pod {
	spec.Volumes = spec.Volumes[:1] // the token volume is the ServiceAccount plugin's to add
	for i := range spec.Containers {
		spec.Containers[i].VolumeMounts = spec.Containers[i].VolumeMounts[:1]
	}
	spec.AutomountServiceAccountToken = ptr.To(false)
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{GenerateName: "web-", Labels: map[string]string{"app": "web"}}, Spec: spec}
}

// createPods creates n compliant pods, conc at a time, and returns each create's latency.
func createPods(ctx context.Context, cs kubernetes.Interface, ns string, n, conc int) ([]time.Duration, error) {
	var mu sync.Mutex
	var out []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				p := benchPod(testkit.RealisticPodSpec(i*5+1, false))
				t := time.Now()
				_, err := cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
				d := time.Since(t)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("create in %s: %w", ns, err)
				}
				out = append(out, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out, firstErr
}
