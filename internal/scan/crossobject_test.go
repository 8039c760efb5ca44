package scan

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
)

// A pod whose ServiceAccount is in another file of the scan is judged with it (KM-0035):
// the opt-out of web in z-accounts.yaml holds for the Deployment of a.yaml read before it,
// api's true is said, and the results settled after the last input come in parts after
// the inputs' that name no input, one per file, whatever the number of workers.
func TestTokenAutomountAcrossInputs(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      containers: [{name: web, image: registry.example.com/web:1.0}]
`)
	write(t, dir, "b.yaml", `apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop}
spec:
  serviceAccountName: api
  containers: [{name: api, image: registry.example.com/api:1.0}]
---
apiVersion: v1
kind: Pod
metadata: {name: batch, namespace: shop}
spec:
  serviceAccountName: batch
  containers: [{name: batch, image: registry.example.com/batch:1.0}]
`)
	write(t, dir, "z-accounts.yaml", `apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: shop}
automountServiceAccountToken: false
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: api, namespace: shop}
automountServiceAccountToken: true
`)
	for _, jobs := range []int{1, 3} {
		s, err := New(Options{Paths: []string{dir}, Jobs: jobs})
		if err != nil {
			t.Fatal(err)
		}
		var parts []*report.Report
		if err := s.Each(context.Background(), func(p *report.Report) error { parts = append(parts, p); return nil }); err != nil {
			t.Fatal(err)
		}
		var got, settledFiles []string
		lastInput := -1
		for i, p := range parts {
			if len(p.Scanned) > 0 {
				lastInput = i
			}
		}
		for i, p := range parts {
			if i > lastInput {
				if len(p.Results) == 0 || slices.ContainsFunc(p.Results, func(r rule.Result) bool { return r.Location.File != p.Results[0].Location.File }) {
					t.Errorf("jobs %d: a settled part is not the results of one file: %+v", jobs, p.Results)
				} else {
					settledFiles = append(settledFiles, shortName(p.Results[0].Location.File))
				}
			}
			for _, r := range p.Results {
				if r.Meta.ID != "KM-0035" || !strings.HasSuffix(r.Location.Object.Kind, "Pod") && r.Location.Object.Kind != "Deployment" {
					continue
				}
				if i <= lastInput {
					t.Errorf("jobs %d: %s:%d emitted with the inputs, not after them", jobs, r.Location.File, r.Location.Line)
				}
				got = append(got, shortName(r.Location.File)+":"+itoa(r.Location.Line)+" "+r.Message)
			}
		}
		slices.Sort(got)
		want := []string{
			`b.yaml:11 pod spec does not set automountServiceAccountToken: false and its ServiceAccount "shop/batch" is not among the inputs, so the service-account token is mounted unless that ServiceAccount sets it to false`,
			`b.yaml:4 pod spec does not set automountServiceAccountToken and its ServiceAccount "shop/api" sets it to true, so the service-account token is mounted`,
		}
		if !slices.Equal(got, want) {
			t.Errorf("jobs %d: KM-0035 on the pods:\n got %q\nwant %q", jobs, got, want)
		}
		if !slices.IsSorted(settledFiles) || len(slices.Compact(slices.Clone(settledFiles))) != len(settledFiles) {
			t.Errorf("jobs %d: settled parts are not one per file in file order: %q", jobs, settledFiles)
		}
	}
}

func shortName(p string) string { return p[strings.LastIndexAny(p, `/\`)+1:] }

func itoa(n int) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		if n /= 10; n == 0 {
			return string(b)
		}
	}
}
