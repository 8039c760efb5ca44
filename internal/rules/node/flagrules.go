package node

import (
	"fmt"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/rules/cluster"
	"github.com/kharden/kharden/internal/rules/flags"
	"github.com/kharden/kharden/internal/source/node"
)

// FromCluster returns the node form of the control-plane rules among rules (those with
// Flags): the same metadata and the same flag checks, run over the node's components.
func FromCluster(rules []*cluster.Rule) []*Rule {
	var out []*Rule
	for _, r := range rules {
		if len(r.Flags) == 0 {
			continue
		}
		out = append(out, &Rule{Meta: r.Meta, Flags: r.Flags, Check: flagChecks(r.Flags...)})
	}
	return out
}

// flagChecks returns the check of a rule made of CIS flag checks: each runs over every
// instance of its component on the node (a process, else a static pod manifest, else a
// unit), one verdict per instance and item.
func flagChecks(cis ...string) func(*node.Facts) []Finding {
	var checks []*flags.Check
	for _, id := range cis {
		c := flags.Lookup(id)
		if c == nil {
			panic("node: no flag check for CIS " + id)
		}
		checks = append(checks, c)
	}
	return runChecks(checks...)
}

// runChecks returns the check of a rule made of flag checks.
func runChecks(checks ...*flags.Check) func(*node.Facts) []Finding {
	return func(f *node.Facts) []Finding {
		var out []Finding
		for _, c := range checks {
			out = append(out, runFlagCheck(f, c)...)
		}
		return out
	}
}

func runFlagCheck(f *node.Facts, c *flags.Check) []Finding {
	instances := f.Instances(c.Component)
	if len(instances) == 0 {
		places := "static pod manifest or systemd unit"
		if c.Component == node.Kubelet {
			places = "systemd unit or default config or flags file" // see node.FromDefaults
		}
		why := "no process, " + places + " of it was found"
		if f.ProcessesErr != nil {
			why = fmt.Sprintf("no %s of it was found, and the processes could not be read (%s)", places, errText(f.ProcessesErr))
		}
		return []Finding{verdict(rule.Skipped, c.CIS, "", 0, "%s does not run on this node: %s%s", c.Component, why, cisSuffix(c.CIS))}
	}
	var out []Finding
	for _, comp := range instances {
		file, line := componentFile(&comp), comp.Line
		if comp.Err != nil {
			out = append(out, verdict(rule.Error, c.CIS, file, line, "%s: cannot read its flags: %s%s", comp.Source, errText(comp.Err), cisSuffix(c.CIS)))
			continue
		}
		r := c.Run(comp.Flags)
		status := r.Status
		if status == "" {
			status = rule.Fail
		}
		switch v, ok := comp.Flags.Lookup(r.Flag); {
		case r.File != "":
			file, line = r.File, r.Line
		case ok && v.Origin.File != "":
			file, line = v.Origin.File, v.Origin.Line
		}
		msg := r.Message
		// A file the check needed but that could not be read is an error of the audit,
		// not a question for a person.
		if status == rule.Manual {
			if v, ok := comp.Flags.Lookup(r.Flag); ok {
				if err, bad := comp.FileErrors[v.Value]; bad {
					status, file, line = rule.Error, v.Value, 0
					msg = fmt.Sprintf("cannot read %s, which --%s names: %s", v.Value, r.Flag, errText(err))
				}
			}
		}
		out = append(out, verdict(status, c.CIS, file, line, "%s (%s): %s%s", c.Component, comp.Source, msg, cisSuffix(c.CIS)))
	}
	return out
}

// componentFile is where a component's flags were read: its unit or manifest, the
// process's command line, or the main default file.
func componentFile(c *node.Component) string {
	switch c.Kind {
	case node.FromProcess:
		return fmt.Sprintf("/proc/%d/cmdline", c.PID)
	case node.FromDefaults:
		return c.Path
	}
	return c.Source
}

// cisSuffix ends a message with the CIS item it is about, if any.
func cisSuffix(cis string) string {
	if cis == "" {
		return ""
	}
	return " (CIS " + cis + ")"
}
