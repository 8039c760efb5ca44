package dockerfile_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/engine"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	dfrules "github.com/kharden/kharden/internal/rules/dockerfile"
	"github.com/kharden/kharden/internal/source/dockerfile"
	"github.com/kharden/kharden/internal/testkit"
)

func TestRegistry(t *testing.T) {
	if err := rule.Validate(dfrules.Metas(dfrules.All())); err != nil {
		t.Fatal(err)
	}
	for _, r := range dfrules.All() {
		if !strings.HasPrefix(r.ID, "DF-") {
			t.Errorf("%s: Dockerfile rule IDs start with DF-", r.ID)
		}
		if r.Check == nil {
			t.Errorf("%s: no check", r.ID)
		}
	}
}

// TestEveryRuleFileRegistered fails when a rule file declares a rule All() leaves out.
func TestEveryRuleFileRegistered(t *testing.T) {
	registered := map[string]bool{}
	for _, r := range dfrules.All() {
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
		for _, line := range strings.Split(string(src), "\n") {
			line = strings.TrimSpace(line)
			if id, ok := strings.CutPrefix(line, `ID:        "`); ok {
				id = strings.TrimSuffix(id, `",`)
				if !registered[id] {
					t.Errorf("%s declares rule %s, which All() does not list", f, id)
				}
			}
		}
	}
}

// Fixtures returns the Dockerfiles of a rule's pass or fail fixtures: the
// testdata/<slug>/<outcome>/*.Dockerfile files and the Dockerfile of each case directory
// testdata/<slug>/<outcome>/<case>/ (whose directory is the build context).
func Fixtures(slug, outcome string) []string {
	dir := filepath.Join("testdata", slug, outcome)
	files, _ := filepath.Glob(filepath.Join(dir, "*.Dockerfile"))
	cases, _ := filepath.Glob(filepath.Join(dir, "*", "Dockerfile"))
	files = append(files, cases...)
	sort.Strings(files)
	return files
}

// TestFixtures runs every rule on its pass and fail fixtures through the engine: a fail
// fixture's `# want DF-xxxx "message"` comments (alone on their line, for the line
// below) must match the findings exactly, line for line; a pass fixture must yield none.
func TestFixtures(t *testing.T) {
	dirs, _ := os.ReadDir("testdata")
	bySlug := map[string]*dfrules.Rule{}
	for _, r := range dfrules.All() {
		bySlug[r.Slug] = r
	}
	for _, d := range dirs {
		if d.IsDir() && bySlug[d.Name()] == nil {
			t.Errorf("testdata/%s has no rule", d.Name())
		}
	}
	for _, r := range dfrules.All() {
		t.Run(r.Slug, func(t *testing.T) {
			for _, outcome := range []string{"pass", "fail"} {
				files := Fixtures(r.Slug, outcome)
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

func checkFixture(t *testing.T, r *dfrules.Rule, file string, fail bool) {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	wants, err := testkit.ParseWants(src)
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
	df, err := dockerfile.Load(file, "")
	if err != nil {
		t.Fatalf("load error: %v", err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(file), ".dockerignore")); err == nil && df.Ignore == nil {
		t.Errorf("%s: the case directory's .dockerignore was not read", file)
	}
	rep := &report.Report{}
	engine.NewDockerfile(engine.DockerfileOptions{Rules: []*dfrules.Rule{r}}).Scan(df, rep)
	for _, e := range rep.Errors {
		t.Errorf("%s:%d: %s", e.File, e.Line, e.Message)
	}
	got := map[int][]string{}
	for _, res := range rep.Results {
		if res.Status != rule.Fail {
			t.Errorf("%s:%d: status %s: %s", file, res.Location.Line, res.Status, res.Message)
		}
		if res.Location.Object.Kind != "Dockerfile" || res.Location.Object.Name == "" {
			t.Errorf("%s:%d: result object %+v", file, res.Location.Line, res.Location.Object)
		}
		got[res.Location.Line] = append(got[res.Location.Line], res.Message)
	}
	for _, e := range testkit.Match(file, r.ID, mine, got) {
		t.Error(e)
	}
}
