package dockerfile

import (
	"sort"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/kharden/kharden/internal/source/dockerfile"
)

// This file follows the operating system packages that the package managers' commands
// install into the running image and remove from it again, for the rules that judge
// what the image ships (network tools, build toolchains, remote control servers).
//
// It understands apt-get/apt (install, remove, purge, autoremove, --auto-remove) with
// apt-mark (auto, manual, and the docker-library idiom of saving `apt-mark showmanual`,
// marking everything automatic, restoring the saved list and purging with
// --auto-remove), apk (add, del, and the virtual packages of `apk add --virtual .deps`
// that `apk del .deps` removes), yum/dnf/microdnf/tdnf (install, remove, erase),
// zypper (install, in, remove, rm), dpkg -r/-P and rpm -e. A package list given as
// $VAR is expanded when an ENV or ARG of the running stages sets VAR.

// pkgChange is what one package manager command does to the image's packages.
type pkgChange struct {
	install    bool
	remove     bool
	autoremove bool // also removes the packages marked automatically installed
	markAuto   bool // apt-mark auto
	markManual bool // apt-mark manual
	showManual bool // apt-mark showmanual: the caller saves the manual list
	pkgs       []string
	// unknown marks a package argument that is a variable or substitution kharden
	// cannot expand.
	unknown bool
	// virtual is the name of `apk add --virtual NAME`.
	virtual string
	// manager is "apt", "apk", "rpm", "zypper" or "dpkg".
	manager string
}

// optionsWithValue are, per package manager, the options that take a separate value.
var optionsWithValue = map[string]string{
	"apt":    " -o --option -c --config-file -t --target-release --default-release -a --host-architecture ",
	"apk":    " -X --repository -t --virtual -p --root --arch --cache-dir --keys-dir --repositories-file --timeout --cache-max-age ",
	"rpm":    " -c --config --installroot --releasever -d --debuglevel -e --errorlevel -x --exclude --enablerepo --disablerepo --repo --repoid --setopt --repofrompath --forcearch --downloaddir --destdir --setopt ",
	"zypper": " -r --repo --root -R --reposd-path -C --cache-dir -D --from --type -t ",
}

// splitPkgArgs returns the operands of a package manager's arguments (skipping
// options and their values) and the values of the options, by name.
func splitPkgArgs(manager string, args []string) (ops []string, vals map[string]string) {
	valued := optionsWithValue[manager]
	vals = map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			ops = append(ops, args[i+1:]...)
			return ops, vals
		case strings.HasPrefix(a, "-") && len(a) > 1:
			name, val, eq := strings.Cut(a, "=")
			if !eq && strings.Contains(valued, " "+name+" ") && i+1 < len(args) {
				val = args[i+1]
				i++
			}
			vals[name] = val
		default:
			ops = append(ops, a)
		}
	}
	return ops, vals
}

