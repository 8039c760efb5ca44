// Package docs renders rule documentation from rule metadata: the text of
// `kharden explain`, the pages under docs/rules/ (whose examples are the rules' tested
// fixtures: manifests and Dockerfiles, or for the rules of the node audit their verdicts
// on the test hosts), docs/practices.md and docs/cis-1.12.md (each benchmark item and the
// rules that check it).
package docs

//go:generate go run ./gen -root ../..

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/kharden/kharden/internal/practice"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/rules/k8s"
	"github.com/kharden/kharden/internal/scan"
)

// Explain renders a rule's metadata as plain text for a terminal.
func Explain(m *rule.Meta) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %s\n\n", m.ID, m.Slug, m.Title)
	fmt.Fprintf(&b, "Severity:   %s\n", m.Severity)
	fmt.Fprintf(&b, "Default:    %s\n", defaultText(m))
	fmt.Fprintf(&b, "Practices:  %s\n", practicesText(m.Practices))
	if s := standardsText(m); s != "" {
		fmt.Fprintf(&b, "Standards:  %s\n", s)
	}
	if a := auditsOf(m); len(a) > 0 {
		fmt.Fprintf(&b, "Runs in:    %s\n", strings.Join(a, ", "))
	}
	fmt.Fprintf(&b, "Since:      %s\n", m.Since)
	if m.Deprecated {
		fmt.Fprintf(&b, "Deprecated: replaced by %s\n", m.ReplacedBy)
	}
	fmt.Fprintf(&b, "\nWhy:\n%s\n\nFix:\n%s\n", wrap(m.Rationale, 78, "  "), wrap(m.Remediation, 78, "  "))
	if len(m.Changes) > 0 {
		b.WriteString("\nChanges:\n")
		for _, c := range m.Changes {
			fmt.Fprintf(&b, "%s\n", wrap(c, 78, "  "))
		}
	}
	if len(m.References) > 0 {
		b.WriteString("\nReferences:\n")
		for _, r := range m.References {
			fmt.Fprintf(&b, "  %s\n", r)
		}
	}
	switch {
	case isDockerfileRule(m):
		fmt.Fprintf(&b, "\nSuppress on one instruction with a comment directly above it:\n  # kharden:ignore=%s <reason>; expires=YYYY-MM-DD\n", m.Slug)
	case isNodeRule(m):
		fmt.Fprintf(&b, "\nA node has no object to annotate; turn the rule off in .kharden.yaml instead:\n  rules:\n    disable: [%s]\n", m.Slug)
	case isSeccompRule(m):
		fmt.Fprintf(&b, "\nA profile file has no place for a comment; turn the rule off, or change its severity,\nin .kharden.yaml:\n  rules:\n    disable: [%s]\n", m.Slug)
	case isImageRule(m):
		fmt.Fprintf(&b, "\nAn image has no place for a comment; turn the rule off, or change its severity,\nin the .kharden.yaml that kharden scan image reads:\n  rules:\n    disable: [%s]\n", m.Slug)
	case isClusterRule(m):
		fmt.Fprintf(&b, "\nSuppress on the object a finding names with the annotation:\n  ignore.kharden.io/%s: \"<reason>; expires=YYYY-MM-DD\"\n"+
			"or everywhere with rules.disable in .kharden.yaml", m.Slug)
		if inNodeAudit(m) {
			b.WriteString(" (the only way in kharden audit node)")
		}
		b.WriteString(".\n")
	default:
		fmt.Fprintf(&b, "\nSuppress on one object (kharden scan, audit cluster) with the annotation:\n  ignore.kharden.io/%s: \"<reason>; expires=YYYY-MM-DD\"\n"+
			"At admission the object's annotations exempt nothing: ask the cluster admins for an\nexception in the webhook's config (admission.exceptions).\n", m.Slug)
	}
	return b.String()
}

func defaultText(m *rule.Meta) string {
	if m.Default && m.ID == k8s.SeccompLocalhostProfile.ID {
		// It needs a directory to look in, which only a flag gives (scan.SeccompDir).
		return "on with --seccomp-dir DIR (kharden scan, kharden audit cluster); does not run without it"
	}
	if m.Default {
		return "on"
	}
	if strings.HasPrefix(m.Slug, "pss-") {
		// A rule enabled outside the profiles judges at its check's own level (scan.SelectRules).
		if len(m.Standards.PSS) > 0 && strings.HasPrefix(m.Standards.PSS[0], "restricted:") {
			return "off (runs with --profile pss-restricted; enabled in rules.enable, at the restricted level)"
		}
		return "off (runs with --profile pss-baseline or pss-restricted; enabled in rules.enable, at the baseline level)"
	}
	return "off (enable in .kharden.yaml: rules.enable)"
}

