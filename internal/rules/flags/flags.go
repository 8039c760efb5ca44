// Package flags reads the effective command-line flags of a Kubernetes component and
// evaluates the CIS Kubernetes Benchmark's flag checks over them.
//
// The input is a Set: one component's flags, from wherever a reader found them (a static
// pod's command and args, a process's argv, a systemd unit's ExecStart), each value
// remembering its Origin so a result can point at the offending argument. The checks are
// pure functions over a Set, one per CIS item, returning Pass, Fail, Manual or Error with
// a message and the flag the verdict rests on. The cluster audit runs them over the
// control-plane pods of a Snapshot; the node audit runs the same checks over processes and
// files, and can pass the content of the files flags name (Set.Files) so that checks that
// need it (encryption providers, --authorization-config, the kubelet's --config...) decide
// instead of asking for a person (Manual).
//
// The kubelet and kube-proxy checks judge the setting the component actually runs with:
// a flag given on the command line, else the configuration file (for the kubelet, its
// --config file with the --config-dir drop-ins merged over it), else the component's
// built-in default, which for the kubelet differs between running with and without a
// config file.
package flags

import (
	"path"
	"strings"
)

// Components whose flags the checks read.
const (
	APIServer         = "kube-apiserver"
	ControllerManager = "kube-controller-manager"
	Scheduler         = "kube-scheduler"
	Etcd              = "etcd"
	Kubelet           = "kubelet"
	Proxy             = "kube-proxy"
)

// ComponentOf returns the component a program path runs ("/usr/local/bin/kube-apiserver"
// → kube-apiserver), or "" when it is none of the components the checks read.
func ComponentOf(program string) string {
	switch b := path.Base(program); b {
	case APIServer, ControllerManager, Scheduler, Etcd, Kubelet, Proxy:
		return b
	}
	return ""
}

// Origin tells where a value was read.
type Origin struct {
	// Arg is the index in the argv given to Parse of the argument holding the flag; -1
	// when the value was not read from argv.
	Arg int
	// Env is the environment variable the value was read from (etcd's ETCD_*).
	Env string
	// File and Line locate a value read from a file (a unit file, a config file); a
	// reader that has them sets them with Add.
	File string
	Line int
}

// Value is one occurrence of a flag.
type Value struct {
	Value string
	// Bare is set for a flag written without a value ("--profiling"); Value is then "true".
	Bare   bool
	Origin Origin
}

// Set is the flags one component runs with.
type Set struct {
	Component string
	// Source says where the flags were read, for messages: "pod kube-system/kube-apiserver-cp1",
	// "process 1234", "/etc/systemd/system/etcd.service".
	Source string
	// Values holds every occurrence of each flag, by name without dashes, in order.
	Values map[string][]Value
	// env holds values from environment variables, used when the flag is not given.
	env map[string]Value
	// Files holds the content of files the flags name, by path, when the reader could read
	// them. A check that needs a file that is not here returns Manual; one whose file does
	// not parse returns Error. A directory a flag names (the kubelet's --config-dir) is
	// given as an entry for the directory itself, whose content is ignored, plus one entry
	// per file under it: the entry for the directory says it was read, so that an empty
	// directory differs from one that could not be read.
	Files map[string][]byte
}

// New returns an empty Set.
func New(component, source string) *Set {
	return &Set{Component: component, Source: source, Values: map[string][]Value{}, env: map[string]Value{}}
}

// booleans are the flags that take no separate value: "--flag x" means flag=true and x is
// a positional argument, as pflag and Go's flag package parse them. Flags not listed take
// the next argument as their value when it does not start with a dash.
var booleans = map[string]bool{
	"allow-privileged": true, "anonymous-auth": true, "profiling": true, "contention-profiling": true,
	"service-account-lookup": true, "service-account-extend-token-expiration": true,
	"use-service-account-credentials": true, "leader-elect": true, "enable-aggregator-routing": true,
	"enable-bootstrap-token-auth": true, "enable-priority-and-fairness": true, "enable-garbage-collector": true,
	"client-cert-auth": true, "peer-client-cert-auth": true, "auto-tls": true, "peer-auto-tls": true,
	"experimental-initial-corrupt-check": true, "strict-reconfig-check": true, "enable-v2": true,
	"enable-pprof": true, "debug": true, "force-new-cluster": true, "version": true, "help": true,
	"rotate-certificates": true, "make-iptables-util-chains": true, "protect-kernel-defaults": true,
	"seccomp-default": true, "rotate-server-certificates": true, "fail-swap-on": true, "register-node": true,
	"register-schedulable": true, "cgroups-per-qos": true, "enable-server": true, "enable-debugging-handlers": true,
	"serialize-image-pulls": true, "cpu-cfs-quota": true, "enable-controller-attach-detach": true,
	"kernel-memcg-notification": true, "exit-on-lock-contention": true, "local-storage-capacity-isolation": true,
	"fail-cgroupv1": true, "masquerade-all": true, "cleanup": true, "init-only": true, "bind-address-hard-fail": true,
}

