package dockerfile

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// ExposedPorts is DF-0021.
var ExposedPorts = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0021",
		Slug:      "exposed-ports",
		Title:     "The image must not expose the SSH port or an invalid port",
		Severity:  rule.High,
		Practices: []string{"B8"},
		Rationale: "EXPOSE 22 announces an SSH server in the container: a second, unaudited way in that needs its " +
			"own credentials and bypasses the orchestrator's exec and logging. A port outside 1-65535 is a mistake " +
			"that hides what the container really listens on; tools that publish exposed ports reject it.",
		Remediation: "Remove EXPOSE 22 and the SSH server behind it (use docker exec or kubectl exec for a shell); " +
			"expose only the ports the application serves, each between 1 and 65535.",
		References: []string{
			"https://docs.docker.com/reference/dockerfile/#expose",
			"hadolint DL3011: Valid UNIX ports range from 0 to 65535",
			"trivy-checks DS-0004 (DS004): Port 22 exposed",
			"trivy-checks DS-0008 (DS008): Exposed port out of range",
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		var out []rule.Finding
		for _, e := range runningExposes(f) {
			for _, p := range e.ports {
				switch {
				case p.bad != "":
					out = append(out, atInstruction(e.in, "EXPOSE %s: %s", p.spec, p.bad))
				case p.from <= 22 && 22 <= p.to && p.proto != "udp" && p.from == p.to:
					out = append(out, atInstruction(e.in, "EXPOSE %s announces the SSH port", p.spec))
				case p.from <= 22 && 22 <= p.to && p.proto != "udp":
					out = append(out, atInstruction(e.in, "EXPOSE %s includes the SSH port 22", p.spec))
				}
			}
		}
		return out
	},
}

// exposed is an EXPOSE instruction of the running image and its ports.
type exposed struct {
	in    *dockerfile.Instruction
	ports []port
}

// port is one port or port range of an EXPOSE, as written and as understood.
type port struct {
	spec     string // as written, variables expanded
	from, to int    // the range; from == to for one port
	proto    string // "tcp", "udp", "sctp" or "" (tcp)
	bad      string // why the spec is not a valid port, or ""
	unknown  bool   // a variable without a known value
}

// runningExposes returns the EXPOSE instructions of the running stages, in build
// order, with ENV and ARG values expanded into their ports.
func runningExposes(f *dockerfile.File) []exposed {
	var out []exposed
	lex := shell.NewLex(f.Escape)
	env := map[string]string{}
	for _, s := range f.RunningStages() {
		args := map[string]string{}
		for _, in := range s.Instructions {
			switch c := in.Command.(type) {
			case *instructions.EnvCommand:
				for _, kv := range c.Env {
					env[shell.NormalizeEnvKey(kv.Key)] = f.Unquote(kv.Value)
				}
			case *instructions.ArgCommand:
				for _, kv := range c.Args {
					if kv.Value != nil {
						args[shell.NormalizeEnvKey(kv.Key)] = f.Unquote(*kv.Value)
					}
				}
			case *instructions.ExposeCommand:
				vars := stageVars{env: env, args: args}
				e := exposed{in: in}
				for _, raw := range c.Ports {
					spec := raw
					if strings.ContainsAny(raw, "$\"'") {
						res, err := lex.ProcessWordWithMatches(raw, vars)
						if err != nil || len(res.Unmatched) > 0 {
							e.ports = append(e.ports, port{spec: raw, unknown: true})
							continue
						}
						spec = res.Result
					}
					for _, one := range strings.Fields(spec) {
						e.ports = append(e.ports, parsePort(one))
					}
				}
				out = append(out, e)
			}
		}
	}
	return out
}

// parsePort reads PORT, PORT/PROTO, FROM-TO or FROM-TO/PROTO.
func parsePort(spec string) port {
	p := port{spec: spec}
	nums, proto, _ := strings.Cut(spec, "/")
	p.proto = strings.ToLower(proto)
	lo, hi, isRange := strings.Cut(nums, "-")
	if !isRange {
		hi = lo
	}
	var err1, err2 error
	p.from, err1 = strconv.Atoi(lo)
	p.to, err2 = strconv.Atoi(hi)
	switch {
	case err1 != nil || err2 != nil:
		p.bad = "not a port number"
	case p.from < 1 || p.to < 1:
		p.bad = "port 0 is not a port a service can listen on"
	case p.from > 65535 || p.to > 65535:
		p.bad = "ports range from 1 to 65535"
	case p.from > p.to:
		p.bad = "the range ends before it starts"
	case p.proto != "" && p.proto != "tcp" && p.proto != "udp" && p.proto != "sctp":
		p.bad = fmt.Sprintf("unknown protocol %q", proto)
	}
	return p
}

// stageVars are the ENV values of the running stages so far and the ARG values of the
// current one, ENV winning, read in place: copying them for every EXPOSE made a file of
// many ENVs and EXPOSEs quadratic.
type stageVars struct{ env, args map[string]string }

func (v stageVars) Get(k string) (string, bool) {
	k = shell.NormalizeEnvKey(k)
	if s, ok := v.env[k]; ok {
		return s, true
	}
	s, ok := v.args[k]
	return s, ok
}

func (v stageVars) Keys() []string {
	keys := make([]string, 0, len(v.env)+len(v.args))
	for k := range v.args {
		keys = append(keys, k)
	}
	for k := range v.env {
		if _, ok := v.args[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}
