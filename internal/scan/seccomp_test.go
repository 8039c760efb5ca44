package scan

import (
	"fmt"
	"slices"
	"testing"
)

// TestSeccompProfiles: kharden scan reads OCI profile files (by content) and Security
// Profiles Operator objects, places each finding at its field, reports a malformed
// profile as a positioned error and still scans the rest, and leaves other JSON to the
// manifest loader.
func TestSeccompProfiles(t *testing.T) {
	rep, err := Run(Options{Paths: []string{"testdata/seccomp"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rep.Results {
		if r.Meta.ID[:3] == "SP-" {
			got = append(got, fmt.Sprintf("%s %s %s", r.Meta.ID, r.Location, r.Location.Object))
		}
	}
	want := []string{
		"SP-0001 testdata/seccomp/spo.yaml:7:3 SeccompProfile shop/legacy",
		"SP-0002 testdata/seccomp/spo.yaml:7:3 SeccompProfile shop/legacy",
		"SP-0002 testdata/seccomp/web.json:5:33 SeccompProfile web.json",
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("results\n%q\nwant\n%q", got, want)
	}
	var errs []string
	for _, e := range rep.Errors {
		errs = append(errs, fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Message))
	}
	if len(errs) != 1 || errs[0][:60] != `testdata/seccomp/broken.json:4:25: seccomp profile: action "` {
		t.Errorf("errors %q, want one at broken.json's action", errs)
	}
	notes := 0
	for _, n := range rep.Notes {
		if n.File == "testdata/seccomp/package.json" {
			notes++
		}
	}
	if notes != 1 {
		t.Errorf("package.json: %d notes, want the manifest loader's one (not a Kubernetes object): %+v", notes, rep.Notes)
	}
	if rep.Files != 4 {
		t.Errorf("%d files scanned, want 4", rep.Files)
	}
}
