package node

import "github.com/kharden/kharden/internal/rule"

// APIServerRecommendedAdmissionPlugins is KN-0024.
var APIServerRecommendedAdmissionPlugins = &Rule{
	Meta: rule.Meta{
		ID:          "KN-0024",
		Slug:        "apiserver-recommended-admission-plugins",
		Title:       "The API server should enable the DenyServiceExternalIPs, EventRateLimit and AlwaysPullImages admission plugins",
		Severity:    rule.Low,
		Practices:   []string{"D3", "D13"},
		Rationale:   "DenyServiceExternalIPs closes the Service externalIPs traffic hijack (CVE-2020-8554); EventRateLimit keeps a flood of events from overloading the API server; AlwaysPullImages makes every pod prove it may pull its image instead of reusing one another tenant pulled.",
		Remediation: "Add the plugins to kube-apiserver's --enable-admission-plugins where they fit the cluster (EventRateLimit also needs an --admission-control-config-file); the benchmark leaves the choice to the site, so suppress this rule with a reason where one is not wanted.",
		References:  []string{"https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/"},
		Standards:   rule.Standards{CIS: []string{"1.2.3", "1.2.9", "1.2.11"}},
		Since:       "0.1.0",
		Default:     true,
	},
	Flags: []string{"1.2.3", "1.2.9", "1.2.11"},
}
