package dockerfile_test

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/kharden/kharden/internal/engine"
	"github.com/kharden/kharden/internal/report"
	dfrules "github.com/kharden/kharden/internal/rules/dockerfile"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// trivyChecks is the shared conformance data of trivy-checks' Dockerfile examples:
// <check>/good/<n>/Dockerfile must not be reported, <check>/bad/<n>/Dockerfile must be.
const trivyChecks = "../../../../shared/conformance/dockerfile/trivy-checks"

// trivyToKharden maps a trivy-checks Dockerfile check to the kharden rule that covers
// it. Extend it when a rule covers another check; checks left out are not compared.
var trivyToKharden = map[string]string{
	"DS-0001": "DF-0005", // ':latest' tag used
	"DS-0002": "DF-0017", // image user should not be 'root'
	"DS-0004": "DF-0021", // port 22 exposed
	"DS-0005": "DF-0002", // ADD instead of COPY
	"DS-0008": "DF-0021", // exposed port out of range
	"DS-0009": "DF-0012", // WORKDIR path not absolute
	"DS-0010": "DF-0001", // RUN using 'sudo'
	"DS-0013": "DF-0013", // 'RUN cd ...' to change directory
	"DS-0015": "DF-0016", // 'yum clean all' missing
	"DS-0017": "DF-0018", // 'RUN <package-manager> update' instruction alone
	"DS-0019": "DF-0016", // 'dnf clean all' missing
	"DS-0020": "DF-0016", // 'zypper clean' missing
	"DS-0021": "DF-0019", // 'apt-get' missing '-y' to avoid manual input
	"DS-0024": "DF-0003", // 'apt-get dist-upgrade' used
}

// TestConformanceTrivyChecks runs each mapped kharden rule on trivy-checks' examples:
// a good example yields no finding of the rule, a bad one at least one.
func TestConformanceTrivyChecks(t *testing.T) {
	if _, err := os.Stat(trivyChecks); err != nil {
		t.Skipf("no trivy-checks conformance data at %s", trivyChecks)
	}
	byID := map[string]*dfrules.Rule{}
	for _, r := range dfrules.All() {
		byID[r.ID] = r
	}
	checks := make([]string, 0, len(trivyToKharden))
	for c := range trivyToKharden {
		checks = append(checks, c)
	}
	sort.Strings(checks)
	for _, check := range checks {
		r := byID[trivyToKharden[check]]
		if r == nil {
			t.Errorf("%s maps to %s, which is not a registered rule", check, trivyToKharden[check])
			continue
		}
		t.Run(check+"/"+r.Slug, func(t *testing.T) {
			for _, verdict := range []string{"good", "bad"} {
				files, _ := filepath.Glob(filepath.Join(trivyChecks, check, verdict, "*", "Dockerfile"))
				if len(files) == 0 {
					t.Errorf("no %s example for %s", verdict, check)
				}
				for _, f := range files {
					df, err := dockerfile.Load(f, "")
					if err != nil {
						t.Errorf("%v", err)
						continue
					}
					rep := &report.Report{}
					engine.NewDockerfile(engine.DockerfileOptions{Rules: []*dfrules.Rule{r}}).Scan(df, rep)
					n := len(rep.Results)
					switch {
					case verdict == "good" && n > 0:
						t.Errorf("%s: trivy's good example yields %d finding(s) of %s, first: %s", f, n, r.ID, rep.Results[0].Message)
					case verdict == "bad" && n == 0:
						t.Errorf("%s: trivy's bad example yields no finding of %s", f, r.ID)
					}
				}
			}
		})
	}
}
