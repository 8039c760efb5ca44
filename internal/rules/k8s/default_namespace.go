package k8s

import (
	"strings"

	"github.com/kharden/kharden/internal/kube"
	"github.com/kharden/kharden/internal/rule"
)

// DefaultNamespace is KM-0020.
var DefaultNamespace = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0020",
		Slug:      "default-namespace",
		Title:     "Objects must not be placed in the default namespace",
		Severity:  rule.Low,
		Practices: []string{"C17"},
		Rationale: "Namespaces are the boundary that RBAC, NetworkPolicies, resource quotas and Pod Security " +
			"Admission labels attach to. The default namespace is where everything lands that nobody placed: it " +
			"is shared by unrelated workloads, usually has no policy of its own, and a grant meant for one of them " +
			"reaches all of them.",
		Remediation: "Create a namespace for the application, label it for Pod Security Admission and give it its own " +
			"RBAC, quotas and NetworkPolicies; set metadata.namespace to it or leave the field out and let " +
			"kubectl -n, kustomize or Helm set it. The objects Kubernetes itself keeps in the default namespace (the " +
			"kubernetes Service with its Endpoints and EndpointSlice, the default ServiceAccount and the " +
			"kube-root-ca.crt ConfigMap) are not reported: they cannot be moved, and a manifest that configures them " +
			"(say, the default ServiceAccount's automountServiceAccountToken) has to name that namespace.",
		References: []string{
			"https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/",
			"https://kubernetes.io/docs/concepts/security/multi-tenancy/",
		},
		Standards: rule.Standards{
			CIS: []string{"5.7.4"},
			NSA: []string{"Network separation and hardening: namespaces"},
		},
		Since:   "0.1.0",
		Default: true,
		Changes: []string{"0.2.0: the objects Kubernetes itself keeps in default (the kubernetes Service, Endpoints and EndpointSlice, the default ServiceAccount, kube-root-ca.crt) are not reported."},
	},
	// Only an explicit "default" is reported: an object without a namespace gets one from
	// kubectl, kustomize or Helm at deploy time.
	Check: func(in *Input) []rule.Finding {
		if !kube.Namespaced(in.Object.APIVersion, in.Object.Kind) || in.Meta.Namespace != "default" ||
			builtInDefault(in.Object.APIVersion, in.Object.Kind, in.Meta.Name) {
			return nil
		}
		return []rule.Finding{finding("metadata.namespace", "%s %q is in the default namespace", in.Object.Kind, in.Meta.Name)}
	},
}

// builtInDefault tells whether an object is one that Kubernetes itself creates and keeps
// in the default namespace, so that its being there is no choice of the manifest's author.
func builtInDefault(apiVersion, kind, name string) bool {
	group, _, _ := strings.Cut(apiVersion, "/")
	if !strings.Contains(apiVersion, "/") {
		group = "" // the core group: "v1"
	}
	switch {
	case group == "" && (kind == "Service" || kind == "Endpoints"):
		return name == "kubernetes" // the API server's own Service, reconciled by it
	case group == "discovery.k8s.io" && kind == "EndpointSlice":
		return name == "kubernetes"
	case group == "" && kind == "ServiceAccount":
		return name == "default" // created in every namespace by the service account controller
	case group == "" && kind == "ConfigMap":
		return name == "kube-root-ca.crt" // published in every namespace by the root CA publisher
	}
	return false
}
