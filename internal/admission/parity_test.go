package admission

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/rules/k8s"
	"github.com/kharden/kharden/internal/scan"
	"github.com/kharden/kharden/internal/testkit"
)

// parityCase is one object, as a single-document manifest, and the levels it is judged at.
type parityCase struct {
	name string
	src  []byte
}

// parityRun is a set of cases judged at one level under one config.
type parityRun struct {
	level string
	cfg   config.Config
	cases []parityCase
}

var allowedRegistries = []string{"registry.example.com/", "ghcr.io/acme/"}

// allRulesConfig turns on every manifest rule (the pss-* ones too, which then judge at the
// profile's level), so that the off-by-default rules are compared as well.
func allRulesConfig() config.Config {
	var on []string
	for _, r := range k8s.All() {
		on = append(on, r.Slug)
	}
	return config.Config{AllowedRegistries: allowedRegistries, Rules: config.Rules{Enable: on}}
}

var docSep = regexp.MustCompile(`(?m)^---[ \t]*$`)
var pssComment = regexp.MustCompile(`(?m)^#\s*pss:\s*(\S+)\s*$`)

// ruleFixtureRuns collects every rule fixture (testdata/<slug>/{pass,fail}/*.yaml of the
// manifest rules), one case per document, every Pod again wrapped as each controller kind.
func ruleFixtureRuns(t *testing.T) []*parityRun {
	files, err := filepath.Glob(filepath.Join("..", "rules", "k8s", "testdata", "*", "*", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule fixtures found: %v", err)
	}
	plain := config.Config{AllowedRegistries: allowedRegistries}
	runs := map[string]*parityRun{
		"info":           {level: "info", cfg: allRulesConfig()},
		"high":           {level: "high", cfg: allRulesConfig()},
		"medium":         {level: "medium", cfg: plain},
		"pss-baseline":   {level: "pss-baseline", cfg: plain},
		"pss-restricted": {level: "pss-restricted", cfg: plain},
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(filepath.Join("..", "rules", "k8s", "testdata"), f)
		var cases []parityCase
		for i, doc := range docSep.Split(string(src), -1) {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			cases = append(cases, parityCase{name: fmt.Sprintf("%s#%d", rel, i), src: []byte(doc)})
			if wrappedOK(doc) {
				for _, kind := range sortedControllers() {
					if out, _, ok := testkit.WrapPod([]byte(doc), kind); ok {
						cases = append(cases, parityCase{name: fmt.Sprintf("%s#%d as %s", rel, i, kind), src: out})
					}
				}
			}
		}
		for _, r := range runs {
			r.cases = append(r.cases, cases...)
		}
		if m := pssComment.FindSubmatch(src); m != nil {
			level := "pss-" + string(m[1])
			if runs[level] == nil {
				runs[level] = &parityRun{level: level, cfg: plain}
			}
			runs[level].cases = append(runs[level].cases, cases...)
		}
	}
	var out []*parityRun
	for _, k := range slices.Sorted(mapKeys(runs)) {
		out = append(out, runs[k])
	}
	return out
}

var serviceAccountDoc = regexp.MustCompile(`(?m)^kind:\s*ServiceAccount\s*$`)

func wrappedOK(doc string) bool { return regexp.MustCompile(`(?m)^kind:\s*Pod\s*$`).MatchString(doc) }

func stripComments(doc string) string {
	var b strings.Builder
	for _, l := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func sortedControllers() []string { return slices.Sorted(mapKeys(testkit.Controllers)) }

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestVerdictParityRuleFixtures replays every rule fixture through the webhook's handler
// and through `kharden scan` (scan.Run on the same documents written to files, with the
// same config and --profile/--fail-on as the level), at severity levels and Pod Security
// levels: the handler must deny exactly what the scan fails, naming exactly the scan's
// rule IDs. Every manifest rule must be hit at least once, so the comparison covers them
// all.
func TestVerdictParityRuleFixtures(t *testing.T) {
	hit := map[string]bool{}
	denied, total := 0, 0
	for _, run := range ruleFixtureRuns(t) {
		denied += comparedRun(t, run, hit, nil)
		total += len(run.cases)
	}
	t.Logf("%d rule fixture cases at severity and Pod Security levels agree (%d denied, %d admitted)", total, denied, total-denied)
	for _, r := range k8s.All() {
		if r.ID == k8s.SeccompLocalhostProfile.ID {
			continue // it runs only with scan's --seccomp-dir, a node's directory admission has not
		}
		if !hit[r.ID] {
			t.Errorf("rule %s (%s) is never hit by the parity fixtures", r.ID, r.Slug)
		}
	}
}

// TestVerdictParityPSAConformance replays Kubernetes' Pod Security Admission conformance
// pods (../shared/conformance/psa), each at its own level and version, as a Pod and as a
// Deployment: the handler and the scan agree, and both agree with the suite's outcome.
func TestVerdictParityPSAConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("thousands of fixtures; -short skips them")
	}
	dir := filepath.Join("..", "..", "..", "shared", "conformance", "psa")
	f, err := os.Open(filepath.Join(dir, "manifest.csv"))
	if err != nil {
		t.Fatalf("PSA conformance suite not found (../shared/conformance/psa beside the checkout): %v", err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) < 2 {
		t.Fatalf("manifest.csv: %v", err)
	}
	col := map[string]int{}
	for i, n := range rows[0] {
		col[n] = i
	}
	runs := map[string]*parityRun{}
	outcome := map[string]string{} // case name -> pass or fail
	for _, r := range rows[1:] {
		level := "pss-" + r[col["level"]] + ":" + r[col["version"]]
		src, err := os.ReadFile(filepath.Join(dir, r[col["path"]]))
		if err != nil {
			t.Fatal(err)
		}
		run := runs[level]
		if run == nil {
			run = &parityRun{level: level}
			runs[level] = run
		}
		name := r[col["path"]]
		run.cases = append(run.cases, parityCase{name: name, src: src})
		outcome[name] = r[col["outcome"]]
		if out, _, ok := testkit.WrapPod(src, "Deployment"); ok {
			run.cases = append(run.cases, parityCase{name: name + " as Deployment", src: out})
			outcome[name+" as Deployment"] = r[col["outcome"]]
		} else {
			t.Errorf("%s: cannot be wrapped as a Deployment", name)
		}
	}
	n := 0
	for _, k := range slices.Sorted(mapKeys(runs)) {
		comparedRun(t, runs[k], map[string]bool{}, outcome)
		n += len(runs[k].cases)
	}
	t.Logf("%d PSA conformance cases (pods and Deployments) at %d levels agree", n, len(runs))
}

// comparedRun judges a run's cases with scan.Run and with the handler and reports every
// disagreement. want, when not nil, is the expected outcome ("pass"/"fail") by case name.
func comparedRun(t *testing.T, run *parityRun, hit map[string]bool, want map[string]string) (denied int) {
	t.Helper()
	l, err := ParseLevel(run.level, "", run.cfg.Profile)
	if err != nil {
		t.Fatal(err)
	}
	// The scan: the cases as files, scanned at once, as `kharden scan --profile P
	// --fail-on T DIR` with the run's config.
	// ServiceAccount cases are scanned on their own: a scan judges a pod with the
	// ServiceAccounts of its other inputs (docs/design/cross-object.md), the webhook with
	// none, and the cases are unrelated objects.
	dir, saDir := t.TempDir(), t.TempDir()
	byFile := map[string]*parityCase{}
	for i := range run.cases {
		p := filepath.Join(dir, fmt.Sprintf("case-%05d.yaml", i))
		if serviceAccountDoc.Match(run.cases[i].src) {
			p = filepath.Join(saDir, fmt.Sprintf("case-%05d.yaml", i))
		}
		if err := os.WriteFile(p, run.cases[i].src, 0o600); err != nil {
			t.Fatal(err)
		}
		byFile[p] = &run.cases[i]
	}
	cfg := run.cfg
	rep, err := scan.Run(scan.Options{Paths: []string{dir}, Profile: l.Profile, FailOn: l.Threshold.String(), Config: &cfg, Jobs: 2})
	if err != nil {
		t.Fatalf("%s: scan: %v", run.level, err)
	}
	// Most runs have no ServiceAccount case: saDir is then empty, which is no error here.
	saRep, err := scan.Run(scan.Options{Paths: []string{saDir}, Profile: l.Profile, FailOn: l.Threshold.String(), Config: &cfg, Jobs: 2, AllowEmpty: true})
	if err != nil {
		t.Fatalf("%s: scan: %v", run.level, err)
	}
	rep.Results = append(rep.Results, saRep.Results...)
	rep.Errors = append(rep.Errors, saRep.Errors...)
	type verdict struct {
		deny bool
		ids  []string
	}
	cli := map[string]*verdict{}
	for p := range byFile {
		cli[p] = &verdict{}
	}
	for _, res := range rep.Results {
		v := cli[res.Location.File]
		if v == nil {
			t.Fatalf("result on unknown file %s", res.Location.File)
		}
		if (res.Status == rule.Fail || res.Status == "") && res.Severity >= l.Threshold {
			v.deny = true
			if !slices.Contains(v.ids, res.Meta.ID) {
				v.ids = append(v.ids, res.Meta.ID)
			}
		}
	}
	for _, e := range rep.Errors {
		if v := cli[e.File]; v != nil {
			v.deny = true
		} else {
			t.Errorf("%s: scan error: %s:%d: %s", run.level, e.File, e.Line, e.Message)
		}
	}
	// The handler: each case as a create request, in a namespace without labels, under the
	// same config with the level as its enforce default.
	cfg.Admission = config.Admission{Enforce: run.level}
	r := reviewer(t, &cfg, nil)
	ctx := context.Background()
	problems := 0
	for p, c := range byFile {
		v := cli[p]
		slices.Sort(v.ids)
		req, err := requestFor(c.src)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		d := r.Validate(ctx, req)
		if !d.Response.Allowed {
			denied++
		}
		for _, id := range d.Hits {
			hit[id] = true
		}
		var msg string
		switch {
		case d.Response.Allowed == v.deny:
			msg = fmt.Sprintf("handler allowed=%v, scan failed=%v (scan IDs %v, handler %v)", d.Response.Allowed, v.deny, v.ids, d.Hits)
		case !slices.Equal(d.Hits, v.ids):
			msg = fmt.Sprintf("rule IDs differ: scan %v, handler %v", v.ids, d.Hits)
		case want != nil && (want[c.name] == "fail") != v.deny:
			msg = fmt.Sprintf("suite says %s, both say deny=%v (%v)", want[c.name], v.deny, v.ids)
		}
		if msg != "" {
			problems++
			if problems <= 30 {
				t.Errorf("%s at level %s: %s", c.name, run.level, msg)
			}
		}
	}
	if problems > 30 {
		t.Errorf("level %s: %d disagreements in all", run.level, problems)
	}
	return denied
}

// requestFor builds the create request the API server sends for a one-document manifest,
// converted to JSON as kubectl converts it.
func requestFor(src []byte) (*admissionv1.AdmissionRequest, error) {
	raw, err := yaml.YAMLToJSON(src)
	if err != nil {
		return nil, err
	}
	var head struct {
		metav1.TypeMeta
		Metadata metav1.ObjectMeta `json:"metadata"`
	}
	if err := yaml.Unmarshal(raw, &head); err != nil {
		return nil, err
	}
	gv, _ := parseGV(head.APIVersion)
	return &admissionv1.AdmissionRequest{
		UID:       types.UID("uid-" + strconv.Itoa(len(raw))),
		Kind:      metav1.GroupVersionKind{Group: gv[0], Version: gv[1], Kind: head.Kind},
		Namespace: head.Metadata.Namespace,
		Name:      head.Metadata.Name,
		Operation: admissionv1.Create,
		Object:    runtime.RawExtension{Raw: raw},
	}, nil
}
