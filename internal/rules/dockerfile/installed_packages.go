package dockerfile

import (
	"sort"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/kharden/kharden/internal/source/dockerfile"
)

// This file follows the operating system packages that the package managers' commands
// install into the running image and remove from it again, for the rules that judge
// what the image ships (network tools, build toolchains, remote control servers). It is
// a layer over the calls asPkgCall parses (package_manager.go): it gives their
// subcommands a meaning and their operands a package name.
//
// It understands apt-get/apt/aptitude/apt-fast (install, remove, purge, autoremove,
// --auto-remove) with apt-mark (auto, manual, and the docker-library idiom of saving
// `apt-mark showmanual`, marking everything automatic, restoring the saved list and
// purging with --auto-remove), apk (add, del, and the virtual packages of `apk add
// --virtual .deps` that `apk del .deps` removes), yum/dnf/microdnf/tdnf (install,
// remove, erase), zypper (install, in, remove, rm), dpkg -r/-P and rpm -e. A package
// list given as $VAR is expanded when an ENV or ARG of the running stages sets VAR.

// pkgChange is what one package-manager call does to the image's packages.
type pkgChange struct {
	install    bool
	remove     bool
	autoremove bool // also removes the packages marked automatically installed
	markAuto   bool // apt-mark auto
	markManual bool // apt-mark manual
	showManual bool // apt-mark showmanual: the caller saves the manual list
	// pkgs are the package names, without versions or architectures.
	pkgs []string
	// unknown marks a package argument that is a variable or substitution kharden
	// cannot expand.
	unknown bool
	// virtual is the name of `apk add --virtual NAME`.
	virtual string
}

// pkgActions are, per family, the subcommands that install or remove packages.
var pkgActions = map[string]map[string]pkgChange{
	"apt": {
		"install": {install: true}, "reinstall": {install: true},
		"remove": {remove: true}, "purge": {remove: true},
		"autoremove": {remove: true, autoremove: true}, "autopurge": {remove: true, autoremove: true},
	},
	"apk": {"add": {install: true}, "del": {remove: true}},
	"rpm": {
		"install": {install: true}, "reinstall": {install: true},
		"remove": {remove: true}, "erase": {remove: true},
	},
	"zypper": {"install": {install: true}, "in": {install: true}, "remove": {remove: true}, "rm": {remove: true}},
}

// pkgChangeOf tells what a call does to the image's packages; ok is false for a call
// that neither installs, removes nor marks packages. vars expands package lists given
// as $NAME or ${NAME}.
func pkgChangeOf(p *pkgCall, vars map[string]string) (ch pkgChange, ok bool) {
	switch p.tool {
	case "apt-mark":
		switch p.sub {
		case "auto", "markauto":
			ch.markAuto = true
		case "manual", "unmarkauto":
			ch.markManual = true
		case "showmanual":
			// Only a list saved for later (saved="$(apt-mark showmanual)") is a
			// snapshot; `apt-mark showmanual | xargs apt-mark auto` is not.
			ch.showManual = p.cmd.Subst
			return ch, p.cmd.Subst
		default:
			return ch, false
		}
		if len(p.operands) == 0 && p.cmd.Is("xargs") {
			// `... | xargs apt-mark auto`: a list kharden cannot see.
			ch.unknown = true
		}
	case "dpkg":
		if !p.has("-r", "--remove", "-P", "--purge") {
			return ch, false
		}
		ch.remove = true
	case "rpm":
		if !p.has("-e", "--erase") {
			return ch, false
		}
		ch.remove = true
	default:
		if ch, ok = pkgActions[p.family][p.sub]; !ok {
			return ch, false
		}
		if p.family == "apt" && p.has("--auto-remove", "--autoremove") {
			ch.autoremove = true
		}
		if p.family == "apk" && ch.install {
			ch.virtual = lastOf(p.values("--virtual"))
			if ch.virtual == "" {
				ch.virtual = lastOf(p.values("-t"))
			}
		}
	}
	for _, n := range p.operands {
		for _, w := range expandPkgWord(n, vars) {
			if isVariable(w) {
				ch.unknown = true
				continue
			}
			if name := pkgName(p.family, w); name != "" {
				ch.pkgs = append(ch.pkgs, name)
			}
		}
	}
	return ch, true
}

