package flags

import (
	"fmt"
	"slices"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// The audit policy (--audit-policy-file): an ordered list of rules, the first rule that
// matches a request giving the level it is logged at (None when no rule matches). 3.2.2
// asks that the policy log what matters without logging secrets: it is judged here by
// asking the policy how it logs a set of probe requests from an ordinary user (a member
// of system:authenticated only) in the default and kube-system namespaces, so that rules
// that exempt particular system users or namespaces are the site's choice.

// auditLevels in increasing order.
var auditLevels = []string{"None", "Metadata", "Request", "RequestResponse"}

// auditPolicy is an audit.k8s.io Policy, as far as it decides levels.
type auditPolicy struct {
	omitStages []string
	rules      []auditRule
}

type auditRule struct {
	line            int
	Level           string   `yaml:"level"`
	Users           []string `yaml:"users"`
	UserGroups      []string `yaml:"userGroups"`
	Verbs           []string `yaml:"verbs"`
	Namespaces      []string `yaml:"namespaces"`
	NonResourceURLs []string `yaml:"nonResourceURLs"`
	OmitStages      []string `yaml:"omitStages"`
	Resources       []struct {
		Group         string   `yaml:"group"`
		Resources     []string `yaml:"resources"`
		ResourceNames []string `yaml:"resourceNames"`
	} `yaml:"resources"`
}

func parseAuditPolicy(file string, content []byte) (*auditPolicy, *fileError) {
	root, ferr := parseDocument(file, content)
	if ferr != nil {
		return nil, ferr
	}
	p := &auditPolicy{}
	if root == nil {
		return p, nil
	}
	if k := member(root, "kind"); k != nil && k.Value != "Policy" {
		return nil, valueError(file, k, "kind", "%q is not Policy", k.Value)
	}
	if n := member(root, "omitStages"); !isNull(n) {
		if p.omitStages, ferr = nodeStrings(file, "omitStages", n); ferr != nil {
			return nil, ferr
		}
	}
	rules := member(root, "rules")
	if isNull(rules) {
		return p, nil
	}
	if rules.Kind != yaml.SequenceNode {
		return nil, valueError(file, rules, "rules", "is not a list")
	}
	for i, n := range rules.Content {
		var r auditRule
		if err := resolve(n).Decode(&r); err != nil {
			return nil, yamlError(file, err)
		}
		r.line = n.Line
		if !slices.Contains(auditLevels, r.Level) {
			return nil, valueError(file, n, fmt.Sprintf("rules[%d].level", i), "%q is not None, Metadata, Request or RequestResponse", r.Level)
		}
		p.rules = append(p.rules, r)
	}
	return p, nil
}

// auditRequest is a probe: a resource request by an ordinary user.
type auditRequest struct {
	verb, group, resource, subresource, namespace string
}

func (q auditRequest) String() string {
	res := q.resource
	if q.subresource != "" {
		res += "/" + q.subresource
	}
	if q.group != "" {
		res += "." + q.group
	}
	if q.namespace == "" {
		return q.verb + " " + res
	}
	return q.verb + " " + res + " in namespace " + q.namespace
}

// probeGroups are the groups of the probing user.
var probeGroups = []string{"system:authenticated"}

// level returns the level a request is logged at, and the index of the rule that decides
// it (-1: none matches). A rule that omits every stage but Panic logs nothing.
func (p *auditPolicy) level(q auditRequest) (string, int) {
	for i := range p.rules {
		r := &p.rules[i]
		if !r.matches(q) {
			continue
		}
		omitted := append(slices.Clone(p.omitStages), r.OmitStages...)
		if slices.Contains(omitted, "RequestReceived") && slices.Contains(omitted, "ResponseStarted") &&
			slices.Contains(omitted, "ResponseComplete") {
			return "None", i
		}
		return r.Level, i
	}
	return "None", -1
}

// matches applies the API server's matching of a rule to a resource request.
func (r *auditRule) matches(q auditRequest) bool {
	if len(r.Users) > 0 {
		return false // the probing user is nobody in particular
	}
	if len(r.UserGroups) > 0 && !slices.ContainsFunc(probeGroups, func(g string) bool { return slices.Contains(r.UserGroups, g) }) {
		return false
	}
	if len(r.Verbs) > 0 && !slices.Contains(r.Verbs, q.verb) {
		return false
	}
	if len(r.Namespaces) == 0 && len(r.Resources) == 0 {
		return len(r.NonResourceURLs) == 0
	}
	if len(r.Namespaces) > 0 && !slices.Contains(r.Namespaces, q.namespace) {
		return false
	}
	if len(r.Resources) == 0 {
		return true
	}
	combined := q.resource
	if q.subresource != "" {
		combined += "/" + q.subresource
	}
	for _, gr := range r.Resources {
		if gr.Group != q.group && gr.Group != "*" {
			continue
		}
		if len(gr.Resources) == 0 {
			return true
		}
		if len(gr.ResourceNames) > 0 {
			continue // the probes name no object the policy could list
		}
		for _, res := range gr.Resources {
			switch {
			case res == combined || res == "*":
				return true
			case q.subresource != "" && strings.HasPrefix(res, "*/") && res[2:] == q.subresource:
				return true
			case strings.HasSuffix(res, "/*") && strings.TrimSuffix(res, "/*") == q.resource:
				return true
			}
		}
	}
	return false
}

// auditConcern is one thing 3.2.2 asks of the policy: every probe logged at a level in
// [min, max].
type auditConcern struct {
	what     string // "Secrets" in "Secrets are not logged"
	probes   []auditRequest
	min, max string
}

func probes(verbs []string, namespaces []string, resources ...[3]string) []auditRequest {
	var out []auditRequest
	for _, r := range resources {
		for _, ns := range namespaces {
			for _, v := range verbs {
				out = append(out, auditRequest{verb: v, group: r[0], resource: r[1], subresource: r[2], namespace: ns})
			}
		}
	}
	return out
}

var (
	readWrite   = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
	changes     = []string{"create", "update", "patch", "delete", "deletecollection"}
	probeSpaces = []string{"default", "kube-system"}
)

var auditConcerns = []auditConcern{
	{what: "requests to Secrets", min: "Metadata", max: "Metadata",
		probes: probes(readWrite, probeSpaces, [3]string{"", "secrets"})},
	{what: "requests to ConfigMaps", min: "None", max: "Metadata",
		probes: probes(readWrite, probeSpaces, [3]string{"", "configmaps"})},
	{what: "TokenReviews", min: "None", max: "Metadata",
		probes: probes([]string{"create"}, []string{""}, [3]string{"authentication.k8s.io", "tokenreviews"})},
	{what: "changes to pods and deployments", min: "Metadata", max: "RequestResponse",
		probes: probes(changes, probeSpaces, [3]string{"", "pods"}, [3]string{"apps", "deployments"})},
	{what: "pods/exec, pods/portforward, pods/proxy and services/proxy", min: "Metadata", max: "RequestResponse",
		probes: probes([]string{"create", "get"}, probeSpaces, [3]string{"", "pods", "exec"}, [3]string{"", "pods", "portforward"},
			[3]string{"", "pods", "proxy"}, [3]string{"", "services", "proxy"})},
}

func levelIndex(l string) int { return slices.Index(auditLevels, l) }

// auditPolicyCoverage is 3.2.2.
func auditPolicyCoverage(s *Set) Result {
	const flag = "audit-policy-file"
	content, file, r := requiredFile(s, flag, "--audit-policy-file is not set, so the API server logs no audit events",
		"the audit policy %s is not visible here; check that it logs Secrets, ConfigMaps and TokenReviews "+
			"at Metadata and no more, and changes to pods and deployments and uses of pods/exec, pods/portforward, "+
			"pods/proxy and services/proxy at Metadata or more")
	if r != nil {
		return *r
	}
	p, ferr := parseAuditPolicy(file, content)
	if ferr != nil {
		return broken(flag, ferr)
	}
	if len(p.rules) == 0 {
		return fail(flag, "the audit policy %s has no rules, so it logs nothing (and the API server refuses it)", file).at(file, 0)
	}
	var problems []string
	line := 0
	for _, c := range auditConcerns {
		for _, q := range c.probes {
			lvl, i := p.level(q)
			if levelIndex(lvl) >= levelIndex(c.min) && levelIndex(lvl) <= levelIndex(c.max) {
				continue
			}
			by := "matches no rule"
			if i >= 0 {
				by = fmt.Sprintf("matches rule %d (line %d)", i+1, p.rules[i].line)
				if line == 0 {
					line = p.rules[i].line
				}
			}
			if levelIndex(lvl) < levelIndex(c.min) {
				problems = append(problems, fmt.Sprintf("%s are not logged: %s %s at level %s", c.what, q, by, lvl))
			} else {
				problems = append(problems, fmt.Sprintf("%s are logged with their content: %s %s at level %s; log them at %s",
					c.what, q, by, lvl, c.max))
			}
			break
		}
	}
	if len(problems) > 0 {
		return fail(flag, "the audit policy %s: %s", file, strings.Join(problems, "; ")).at(file, line)
	}
	return pass(flag, "the audit policy %s logs Secrets at Metadata, ConfigMaps and TokenReviews at Metadata at most, "+
		"and changes to pods and deployments and pods/exec, portforward and proxy and services/proxy at Metadata or more", file).at(file, 0)
}
