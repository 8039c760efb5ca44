package vex

import (
	"strings"
	"testing"
	"time"
)

const doc = `{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.com/vex/1",
  "author": "sec",
  "timestamp": "2026-01-01T00:00:00Z",
  "version": 1,
  "statements": [
    {
      "vulnerability": {"name": "CVE-2026-1", "aliases": ["GHSA-aaaa"]},
      "products": [{"@id": "pkg:deb/debian/curl?arch=amd64"}],
      "status": "not_affected",
      "justification": "vulnerable_code_not_present"
    },
    {
      "vulnerability": {"name": "CVE-2026-1"},
      "timestamp": "2026-02-01T00:00:00Z",
      "products": [{"@id": "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5"}],
      "status": "affected"
    },
    {
      "vulnerability": {"name": "GO-2026-2"},
      "products": [{
        "@id": "pkg:oci/app@sha256%3Aabc?repository_url=ghcr.io/acme/app",
        "subcomponents": [{"identifiers": {"purl": "pkg:golang/golang.org/x/net"}}]
      }],
      "status": "fixed"
    }
  ]
}
`

func TestJudge(t *testing.T) {
	sts, err := Parse("v.json", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(sts) != 3 || sts[0].Line != 8 || sts[1].Line != 14 || sts[2].Line != 20 || !sts[1].Time.Equal(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("statements: %+v %+v %+v", sts[0], sts[1], sts[2])
	}
	s := &Set{}
	s.Add(sts...)
	image := "pkg:oci/app@sha256%3Aabc?arch=amd64&repository_url=ghcr.io/acme/app"
	for _, c := range []struct {
		ids      []string
		pkg      string
		subjects []string
		want     string
	}{
		// By an alias, on another version than the later affected statement names.
		{[]string{"DSA-1", "GHSA-aaaa"}, "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u4?arch=amd64&distro=debian-12", nil, "VEX v.json:8: not_affected: vulnerable_code_not_present"},
		// The later statement, affected, decides for the version it names.
		{[]string{"CVE-2026-1"}, "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64&distro=debian-12", nil, ""},
		// The qualifier the statement names must match.
		{[]string{"CVE-2026-1"}, "pkg:deb/debian/curl@1?arch=arm64", nil, ""},
		{[]string{"CVE-2026-2"}, "pkg:deb/debian/curl@1?arch=amd64", nil, ""},
		// A subcomponent of the image, in that image only.
		{[]string{"GO-2026-2"}, "pkg:golang/golang.org/x/net@v0.1.0", []string{image}, "VEX v.json:20: fixed"},
		{[]string{"GO-2026-2"}, "pkg:golang/golang.org/x/net@v0.1.0", []string{"pkg:oci/app@sha256%3Adef?repository_url=ghcr.io/acme/app"}, ""},
		{[]string{"GO-2026-2"}, "pkg:golang/golang.org/x/net@v0.1.0", nil, ""},
	} {
		got, _ := s.Judge(c.ids, c.pkg, c.subjects).Suppresses()
		if got != c.want {
			t.Errorf("%v on %s: %q, want %q", c.ids, c.pkg, got, c.want)
		}
	}
}

// OpenVEX v0.0.1 wrote the vulnerability and the products as strings.
func TestVersion001(t *testing.T) {
	sts, err := Parse("old.json", []byte(`{"@context":"https://openvex.dev/ns","statements":[
{"vulnerability":"CVE-2026-9","products":["pkg:apk/alpine/musl"],"status":"not_affected","impact_statement":"not built with it"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	s := &Set{}
	s.Add(sts...)
	if got, ok := s.Judge([]string{"CVE-2026-9"}, "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64", nil).Suppresses(); !ok || got != "VEX old.json:2: not_affected (not built with it)" {
		t.Errorf("got %q %v", got, ok)
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{"{\n\"@context\": \"https://openvex.dev/ns\",\n\"statements\": [,]}", "v.json:3: not JSON"},
		{`[]`, "v.json:1: not an OpenVEX document"},
		{`{"@context": "https://cyclonedx.org"}`, `v.json:1: not an OpenVEX document: @context is "https://cyclonedx.org"`},
		{`{"@context": "https://openvex.dev/ns", "statements": []}`, "v.json:1: the document has no statements"},
		{"{\"@context\": \"https://openvex.dev/ns\", \"statements\": [\n{\"vulnerability\": {\"name\": \"C\"}, \"products\": [\"p\"], \"status\": \"not_affected\", \"justification\": \"trust me\"}]}",
			`v.json:2: statements[0]: justification "trust me" is not one of component_not_present`},
		{"{\"@context\": \"https://openvex.dev/ns\", \"statements\": [{\"products\": [\"p\"], \"status\": \"fixed\"},\n{\"vulnerability\": \"C\", \"status\": \"gone\"}]}",
			"v.json:1: statements[0]: no vulnerability name\nv.json:2: statements[1]: status \"gone\" is not one of"},
		{"{\"@context\": \"https://openvex.dev/ns\", \"statements\": [\n{\"vulnerability\": \"C\", \"status\": \"fixed\"}]}", "v.json:2: statements[0]: no products"},
		{"{\"@context\": \"https://openvex.dev/ns\", \"statements\": [\n{\"vulnerability\": \"C\", \"status\": 3}]}", "v.json:2: statements[0]: json: cannot unmarshal number"},
	} {
		_, err := Parse("v.json", []byte(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.doc, err, c.want)
		}
	}
}

func TestMatchPURL(t *testing.T) {
	for _, c := range []struct {
		p, pkg string
		want   bool
	}{
		{"pkg:pypi/Django", "pkg:pypi/django@4.2", true},
		{"pkg:maven/org.Acme/Lib", "pkg:maven/org.acme/lib@1.0", false},
		{"pkg:maven/org.acme/lib", "pkg:maven/org.acme/lib@1.0", true},
		{"pkg:npm/%40scope/x@1.0.0", "pkg:npm/%40scope/x@1.0.0", true},
		{"pkg:npm/%40scope/x@1.0.0", "pkg:npm/%40scope/x@1.0.1", false},
		{"pkg:deb/debian/curl", "pkg:deb/ubuntu/curl@1", false},
		{"cpe:2.3:a:curl:curl", "pkg:deb/debian/curl@1", false},
	} {
		if got := MatchPURL(c.p, c.pkg); got != c.want {
			t.Errorf("%s on %s: %v, want %v", c.p, c.pkg, got, c.want)
		}
	}
}