// lastOf is the last of a list of option values, or "".
func lastOf(values []string) string {
	if len(values) == 0 {
		return ""
	}
	return values[len(values)-1]
}

// expandPkgWord expands a word that is exactly $NAME or ${NAME} with a known value into
// the value's fields; other words are returned as they are.
func expandPkgWord(w string, vars map[string]string) []string {
	name := ""
	switch {
	case strings.HasPrefix(w, "${") && strings.HasSuffix(w, "}"):
		name = w[2 : len(w)-1]
	case strings.HasPrefix(w, "$"):
		name = w[1:]
	default:
		return []string{w}
	}
	if v, ok := vars[name]; ok && isVarName(name) && !isVariable(v) {
		return strings.Fields(v)
	}
	return []string{w}
}

func isVarName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}

// pkgName strips the version, release and architecture from a package argument of a
// family: curl=7.88.1-10 (apt), curl:amd64, curl/bookworm-backports, curl=8.5.0-r0 or
// curl~8 (apk), curl-7.76.1-26.el9.x86_64 (rpm). Local package files stay as they are.
func pkgName(family, arg string) string {
	a := strings.ToLower(strings.TrimSpace(arg))
	if a == "" || strings.ContainsAny(a, "/*") && (strings.HasPrefix(a, "/") || strings.HasPrefix(a, ".")) {
		return a
	}
	switch family {
	case "apt":
		if i := strings.IndexAny(a, "=/:"); i >= 0 {
			a = a[:i]
		}
	case "apk":
		if i := strings.IndexAny(a, "=<>~@"); i >= 0 {
			a = a[:i]
		}
	case "rpm", "zypper":
		if i := strings.IndexAny(a, "=<>"); i >= 0 {
			a = a[:i]
		}
		for _, arch := range []string{".x86_64", ".aarch64", ".noarch", ".i686", ".ppc64le", ".s390x"} {
			a = strings.TrimSuffix(a, arch)
		}
		// name-version[-release]: cut at the first "-" followed by a digit.
		for i := 0; i+1 < len(a); i++ {
			if a[i] == '-' && a[i+1] >= '0' && a[i+1] <= '9' {
				a = a[:i]
				break
			}
		}
	}
	return a
}

// installedPkg is a package the running image still holds at its end.
type installedPkg struct {
	name string
	// by is the call that installed it, the first since it was last removed; its
	// family ("apt", "apk", "rpm", "zypper") tells which distribution's package it is.
	by *pkgCall
	// explicit tells it was installed by name, not only inside apk virtual packages.
	explicit bool
	groups   map[string]bool
	auto     bool
}

