package pss_test

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kharden/kharden/internal/pss"
)

func mustParse(t *testing.T, s string) pss.LevelVersion {
	t.Helper()
	lv, err := pss.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return lv
}

func TestEvaluateCheckVersions(t *testing.T) {
	lowat := &corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{
		Sysctls: []corev1.Sysctl{{Name: "net.ipv4.tcp_notsent_lowat", Value: "1"}}}}
	host := &corev1.PodSpec{Containers: []corev1.Container{{Name: "c", LivenessProbe: &corev1.Probe{
		ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Host: "10.0.0.1"}}}}}}
	for _, tc := range []struct {
		level, check string
		spec         *corev1.PodSpec
		fails        bool
	}{
		{"baseline:v1.36", "sysctls", lowat, true},
		{"baseline:v1.37", "sysctls", lowat, false},
		{"baseline:latest", "sysctls", lowat, false},
		{"baseline:v1.33", "hostProbesAndHostLifecycle", host, false}, // the check starts at v1.34
		{"baseline:v1.34", "hostProbesAndHostLifecycle", host, true},
		// The level does not matter: one check is evaluated alone.
		{"baseline:latest", "runAsNonRoot", host, true},
		{"baseline:latest", "noSuchCheck", host, false},
	} {
		v, ok := pss.EvaluateCheck(mustParse(t, tc.level), tc.check, nil, tc.spec)
		if ok != tc.fails {
			t.Errorf("%s at %s: fails %v, want %v (%+v)", tc.check, tc.level, ok, tc.fails, v)
		}
		if ok && (v.Check != tc.check || v.Reason == "") {
			t.Errorf("%s at %s: violation %+v", tc.check, tc.level, v)
		}
	}
}

func TestEvaluateNamesChecks(t *testing.T) {
	spec := &corev1.PodSpec{HostPID: true, Containers: []corev1.Container{{Name: "c"}}}
	vs := pss.Evaluate(mustParse(t, "baseline"), nil, spec)
	if len(vs) != 1 || vs[0].Check != "hostNamespaces" || vs[0].Detail != "hostPID=true" {
		t.Fatalf("got %+v", vs)
	}
}

func TestWithDefaults(t *testing.T) {
	spec := &corev1.PodSpec{Volumes: []corev1.Volume{
		{Name: "a"},
		{Name: "b", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "s"}}},
	}}
	got := pss.WithDefaults(spec)
	if got.Volumes[0].EmptyDir == nil || got.Volumes[1].EmptyDir != nil || got.Volumes[1].Secret == nil {
		t.Errorf("defaulted volumes: %+v", got.Volumes)
	}
	if spec.Volumes[0].EmptyDir != nil {
		t.Error("WithDefaults modified its argument")
	}
	if plain := (&corev1.PodSpec{}); pss.WithDefaults(plain) != plain {
		t.Error("WithDefaults copied a spec that needs no defaults")
	}
	if vs := pss.Evaluate(mustParse(t, "restricted:v1.0"), nil, got); len(vs) != 0 {
		t.Errorf("a defaulted volume must pass restrictedVolumes, got %+v", vs)
	}
}