func practicesText(ids []string) string {
	var parts []string
	for _, id := range ids {
		if p, ok := practice.Lookup(id); ok {
			parts = append(parts, id+" ("+p.Title+")")
		} else {
			parts = append(parts, id)
		}
	}
	return strings.Join(parts, ", ")
}

// standardsText names the controls a rule maps onto. The CIS items of the Dockerfile
// rules are those of the CIS Docker Benchmark, the others those of the CIS Kubernetes
// Benchmark.
func standardsText(m *rule.Meta) string {
	s := m.Standards
	var parts []string
	if len(s.CIS) > 0 {
		bench := "CIS Kubernetes "
		if isDockerfileRule(m) || isImageRule(m) {
			bench = "CIS Docker "
		}
		parts = append(parts, bench+strings.Join(s.CIS, ", "))
	}
	if len(s.PSS) > 0 {
		parts = append(parts, "PSS "+strings.Join(s.PSS, ", "))
	}
	if len(s.NSA) > 0 {
		parts = append(parts, "NSA/CISA "+strings.Join(s.NSA, "; "))
	}
	return strings.Join(parts, "; ")
}

func wrap(s string, width int, indent string) string {
	var b strings.Builder
	line := indent
	for _, w := range strings.Fields(s) {
		if len(line)+len(w)+1 > width && strings.TrimSpace(line) != "" {
			b.WriteString(strings.TrimRight(line, " ") + "\n")
			line = indent
		}
		line += w + " "
	}
	b.WriteString(strings.TrimRight(line, " "))
	return b.String()
}

// Generate renders every generated documentation file, keyed by its path relative to
// the repository root. root is the repository root, where fixtures are read from.
func Generate(root string) (map[string][]byte, error) {
	out := map[string][]byte{}
	rules := scan.AllRules()
	verdicts, err := hostVerdicts(root)
	if err != nil {
		return nil, err
	}
	var idx bytes.Buffer
	idx.WriteString(header)
	idx.WriteString("# Rules\n\nEvery rule kharden ships, generated from the rules' metadata. `kharden rules` prints the same list; `kharden explain ID` prints one page.\n")
	domain := ""
	for _, m := range rules {
		if d := domainOf(m); d.prefix != domain {
			domain = d.prefix
			fmt.Fprintf(&idx, "\n## %s\n\n%s\n\n", d.title, d.about)
			idx.WriteString("| ID | slug | severity | default | practices | title |\n|---|---|---|---|---|---|\n")
		}
		fmt.Fprintf(&idx, "| [%s](%s.md) | `%s` | %s | %s | %s | %s |\n", m.ID, m.ID, m.Slug, m.Severity, onOffText(m), strings.Join(m.Practices, ", "), m.Title)
		page, err := rulePage(root, m, verdicts[m.ID])
		if err != nil {
			return nil, err
		}
		out["docs/rules/"+m.ID+".md"] = page
	}
	out["docs/rules/README.md"] = idx.Bytes()
	out["docs/practices.md"] = practicesPage(rules)
	out["docs/cis-1.12.md"] = cisPage(rules)
	return out, nil
}

// A domain is a family of rules, by the prefix of their IDs.
type domain struct{ prefix, title, about string }

var domains = []domain{
	{"KM-", "Manifests (KM)", "Workloads and other Kubernetes objects: `kharden scan` over manifests, Helm charts and Kustomize directories, `kharden audit cluster` over the live objects, and the admission webhook."},
	{"DF-", "Dockerfiles (DF)", "Dockerfiles and their build context: `kharden scan`."},
	{"IM-", "Images (IM)", "Container images as built: `kharden scan image` over a registry reference, an OCI layout or archive, a `docker save` tarball or a root filesystem. They judge the image's configuration, final filesystem and packages; they have no manifest examples, and are tested on images built in their tests."},
	{"KC-", "Cluster (KC)", "The cluster as a whole: `kharden audit cluster`. The control-plane rules among them (the ones with CIS items of sections 1 to 3) also run in `kharden audit node`, over the node's processes, static pod manifests and systemd units."},
	{"SP-", "Seccomp profiles (SP)", "Seccomp profiles: OCI profile files (JSON with a top-level `defaultAction`, the format of kubelet's `Localhost` profiles, runc, containerd, CRI-O and Docker) and Security Profiles Operator `SeccompProfile` objects, read by `kharden scan`. Their examples are tested fixtures; a JSON fixture's `# want` comment is not part of the JSON."},
	{"KN-", "Node (KN)", "One node's files, components and operating system: `kharden audit node`. They have no manifest examples; each page shows the rule's verdicts on the host fixtures it is tested with."},
}

