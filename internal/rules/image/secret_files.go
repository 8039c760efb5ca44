package image

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/kharden/kharden/internal/rule"
	dfrules "github.com/kharden/kharden/internal/rules/dockerfile"
	"github.com/kharden/kharden/internal/source/image"
)

// SecretFiles is IM-0010.
var SecretFiles = &Rule{
	Meta: rule.Meta{
		ID:        "IM-0010",
		Slug:      "image-secret-files",
		Title:     "The image must not hold private keys, credential files or Git repositories",
		Severity:  rule.High,
		Practices: []string{"B6"},
		Rationale: "A file in an image is readable by anyone who can pull it, in every copy, for as long as the image " +
			"exists; deleting it in a later layer does not remove it from the layer that wrote it (the rule looks at " +
			"the final filesystem; a secret a later layer hid is still in the blob, which image-secrets-in-history " +
			"and the Dockerfile rule no-secrets help to catch at the source). The rule reads the files that " +
			"usually hold credentials, each up to 64 KiB: private keys (id_rsa, *.pem, *.key, SSH host keys, which " +
			"every container of the image then shares), registry credentials (.docker/config.json with auths, " +
			".dockercfg), package registry tokens (.npmrc, .pypirc), .netrc, .git-credentials, .pgpass, .my.cnf, " +
			".aws/credentials, .kube/config, .env files and Google service account keys, and reports those that hold " +
			"a secret (a PEM private key, a token of a known shape, a password or token assigned a literal value), " +
			"not the empty templates. It also reports .git directories: a repository's history keeps every secret " +
			"ever committed, and its config may keep a remote's password. Messages never repeat the secret.",
		Remediation: "Keep the files out of the build context (.dockerignore: .git, .env, *.pem, .npmrc), pass build-time " +
			"credentials with RUN --mount=type=secret, and give run-time ones to the container at start (a mounted " +
			"Kubernetes Secret). Generate SSH host keys at start, not at build. Rebuild, and rotate the secret: it is in " +
			"every copy of the image.",
		References: []string{
			"https://docs.docker.com/build/building/secrets/",
			"https://docs.docker.com/build/concepts/context/#dockerignore-files",
			"CIS Docker Benchmark 4.10: Ensure secrets are not stored in Dockerfiles",
		},
		Standards: rule.Standards{CIS: []string{"4.10"}},
		Since:     "0.2.0",
		Default:   true,
	},
	Check: func(im *image.Image) []Finding {
		var out []Finding
		im.FS.Walk(func(p string, e *image.Entry) {
			var what string
			switch {
			case e.Type == image.Dir && path.Base(p) == ".git":
				names, err := im.FS.ReadDir(p)
				if err != nil || !slices.Contains(names, "HEAD") && !slices.Contains(names, "objects") {
					return
				}
				what = "is a Git repository, whose history and config can hold secrets and source"
			case e.Type == image.Regular:
				b, ok := e.Content()
				if !ok {
					if keyFileName(path.Base(p)) {
						what = "is named like a private key, too big to be read"
					}
					break
				}
				if s := fileSecret(p, string(b)); s != "" {
					what = "holds " + s
				}
			}
			if what != "" {
				out = append(out, Finding{Path: p, Layer: e.Layer,
					Message: fmt.Sprintf("%s %s, added by %s", p, what, im.Short(e.Layer))})
			}
		})
		return out
	},
}

// keyFileName tells whether a base name is a private key's usual name.
func keyFileName(base string) bool {
	switch base {
	case "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk":
		return true
	}
	return strings.HasPrefix(base, "ssh_host_") && strings.HasSuffix(base, "_key")
}

// fileSecret tells what secret the content of file p holds, or "".
func fileSecret(p, content string) string {
	base := strings.ToLower(path.Base(p))
	dir := path.Base(path.Dir(p))
	// Keys and certificates: only a credential's shape counts, not assignments.
	if keyFileName(base) || strings.HasSuffix(base, ".pem") || strings.HasSuffix(base, ".key") {
		what, _ := dfrules.CredentialShape(content)
		if what == "a private key" && strings.HasPrefix(base, "ssh_host_") {
			return "an SSH host private key, which every container of the image shares"
		}
		return what
	}
	if base == ".dockercfg" || dir == ".docker" && base == "config.json" {
		if regs := registryAuths(base, content); len(regs) > 0 {
			return "credentials for the registr" + plural(len(regs), "y", "ies") + " " + strings.Join(regs, ", ")
		}
		return ""
	}
	for _, line := range strings.Split(content, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if what, _ := dfrules.CredentialShape(line); what != "" {
			return what
		}
		if name := assignedSecret(line); name != "" {
			return "a value for " + name
		}
		switch base {
		case ".netrc", "_netrc":
			f := strings.Fields(line)
			for i := 0; i+1 < len(f); i++ {
				if f[i] == "password" && f[i+1] != "" {
					return "a password"
				}
			}
		case ".pgpass":
			if f := strings.Split(line, ":"); len(f) >= 5 && f[len(f)-1] != "" {
				return "a password"
			}
		}
	}
	return ""
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// npmSecrets are the .npmrc settings that hold credentials (after the registry prefix
// "//registry.example.com/:").
var npmSecrets = map[string]bool{"_auth": true, "_authtoken": true, "_password": true}

// assignedSecret reads a line as NAME=value or name: value (shell, .env, INI, YAML) and
// returns the name when it says it holds a secret and the value is written out.
func assignedSecret(line string) string {
	line = strings.TrimPrefix(line, "export ")
	i := strings.IndexAny(line, "=:")
	if i <= 0 {
		return ""
	}
	name := strings.Trim(strings.TrimSpace(line[:i]), `"'`)
	value := strings.TrimSpace(line[i+1:])
	// .npmrc: //registry.npmjs.org/:_authToken=...; the separator found was the ':'.
	if strings.HasPrefix(name, "//") {
		j := strings.Index(line, "=")
		if j < 0 {
			return ""
		}
		name, value = line[strings.LastIndex(line[:j], ":")+1:j], strings.TrimSpace(line[j+1:])
	}
	value = strings.Trim(value, `"'`)
	if value == "" || strings.HasPrefix(value, "$") || strings.Contains(name, " ") {
		return ""
	}
	if npmSecrets[strings.ToLower(name)] || dfrules.SecretName(name) && dfrules.SecretValue(value) {
		return name
	}
	return ""
}

// registryAuths are the registries a Docker config file holds credentials for (an auth,
// a password or an identity token), sorted; registries served by a credential helper
// hold none in the file.
func registryAuths(base, content string) []string {
	type cred struct {
		Auth          string `json:"auth"`
		Password      string `json:"password"`
		IdentityToken string `json:"identitytoken"`
	}
	var auths map[string]cred
	if base == ".dockercfg" {
		if json.Unmarshal([]byte(content), &auths) != nil {
			return nil
		}
	} else {
		var cfg struct {
			Auths map[string]cred `json:"auths"`
		}
		if json.Unmarshal([]byte(content), &cfg) != nil {
			return nil
		}
		auths = cfg.Auths
	}
	var out []string
	for reg, c := range auths {
		if c.Auth != "" || c.Password != "" || c.IdentityToken != "" {
			out = append(out, reg)
		}
	}
	sort.Strings(out)
	return out
}