// Parse reads a command line: argv[0] is the program when it does not start with a
// dash. It understands --flag=value, --flag value, -flag (one or two dashes), repeated
// flags (every occurrence is kept) and bare boolean flags; "--" ends the flags.
func Parse(component, source string, argv []string) *Set {
	s := New(component, source)
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		if a == "--" {
			break
		}
		if len(a) < 2 || a[0] != '-' {
			continue // the program or a positional argument
		}
		name := strings.TrimLeft(a, "-")
		if name == "" {
			continue
		}
		if k, v, ok := strings.Cut(name, "="); ok {
			s.Add(k, Value{Value: v, Origin: Origin{Arg: i}})
			continue
		}
		if !booleans[name] && i+1 < len(argv) && !strings.HasPrefix(argv[i+1], "-") {
			s.Add(name, Value{Value: argv[i+1], Origin: Origin{Arg: i}})
			i++
			continue
		}
		s.Add(name, Value{Value: "true", Bare: true, Origin: Origin{Arg: i}})
	}
	return s
}

// Add records an occurrence of a flag (name without dashes).
func (s *Set) Add(name string, v Value) {
	if s.Values == nil {
		s.Values = map[string][]Value{}
	}
	s.Values[name] = append(s.Values[name], v)
}

// AddEnv records an environment variable. For etcd, ETCD_CERT_FILE is the value of
// --cert-file when that flag is not given (etcd's own rule); other components read no
// flags from the environment and the call does nothing.
func (s *Set) AddEnv(name, value string, origin Origin) {
	if s.Component != Etcd {
		return
	}
	rest, ok := strings.CutPrefix(name, "ETCD_")
	if !ok || rest == "" {
		return
	}
	if s.env == nil {
		s.env = map[string]Value{}
	}
	origin.Arg = -1
	origin.Env = name
	s.env[strings.ToLower(strings.ReplaceAll(rest, "_", "-"))] = Value{Value: value, Origin: origin}
}

// Lookup returns the value a flag takes: its last occurrence on the command line (later
// flags override earlier ones), else, for etcd, its environment variable.
func (s *Set) Lookup(name string) (Value, bool) {
	if vs := s.Values[name]; len(vs) > 0 {
		return vs[len(vs)-1], true
	}
	v, ok := s.env[name]
	return v, ok
}

// Has tells whether a flag is given with a non-empty value.
func (s *Set) Has(name string) bool {
	v, ok := s.Lookup(name)
	return ok && strings.TrimSpace(v.Value) != ""
}

// List returns the elements of a comma-separated list flag. A repeated list flag adds up
// (pflag's string slices append), so every occurrence counts. Elements are trimmed;
// empty ones dropped.
func (s *Set) List(name string) []string {
	vs := s.Values[name]
	if len(vs) == 0 {
		if v, ok := s.env[name]; ok {
			vs = []Value{v}
		}
	}
	var out []string
	for _, v := range vs {
		for _, e := range strings.Split(v.Value, ",") {
			if e = strings.TrimSpace(e); e != "" {
				out = append(out, e)
			}
		}
	}
	return out
}

// File returns the content of the file a flag names, if the reader supplied it.
func (s *Set) File(flag string) (content []byte, path string, ok bool) {
	v, set := s.Lookup(flag)
	if !set || v.Value == "" {
		return nil, "", false
	}
	c, ok := s.Files[v.Value]
	return c, v.Value, ok
}