func domainOf(m *rule.Meta) domain {
	for _, d := range domains {
		if strings.HasPrefix(m.ID, d.prefix) {
			return d
		}
	}
	return domain{prefix: m.ID[:strings.IndexByte(m.ID+"-", '-')+1], title: "Other", about: ""}
}

// jsonWant is a JSON fixture's want comment, left out of its example.
var jsonWant = regexp.MustCompile(`(?m)\s*#\s*want\s.*$`)

const header = "<!-- Generated by `go generate ./internal/docs`; do not edit. -->\n\n"

func onOffText(m *rule.Meta) string {
	if m.Default && m.ID == k8s.SeccompLocalhostProfile.ID {
		return "with --seccomp-dir"
	}
	if m.Default {
		return "on"
	}
	return "off"
}

func rulePage(root string, m *rule.Meta, verdicts []hostVerdict) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(header)
	fmt.Fprintf(&b, "# %s `%s`: %s\n\n", m.ID, m.Slug, m.Title)
	fmt.Fprintf(&b, "| | |\n|---|---|\n| Severity | %s |\n| Default | %s |\n| Practices | %s |\n", m.Severity, defaultText(m), practicesText(m.Practices))
	if s := standardsText(m); s != "" {
		fmt.Fprintf(&b, "| Standards | %s |\n", s)
	}
	if a := auditsOf(m); len(a) > 0 {
		fmt.Fprintf(&b, "| Runs in | `%s` |\n", strings.Join(a, "`, `"))
	}
	fmt.Fprintf(&b, "| Since | %s |\n\n", m.Since)
	fmt.Fprintf(&b, "## Why\n\n%s\n\n## How to fix\n\n%s\n\n", m.Rationale, m.Remediation)
	if len(m.Changes) > 0 {
		b.WriteString("## Changes\n\n")
		for _, c := range m.Changes {
			v, text, _ := strings.Cut(c, ": ")
			fmt.Fprintf(&b, "- **%s**: %s\n", v, text)
		}
		b.WriteString("\n")
	}
	for _, ex := range []struct{ dir, title string }{{"fail", "Fails"}, {"pass", "Passes"}, {"manual", "Needs a person"}} {
		if err := example(&b, root, m, ex.dir, ex.title); err != nil {
			return nil, err
		}
	}
	if inNodeAudit(m) {
		writeHostVerdicts(&b, m, verdicts)
	}
	switch {
	case isSeccompRule(m):
		fmt.Fprintf(&b, "## Turn off\n\nA profile file has no place for a suppression: turn the rule off, or change its severity, in `.kharden.yaml`:\n\n"+
			"```yaml\nrules:\n  disable: [%s]\n  # or keep it and lower it:\n  # severity: {%s: low}\n```\n", m.Slug, m.Slug)
	case isImageRule(m):
		fmt.Fprintf(&b, "## Turn off\n\nAn image has no place for a suppression comment: turn the rule off, or change its severity, in the `.kharden.yaml` "+
			"that `kharden scan image` reads (`--config FILE`, or found upward from the current directory):\n\n"+
			"```yaml\nrules:\n  disable: [%s]\n  # or keep it and lower it:\n  # severity: {%s: low}\n```\n", m.Slug, m.Slug)
	case isNodeRule(m):
		fmt.Fprintf(&b, "## Turn off\n\nA node has no object to annotate: turn the rule off, or change its severity, in the `.kharden.yaml` "+
			"that `kharden audit node` reads (`--config FILE`, or found upward from the current directory):\n\n"+
			"```yaml\nrules:\n  disable: [%s]\n```\n", m.Slug)
	case isClusterRule(m):
		fmt.Fprintf(&b, "## Suppress\n\nOn the object a finding names (a Namespace, a binding, a Node, a control-plane Pod), with an annotation; "+
			"everywhere, with `rules.disable: [%s]` in `.kharden.yaml`:\n\n"+
			"```yaml\nmetadata:\n  annotations:\n    ignore.kharden.io/%s: \"<reason>; expires=YYYY-MM-DD\"\n```\n", m.Slug, m.Slug)
		if inNodeAudit(m) {
			b.WriteString("\n`kharden audit node` has no object to annotate: there, only `rules.disable` turns the rule off.\n")
		}
	case isDockerfileRule(m):
		fmt.Fprintf(&b, "## Suppress\n\nOn one instruction, with a comment directly above it; in the whole file, with `kharden:ignore-file=`:\n\n"+
			"```dockerfile\n# kharden:ignore=%s <reason>; expires=YYYY-MM-DD\n```\n", m.Slug)
	default:
		fmt.Fprintf(&b, "## Suppress\n\nIn `kharden scan` and `kharden audit cluster`, on the object:\n\n"+
			"```yaml\nmetadata:\n  annotations:\n    ignore.kharden.io/%s: \"<reason>; expires=YYYY-MM-DD\"\n```\n\n"+
			"At admission the object's own annotations exempt nothing; the cluster's admins write an exception "+
			"in the webhook's config ([docs/webhook.md](../webhook.md#exceptions-from-the-webhooks-config-never-from-the-object)):\n\n"+
			"```yaml\nadmission:\n  exceptions:\n    - {namespace: shop, name: web, rules: [%s], reason: \"<reason>\", expires: YYYY-MM-DD}\n```\n", m.Slug, m.Slug)
	}
	if len(m.References) > 0 {
		b.WriteString("\n## References\n\n")
		for _, r := range m.References {
			if strings.HasPrefix(r, "https://") || strings.HasPrefix(r, "http://") {
				fmt.Fprintf(&b, "- <%s>\n", r)
			} else {
				fmt.Fprintf(&b, "- %s\n", r)
			}
		}
	}
	return b.Bytes(), nil
}

