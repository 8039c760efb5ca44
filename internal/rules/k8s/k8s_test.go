package k8s_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/engine"
	"github.com/kharden/kharden/internal/pss"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/rules/k8s"
	"github.com/kharden/kharden/internal/source/manifest"
	"github.com/kharden/kharden/internal/source/seccomp"
	"github.com/kharden/kharden/internal/testkit"
)

// testSettings are the settings every fixture is scanned with. The pss-* rules run at the
// Pod Security level restricted:latest; a fixture picks another level and version with a
// comment line `# pss: baseline:v1.30` (see fixtureSettings). The nodes' seccomp
// directory is seccomp-localhost-profile's node/.
var testSettings = k8s.Settings{AllowedRegistries: []string{"registry.example.com/", "ghcr.io/acme/"},
	PSS: mustPSS("restricted:latest"), SeccompDir: mustSeccompDir("testdata/seccomp-localhost-profile/node")}

func mustSeccompDir(dir string) *seccomp.Dir {
	d, err := seccomp.OpenDir(dir)
	if err != nil {
		panic(err)
	}
	return d
}

func mustPSS(s string) pss.LevelVersion {
	lv, err := pss.Parse(s)
	if err != nil {
		panic(err)
	}
	return lv
}

var pssComment = regexp.MustCompile(`(?m)^#\s*pss:\s*(\S+)\s*$`)

// fixtureSettings returns testSettings with the Pod Security level of the fixture's
// `# pss: LEVEL[:VERSION]` comment, if it has one.
func fixtureSettings(src []byte) (k8s.Settings, error) {
	s := testSettings
	if m := pssComment.FindSubmatch(src); m != nil {
		lv, err := pss.Parse(string(m[1]))
		if err != nil {
			return s, err
		}
		s.PSS = lv
	}
	return s, nil
}

func TestRegistry(t *testing.T) {
	if err := rule.Validate(k8s.Metas(k8s.All())); err != nil {
		t.Fatal(err)
	}
}

var declaredID = regexp.MustCompile(`(?m)^\s*ID:\s*"([A-Z]{2}-\d{4})"`)

// TestEveryRuleFileRegistered fails when a rule file declares a rule All() leaves out.
func TestEveryRuleFileRegistered(t *testing.T) {
	registered := map[string]bool{}
	for _, r := range k8s.All() {
		registered[r.ID] = true
	}
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range declaredID.FindAllStringSubmatch(string(src), -1) {
			if !registered[m[1]] {
				t.Errorf("%s declares rule %s, which All() does not list", f, m[1])
			}
		}
	}
}

// TestFixtures runs every rule on its pass and fail fixtures, and every Pod fixture again
// wrapped as each controller kind.
func TestFixtures(t *testing.T) {
	dirs, _ := os.ReadDir("testdata")
	bySlug := map[string]*k8s.Rule{}
	for _, r := range k8s.All() {
		bySlug[r.Slug] = r
	}
	for _, d := range dirs {
		if d.IsDir() && bySlug[d.Name()] == nil {
			t.Errorf("testdata/%s has no rule", d.Name())
		}
	}
	for _, r := range k8s.All() {
		t.Run(r.Slug, func(t *testing.T) {
			for _, outcome := range []string{"pass", "fail"} {
				files, _ := filepath.Glob(filepath.Join("testdata", r.Slug, outcome, "*.yaml"))
				if len(files) == 0 {
					t.Errorf("no %s fixture in testdata/%s/%s", outcome, r.Slug, outcome)
				}
				for _, f := range files {
					checkFixture(t, r, f, outcome == "fail")
				}
			}
		})
	}
}

func checkFixture(t *testing.T, r *k8s.Rule, file string, fail bool) {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	wants, err := testkit.ParseWants(src)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	settings, err := fixtureSettings(src)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var mine []testkit.Want
	for _, w := range wants {
		if w.ID == r.ID {
			mine = append(mine, w)
		}
	}
	if fail && len(mine) == 0 {
		t.Errorf("%s: fail fixture has no `# want %s` comment", file, r.ID)
	}
	if !fail && len(mine) > 0 {
		t.Errorf("%s: pass fixture has want comments", file)
	}
	variants := map[string]struct {
		src     []byte
		lineMap []int
	}{"": {src, nil}}
	for kind := range testkit.Controllers {
		if out, lm, ok := testkit.WrapPod(src, kind); ok {
			variants[kind] = struct {
				src     []byte
				lineMap []int
			}{out, lm}
		}
	}
	for kind, v := range variants {
		name := file
		if kind != "" {
			name = file + " as " + kind
		}
		res := manifest.Load(name, v.src)
		for _, e := range res.Errors {
			t.Errorf("load error: %v", e)
		}
		rep := &report.Report{}
		engine.New(engine.Options{Rules: []*k8s.Rule{r}, Settings: settings}).Scan(res.Docs, rep)
		for _, e := range rep.Errors {
			t.Errorf("%s: %s:%d: %s", name, e.File, e.Line, e.Message)
		}
		got := map[int][]string{}
		for _, res := range rep.Results {
			line := res.Location.Line
			if v.lineMap != nil && line > 0 && line <= len(v.lineMap) {
				line = v.lineMap[line-1]
			}
			if res.Status != rule.Fail {
				t.Errorf("%s:%d: status %s: %s", name, line, res.Status, res.Message)
			}
			for _, p := range res.Practices {
				if !slices.Contains(r.Practices, p) {
					t.Errorf("%s:%d: finding labelled %s, which is not among the rule's practices %v", name, line, p, r.Practices)
				}
			}
			got[line] = append(got[line], res.Message)
		}
		for _, e := range testkit.Match(name, r.ID, mine, got) {
			t.Error(e)
		}
	}
}
