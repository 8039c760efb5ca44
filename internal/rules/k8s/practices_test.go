package k8s_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/engine"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rules/k8s"
	"github.com/kharden/kharden/internal/source/manifest"
)

// A rule whose checks serve different practices labels each finding with the practice
// of what failed, not with all of the rule's.
func TestFindingsNameThePracticeOfWhatFailed(t *testing.T) {
	const pod = `apiVersion: v1
kind: Pod
metadata: {name: agent, namespace: ops}
spec:
  hostNetwork: true
  hostPID: true
  containers:
    - name: agent
      image: registry.example.com/agent:1.0
      securityContext:
        capabilities:
          add: [SYS_TIME]
  volumes:
    - name: logs
      hostPath: {path: /var/log}
    - name: runtime
      hostPath: {path: /run/containerd/containerd.sock}
    - name: share
      nfs: {server: nfs.example.com, path: /share}
`
	want := map[string][]string{ // rule ID and field path -> practices
		"KM-0104 spec.containers[0].securityContext.capabilities.drop":   {"D1", "C15"},
		"KM-0104 spec.containers[0].securityContext.capabilities.add[0]": {"D1", "C16"},
		"KM-0105 spec.hostNetwork":                                       {"D1", "C8"},
		"KM-0105 spec.hostPID":                                           {"D1", "C6"},
		"KM-0106 spec.volumes[0].hostPath":                               {"D1", "C11"},
		"KM-0106 spec.volumes[1].hostPath":                               {"D1", "C11", "C12"},
		"KM-0112 spec.volumes[0].hostPath":                               {"D1", "C11"},
		"KM-0112 spec.volumes[1].hostPath":                               {"D1", "C11", "C12"},
		"KM-0112 spec.volumes[2].nfs":                                    {"D1"},
	}
	rep := &report.Report{}
	rules := []*k8s.Rule{k8s.PSSCapabilitiesRestricted, k8s.PSSHostNamespaces, k8s.PSSHostPathVolumes, k8s.PSSRestrictedVolumes}
	// At restricted, restrictedVolumes overrides hostPathVolumes: judge at both levels.
	for _, level := range []string{"baseline:latest", "restricted:latest"} {
		engine.New(engine.Options{Rules: rules, Settings: k8s.Settings{PSS: mustPSS(level)}}).
			Scan(manifest.Load("agent.yaml", []byte(pod)).Docs, rep)
	}
	got := map[string][]string{}
	for _, r := range rep.Results {
		got[r.Meta.ID+" "+r.Location.FieldPath] = r.PracticesOf()
	}
	for k, w := range want {
		if g, ok := got[k]; !ok {
			t.Errorf("%s: no finding (got %v)", k, keys(got))
		} else if !slices.Equal(g, w) {
			t.Errorf("%s: practices %v, want %v", k, g, w)
		}
	}
}

func keys(m map[string][]string) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return strings.Join(ks, ", ")
}
