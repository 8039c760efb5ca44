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
			"redeploy and is not covered by Secret encryption at rest or Secret RBAC. The rule reports a value with the " +
			"shape of a known credential whatever the variable's name (private keys however many dashes frame their " +
			"header, AWS, Azure, Google service account, GitHub, GitLab, Slack and other service keys and tokens, " +
			"passwords in URLs), a literal under a name that says secret (DB_PASSWORD, API_KEY, AZURE_STORAGE_KEY, " +
			"SSL_KEY_CONTENT), and generated-looking key material under a name that only says KEY (SERVICE_KEY), but " +
			"not under KEY_ID, CACHE_KEY or PUBLIC_KEY.",
		Remediation: "Move the value into a Secret (or an external secret store) and mount it as a file (a secret " +
			"volume, read by the application or through a *_FILE variable); env[].valueFrom.secretKeyRef keeps it out " +
			"of the manifest but still in the environment, which secrets-as-env-vars reports. Then rotate the exposed " +
			"credential.",
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
		Changes: []string{"0.2.0: key names with qualifiers (AZURE_STORAGE_KEY, AZURE_BATCH_KEY, SSL_KEY_CONTENT, TLS_KEY), generated-looking values under a name that only says KEY, more credential shapes (Azure storage keys and connection strings, Google service account keys, AWS secret keys, Slack, OpenAI, Anthropic, PyPI and other tokens) and PEM headers with any run of dashes are reported. Secrets passed by secretKeyRef are reported by secrets-as-env-vars (KM-0040)."},
	},
	// Values are judged in three ways: any literal with the shape of a known credential
	// (secretFormat), any plausible literal under a secret-looking name (secretName and
	// plausibleSecretValue), and random-looking literals under a name that only says KEY
	// (keyName and randomValue). Values built from other variables ($(DB_PASSWORD)) are
	// not literals. Messages never repeat the value.
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
				} else if (secretName(e.Name) && plausibleSecretValue(e.Value) && !envReference.MatchString(e.Value)) ||
					(keyName(e.Name) && randomValue(e.Value)) {
					out = append(out, finding(path, "env var %q of container %q has a literal value; take it from a Secret",
						e.Name, c.Name))
				}
			}
			return out
		})
	},
}
