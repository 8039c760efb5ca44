package image

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kharden/kharden/internal/rule"
	dfrules "github.com/kharden/kharden/internal/rules/dockerfile"
	"github.com/kharden/kharden/internal/source/image"
)

// SecretsInHistory is IM-0009.
var SecretsInHistory = &Rule{
	Meta: rule.Meta{
		ID:        "IM-0009",
		Slug:      "image-secrets-in-history",
		Title:     "The image's history must not hold secrets",
		Severity:  rule.High,
		Practices: []string{"B6"},
		Rationale: "The history in an image's configuration records the command of every build step, and with it the " +
			"build arguments the step could see: docker build --build-arg NPM_TOKEN=... leaves \"RUN |1 NPM_TOKEN=... " +
			"/bin/sh -c npm ci\" for anyone who can pull the image (docker history, crane config), even when no file " +
			"keeps the token. ARG defaults and ENV values are recorded the same way. The rule reports assignments " +
			"whose names say they hold a secret (build arguments of RUN steps, ARG, ENV) with a literal value, and " +
			"values shaped like well-known credentials anywhere in a history line (private keys, AWS, GitHub, GitLab, " +
			"Slack, npm tokens, passwords in URLs), with the detectors of the Dockerfile rule no-secrets. An ENV still " +
			"in the configuration is left to image-secrets-in-env. Messages never repeat the secret.",
		Remediation: "Pass build-time secrets with RUN --mount=type=secret,id=NAME (docker build --secret id=NAME,src=FILE), " +
			"which is not recorded, instead of ARG and --build-arg; rebuild the image and rotate the secret, which is in " +
			"every copy of the old one.",
		References: []string{
			"https://docs.docker.com/build/building/secrets/",
			"https://docs.docker.com/reference/build-checks/secrets-used-in-arg-or-env/",
			"CIS Docker Benchmark 4.10: Ensure secrets are not stored in Dockerfiles",
		},
		Standards: rule.Standards{CIS: []string{"4.10"}},
		Since:     "0.2.0",
		Default:   true,
	},
	Check: func(im *image.Image) []Finding {
		var out []Finding
		layers := historyLayers(im)
		for i, h := range im.Config.History {
			line := h.CreatedBy
			kind, assigns := historyAssignments(line)
			var names []string
			for _, kv := range assigns {
				name, value, _ := strings.Cut(kv, "=")
				if kind == "ENV" && slices.Contains(im.Config.Config.Env, kv) {
					continue // image-secrets-in-env reports it
				}
				if dfrules.SecretName(name) && dfrules.SecretValue(value) && !strings.HasPrefix(value, "$") {
					names = append(names, name)
				}
			}
			where := "history[" + strconv.Itoa(i) + "]"
			step := historyStep(im, layers[i], kind)
			if len(names) > 0 {
				what := "the build argument"
				switch kind {
				case "ARG":
					what = "the ARG"
				case "ENV":
					what = "the ENV"
				}
				if len(names) > 1 {
					what += "s"
				}
				out = append(out, Finding{Path: where, Layer: layers[i], Message: fmt.Sprintf(
					"%s %s %s a value in the image's history (%s), readable by anyone who can pull the image",
					what, strings.Join(names, ", "), verb(len(names)), step)})
				continue
			}
			if shape, _ := dfrules.CredentialShape(line); shape != "" {
				out = append(out, Finding{Path: where, Layer: layers[i], Message: fmt.Sprintf(
					"the image's history holds %s (%s)", shape, step)})
			}
		}
		return out
	},
}

func verb(n int) string {
	if n == 1 {
		return "keeps"
	}
	return "keep"
}

// historyStep names the step of a history entry without repeating its command.
func historyStep(im *image.Image, layer int, kind string) string {
	if layer >= 0 {
		d := im.Layers[layer].Digest
		if alg, hex, ok := strings.Cut(d, ":"); ok && len(hex) > 12 {
			d = alg + ":" + hex[:12]
		}
		return fmt.Sprintf("the %s step of layer %d (%s)", kind, layer+1, d)
	}
	article := "a "
	if kind != "" && strings.ContainsRune("AEIOU", rune(kind[0])) {
		article = "an "
	}
	return article + kind + " step that made no layer"
}

// historyLayers maps each history entry to the index of the layer it made, or -1 for an
// empty layer, or when the history does not match the layers.
func historyLayers(im *image.Image) []int {
	out := make([]int, len(im.Config.History))
	n := 0
	for i, h := range im.Config.History {
		out[i] = -1
		if !h.EmptyLayer {
			out[i] = n
			n++
		}
	}
	if n != len(im.Layers) {
		for i := range out {
			out[i] = -1
		}
	}
	return out
}

// historyAssignments reads the kind of step a history line records (RUN, ARG, ENV or
// another instruction) and its NAME=value assignments: the build arguments BuildKit and
// the classic builder write before a RUN's command ("RUN |2 A=1 B=2 /bin/sh -c ..."), or
// the arguments of ARG and ENV.
func historyAssignments(line string) (string, []string) {
	s := strings.TrimSpace(line)
	s = strings.TrimPrefix(s, "/bin/sh -c #(nop) ")
	f := strings.Fields(s)
	if len(f) == 0 {
		return "", nil
	}
	kind := "RUN"
	switch f[0] {
	case "ARG", "ENV":
		var out []string
		for _, a := range f[1:] {
			if strings.Contains(a, "=") {
				out = append(out, unquote(a))
			}
		}
		return f[0], out
	case "RUN":
		f = f[1:]
	default:
		if !strings.HasPrefix(f[0], "|") {
			if strings.HasPrefix(s, "/bin/sh -c ") || strings.HasPrefix(s, "/bin/bash -c ") {
				return "RUN", nil
			}
			return f[0], nil
		}
	}
	if len(f) == 0 || !strings.HasPrefix(f[0], "|") {
		return kind, nil
	}
	n, err := strconv.Atoi(f[0][1:])
	if err != nil || n < 0 || n > len(f)-1 {
		return kind, nil
	}
	var out []string
	for _, a := range f[1 : 1+n] {
		if strings.Contains(a, "=") {
			out = append(out, unquote(a))
		}
	}
	return kind, out
}

// unquote drops the quotes around an assignment's value: A="b" is A=b.
func unquote(kv string) string {
	name, value, _ := strings.Cut(kv, "=")
	if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
		value = value[1 : len(value)-1]
	}
	return name + "=" + value
}
