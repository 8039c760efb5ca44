package k8s

import (
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"

	"github.com/kharden/kharden/internal/rule"
)

// SecretsInConfigMap is KM-0028.
var SecretsInConfigMap = &Rule{
	Meta: rule.Meta{
		ID:        "KM-0028",
		Slug:      "secrets-in-configmap",
		Title:     "ConfigMaps must not hold secrets",
		Severity:  rule.High,
		Practices: []string{"C23"},
		Rationale: "ConfigMaps are meant to be read: many roles that may not read Secrets may read ConfigMaps, they are " +
			"not encrypted at rest by a Secret encryption configuration, they are printed by tools and logged by " +
			"operators, and their manifests sit in version control. A credential stored in one is exposed to all of that. " +
			"The rule reports a value with the shape of a known credential under any key (private keys however many " +
			"dashes frame their header, AWS, Azure, Google service account, GitHub, GitLab, Slack and other service " +
			"keys and tokens, passwords in URLs, also inside embedded configuration files), a literal under a key that " +
			"names a secret (db.password, API_KEY, AZURE_STORAGE_KEY, tls.key), and generated-looking key material " +
			"under a key that only says KEY (accountKey, SERVICE_KEY), but not under KEY_ID, CACHE_KEY or PUBLIC_KEY.",
		Remediation: "Move the value into a Secret (or an external secret store), mount or reference it from there, " +
			"keep only non-sensitive configuration in the ConfigMap, and rotate the exposed credential.",
		References: []string{
			"https://kubernetes.io/docs/concepts/configuration/configmap/",
			"https://kubernetes.io/docs/concepts/security/secrets-good-practices/",
		},
		Standards: rule.Standards{
			NSA: []string{"Network separation and hardening: secrets"},
		},
		Since:   "0.1.0",
		Default: true,
		Changes: []string{"0.2.0: key names with qualifiers (AZURE_STORAGE_KEY, SSL_KEY_CONTENT...), generated-looking values under a name that only says KEY, more credential shapes and PEM headers with any run of dashes are reported."},
	},
	// A key is reported when its value has the shape of a known credential, or when the key
	// names a secret (db.password, API_KEY, tls.key, id_rsa) and holds a plausible literal.
	// Configuration files stored under neutral keys (application.yaml) are searched for
	// credential shapes only.
	Check: func(in *Input) []rule.Finding {
		cm, ok := in.Typed.(*corev1.ConfigMap)
		if !ok {
			return nil
		}
		var out []rule.Finding
		for _, k := range slices.Sorted(maps.Keys(cm.Data)) {
			v := cm.Data[k]
			path := mapKeyPath("data", k)
			if what := secretFormat(v); what != "" {
				out = append(out, finding(path, "ConfigMap key %q holds what looks like %s", k, what))
			} else if (secretKeyName(k) && plausibleSecretValue(v)) || (keyName(k) && randomValue(v)) {
				out = append(out, finding(path, "ConfigMap key %q looks like a secret and has a literal value", k))
			}
		}
		for _, k := range slices.Sorted(maps.Keys(cm.BinaryData)) {
			b := cm.BinaryData[k]
			path := mapKeyPath("binaryData", k)
			if what := secretFormat(string(b)); what != "" && utf8.Valid(b) {
				out = append(out, finding(path, "ConfigMap key %q holds what looks like %s", k, what))
			} else if secretKeyName(k) && len(b) > 0 {
				out = append(out, finding(path, "ConfigMap key %q looks like a secret and has a value", k))
			}
		}
		return out
	},
}

// secretKeyName tells whether a ConfigMap key names a secret: a secret-looking name, or
// a file name that holds private keys or credentials.
func secretKeyName(k string) bool {
	if secretName(k) {
		return true
	}
	base := strings.ToLower(k[strings.LastIndexByte(k, '/')+1:])
	switch base {
	case "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", ".pgpass", ".netrc", ".git-credentials", ".dockercfg":
		return true
	}
	return strings.HasSuffix(base, ".key") && !strings.Contains(base, "pub")
}
