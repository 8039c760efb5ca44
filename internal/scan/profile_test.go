package scan

import (
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/config"
)

// A pss-* rule enabled where the profile's level does not evaluate its check judges the
// pod at the check's own level instead of silently reporting nothing.
func TestPSSRuleEnabledOutsideItsProfileRuns(t *testing.T) {
	for _, tc := range []struct {
		profile, enable, wantLevel string
		src                        string
	}{
		{"", "pss-privileged", `"baseline:latest"`, pod("")},
		{"default", "KM-0109", `"baseline:latest"`, pod("")},
		{"pss-baseline:v1.30", "pss-run-as-non-root", `"restricted:v1.30"`, pod("")},
		{"pss-baseline", "pss-capabilities-restricted", `"restricted:latest"`, pod("")},
	} {
		dir := t.TempDir()
		write(t, dir, "pod.yaml", tc.src)
		cfg, err := config.Parse(".kharden.yaml", []byte("rules:\n  enable: ["+tc.enable+"]\n"))
		if err != nil {
			t.Fatal(err)
		}
		rep := run(t, Options{Paths: []string{dir}, Profile: tc.profile, Config: cfg})
		var got []string
		for _, r := range rep.Results {
			if r.Meta.Slug == tc.enable || r.Meta.ID == tc.enable {
				got = append(got, r.Message)
			}
		}
		if len(got) == 0 || !strings.Contains(got[0], tc.wantLevel) {
			t.Errorf("profile %q, enable %s: findings %q, want a violation of %s", tc.profile, tc.enable, got, tc.wantLevel)
		}
	}
}

// The pss-baseline profile runs the rules of baseline checks only: restricted ones would
// never report at that level.
func TestPSSBaselineProfileRunsBaselineRules(t *testing.T) {
	rules, _, _, err := Rules("pss-baseline", &config.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var slugs []string
	for _, r := range rules {
		if lvl, ok := r.PSSLevel(); !ok || lvl != "baseline" {
			t.Errorf("pss-baseline runs %s (%s)", r.Slug, lvl)
		}
		slugs = append(slugs, r.Slug)
	}
	if !strings.Contains(strings.Join(slugs, " "), "pss-privileged") {
		t.Errorf("pss-baseline runs %v, not pss-privileged", slugs)
	}
	// Enabled in the profile's own terms, the rules of the profile stay as they are.
	rep := run(t, Options{Paths: []string{writeDir(t, pod(""))}, Profile: "pss-baseline"})
	if n := ids(rep.Results)["KM-0109"]; n != 1 {
		t.Errorf("pss-baseline: %d findings of pss-privileged, want 1", n)
	}
}

func TestEnabledUntrustedRegistryNeedsRegistries(t *testing.T) {
	cfg, err := config.Parse("k.yaml", []byte("failOn: high\nrules:\n  enable:\n    - untrusted-registry\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(Options{Paths: []string{"."}, Config: cfg})
	if err == nil || !strings.Contains(err.Error(), "k.yaml:4: ") || !strings.Contains(err.Error(), "allowedRegistries") {
		t.Errorf("err = %v, want one at k.yaml:4 naming allowedRegistries", err)
	}
	cfg.AllowedRegistries = []string{"registry.example.com/"}
	if _, err := New(Options{Paths: []string{"."}, Config: cfg}); err != nil {
		t.Error(err)
	}
}

func writeDir(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	write(t, dir, "pod.yaml", content)
	return dir
}
