package image

import (
	"strconv"
	"strings"

	"github.com/kharden/kharden/internal/rule"
	dfrules "github.com/kharden/kharden/internal/rules/dockerfile"
	"github.com/kharden/kharden/internal/source/image"
)

// SecretsInEnv is IM-0003.
var SecretsInEnv = &Rule{
	Meta: rule.Meta{
		ID:        "IM-0003",
		Slug:      "image-secrets-in-env",
		Title:     "The image's configuration must not hold secrets in its environment",
		Severity:  rule.High,
		Practices: []string{"B6"},
		Rationale: "The environment variables of an image's configuration are readable by anyone who can pull the " +
			"image (docker inspect, crane config) and are given to every container started from it. A password, " +
			"token or key there leaks with the image, for as long as the image exists, and is the same in every " +
			"environment. The rule reports variables whose names say they hold a secret (DB_PASSWORD, NPM_TOKEN, " +
			"not PASSWORD_FILE) with a value set, and values shaped like well-known credentials (private keys, AWS, " +
			"GitHub, GitLab, Slack, npm tokens, passwords in URLs), with the detectors of the Dockerfile rule " +
			"no-secrets. Messages never repeat the secret.",
		Remediation: "Remove the ENV from the Dockerfile (and rotate the secret: it is in every copy of the image). " +
			"Give run-time secrets to the container at start: a Kubernetes Secret as a mounted file or an env entry " +
			"with valueFrom.secretKeyRef, or a *_FILE variable naming a mounted file. Pass build-time secrets with RUN " +
			"--mount=type=secret.",
		References: []string{
			"https://kubernetes.io/docs/concepts/configuration/secret/",
			"https://docs.docker.com/build/building/secrets/",
			"CIS Docker Benchmark 4.10: Ensure secrets are not stored in Dockerfiles",
		},
		Standards: rule.Standards{CIS: []string{"4.10"}},
		Since:     "0.2.0",
		Default:   true,
	},
	Check: func(im *image.Image) []Finding {
		var out []Finding
		for i, kv := range im.Config.Config.Env {
			name, value, _ := strings.Cut(kv, "=")
			field := "Env[" + strconv.Itoa(i) + "]"
			switch {
			case dfrules.SecretName(name) && dfrules.SecretValue(value):
				out = append(out, inConfig(field, "the environment variable %s holds a secret, readable by anyone who can pull the image", name))
			default:
				if what, _ := dfrules.CredentialShape(value); what != "" {
					out = append(out, inConfig(field, "the environment variable %s holds %s", name, what))
				}
			}
		}
		return out
	},
}
