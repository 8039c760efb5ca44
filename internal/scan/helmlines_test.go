package scan

import (
	"path/filepath"
	"strings"
	"testing"
)

// A finding in a Helm chart points at the template line that wrote the field, and names
// the chart value it came from, in every shape a chart writes a field: in the template,
// in a helper (_helpers.tpl), in a range over values, in a values subtree printed by
// toYaml, in a subchart; a template kharden cannot trace gets no line and says so.
func TestHelmFindingsAtTemplateLines(t *testing.T) {
	const chart = "../source/helm/testdata/mapped"
	rep := run(t, Options{Paths: []string{chart}, Helm: HelmOptions{ValuesFiles: []string{chart + "/insecure-values.yaml"}}})
	for _, e := range rep.Errors {
		t.Errorf("error: %+v", e)
	}
	deploy := filepath.Join(chart, "templates", "deployment.yaml")
	for _, c := range []struct {
		id, name, path string
		file           string
		line, col      int
		note           string
		key            string // the result's Location.ValuesKey
	}{
		{"KM-0025", "release-name-mapped", "spec.template.spec.containers[0].image", deploy, 18, 11, "(values keys image.repository, image.tag)", "image.repository, image.tag"},
		{"KM-0004", "release-name-mapped", "spec.template.spec.containers[0].securityContext.privileged", filepath.Join(chart, "templates", "_helpers.tpl"), 7, 1,
			"(written by helper \"mapped.containerSecurity\" included at " + deploy + ":20; values key securityContext.privileged)", "securityContext.privileged"},
		{"KM-0025", "release-name-mapped", "spec.template.spec.containers[2].image", deploy, 23, 11, "(values key sidecars[1].image)", "sidecars[1].image"},
		{"KM-0004", "release-name-mapped", "spec.template.spec.containers[2].securityContext.privileged", deploy, 26, 13, "(values key sidecars[1].privileged)", "sidecars[1].privileged"},
		{"KM-0001", "release-name-mapped", "spec.template.spec.securityContext.runAsUser", deploy, 15, 9, "(values key podSecurityContext.runAsUser)", "podSecurityContext.runAsUser"},
		{"KM-0008", "release-name-sub", "spec.hostNetwork", filepath.Join(chart, "charts", "sub", "templates", "pod.yaml"), 6, 3, "(values key sub.hostNetwork)", "sub.hostNetwork"},
		{"KM-0006", "untraced", "spec.hostPID", filepath.Join(chart, "templates", "untraced.yaml"), 0, 0, "(no line: kharden could not trace this rendered template to its lines)", ""},
	} {
		found := false
		for _, r := range rep.Results {
			l := r.Location
			if r.Meta.ID != c.id || l.Object.Name != c.name || l.FieldPath != c.path {
				continue
			}
			found = true
			if l.File != c.file || l.Line != c.line || l.Column != c.col || !strings.HasSuffix(r.Message, c.note) || l.ValuesKey != c.key {
				t.Errorf("%s %s %s\n at %s:%d:%d %q key %q\n want %s:%d:%d ending %q key %q", c.id, c.name, c.path, l.File, l.Line, l.Column, r.Message, l.ValuesKey, c.file, c.line, c.col, c.note, c.key)
			}
		}
		if !found {
			t.Errorf("no %s finding on %s %s", c.id, c.name, c.path)
		}
	}
}
