package report

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/rule"
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
	var tests, failures, errors, skipped int
	for _, s := range got.Suites {
		if s.Tests != len(s.Cases) {
			t.Errorf("suite %s: tests=%d, but it has %d cases", s.Name, s.Tests, len(s.Cases))
		}
		tests, failures, errors, skipped = tests+s.Tests, failures+s.Failures, errors+s.Errors, skipped+s.Skipped
	}
	if tests != 8 || failures != 4 || errors != 2 || skipped != 1 {
		t.Errorf("totals: tests=%d failures=%d errors=%d skipped=%d, want 8 4 2 1", tests, failures, errors, skipped)
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

// appendJUnitSuite is held byte for byte to encoding/xml's encoding of junitSuite, on
// content full of markup characters, "]]>", control characters and invalid UTF-8.
func TestJUnitSuiteEncodingMatchesEncodingXML(t *testing.T) {
	part := &Report{Results: oddResults(), Scanned: []string{"clean.yaml", "", "x&y.yaml"}}
	for i, res := range part.Results {
		if i%3 == 0 {
			res.Message += " ]]> end ]]]> \x01"
			part.Suppressed = append(part.Suppressed, res)
		}
		part.Errors = append(part.Errors, Problem{File: res.Location.File, Line: i, Column: i % 2, Message: res.Message + "]]>"})
		part.Notes = append(part.Notes, Problem{File: res.Location.File, Line: i, Message: res.Suppressed})
	}
	part.Results = append(part.Results, rule.Result{Meta: metaPrivileged, Message: ""})
	names, files := junitFiles(part)
	for _, name := range names {
		for _, drop := range []string{"", "cases", "out", "properties"} {
			s := files[name].suite(name)
			s.Properties = []junitProperty{{Name: "kharden.config", Value: "a\x1b\"&<>.yaml"}, {Name: "kharden.config.source", Value: "found"}}
			switch drop {
			case "properties":
				s.Properties = nil
			case "cases":
				s.Cases = nil
			case "out":
				s.SystemOut = nil
			}
			var want bytes.Buffer
			enc := xml.NewEncoder(&want)
			enc.Indent("  ", "  ")
			if err := enc.EncodeElement(s, xml.StartElement{Name: xml.Name{Local: "testsuite"}}); err != nil {
				t.Fatal(err)
			}
			if got := appendJUnitSuite(nil, &s); string(got) != want.String() {
				t.Errorf("suite %q (without %s):\n got %s\nwant %s", name, drop, got, want.Bytes())
			}
		}
	}
}
