package kube

import (
	"encoding/json"
	"testing"
)

func TestWrongGroup(t *testing.T) {
	for _, c := range []struct {
		apiVersion, kind string
		want             string // "" when the group is not wrong
	}{
		{"v1", "Deployment", "apps/v1"},
		{"batch/v1", "Deployment", "apps/v1"},
		{"apps/v1", "Pod", "v1"},
		{"apps/v1", "CronJob", "batch/v1"},
		{"networking.k8s.io/v1", "Service", "v1"},
		{"v1", "Role", "rbac.authorization.k8s.io/v1"},
		{"policy/v1", "NetworkPolicy", "networking.k8s.io/v1"},
		// Served, now or once.
		{"apps/v1", "Deployment", ""},
		{"extensions/v1beta1", "Deployment", ""},
		{"apps/v1beta2", "StatefulSet", ""},
		{"batch/v1beta1", "CronJob", ""},
		{"extensions/v1beta1", "NetworkPolicy", ""},
		// Custom resources that reuse a built-in kind's name in their own group.
		{"example.com/v1", "Deployment", ""},
		{"serving.knative.dev/v1", "Service", ""},
		{"gateway.networking.k8s.io/v1", "Service", ""},
		// Kinds kharden does not read are not judged.
		{"v1", "Widget", ""},
		{"apps/v1", "ControllerRevision", ""},
	} {
		want, wrong := WrongGroup(c.apiVersion, c.kind)
		if wrong != (c.want != "") || want != c.want {
			t.Errorf("WrongGroup(%q, %q) = %q, %v; want %q", c.apiVersion, c.kind, want, wrong, c.want)
		}
	}
}

func TestGeneric(t *testing.T) {
	decoder := func(js string) func(any) error {
		return func(into any) error { return json.Unmarshal([]byte(js), into) }
	}
	for _, c := range []struct {
		name, json, path string
		bad              bool
	}{
		{"template", `{"metadata":{"name":"w"},"spec":{"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"x"}]}}}}`, "spec.template", false},
		{"jobTemplate", `{"spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"c"}]}}}}}}`, "spec.jobTemplate.spec.template", false},
		{"no containers", `{"spec":{"template":{"spec":{"replicas":3}}}}`, "", false},
		{"containers not a list", `{"spec":{"template":{"spec":{"containers":7}}}}`, "", false},
		{"no spec", `{"data":{}}`, "", false},
		{"container of the wrong shape", `{"spec":{"template":{"spec":{"containers":[{"name":"c","image":7}]}}}}`, "", true},
	} {
		got, err := Generic(decoder(c.json))
		switch {
		case c.bad:
			if err == nil || got != nil {
				t.Errorf("%s: %+v, %v; want an error", c.name, got, err)
			}
		case err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.path == "" && got != nil:
			t.Errorf("%s: read as templated at %s", c.name, got.Path)
		case c.path != "" && (got == nil || got.Path != c.path || got.Template == nil || len(got.Template.Spec.Containers) != 1):
			t.Errorf("%s: %+v, want a template at %s", c.name, got, c.path)
		}
	}
}
