package k8s

import (
	"fmt"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/workload"
)

// SecretsAsEnvVars is KM-0040.
var SecretsAsEnvVars = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0040",
		Slug:      "secrets-as-env-vars",
		Title:     "Secrets should reach containers as files, not environment variables",
		Severity:  rule.Low,
		Practices: []string{"C23"},
		Rationale: "A Secret passed through env[].valueFrom.secretKeyRef or envFrom[].secretRef is kept out of the " +
			"manifest, but once in the environment it leaks easily: every child process inherits it, crash reports, " +
			"debug endpoints and error pages print the environment, `kubectl describe` and `docker inspect` of the " +
			"container show it, and it cannot change until the pod restarts. A Secret mounted as a file is read " +
			"only by code that opens it, can be limited by file mode, and is updated in place when the Secret is " +
			"rotated.",
		Remediation: "Mount the Secret as a volume (volumes[].secret, or a projected volume) and have the " +
			"application read the file, directly or through a *_FILE variable that names it (DB_PASSWORD_FILE=" +
			"/run/secrets/db/password). Where software reads only the environment, suppress the finding with that " +
			"reason.",
		References: []string{
			"https://kubernetes.io/docs/concepts/security/secrets-good-practices/",
			"https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-files-from-a-pod",
		},
		Standards: rule.Standards{
			CIS: []string{"5.4.1"},
			NSA: []string{"Network separation and hardening: secrets"},
		},
		Since:   "0.2.0",
		Default: true,
	},
	Check: func(in *Input) []rule.Finding {
		return eachContainer(in, func(c workload.Container) []rule.Finding {
			var out []rule.Finding
			for i, e := range c.Env {
				if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
					continue
				}
				ref := e.ValueFrom.SecretKeyRef
				out = append(out, finding(c.Field(fmt.Sprintf("env[%d].valueFrom.secretKeyRef", i)),
					"env var %q of container %q takes key %q of Secret %q: mount the Secret as a file instead",
					e.Name, c.Name, ref.Key, ref.Name))
			}
			for i, e := range c.EnvFrom {
				if e.SecretRef == nil {
					continue
				}
				out = append(out, finding(c.Field(fmt.Sprintf("envFrom[%d].secretRef", i)),
					"container %q takes every key of Secret %q as env vars: mount the Secret as a file instead",
					c.Name, e.SecretRef.Name))
			}
			return out
		})
	},
}
