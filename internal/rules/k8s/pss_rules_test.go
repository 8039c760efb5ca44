package k8s_test

import (
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/kharden/kharden/internal/engine"
	"github.com/kharden/kharden/internal/pss"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/rules/k8s"
	"github.com/kharden/kharden/internal/source/manifest"
)

// kebab turns a PSA check ID into slug words: "seccompProfile_restricted" ->
// "seccomp-profile-restricted".
func kebab(id string) string {
	var b strings.Builder
	for i, r := range id {
		switch {
		case r == '_':
			b.WriteByte('-')
		case unicode.IsUpper(r):
			if i > 0 && id[i-1] != '_' {
				b.WriteByte('-')
			}
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestPSSRules pins the shape of the PSS profile: one rule per library check, IDs
// KM-0101.. in the checks' alphabetical order, slugs derived from the check IDs, off by
// default, severity by level, and all of them registered in All().
func TestPSSRules(t *testing.T) {
	var checks []string
	for c := range pss.Checks {
		checks = append(checks, c)
	}
	sort.Strings(checks)
	rules := k8s.PSSRules()
	if len(rules) != len(checks) {
		t.Fatalf("%d PSS rules for %d library checks", len(rules), len(checks))
	}
	registered := map[*k8s.Rule]bool{}
	for _, r := range k8s.All() {
		registered[r] = true
	}
	for i, r := range rules {
		check := checks[i]
		level := string(pss.Checks[check])
		if want := "KM-01" + twoDigits(i+1); r.ID != want {
			t.Errorf("rule for %s is %s, want %s", check, r.ID, want)
		}
		if want := "pss-" + kebab(check); r.Slug != want {
			t.Errorf("%s: slug %q, want %q", r.ID, r.Slug, want)
		}
		if want := []string{level + ":" + check}; len(r.Standards.PSS) != 1 || r.Standards.PSS[0] != want[0] {
			t.Errorf("%s: standards.pss %q, want %q", r.ID, r.Standards.PSS, want)
		}
		if want := map[string]rule.Severity{"baseline": rule.High, "restricted": rule.Medium}[level]; r.Severity != want {
			t.Errorf("%s: severity %s, want %s", r.ID, r.Severity, want)
		}
		if r.Default {
			t.Errorf("%s: PSS rules run only in a PSS profile, Default must be false", r.ID)
		}
		if r.Practices[0] != "D1" {
			t.Errorf("%s: first practice %s, want D1", r.ID, r.Practices[0])
		}
		if !strings.HasPrefix(r.Title, "PSS "+level+": ") {
			t.Errorf("%s: title %q does not start with %q", r.ID, r.Title, "PSS "+level+": ")
		}
		if !registered[r] {
			t.Errorf("%s is not in All()", r.ID)
		}
	}
}

func twoDigits(n int) string { return string([]byte{byte('0' + n/10), byte('0' + n%10)}) }

// TestPSSLevelOff checks that the PSS rules stay silent without a level or at privileged,
// and speak at baseline on the same pod.
func TestPSSLevelOff(t *testing.T) {
	src := []byte(`apiVersion: apps/v1
kind: Deployment
metadata: {name: agent}
spec:
  template:
    spec:
      hostPID: true
      containers:
        - name: agent
          image: registry.example.com/agent:1.0
          securityContext: {privileged: true}
`)
	count := func(level string) int {
		var s k8s.Settings
		if level != "" {
			s.PSS = mustPSS(level)
		}
		rep := &report.Report{}
		engine.New(engine.Options{Rules: k8s.PSSRules(), Settings: s}).Scan(manifest.Load("agent.yaml", src).Docs, rep)
		return len(rep.Results)
	}
	for level, want := range map[string]int{"": 0, "privileged": 0, "privileged:v1.20": 0, "baseline": 2, "baseline:v1.0": 2} {
		if got := count(level); got != want {
			t.Errorf("level %q: %d findings, want %d", level, got, want)
		}
	}
	// A level without a version means the latest.
	s := k8s.Settings{PSS: pss.LevelVersion{Level: "baseline"}}
	rep := &report.Report{}
	engine.New(engine.Options{Rules: k8s.PSSRules(), Settings: s}).Scan(manifest.Load("agent.yaml", src).Docs, rep)
	if len(rep.Results) != 2 {
		t.Errorf("baseline without a version: %d findings, want 2", len(rep.Results))
	}
}
