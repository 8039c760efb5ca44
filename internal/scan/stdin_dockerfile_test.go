package scan

import (
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/report"
)

// A Dockerfile on standard input: read with --dockerfile -, and recognised when given
// as - (and said so); YAML that starts with comments stays YAML.
func TestDockerfileOnStdin(t *testing.T) {
	const df = "# build the app\n\nFROM ubuntu:22.04\nRUN apt-get install -y curl\n"
	ids := func(rep *report.Report) string {
		var b strings.Builder
		for _, r := range rep.Results {
			b.WriteString(r.Meta.ID + "@" + r.Location.File + " ")
		}
		return b.String()
	}
	for _, o := range []Options{
		{Dockerfiles: []string{"-"}, Stdin: strings.NewReader(df)},
		{Paths: []string{"-"}, Stdin: strings.NewReader(df)},
	} {
		o.Config = &config.Config{}
		rep, err := Run(o)
		if err != nil {
			t.Fatal(err)
		}
		got := ids(rep)
		if !strings.Contains(got, "DF-") || !strings.Contains(got, "@"+report.Stdin) || len(rep.Errors) != 0 {
			t.Errorf("paths %v, dockerfiles %v: results %s, errors %v", o.Paths, o.Dockerfiles, got, rep.Errors)
		}
		said := len(rep.Notes) == 1 && strings.Contains(rep.Notes[0].Message, "read as one")
		if said != (len(o.Paths) == 1) {
			t.Errorf("paths %v: notes %v", o.Paths, rep.Notes)
		}
	}
	yaml := "# FROM the team\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers:\n  - name: c\n    image: x\n    securityContext: {privileged: true}\n"
	rep, err := Run(Options{Paths: []string{"-"}, Stdin: strings.NewReader(yaml), Config: &config.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(rep); !strings.Contains(got, "KM-0004") || strings.Contains(got, "DF-") {
		t.Errorf("YAML on standard input: %s", got)
	}
	if _, err := New(Options{Paths: []string{"-"}, Dockerfiles: []string{"-"}, Config: &config.Config{}}); err == nil || !strings.Contains(err.Error(), "standard input can be read once") {
		t.Errorf("- twice: %v", err)
	}
}