// parsePkgChange reads a package manager command (behind wrappers such as sudo or
// xargs). vars expands package lists given as $NAME or ${NAME}.
func parsePkgChange(c *dockerfile.Command, vars map[string]string) (pkgChange, bool) {
	u := c.Unwrap()
	var ch pkgChange
	var names []string
	switch {
	case u.Is("apt-get", "apt", "aptitude", "apt-fast"):
		ch.manager = "apt"
		ops, vals := splitPkgArgs("apt", u.Args)
		if len(ops) == 0 {
			return ch, false
		}
		switch ops[0] {
		case "install", "reinstall":
			ch.install = true
		case "remove", "purge":
			ch.remove = true
		case "autoremove", "autopurge":
			ch.remove, ch.autoremove = true, true
		default:
			return ch, false
		}
		if _, ok := vals["--auto-remove"]; ok {
			ch.autoremove = true
		}
		if _, ok := vals["--autoremove"]; ok {
			ch.autoremove = true
		}
		names = ops[1:]
	case u.Is("apt-mark"):
		ch.manager = "apt"
		ops, _ := splitPkgArgs("apt", u.Args)
		if len(ops) == 0 {
			return ch, false
		}
		switch ops[0] {
		case "auto", "markauto":
			ch.markAuto = true
		case "manual", "unmarkauto":
			ch.markManual = true
		case "showmanual":
			// Only a list saved for later (saved="$(apt-mark showmanual)") is a
			// snapshot; `apt-mark showmanual | xargs apt-mark auto` is not.
			ch.showManual = c.Subst
			return ch, c.Subst
		default:
			return ch, false
		}
		names = ops[1:]
		if len(names) == 0 && c.Is("xargs") {
			// `... | xargs apt-mark auto`: a list kharden cannot see.
			ch.unknown = true
		}
	case u.Is("apk"):
		ch.manager = "apk"
		ops, vals := splitPkgArgs("apk", u.Args)
		if len(ops) == 0 {
			return ch, false
		}
		switch ops[0] {
		case "add":
			ch.install = true
			ch.virtual = vals["--virtual"]
			if ch.virtual == "" {
				ch.virtual = vals["-t"]
			}
		case "del":
			ch.remove = true
		default:
			return ch, false
		}
		names = ops[1:]
	case u.Is("yum", "dnf", "dnf5", "microdnf", "tdnf"):
		ch.manager = "rpm"
		ops, _ := splitPkgArgs("rpm", u.Args)
		if len(ops) == 0 {
			return ch, false
		}
		switch ops[0] {
		case "install", "reinstall":
			ch.install = true
		case "remove", "erase":
			ch.remove = true
		default:
			return ch, false
		}
		names = ops[1:]
	case u.Is("zypper"):
		ch.manager = "zypper"
		ops, _ := splitPkgArgs("zypper", u.Args)
		if len(ops) == 0 {
			return ch, false
		}
		switch ops[0] {
		case "install", "in":
			ch.install = true
		case "remove", "rm":
			ch.remove = true
		default:
			return ch, false
		}
		names = ops[1:]
	case u.Is("dpkg"):
		ch.manager = "dpkg"
		if !u.HasFlag("-r", "--remove", "-P", "--purge") {
			return ch, false
		}
		ch.remove = true
		ops, _ := splitPkgArgs("dpkg", u.Args)
		names = ops
	case u.Is("rpm"):
		ch.manager = "rpm"
		if !u.HasFlag("-e", "--erase") {
			return ch, false
		}
		ch.remove = true
		ops, _ := splitPkgArgs("rpm", u.Args)
		names = ops
	default:
		return ch, false
	}
	for _, n := range names {
		for _, w := range expandPkgWord(n, vars) {
			if strings.ContainsAny(w, "$`") {
				ch.unknown = true
				continue
			}
			if p := pkgName(ch.manager, w); p != "" {
				ch.pkgs = append(ch.pkgs, p)
			}
		}
	}
	return ch, true
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
	if v, ok := vars[name]; ok && isVarName(name) && !strings.ContainsAny(v, "$`") {
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

// pkgName strips the version, release and architecture from a package argument:
// curl=7.88.1-10 (apt), curl:amd64, curl/bookworm-backports, curl=8.5.0-r0 or curl~8
// (apk), curl-7.76.1-26.el9.x86_64 (rpm). Local package files stay as they are.
func pkgName(manager, arg string) string {
	a := strings.ToLower(strings.TrimSpace(arg))
	if a == "" || strings.ContainsAny(a, "/*") && (strings.HasPrefix(a, "/") || strings.HasPrefix(a, ".")) {
		return a
	}
	switch manager {
	case "apt", "dpkg":
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
	// by is the command that installed it, the first since it was last removed.
	by *dockerfile.Command
	// explicit tells it was installed by name, not only inside apk virtual packages.
	explicit bool
	groups   map[string]bool
	auto     bool
	// manager is the package manager family that installed it: "apt", "apk", "rpm"...
	manager string
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
				ch, ok := parsePkgChange(c, vars)
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
							p = &installedPkg{name: n, by: c, groups: map[string]bool{}, manager: ch.manager}
							pkgs[n] = p
						} else if p.auto {
							// Due for autoremoval: this install is the one that keeps it.
							p.by = c
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
							if p.by.Instruction == in {
								remove(n)
							}
						}
					}
					for _, n := range ch.pkgs {
						if members, ok := groups[n]; ok && ch.manager == "apk" {
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
		a, b := out[i].by, out[j].by
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
	index := map[*dockerfile.Command]int{}
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

// pkgGroup is the packages of a set that one command installed and nothing removed.
type pkgGroup struct {
	by    *dockerfile.Command
	names []string
}

// installVerb names the command that installed packages: "apt-get install", "apk add".
func installVerb(c *dockerfile.Command) string {
	u := c.Unwrap()
	ops, _ := splitPkgArgs(managerOf(u), u.Args)
	if len(ops) > 0 {
		return u.Base() + " " + ops[0]
	}
	return u.Base()
}

func managerOf(c *dockerfile.Command) string {
	switch {
	case c.Is("apt-get", "apt", "aptitude", "apt-fast", "apt-mark"):
		return "apt"
	case c.Is("apk"):
		return "apk"
	case c.Is("zypper"):
		return "zypper"
	}
	return "rpm"
}

// joinAnd joins names as "a", "a and b", "a, b and c".
func joinAnd(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
