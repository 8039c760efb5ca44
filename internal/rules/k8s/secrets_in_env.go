package k8s

import (
	"fmt"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/workload"
)

// SecretsInEnv is KM-0027.
var SecretsInEnv = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0027",
		Slug:      "secrets-in-env",
		Title:     "Container environment variables must not hold literal secrets",
		Severity:  rule.High,
		Practices: []string{"C23"},
		Rationale: "A secret written into a manifest lives in version control, in CI logs, in every rendered chart and " +
			"in the object that anyone allowed to read the workload can see; it cannot be rotated without a " +
			"redeploy and is not covered by Secret encryption at rest or Secret RBAC.",
		Remediation: "Move the value into a Secret (or an external secret store) and reference it with " +
			"env[].valueFrom.secretKeyRef, or better mount it as a file; then rotate the exposed credential.",
		References: []string{
			"https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-environment-variables",
			"https://kubernetes.io/docs/concepts/security/secrets-good-practices/",
		},
		Standards: rule.Standards{
			CIS: []string{"5.4.1"},
			NSA: []string{"Network separation and hardening: secrets"},
		},
		Since:   "0.1.0",
		Default: true,
	},
	// Values are judged in two ways: any literal with the shape of a known credential
	// (private key, AWS key ID, GitHub/GitLab/Slack/Stripe/Google token, JWT, URL with a
	// password), and any plausible literal under a secret-looking name (see secretName and
	// plausibleSecretValue). Values built from other variables ($(DB_PASSWORD)) are not
	// literals. Messages never repeat the value.
	Check: func(in *Input) []rule.Finding {
		return eachContainer(in, func(c workload.Container) []rule.Finding {
			var out []rule.Finding
			for i, e := range c.Env {
				if e.Value == "" {
					continue
				}
				path := c.Field(fmt.Sprintf("env[%d].value", i))
				if what := secretFormat(e.Value); what != "" {
					out = append(out, finding(path, "env var %q of container %q holds what looks like %s", e.Name, c.Name, what))
				} else if secretName(e.Name) && plausibleSecretValue(e.Value) && !envReference.MatchString(e.Value) {
					out = append(out, finding(path, "env var %q of container %q has a literal value; take it from a Secret",
						e.Name, c.Name))
				}
			}
			return out
		})
	},
}