// runningPackages returns the packages the package managers' commands of the running
// stages leave in the image, ordered by where they were installed.
func runningPackages(f *dockerfile.File) []*installedPkg {
	pkgs := map[string]*installedPkg{}
	groups := map[string][]string{}
	env := map[string]string{}
	remove := func(name string) {
		p := pkgs[name]
		if p == nil {
			return
		}
		delete(pkgs, name)
		for g := range p.groups {
			groups[g] = withoutName(groups[g], name)
		}
	}
	for _, s := range f.RunningStages() {
		args := map[string]string{}
		for _, in := range s.Instructions {
			switch c := in.Command.(type) {
			case *instructions.EnvCommand:
				for _, kv := range c.Env {
					env[kv.Key] = f.Unquote(kv.Value)
				}
				continue
			case *instructions.ArgCommand:
				for _, kv := range c.Args {
					if kv.Value != nil {
						args[kv.Key] = f.Unquote(*kv.Value)
					}
				}
				continue
			}
			if in.Kind != "RUN" {
				continue
			}
			vars := map[string]string{}
			for k, v := range args {
				vars[k] = v
			}
			for k, v := range env {
				vars[k] = v
			}
			// Packages explicitly installed when the RUN starts; `apt-mark manual
			// $saved` restores them (or those of the last `apt-mark showmanual`).
			manualAt := func() map[string]bool {
				m := map[string]bool{}
				for n, p := range pkgs {
					if !p.auto {
						m[n] = true
					}
				}
				return m
			}
			saved := manualAt()
			for _, c := range in.Commands {
				call, ok := asPkgCall(c)
				if !ok {
					continue
				}
				ch, ok := pkgChangeOf(call, vars)
				if !ok {
					continue
				}
				switch {
				case ch.showManual:
					saved = manualAt()
				case ch.install:
					if ch.virtual != "" {
						remove(ch.virtual) // a virtual package replaced by a new one
					}
					for _, n := range ch.pkgs {
						p := pkgs[n]
						if p == nil {
							p = &installedPkg{name: n, by: call, groups: map[string]bool{}}
							pkgs[n] = p
						} else if p.auto {
							// Due for autoremoval: this install is the one that keeps it.
							p.by = call
						}
						p.auto = false
						if ch.virtual != "" {
							p.groups[ch.virtual] = true
							groups[ch.virtual] = append(withoutName(groups[ch.virtual], n), n)
						} else {
							p.explicit = true
						}
					}
				case ch.remove:
					if ch.unknown {
						// A list kharden cannot evaluate, such as
						// $(diff before after): assume it undoes this RUN's installs.
						for n, p := range pkgs {
							if p.by.cmd.Instruction == in {
								remove(n)
							}
						}
					}
					for _, n := range ch.pkgs {
						if members, ok := groups[n]; ok && call.family == "apk" {
							for _, m := range members {
								if p := pkgs[m]; p != nil {
									delete(p.groups, n)
									if !p.explicit && len(p.groups) == 0 {
										delete(pkgs, m)
									}
								}
							}
							delete(groups, n)
							continue
						}
						remove(n)
					}
					if ch.autoremove {
						for n, p := range pkgs {
							if p.auto {
								remove(n)
							}
						}
					}
				case ch.markAuto:
					for _, n := range ch.pkgs {
						if p := pkgs[n]; p != nil {
							p.auto = true
						}
					}
					if ch.unknown || hasAptPattern(ch.pkgs) {
						for _, p := range pkgs {
							p.auto = true
						}
					}
				case ch.markManual:
					for _, n := range ch.pkgs {
						if p := pkgs[n]; p != nil {
							p.auto = false
						}
					}
					if ch.unknown {
						for n := range saved {
							if p := pkgs[n]; p != nil {
								p.auto = false
							}
						}
					}
				}
			}
		}
	}
	out := make([]*installedPkg, 0, len(pkgs))
	for _, p := range pkgs {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].by.cmd, out[j].by.cmd
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return out[i].name < out[j].name
	})
	return out
}

// hasAptPattern tells whether an apt-mark argument is a pattern ('.*', '^lib', 'x*').
func hasAptPattern(names []string) bool {
	for _, n := range names {
		if strings.ContainsAny(n, "*^[?~") {
			return true
		}
	}
	return false
}

func withoutName(list []string, s string) []string {
	out := list[:0:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

// pkgFindings groups the still-installed packages that in tells are in the set, by the
// command that installed them, in order: one entry per command.
func pkgFindings(f *dockerfile.File, in func(p *installedPkg) bool) []pkgGroup {
	var out []pkgGroup
	index := map[*pkgCall]int{}
	for _, p := range runningPackages(f) {
		if !in(p) {
			continue
		}
		i, ok := index[p.by]
		if !ok {
			i = len(out)
			index[p.by] = i
			out = append(out, pkgGroup{by: p.by})
		}
		out[i].names = append(out[i].names, p.name)
	}
	return out
}

// pkgGroup is the packages of a set that one call installed and nothing removed.
type pkgGroup struct {
	by    *pkgCall
	names []string
}
