package cluster

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"

	"github.com/kharden/kharden/internal/source/cluster"
)

func TestTables(t *testing.T) {
	if TableDate != "2026-11-24" {
		t.Errorf("TableDate %s", TableDate)
	}
	for i, r := range KubernetesReleases {
		if i > 0 && r.Minor != KubernetesReleases[i-1].Minor-1 {
			t.Errorf("releases not newest first without gaps at 1.%d", r.Minor)
		}
		if r.Released >= r.EndOfLife {
			t.Errorf("1.%d: released after its end of life", r.Minor)
		}
		if r.Supported() && r.LatestPatch == 0 {
			t.Errorf("1.%d: supported without a latest patch", r.Minor)
		}
	}
	if got := supportedMinors(); got != "1.35, 1.36, 1.37" {
		t.Errorf("supported %q", got)
	}
	for i, l := range KernelLongterm {
		if i > 0 && !(l.Major < KernelLongterm[i-1].Major || l.Major == KernelLongterm[i-1].Major && l.Minor < KernelLongterm[i-1].Minor) {
			t.Errorf("kernel lines not newest first at %s", l)
		}
	}
}

func TestParseKubeVersion(t *testing.T) {
	cases := []struct {
		in           string
		minor, patch int
		hasPatch, ok bool
	}{
		{"v1.35.2", 35, 2, true, true},
		{"v1.30.4-eks-a737599", 30, 4, true, true},
		{"v1.31.1+k3s1", 31, 1, true, true},
		{"1.36", 36, 0, false, true},
		{"v2.0.0", 0, 0, true, false},
		{"unknown", 0, 0, false, false},
		{"", 0, 0, false, false},
	}
	for _, c := range cases {
		v, ok := parseKubeVersion(c.in)
		if ok != c.ok || ok && (v.Minor != c.minor || v.Patch != c.patch || v.HasPatch != c.hasPatch) {
			t.Errorf("parseKubeVersion(%q) = %+v, %v", c.in, v, ok)
		}
	}
	// Without a parsable gitVersion, major and minor ("35+" on some providers) still tell.
	s := &cluster.Snapshot{Server: &version.Info{Major: "1", Minor: "35+", GitVersion: "custom"}}
	if v, ok := serverVersion(s); !ok || v.Minor != 35 || v.HasPatch {
		t.Errorf("serverVersion = %+v, %v", v, ok)
	}
	if _, ok := serverMinor(&cluster.Snapshot{}); ok {
		t.Error("a nil Server has a version")
	}
}

func TestKernelVerdict(t *testing.T) {
	cases := []struct{ release, os, want string }{
		{"6.6.58", "", ""},
		{"6.18.2", "", ""},
		{"6.19.1", "", ""},
		{"5.4.283", "", "5.4 longterm line"},
		{"4.19.325", "", "4.19 longterm line"},
		{"6.7.12", "", "6.7 line"},
		{"3.10.0", "", "3.10 line"},
		{"5.14.0-503.el9.x86_64", "", ""},
		{"4.18.0-553.el8_10.x86_64", "", ""},
		{"3.10.0-1160.el7.x86_64", "", "older than 4.18"},
		{"4.4.0-210-generic", "", "older than 4.18"},
		{"5.15.0-1051-aws", "", ""},
		{"6.2.16", "Ubuntu 22.04.5 LTS", ""},
		{"5.15.167.1-2.cm2", "CBL-Mariner/Linux", ""},
		{"not a version", "", ""},
	}
	for _, c := range cases {
		got := KernelVerdict(c.release, c.os)
		if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("KernelVerdict(%q, %q) = %q, want %q", c.release, c.os, got, c.want)
		}
	}
}

func TestPodComponent(t *testing.T) {
	pod := func(lbl string, cs ...corev1.Container) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "p"}, Spec: corev1.PodSpec{Containers: cs}}
		if lbl != "" {
			p.Labels = map[string]string{"component": lbl}
		}
		return p
	}
	cases := []struct {
		name      string
		pod       *corev1.Pod
		component string
		container int
		readable  bool
	}{
		{"kubeadm", pod("kube-apiserver", corev1.Container{Name: "kube-apiserver", Command: []string{"kube-apiserver", "--a"}}), "kube-apiserver", 0, true},
		{"args only", pod("", corev1.Container{Name: "x", Args: []string{"/usr/local/bin/etcd", "--name=a"}}), "etcd", 0, true},
		{"sidecar first", pod("kube-apiserver", corev1.Container{Name: "konnectivity", Command: []string{"proxy-agent"}},
			corev1.Container{Name: "apiserver", Command: []string{"/usr/local/bin/kube-apiserver"}}), "kube-apiserver", 1, true},
		{"shell wrapper", pod("kube-scheduler", corev1.Container{Name: "kube-scheduler", Command: []string{"/bin/sh", "-c", "exec kube-scheduler"}}),
			"kube-scheduler", 0, false},
		{"by name", pod("", corev1.Container{Name: "kube-controller-manager", Command: []string{"/bin/sh"}}), "kube-controller-manager", 0, false},
		{"not control plane", pod("", corev1.Container{Name: "coredns", Args: []string{"-conf", "/etc/coredns/Corefile"}}), "", 0, false},
	}
	for _, c := range cases {
		cp, ok := podComponent(c.pod)
		if ok != (c.component != "") || ok && (cp.component != c.component || cp.container != c.container || cp.readable != c.readable) {
			t.Errorf("%s: %+v, %v", c.name, cp, ok)
		}
	}
}

func TestFlagPaths(t *testing.T) {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "etcd-a", Labels: map[string]string{"component": "etcd"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "etcd", Command: []string{"etcd", "--name=a"},
			Args: []string{"--data-dir", "/var/lib/etcd", "--auto-tls=true"},
			Env: []corev1.EnvVar{{Name: "ETCD_UNSUPPORTED_ARCH", Value: "arm"}, {Name: "ETCD_PEER_AUTO_TLS", Value: "true"},
				{Name: "ETCD_CERT_FILE", ValueFrom: &corev1.EnvVarSource{}}}}}}}
	cp, ok := podComponent(p)
	if !ok {
		t.Fatal("not a component pod")
	}
	set, locate := cp.flagSet()
	for flag, want := range map[string]string{
		"name":          "spec.containers[0].command[1]",
		"data-dir":      "spec.containers[0].args[0]",
		"auto-tls":      "spec.containers[0].args[2]",
		"peer-auto-tls": "spec.containers[0].env[1]",
		"cert-file":     "spec.containers[0]", // from a reference: not readable
	} {
		if got := locate(flag); got != want {
			t.Errorf("locate(%s) = %s, want %s", flag, got, want)
		}
	}
	if set.Source != "pod kube-system/etcd-a" {
		t.Errorf("source %q", set.Source)
	}
}
