package docs

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/kharden/kharden/internal/audit"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/node"
)

// hostsDir holds the host fixtures the rules of the node audit are tested with.
const hostsDir = "internal/rules/node/testdata/hosts"

// nodeAuditIDs are the IDs of the rules kharden audit node runs: the KN rules and the
// control-plane KC rules.
var nodeAuditIDs = sync.OnceValue(func() map[string]bool {
	ids := map[string]bool{}
	for _, r := range audit.NodeRules() {
		ids[r.ID] = true
	}
	return ids
})

func inNodeAudit(m *rule.Meta) bool { return nodeAuditIDs()[m.ID] }

// auditsOf names the audit commands a cluster or node rule runs in; nil for the rules
// of kharden scan.
func auditsOf(m *rule.Meta) []string {
	var out []string
	if isClusterRule(m) {
		out = append(out, "kharden audit cluster")
	}
	if inNodeAudit(m) {
		out = append(out, "kharden audit node")
	}
	return out
}

// hostVerdict is one verdict of a rule of the node audit on a host fixture.
type hostVerdict struct {
	host                   string
	status                 rule.Status
	control, file, message string
	line                   int
}

// hostVerdicts audits every host fixture under root with every rule of the node audit,
// as the rules' tests do, and returns the verdicts by rule ID.
func hostVerdicts(root string) (map[string][]hostVerdict, error) {
	dirs, err := filepath.Glob(filepath.Join(root, hostsDir, "*"))
	if err != nil {
		return nil, err
	}
	slices.Sort(dirs)
	out := map[string][]hostVerdict{}
	for _, dir := range dirs {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		h, err := node.OpenFixture(dir)
		if err != nil {
			return nil, fmt.Errorf("host fixture %s: %w", dir, err)
		}
		facts := node.Collect(h)
		for _, r := range audit.NodeRules() {
			for _, f := range r.Check(facts) {
				status := f.Status
				if status == "" {
					status = rule.Fail
				}
				out[r.ID] = append(out[r.ID], hostVerdict{host: filepath.Base(dir), status: status, control: f.Control,
					file: f.File, line: f.Line, message: f.Message})
			}
		}
	}
	return out, nil
}

// writeHostVerdicts writes a rule's verdicts on the host fixtures: the examples of a rule
// that has no manifest to show.
func writeHostVerdicts(b *bytes.Buffer, m *rule.Meta, vs []hostVerdict) {
	b.WriteString("## On the test hosts\n\n")
	fmt.Fprintf(b, "What `kharden audit node` reports for %s on the host fixtures it is tested with "+
		"(`%s/<host>/`: files with their owners and modes, and a process list; "+
		"`go test ./internal/rules/node/ -run TestHosts` compares every verdict with the host's `want.golden`).\n\n", m.ID, hostsDir)
	if len(vs) == 0 {
		b.WriteString("It reports nothing on them.\n\n")
		return
	}
	// Hosts that give the same verdict (most often: skipped, the component is not there)
	// share a row.
	type row struct {
		hosts                           []string
		status, control, where, message string
	}
	var rows []*row
	index := map[[4]string]*row{}
	for _, v := range vs {
		control, where := v.control, "node"
		if control == "" {
			control = "—"
		}
		if v.file != "" {
			where = "`" + v.file + "`"
			if v.line > 0 {
				where = fmt.Sprintf("`%s:%d`", v.file, v.line)
			}
		}
		msg := v.message
		if v.control != "" {
			msg = strings.TrimSuffix(msg, " (CIS "+v.control+")")
		}
		key := [4]string{string(v.status), control, where, msg}
		r := index[key]
		if r == nil {
			r = &row{status: key[0], control: control, where: where, message: msg}
			index[key] = r
			rows = append(rows, r)
		}
		if !slices.Contains(r.hosts, v.host) {
			r.hosts = append(r.hosts, v.host)
		}
	}
	b.WriteString("| hosts | verdict | CIS | where | message |\n|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", strings.Join(r.hosts, ", "), r.status, r.control, r.where, cell(r.message))
	}
	b.WriteString("\n")
}

// cell makes text safe in a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
