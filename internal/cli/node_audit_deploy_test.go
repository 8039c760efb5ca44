package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/kharden/kharden/internal/source/helm"
	"github.com/kharden/kharden/internal/source/manifest"
)

const (
	nodeAuditDir = "../../deploy/node-audit/"
	chartDir     = "../../charts/kharden"
)

// TestDeployNodeAuditScansClean: `kharden scan` of deploy/node-audit/ and of the chart
// with nodeAudit.enabled passes at the default rules at every severity: no finding, no
// error, no note (so no suppression that matches nothing), and exactly the suppressions
// the node audit needs.
func TestDeployNodeAuditScansClean(t *testing.T) {
	const digest = "image.digest=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	need := []string{"host-path-volumes", "host-pid", "image-digest", "run-as-non-root", "run-as-user-set", "runtime-socket-mount",
		"forbidden-capabilities", "forbidden-capabilities"} // one per added capability
	without := func(s []string, drop ...string) []string {
		out := slices.Clone(s)
		for _, d := range drop {
			if i := slices.Index(out, d); i >= 0 {
				out = slices.Delete(out, i, i+1)
			}
		}
		return out
	}
	for _, c := range []struct {
		name       string
		args       []string
		suppressed []string
	}{
		{"deploy/node-audit", []string{nodeAuditDir}, need},
		{"chart", []string{chartDir, "--set", "nodeAudit.enabled=true"},
			append(slices.Clone(need), "image-digest")}, // the webhook's Deployment too
		{"chart in its own namespace, pinned", []string{chartDir, "--set", "nodeAudit.enabled=true",
			"--set", "nodeAudit.namespace=kharden-node-audit", "--set", digest}, without(need, "image-digest")},
		{"chart without capabilities or network policy", []string{chartDir, "--set", "nodeAudit.enabled=true",
			"--set", "nodeAudit.capabilities=null", "--set", "nodeAudit.networkPolicy=false", "--set", "nodeAudit.extraArgs={--benchmark=cis-1.12}"},
			append(without(need, "forbidden-capabilities", "forbidden-capabilities"), "image-digest")},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := run("", append([]string{"scan", "--no-config", "--fail-on", "info", "-o", "json"}, c.args...)...)
			var rep struct {
				Results, Errors, Notes []json.RawMessage
				Suppressed             []struct {
					Slug     string `json:"slug"`
					Location struct {
						Object struct{ Kind string } `json:"object"`
					} `json:"location"`
				}
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("exit %d, %v: %s\n%s", code, err, errOut, out)
			}
			if code != 0 || len(rep.Results)+len(rep.Errors)+len(rep.Notes) > 0 {
				t.Errorf("exit %d, stderr %q:\n%s", code, errOut, out)
			}
			var got []string
			for _, s := range rep.Suppressed {
				got = append(got, s.Slug)
			}
			slices.Sort(got)
			want := slices.Clone(c.suppressed)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("suppressed %v, want %v", got, want)
			}
		})
	}
	// The pods cannot pass Pod Security baseline, hence the namespace labelled privileged.
	if code, _, _ := run("", "scan", "--no-config", "--profile", "pss-baseline", nodeAuditDir); code != ExitFindings {
		t.Errorf("deploy/node-audit passes pss-baseline (exit %d): then it needs no privileged namespace", code)
	}
	// The default values leave the node audit out, so the chart still passes restricted.
	if code, out, _ := run("", "scan", "--no-config", "--profile", "pss-restricted", "--fail-on", "info", chartDir); code != 0 || strings.Contains(out, "node-audit") {
		t.Errorf("chart at default values and pss-restricted: exit %d\n%s", code, out)
	}
}

// TestDeployNodeAuditShape: the plain manifests and the chart run the same hardened pod:
// the host's PID namespace and its / read-only (recursively, without propagation) and
// nothing else of the host, root with all capabilities dropped but DAC_READ_SEARCH and
// SYS_PTRACE, no API token, no network, on control-plane nodes too, running the audit
// with the flags the CLI defines.
func TestDeployNodeAuditShape(t *testing.T) {
	data, err := os.ReadFile(nodeAuditDir + "daemonset.yaml")
	if err != nil {
		t.Fatal(err)
	}
	plain := manifest.Load("daemonset.yaml", data)
	rendered, err := helm.Render(chartDir, helm.Options{ReleaseName: "kharden", Namespace: "kharden",
		Set: []string{"nodeAudit.enabled=true", "nodeAudit.namespace=kharden-node-audit"}})
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]*manifest.Result{"deploy/node-audit": plain, "chart": rendered} {
		if len(r.Errors) > 0 {
			t.Fatalf("%s: %v", name, r.Errors)
		}
		objs := map[string][][]byte{}
		for _, d := range r.Docs {
			objs[d.Object.Kind] = append(objs[d.Object.Kind], d.JSON)
			if strings.Contains(d.Object.Name, "node-audit") && d.Object.Kind != "Namespace" && d.Object.Namespace != "kharden-node-audit" {
				t.Errorf("%s: %s %s in namespace %q", name, d.Object.Kind, d.Object.Name, d.Object.Namespace)
			}
		}
		var ds appsv1.DaemonSet
		var sa corev1.ServiceAccount
		var np networkingv1.NetworkPolicy
		for kind, into := range map[string]any{"DaemonSet": &ds, "NetworkPolicy": &np} {
			if len(objs[kind]) != 1 {
				t.Fatalf("%s: %d %s objects", name, len(objs[kind]), kind)
			}
			if err := json.Unmarshal(objs[kind][0], into); err != nil {
				t.Fatal(err)
			}
		}
		for _, raw := range objs["ServiceAccount"] {
			var x corev1.ServiceAccount
			json.Unmarshal(raw, &x)
			if strings.HasSuffix(x.Name, "node-audit") {
				sa = x
			}
		}
		checkNodeAuditPod(t, name, &ds, &sa, &np)
	}
	var ns corev1.Namespace
	for _, d := range plain.Docs {
		if d.Object.Kind == "Namespace" {
			json.Unmarshal(d.JSON, &ns)
		}
	}
	if ns.Name != "kharden-node-audit" || ns.Labels["pod-security.kubernetes.io/enforce"] != "privileged" {
		t.Errorf("deploy/node-audit: namespace %s labels %v", ns.Name, ns.Labels)
	}

	// Disabled by default.
	def, err := helm.Render(chartDir, helm.Options{ReleaseName: "kharden", Namespace: "kharden"})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range def.Docs {
		if strings.Contains(d.Object.Name, "node-audit") {
			t.Errorf("default values render %s %s", d.Object.Kind, d.Object.Name)
		}
	}
}

