package seccomp_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/engine"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	sprules "github.com/kharden/kharden/internal/rules/seccomp"
	"github.com/kharden/kharden/internal/source/manifest"
	"github.com/kharden/kharden/internal/source/seccomp"
	"github.com/kharden/kharden/internal/testkit"
)

func TestRegistry(t *testing.T) {
	if err := rule.Validate(sprules.Metas(sprules.All())); err != nil {
		t.Fatal(err)
	}
	for _, r := range sprules.All() {
		if !strings.HasPrefix(r.ID, "SP-") {
			t.Errorf("%s: seccomp profile rule IDs start with SP-", r.ID)
		}
		if r.Check == nil {
			t.Errorf("%s: no check", r.ID)
		}
		if sprules.Lookup(r.Slug) != r || sprules.Lookup(strings.ToLower(r.ID)) != r {
			t.Errorf("%s: Lookup does not find it", r.ID)
		}
	}
}

// TestEveryRuleFileRegistered fails when a rule file declares a rule All() leaves out.
func TestEveryRuleFileRegistered(t *testing.T) {
	registered := map[string]bool{}
	for _, r := range sprules.All() {
		registered[r.ID] = true
	}
	files, _ := filepath.Glob("*.go")
	id := regexp.MustCompile(`^\s*ID:\s*"(SP-\d{4})",`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(src), "\n") {
			if m := id.FindStringSubmatch(line); m != nil && !registered[m[1]] {
				t.Errorf("%s declares rule %s, which All() does not list", f, m[1])
			}
		}
	}
}

// wantComment is a fixture's `# want` comment, which a JSON fixture carries after the
// JSON on its line: Fixture blanks it before the file is read.
var wantComment = regexp.MustCompile(`#\s*want\s.*$`)

// Load reads a fixture as kharden scan does: an OCI profile (JSON, its want comments
// blanked) or manifests.
func Load(t *testing.T, file string) (src []byte, r *manifest.Result) {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	data := src
	if strings.HasSuffix(file, ".json") {
		lines := strings.Split(string(src), "\n")
		for i, l := range lines {
			lines[i] = wantComment.ReplaceAllStringFunc(l, func(s string) string { return strings.Repeat(" ", len(s)) })
		}
		data = []byte(strings.Join(lines, "\n"))
		if !seccomp.Sniff(data) {
			t.Fatalf("%s: not sniffed as a seccomp profile", file)
		}
		return src, seccomp.Load(file, data)
	}
	return src, manifest.Load(file, data)
}

// TestFixtures runs every rule on its pass and fail fixtures through the engine: a fail
// fixture's `# want SP-xxxx "message"` comments must match the findings exactly, line for
// line; a pass fixture must yield none.
func TestFixtures(t *testing.T) {
	bySlug := map[string]*sprules.Rule{}
	for _, r := range sprules.All() {
		bySlug[r.Slug] = r
	}
	dirs, _ := os.ReadDir("testdata")
	for _, d := range dirs {
		if d.IsDir() && bySlug[d.Name()] == nil {
			t.Errorf("testdata/%s has no rule", d.Name())
		}
	}
	for _, r := range sprules.All() {
		t.Run(r.Slug, func(t *testing.T) {
			for _, outcome := range []string{"pass", "fail"} {
				files, _ := filepath.Glob(filepath.Join("testdata", r.Slug, outcome, "*"))
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

func checkFixture(t *testing.T, r *sprules.Rule, file string, fail bool) {
	t.Helper()
	src, res := Load(t, file)
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
	rep := &report.Report{}
	for _, e := range res.Errors {
		t.Errorf("%s", e)
	}
	if len(res.Docs) != 1 || !seccomp.Is(res.Docs[0]) {
		t.Fatalf("%s: want one seccomp profile, got %d documents", file, len(res.Docs))
	}
	engine.NewSeccomp(engine.SeccompOptions{Rules: []*sprules.Rule{r}}).Scan(res.Docs[0], rep)
	for _, e := range append(rep.Errors, rep.Notes...) {
		t.Errorf("%s:%d: %s", e.File, e.Line, e.Message)
	}
	got := map[int][]string{}
	for _, res := range rep.Results {
		if res.Status != rule.Fail || res.Location.Object.Kind != seccomp.Kind || res.Location.Object.Name == "" {
			t.Errorf("%s:%d: %s result on %+v: %s", file, res.Location.Line, res.Status, res.Location.Object, res.Message)
		}
		got[res.Location.Line] = append(got[res.Location.Line], res.Message)
	}
	for _, e := range testkit.Match(file, r.ID, mine, got) {
		t.Error(e)
	}
}
