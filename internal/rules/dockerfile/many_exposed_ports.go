package dockerfile

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// maxExposedPorts is how many ports the running image may expose before
// many-exposed-ports reports it.
const maxExposedPorts = 3

// ManyExposedPorts is DF-0022.
var ManyExposedPorts = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0022",
		Slug:      "many-exposed-ports",
		Title:     fmt.Sprintf("The running image should expose at most %d ports", maxExposedPorts),
		Severity:  rule.Info,
		Practices: []string{"B8"},
		Rationale: "Every exposed port is a service someone can reach once the container is published, and a " +
			"long EXPOSE list is often a sign that one image runs several services, or exposes debug and " +
			"management ports next to the application's. Fewer ports mean a smaller attack surface. Some servers " +
			"(message brokers, databases with cluster ports) need several, so this rule is off by default.",
		Remediation: "Expose only the ports clients of the application use; move management, metrics and debug " +
			"ports behind configuration, and split unrelated services into their own images.",
		References: []string{
			"https://docs.docker.com/reference/dockerfile/#expose",
		},
		Since:   "0.1.0",
		Default: false,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		seen := map[string]bool{}
		var list []port
		var at *dockerfile.Instruction // the EXPOSE that goes over the limit
		for _, e := range runningExposes(f) {
			for _, p := range e.ports {
				if p.unknown || p.bad != "" {
					continue
				}
				proto := p.proto
				if proto == "" {
					proto = "tcp"
				}
				for n := p.from; n <= p.to; n++ {
					seen[fmt.Sprintf("%d/%s", n, proto)] = true
				}
				list = append(list, p)
			}
			if at == nil && len(seen) > maxExposedPorts {
				at = e.in
			}
		}
		if at == nil {
			return nil
		}
		sort.SliceStable(list, func(i, j int) bool { return list[i].from < list[j].from })
		specs := make([]string, len(list))
		for i, p := range list {
			specs[i] = p.spec
		}
		return one(atInstruction(at, "the image exposes %d ports (%s), more than %d",
			len(seen), strings.Join(specs, ", "), maxExposedPorts))
	},
}