func isDockerfileRule(m *rule.Meta) bool { return strings.HasPrefix(m.ID, "DF-") }

func isClusterRule(m *rule.Meta) bool { return strings.HasPrefix(m.ID, "KC-") }

func isNodeRule(m *rule.Meta) bool { return strings.HasPrefix(m.ID, "KN-") }

func isImageRule(m *rule.Meta) bool { return strings.HasPrefix(m.ID, "IM-") }

func isSeccompRule(m *rule.Meta) bool { return strings.HasPrefix(m.ID, "SP-") }

// example writes the first fixture of a rule's pass or fail directory as an example: a
// manifest, or a Dockerfile (with its case directory's .dockerignore, if any).
func example(b *bytes.Buffer, root string, m *rule.Meta, dir, title string) error {
	var files []string
	lang := "yaml"
	if isDockerfileRule(m) {
		lang = "dockerfile"
		base := filepath.Join(root, "internal/rules/dockerfile/testdata", m.Slug, dir)
		files, _ = filepath.Glob(filepath.Join(base, "*.Dockerfile"))
		cases, _ := filepath.Glob(filepath.Join(base, "*", "Dockerfile"))
		files = append(files, cases...)
	} else if isClusterRule(m) {
		files, _ = filepath.Glob(filepath.Join(root, "internal/rules/cluster/testdata", m.Slug, dir, "*.yaml"))
	} else if isNodeRule(m) {
		return nil // tested on host fixtures: see writeHostVerdicts
	} else if isImageRule(m) {
		return nil // tested on images built in internal/rules/image's tests
	} else if isSeccompRule(m) {
		files, _ = filepath.Glob(filepath.Join(root, "internal/rules/seccomp/testdata", m.Slug, dir, "*"))
		if sort.Strings(files); len(files) > 0 && strings.HasSuffix(files[0], ".json") {
			lang = "json"
		}
	} else {
		files, _ = filepath.Glob(filepath.Join(root, "internal/rules/k8s/testdata", m.Slug, dir, "*.yaml"))
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil
	}
	src, err := os.ReadFile(files[0])
	if err != nil {
		return err
	}
	text := strings.TrimLeft(string(src), "\n")
	if lang == "json" {
		text = jsonWant.ReplaceAllString(text, "")
	}
	fmt.Fprintf(b, "## %s\n\n```%s\n%s```\n\n", title, lang, text)
	if lang == "dockerfile" && filepath.Base(files[0]) == "Dockerfile" {
		if ig, err := os.ReadFile(filepath.Join(filepath.Dir(files[0]), ".dockerignore")); err == nil {
			fmt.Fprintf(b, "with this `.dockerignore` in the build context:\n\n```\n%s```\n\n", ig)
		}
	}
	return nil
}

func practicesPage(rules []*rule.Meta) []byte {
	by := map[string][]string{}
	for _, r := range rules {
		for _, p := range r.Practices {
			by[p] = append(by[p], fmt.Sprintf("[%s](rules/%s.md) `%s`", r.ID, r.ID, r.Slug))
		}
	}
	var b bytes.Buffer
	b.WriteString(header)
	b.WriteString("# Practices and the rules that check them\n\nPractice IDs are those of PRACTICES.md. A practice with no rule yet is shown as a gap.\n\n")
	area := ""
	for _, p := range practice.All {
		if p.Area != area {
			area = p.Area
			fmt.Fprintf(&b, "\n## %s\n\n| ID | practice | rules |\n|---|---|---|\n", area)
		}
		rs := "gap: not checked yet"
		if len(by[p.ID]) > 0 {
			rs = strings.Join(by[p.ID], ", ")
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", p.ID, p.Title, rs)
	}
	return b.Bytes()
}
