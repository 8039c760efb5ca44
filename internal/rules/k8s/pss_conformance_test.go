package k8s_test

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/engine"
	"github.com/kharden/kharden/internal/pss"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rules/k8s"
	"github.com/kharden/kharden/internal/source/manifest"
	"github.com/kharden/kharden/internal/testkit"
)

// psaOverrides maps a baseline check to the restricted check that replaces it at the
// restricted level, and so may report a fixture written for the baseline check.
var psaOverrides = map[string]string{
	"capabilities_baseline":   "capabilities_restricted",
	"seccompProfile_baseline": "seccompProfile_restricted",
	"hostPathVolumes":         "restrictedVolumes",
	"procMount":               "procMount_restricted",
}

// psaFixture is one row of the conformance suite's manifest.csv.
type psaFixture struct {
	level, version, outcome, check, path string
}

// psaDir returns the PSA conformance directory: ../shared/conformance/psa beside the
// checkout (the module root).
func psaDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
	return filepath.Join(filepath.Dir(dir), "shared", "conformance", "psa")
}

func loadPSAManifest(t *testing.T, dir string) []psaFixture {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "manifest.csv"))
	if err != nil {
		t.Fatalf("PSA conformance suite not found: want %s/manifest.csv beside the checkout "+
			"(<checkout>/../shared/conformance/psa): %v", dir, err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s/manifest.csv: %v", dir, err)
	}
	if len(rows) < 2 {
		t.Fatalf("%s/manifest.csv has no fixtures", dir)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	for _, name := range []string{"level", "version", "outcome", "check_id", "path"} {
		if _, ok := col[name]; !ok {
			t.Fatalf("%s/manifest.csv: no %s column", dir, name)
		}
	}
	var out []psaFixture
	for _, r := range rows[1:] {
		out = append(out, psaFixture{level: r[col["level"]], version: r[col["version"]], outcome: r[col["outcome"]],
			check: r[col["check_id"]], path: r[col["path"]]})
	}
	return out
}

// TestPSAConformance runs the pss-* rules over Kubernetes' own Pod Security Admission
// fixtures (../shared/conformance/psa, see its README), each at its own level and version:
// a pass fixture must yield no finding, a fail fixture at least one finding of the named
// check (or of the restricted check that overrides it), each placed on a field rather than
// on the bare pod spec. Every fixture is checked as a Pod and again wrapped in a
// Deployment, which admission judges by its pod template.
func TestPSAConformance(t *testing.T) {
	dir := psaDir(t)
	fixtures := loadPSAManifest(t, dir)
	onDisk, _ := filepath.Glob(filepath.Join(dir, "testdata", "*", "*", "*", "*.yaml"))
	if len(onDisk) != len(fixtures) {
		t.Errorf("manifest.csv lists %d fixtures, testdata holds %d", len(fixtures), len(onDisk))
	}
	checkOf := map[string]string{} // rule ID -> PSA check ID, from the rule's metadata
	for _, r := range k8s.PSSRules() {
		_, check, _ := strings.Cut(r.Standards.PSS[0], ":")
		checkOf[r.ID] = check
	}
	engines := map[string]*engine.Engine{}
	agree := map[string]int{}
	var problems []string
	for _, fx := range fixtures {
		lvs := fx.level + ":" + fx.version
		e := engines[lvs]
		if e == nil {
			lv, err := pss.Parse(lvs)
			if err != nil {
				t.Fatalf("%s: %v", fx.path, err)
			}
			e = engine.New(engine.Options{Rules: k8s.PSSRules(), Settings: k8s.Settings{PSS: lv}})
			engines[lvs] = e
		}
		src, err := os.ReadFile(filepath.Join(dir, fx.path))
		if err != nil {
			t.Fatal(err)
		}
		variants := []struct {
			kind, specPath string
			src            []byte
		}{{"Pod", "spec", src}}
		if wrapped, _, ok := testkit.WrapPod(src, "Deployment"); ok {
			variants = append(variants, struct {
				kind, specPath string
				src            []byte
			}{"Deployment", "spec.template.spec", wrapped})
		} else {
			problems = append(problems, fx.path+": cannot be wrapped in a Deployment")
		}
		for _, v := range variants {
			if msg := judgePSA(e, fx, v.src, v.specPath, checkOf); msg != "" {
				problems = append(problems, fmt.Sprintf("%s as %s at %s: %s", fx.path, v.kind, lvs, msg))
				continue
			}
			agree[v.kind]++
		}
	}
	t.Logf("PSA conformance: %d of %d fixtures agree", agree["Pod"], len(fixtures))
	t.Logf("PSA conformance as Deployment: %d of %d fixtures agree", agree["Deployment"], len(fixtures))
	for i, p := range problems {
		if i == 50 {
			t.Errorf("... and %d more", len(problems)-i)
			break
		}
		t.Error(p)
	}
}

// judgePSA scans one fixture and returns what is wrong with the verdict, or "".
func judgePSA(e *engine.Engine, fx psaFixture, src []byte, specPath string, checkOf map[string]string) string {
	res := manifest.Load(fx.path, src)
	if len(res.Errors) > 0 || len(res.Docs) != 1 {
		return fmt.Sprintf("load: %d documents, errors %v", len(res.Docs), res.Errors)
	}
	rep := &report.Report{}
	e.Scan(res.Docs, rep)
	if len(rep.Errors) > 0 {
		return fmt.Sprintf("scan errors: %v", rep.Errors)
	}
	var found []string
	attributed := false
	for _, r := range rep.Results {
		check := checkOf[r.Meta.ID]
		found = append(found, fmt.Sprintf("%s at %s: %s", check, r.Location.FieldPath, r.Message))
		if r.Location.FieldPath == specPath {
			return "finding not placed on a field: " + r.Message
		}
		if check == fx.check || check == psaOverrides[fx.check] {
			attributed = true
		}
	}
	switch {
	case fx.outcome == "pass" && len(rep.Results) > 0:
		return fmt.Sprintf("pass fixture has findings %q", found)
	case fx.outcome == "fail" && !attributed:
		return fmt.Sprintf("fail fixture of %s has no finding of it, only %q", fx.check, found)
	case fx.outcome != "pass" && fx.outcome != "fail":
		return "unknown outcome " + fx.outcome
	}
	return ""
}
