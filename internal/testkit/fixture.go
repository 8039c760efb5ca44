// Package testkit is the fixture harness of the rule tests: it reads `# want` comments
// and re-wraps Pod fixtures as every controller kind, so one fixture tests a rule
// through every way a pod spec can be written. It also builds the realistic
// AdmissionReviews the webhook's benchmarks send (Reviews).
package testkit

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Want is one expected finding: a rule ID on a line, optionally with a message pattern.
type Want struct {
	Line    int
	ID      string
	Message *regexp.Regexp
}

var (
	wantComment = regexp.MustCompile(`#\s*want\s+(.*)$`)
	wantToken   = regexp.MustCompile(`^\s*([A-Z]{2}-\d{4})(\s+"((?:[^"\\]|\\.)*)")?`)
)

// ParseWants reads `# want ID ["message regexp"] [ID ["message regexp"]]...` comments.
// Each ID is one expected finding on that line; the comment's line is the finding's,
// unless the comment stands alone on its line (as in Dockerfiles), when it is the next
// line's.
func ParseWants(src []byte) ([]Want, error) {
	var out []Want
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		m := wantComment.FindStringSubmatchIndex(text)
		if m == nil {
			continue
		}
		target := line
		if strings.TrimSpace(text[:m[0]]) == "" {
			target = line + 1
		}
		rest := text[m[2]:m[3]]
		for strings.TrimSpace(rest) != "" {
			t := wantToken.FindStringSubmatch(rest)
			if t == nil {
				return nil, fmt.Errorf("line %d: bad want comment near %q", line, rest)
			}
			w := Want{Line: target, ID: t[1]}
			if t[2] != "" {
				pat, err := strconv.Unquote(`"` + t[3] + `"`)
				if err != nil {
					return nil, fmt.Errorf("line %d: bad message pattern: %v", line, err)
				}
				if w.Message, err = regexp.Compile(pat); err != nil {
					return nil, fmt.Errorf("line %d: bad message pattern: %v", line, err)
				}
			}
			out = append(out, w)
			rest = rest[len(t[0]):]
		}
	}
	return out, sc.Err()
}

// Controllers are the kinds WrapPod can produce, with their apiVersion: the built-in
// controllers, the custom resources kharden models (OpenShift DeploymentConfig, Argo
// Rollout, Knative Service, KEDA ScaledJob) and Widget, a kind kharden does not know
// whose pod template it checks generically.
var Controllers = map[string]string{
	"Deployment":            "apps/v1",
	"StatefulSet":           "apps/v1",
	"DaemonSet":             "apps/v1",
	"ReplicaSet":            "apps/v1",
	"ReplicationController": "v1",
	"Job":                   "batch/v1",
	"CronJob":               "batch/v1",
	"PodTemplate":           "v1",
	"DeploymentConfig":      "apps.openshift.io/v1",
	"Rollout":               "argoproj.io/v1alpha1",
	"Service":               "serving.knative.dev/v1",
	"ScaledJob":             "keda.sh/v1alpha1",
	"Widget":                "example.com/v1",
}

// WrapPod rewrites a single-document Pod fixture as the given controller kind, keeping the
// pod's lines (and their want comments) verbatim but indented. lineMap[i] is the original
// line of output line i+1, or 0 for a line WrapPod wrote. ok is false when src is not a
// plain single Pod document with top-level apiVersion, kind, metadata and spec.
func WrapPod(src []byte, kind string) (out []byte, lineMap []int, ok bool) {
	lines := strings.Split(strings.TrimRight(string(src), "\n"), "\n")
	blocks := map[string][2]int{}
	cur := ""
	for i, l := range lines {
		if l == "---" && i == 0 {
			continue
		}
		if l == "---" || l == "..." {
			return nil, nil, false // more than one document
		}
		if l != "" && l[0] != ' ' && l[0] != '#' && l[0] != '-' {
			key, _, found := strings.Cut(l, ":")
			if !found {
				return nil, nil, false
			}
			cur = key
			blocks[cur] = [2]int{i, i + 1}
			if key == "kind" && strings.TrimSpace(strings.SplitN(l, "#", 2)[0]) != "kind: Pod" {
				return nil, nil, false
			}
			continue
		}
		if cur != "" {
			b := blocks[cur]
			b[1] = i + 1
			blocks[cur] = b
		}
	}
	meta, hasMeta := blocks["metadata"]
	spec, hasSpec := blocks["spec"]
	if _, k := blocks["kind"]; !k || !hasMeta || !hasSpec || len(blocks) != 4 {
		return nil, nil, false
	}
	var b strings.Builder
	emit := func(s string, orig int) {
		b.WriteString(s)
		b.WriteByte('\n')
		lineMap = append(lineMap, orig)
	}
	copyBlock := func(r [2]int, indent string) {
		for i := r[0]; i < r[1]; i++ {
			if lines[i] == "" {
				emit("", i+1)
			} else {
				emit(indent+lines[i], i+1)
			}
		}
	}
	emit("apiVersion: "+Controllers[kind], 0)
	emit("kind: "+kind, 0)
	copyBlock(meta, "")
	indent := ""
	switch kind {
	case "PodTemplate":
		emit("template:", 0)
		indent = "  "
	case "CronJob":
		emit("spec:", 0)
		emit(`  schedule: "@daily"`, 0)
		emit("  jobTemplate:", 0)
		emit("    spec:", 0)
		emit("      template:", 0)
		indent = "        "
	case "ReplicationController", "DeploymentConfig":
		emit("spec:", 0)
		emit("  selector: {app: fixture}", 0)
		emit("  template:", 0)
		indent = "    "
	case "Service", "Widget":
		emit("spec:", 0)
		emit("  template:", 0)
		indent = "    "
	case "ScaledJob":
		emit("spec:", 0)
		emit("  jobTargetRef:", 0)
		emit("    template:", 0)
		indent = "      "
	default:
		emit("spec:", 0)
		emit("  selector: {matchLabels: {app: fixture}}", 0)
		emit("  template:", 0)
		indent = "    "
	}
	copyBlock(meta, indent)
	copyBlock(spec, indent)
	return []byte(b.String()), lineMap, true
}

// Match compares the findings of rule id, grouped by line, with the wants: each line must
// have exactly as many findings as wants naming id, each want's message pattern must
// match one of them, and no other line may have a finding. It returns one line per
// disagreement, prefixed with name and the line number.
func Match(name, id string, wants []Want, got map[int][]string) []string {
	want := map[int][]Want{}
	for _, w := range wants {
		if w.ID == id {
			want[w.Line] = append(want[w.Line], w)
		}
	}
	var out []string
	for line, ws := range want {
		msgs := got[line]
		if len(msgs) != len(ws) {
			out = append(out, fmt.Sprintf("%s:%d: want %d finding(s) of %s, got %d %q", name, line, len(ws), id, len(msgs), msgs))
			continue
		}
		for _, w := range ws {
			if w.Message != nil && !anyMatch(w.Message, msgs) {
				out = append(out, fmt.Sprintf("%s:%d: no message matches %q in %q", name, line, w.Message, msgs))
			}
		}
	}
	for line, msgs := range got {
		if len(want[line]) == 0 {
			out = append(out, fmt.Sprintf("%s:%d: unexpected finding of %s: %q", name, line, id, msgs))
		}
	}
	sort.Strings(out)
	return out
}

func anyMatch(re *regexp.Regexp, ss []string) bool {
	for _, s := range ss {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}
