package report

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestJUnitRoundTrip(t *testing.T) {
	out := render(t, fixture(), "junit", Options{})
	if !strings.HasPrefix(string(out), xml.Header) {
		t.Error("JUnit output lacks the XML declaration")
	}
	var got junitSuites
	if err := xml.Unmarshal(out, &got); err != nil {
		t.Fatalf("JUnit output does not parse: %v\n%s", err, out)
	}

	var names []string
	for _, s := range got.Suites {
		names = append(names, s.Name)
	}
	if want := "broken.yaml,clean.yaml,deploy/web.yaml,jobs/my jobs.yaml,rbac/roles.yaml"; strings.Join(names, ",") != want {
		t.Errorf("suites = %s, want %s", strings.Join(names, ","), want)
	}
	if got.Tests != 8 || got.Failures != 4 || got.Errors != 2 || got.Skipped != 1 {
		t.Errorf("totals: tests=%d failures=%d errors=%d skipped=%d, want 8 4 2 1", got.Tests, got.Failures, got.Errors, got.Skipped)
	}
	suite := func(name string) junitSuite {
		for _, s := range got.Suites {
			if s.Name == name {
				return s
			}
		}
		t.Fatalf("no suite %s", name)
		return junitSuite{}
	}

	web := suite("deploy/web.yaml")
	if web.Tests != len(web.Cases) || web.Failures != 3 || web.Skipped != 1 {
		t.Errorf("deploy/web.yaml: %+v", web)
	}
	var priv *junitCase
	for i, c := range web.Cases {
		if c.Classname != "deploy/web.yaml" {
			t.Errorf("case %q has classname %q", c.Name, c.Classname)
		}
		if strings.HasPrefix(c.Name, "KM-0004") {
			priv = &web.Cases[i]
		}
	}
	if priv == nil || priv.Name != "KM-0004 privileged Deployment/shop/web spec.template.spec.containers[0].securityContext.privileged" {
		t.Fatalf("privileged test case: %+v", priv)
	}
	if f := priv.Failure; f == nil || f.Type != "critical" || f.Message != `container "web" runs privileged` ||
		!strings.HasPrefix(f.Body, "deploy/web.yaml:12:7\n") {
		t.Errorf("privileged failure: %+v", priv.Failure)
	}
	if web.SystemOut == nil || !strings.Contains(web.SystemOut.Text, "deploy/web.yaml:5:7: note: suppression") {
		t.Errorf("deploy/web.yaml system-out: %+v", web.SystemOut)
	}

	clean := suite("clean.yaml")
	if len(clean.Cases) != 1 || clean.Cases[0].Name != "no findings" || clean.Cases[0].Failure != nil || clean.Cases[0].Error != nil {
		t.Errorf("clean file: %+v", clean.Cases)
	}
	broken := suite("broken.yaml")
	if len(broken.Cases) != 1 || broken.Cases[0].Error == nil || broken.Cases[0].Error.Type != "load" {
		t.Errorf("load error: %+v", broken.Cases)
	}
	roles := suite("rbac/roles.yaml")
	if len(roles.Cases) != 1 || roles.Cases[0].Error == nil || roles.Cases[0].Name != "KM-0040 rbac-wildcards ClusterRole/admin-all" {
		t.Errorf("rule error: %+v", roles.Cases)
	}

	// Re-encoding what was decoded gives the same document: nothing is lost.
	again, err := xml.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if xml.Header+string(again)+"\n" != string(out) {
		t.Errorf("JUnit output does not survive a round trip:\n%s", again)
	}
}