func checkNodeAuditPod(t *testing.T, name string, ds *appsv1.DaemonSet, sa *corev1.ServiceAccount, np *networkingv1.NetworkPolicy) {
	t.Helper()
	errorf := func(format string, a ...any) { t.Errorf("%s: %s", name, fmt.Sprintf(format, a...)) }
	p := ds.Spec.Template.Spec
	if !p.HostPID || p.HostNetwork || p.HostIPC {
		errorf("hostPID %v hostNetwork %v hostIPC %v", p.HostPID, p.HostNetwork, p.HostIPC)
	}
	if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken || p.ServiceAccountName != sa.Name ||
		p.AutomountServiceAccountToken == nil || *p.AutomountServiceAccountToken {
		errorf("service account %q (pod: %q): a token is mounted", sa.Name, p.ServiceAccountName)
	}
	if len(p.Volumes) != 1 || p.Volumes[0].HostPath == nil || p.Volumes[0].HostPath.Path != "/" {
		errorf("volumes %+v", p.Volumes)
	}
	if p.SecurityContext == nil || p.SecurityContext.SeccompProfile == nil || p.SecurityContext.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault ||
		p.SecurityContext.RunAsUser == nil || *p.SecurityContext.RunAsUser != 0 {
		errorf("pod securityContext %+v", p.SecurityContext)
	}
	if len(p.Containers) != 1 || len(p.InitContainers) != 0 {
		t.Fatalf("%s: %d containers, %d init containers", name, len(p.Containers), len(p.InitContainers))
	}
	c := p.Containers[0]
	sc := c.SecurityContext
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.Privileged == nil || *sc.Privileged ||
		sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.Capabilities == nil {
		t.Fatalf("%s: container securityContext %+v", name, sc)
	}
	if fmt.Sprint(sc.Capabilities.Drop) != "[ALL]" || fmt.Sprint(sc.Capabilities.Add) != "[DAC_READ_SEARCH SYS_PTRACE]" {
		errorf("capabilities drop %v add %v", sc.Capabilities.Drop, sc.Capabilities.Add)
	}
	if len(c.VolumeMounts) != 1 {
		t.Fatalf("%s: mounts %+v", name, c.VolumeMounts)
	}
	m := c.VolumeMounts[0]
	if m.MountPath != "/host" || !m.ReadOnly || m.RecursiveReadOnly == nil || *m.RecursiveReadOnly != corev1.RecursiveReadOnlyEnabled ||
		m.MountPropagation == nil || *m.MountPropagation != corev1.MountPropagationNone {
		errorf("mount %+v", m)
	}
	if c.Resources.Limits.Memory().IsZero() || c.Resources.Limits.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() {
		errorf("resources %+v", c.Resources)
	}
	args := strings.Join(c.Args, " ")
	if !strings.HasPrefix(args, "audit node ") {
		errorf("args %q", args)
	}
	for _, want := range []string{"--root=/host", "--format=json", "--repeat=24h"} {
		if !slices.Contains(c.Args, want) {
			errorf("args %q lack %s", args, want)
		}
	}
	tolerated := false
	for _, tol := range p.Tolerations {
		if tol.Key == "node-role.kubernetes.io/control-plane" && tol.Operator == corev1.TolerationOpExists {
			tolerated = true
		}
	}
	if !tolerated {
		errorf("no toleration of control-plane nodes: %+v", p.Tolerations)
	}
	// The network policy selects the pods and allows nothing.
	for k, v := range np.Spec.PodSelector.MatchLabels {
		if ds.Spec.Template.Labels[k] != v {
			errorf("network policy selector %v does not select the pods %v", np.Spec.PodSelector.MatchLabels, ds.Spec.Template.Labels)
		}
	}
	if len(np.Spec.PodSelector.MatchLabels) == 0 || len(np.Spec.Ingress)+len(np.Spec.Egress) > 0 || len(np.Spec.PolicyTypes) != 2 {
		errorf("network policy %+v", np.Spec)
	}
}
