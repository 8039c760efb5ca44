package dockerfile

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// This file is kharden's one parser of package-manager command lines. Every rule that
// reads one (the pin, upgrade and cache rules, and through installed_packages.go the
// rules about what the running image ships) goes through asPkgCall, so an option's
// value is never read as a package by one rule and skipped by another.

// pkgCall is one call of a package manager (apt-get, apk, dnf, dpkg, pip, npm, go...)
// with its words sorted into options, the subcommand and operands. Each manager has its
// own list of options that take a separate value (apt-get -o X, apk --virtual NAME, pip
// -r FILE), so a value is never mistaken for a package.
type pkgCall struct {
	// cmd is the command as written (sudo, env, xargs... included): where to report.
	cmd *dockerfile.Command
	// tool is the manager's canonical name: the program's base name ("apt-get",
	// "apt-mark", "microdnf", "dpkg"...), except "pip" for pip3, pip3.12 and
	// `python -m pip`.
	tool string
	// family is the packaging the tool belongs to, which decides how a package is
	// named: "apt" (apt-get, apt, aptitude, apt-fast, apt-mark, dpkg), "apk", "rpm"
	// (yum, dnf, dnf5, microdnf, tdnf, rpm), "zypper", "pip", "npm", "gem" or "go".
	family string
	// sub is the subcommand: "install", "add", "update"...; "" when there is none, and
	// always for dpkg and rpm, whose actions are options (dpkg -P, rpm -e).
	sub string
	// opts are the options, before and after the subcommand, in order.
	opts []pkgOpt
	// operands are the words that are neither options, option values nor the subcommand.
	operands []string
}

// pkgOpt is one option: "-y", "-qq" (a cluster of short options), "--virtual" with the
// value ".build-deps", "-o" with "APT::Install-Recommends=false".
type pkgOpt struct {
	name, value string
	// cluster marks a group of one-letter options ("-qy"), and valued an option
	// given a value (separate, after "=", or attached to a short option).
	cluster, valued bool
}

// pkgSyntax is what a manager's command line looks like.
type pkgSyntax struct {
	// valued lists the options that take a separate value, space-separated with
	// spaces around.
	valued string
	// longSingleDash means options are whole words after one dash (go's -ldflags), not
	// clusters of letters.
	longSingleDash bool
	// dashDashEnds means the words after "--" are not operands but options for
	// something else (gem install NAME -- --with-opt-dir=...).
	dashDashEnds bool
	// noSub means the action is an option (dpkg -r, rpm -e) and every word that is
	// not an option or its value is an operand.
	noSub bool
}

// pkgSyntaxes are the command lines kharden understands, by name (see pkgTools).
var pkgSyntaxes = map[string]pkgSyntax{
	"apt-get": {valued: " -o --option -c --config-file -t --target-release --default-release -a --host-architecture -P --build-profiles --solver --planner "},
	"dpkg": {noSub: true, valued: " --admindir --instdir --root --log --status-fd --status-logger --path-include --path-exclude " +
		"--pre-invoke --post-invoke --abort-after "},
	"apk": {valued: " -X --repository -t --virtual -p --root --arch --cache-dir --keys-dir --repositories-file " +
		"--timeout --cache-max-age --from --repository-config "},
	"yum": {valued: " -c --config -d --debuglevel -e --errorlevel --installroot --enablerepo --disablerepo --repo --repoid " +
		"-x --exclude --excludepkgs --releasever --setopt --rpmverbosity --downloaddir --destdir --color --forcearch " +
		"--repofrompath --disableplugin --enableplugin --advisory --advisories --bz --bzs --cve --cves --sec-severity " +
		"--secseverity --comment --disableexcludes --disableexcludepkgs -R --randomwait --from-repo --platform-module --use-host-config "},
	"rpm": {noSub: true, valued: " -r --root --dbpath -D --define --undefine --macros --rcfile --predefine --pipe " +
		"--excludepath --prefix --relocate --qf --queryformat "},
	"zypper": {valued: " -c --config -C --cache-dir -R --root -D --reposd-dir --raw-cache-dir --solv-cache-dir --pkg-cache-dir " +
		"--userdata -p --plus-repo --plus-content -t --type -r --repo --from --download --installroot "},
	"pip": {valued: " -r --requirement -c --constraint -e --editable -t --target -i --index-url --extra-index-url " +
		"-f --find-links --prefix --root --src --platform --python-version --implementation --abi --upgrade-strategy " +
		"--trusted-host --cache-dir --progress-bar --no-binary --only-binary --log --proxy --retries --timeout " +
		"--exists-action --cert --client-cert --global-option --install-option --config-settings -C --report " +
		"--python --root-user-action --keyring-provider --use-feature --use-deprecated --group "},
	"npm": {valued: " --prefix -C --registry --cache --userconfig --globalconfig --tag -w --workspace --omit --include " +
		"--loglevel --install-strategy --location --before --fetch-timeout --fetch-retries --only --also "},
	"gem": {dashDashEnds: true, valued: " -v --version -i --install-dir -n --bindir -s --source -P --trust-policy --platform --document " +
		"--build-root "},
	"go": {longSingleDash: true, valued: " -ldflags -gcflags -tags -o -modfile -mod -p -pkgdir -asmflags -gccgoflags " +
		"-toolexec -overlay -pgo -buildmode -compiler -installsuffix -C -covermode -coverpkg "},
}

// pkgTools are the package-manager programs, by canonical name: their family and the
// syntax of their command line.
var pkgTools = map[string]struct{ family, syntax string }{
	"apt-get": {"apt", "apt-get"}, "apt": {"apt", "apt-get"}, "aptitude": {"apt", "apt-get"},
	"apt-fast": {"apt", "apt-get"}, "apt-mark": {"apt", "apt-get"}, "dpkg": {"apt", "dpkg"},
	"apk": {"apk", "apk"},
	"yum": {"rpm", "yum"}, "dnf": {"rpm", "yum"}, "dnf5": {"rpm", "yum"}, "microdnf": {"rpm", "yum"},
	"tdnf": {"rpm", "yum"}, "rpm": {"rpm", "rpm"},
	"zypper": {"zypper", "zypper"},
	"pip":    {"pip", "pip"}, "npm": {"npm", "npm"}, "gem": {"gem", "gem"}, "go": {"go", "go"},
}

// versioned tells whether name is prog followed only by a version (pip3, pip3.12,
// python3.11). It runs on every command of every file, so it avoids a regexp.
func versioned(name, prog string) bool {
	rest, ok := strings.CutPrefix(name, prog)
	return ok && strings.Trim(rest, "0123456789.") == ""
}

// asPkgCall reads a command as a package-manager call, looking through wrappers (sudo,
// env, xargs...) and `python -m pip`. ok is false for any other program.
func asPkgCall(c *dockerfile.Command) (p *pkgCall, ok bool) {
	u := c.Unwrap()
	return parsePkgCall(c, u.Base(), u.Args)
}

// parsePkgCall reads a program's base name and arguments, from a command already
// unwrapped (by Unwrap, or by hand as for `busybox NAME`), as a package-manager call; c
// is the command as written.
func parsePkgCall(c *dockerfile.Command, name string, args []string) (p *pkgCall, ok bool) {
	switch {
	case versioned(name, "pip"):
		name = "pip"
	case versioned(name, "python"):
		i := moduleArg(args)
		if i < 0 || args[i] != "pip" {
			return nil, false
		}
		name, args = "pip", args[i+1:]
	}
	t, ok := pkgTools[name]
	if !ok {
		return nil, false
	}
	p = &pkgCall{cmd: c, tool: name, family: t.family}
	p.parse(args, pkgSyntaxes[t.syntax])
	return p, true
}

// moduleArg returns the index of the module a Python command line runs with -m, or -1.
func moduleArg(args []string) int {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-m":
			if i+1 < len(args) {
				return i + 1
			}
			return -1
		case strings.HasPrefix(a, "-m"):
			return -1 // -mpip: too unusual to bother
		case a == "-c" || !strings.HasPrefix(a, "-"):
			return -1 // a script, not a module
		case a == "-W" || a == "-X":
			i++
		}
	}
	return -1
}

func (p *pkgCall) parse(args []string, syn pkgSyntax) {
	takes := func(name string) bool { return strings.Contains(syn.valued, " "+name+" ") }
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			if !syn.dashDashEnds {
				p.operands = append(p.operands, args[i+1:]...)
			}
			return
		case strings.HasPrefix(a, "--") || syn.longSingleDash && strings.HasPrefix(a, "-") && len(a) > 1:
			name, value, eq := strings.Cut(a, "=")
			o := pkgOpt{name: name, value: value, valued: eq}
			if !eq && takes(name) && i+1 < len(args) {
				i++
				o.value, o.valued = args[i], true
			}
			p.opts = append(p.opts, o)
		case strings.HasPrefix(a, "-") && len(a) > 1:
			short := a[:2]
			switch {
			case len(a) == 2:
				o := pkgOpt{name: a}
				if takes(a) && i+1 < len(args) {
					i++
					o.value, o.valued = args[i], true
				}
				p.opts = append(p.opts, o)
			case takes(short):
				// -oAPT::Get::Assume-Yes=true, -t.build-deps: a value attached.
				p.opts = append(p.opts, pkgOpt{name: short, value: strings.TrimPrefix(a[2:], "="), valued: true})
			case strings.Contains(a, "="):
				// -q=2
				name, value, _ := strings.Cut(a, "=")
				p.opts = append(p.opts, pkgOpt{name: name, value: value, valued: true})
			default:
				o := pkgOpt{name: a, cluster: true}
				// A cluster that ends with an option taking a value: -yt NAME.
				if takes("-"+a[len(a)-1:]) && i+1 < len(args) {
					i++
					o.value, o.valued = args[i], true
				}
				p.opts = append(p.opts, o)
			}
		case p.sub == "" && !syn.noSub:
			p.sub = a
		default:
			p.operands = append(p.operands, a)
		}
	}
}

// has tells whether one of the options was given: a long option by name, a one-letter
// option alone or inside a cluster ("-y" in "-qy").
func (p *pkgCall) has(names ...string) bool {
	for _, o := range p.opts {
		for _, n := range names {
			if o.name == n || o.cluster && len(n) == 2 && n[0] == '-' && n[1] != '-' && strings.IndexByte(o.name[1:], n[1]) >= 0 {
				return true
			}
		}
	}
	return false
}

// values returns the values given to the named options.
func (p *pkgCall) values(names ...string) []string {
	var out []string
	for _, o := range p.opts {
		for _, n := range names {
			if o.valued && (o.name == n || o.cluster && len(n) == 2 && strings.HasSuffix(o.name, n[1:])) {
				out = append(out, o.value)
			}
		}
	}
	return out
}

// is tells whether the call is one of the tools with one of the subcommands.
func (p *pkgCall) is(tools []string, subs ...string) bool {
	ok := false
	for _, t := range tools {
		if p.tool == t {
			ok = true
		}
	}
	if !ok {
		return false
	}
	for _, s := range subs {
		if p.sub == s {
			return true
		}
	}
	return false
}

// verb is the tool and its subcommand, as messages name the call: "apt-get install".
func (p *pkgCall) verb() string {
	if p.sub == "" {
		return p.tool
	}
	return p.tool + " " + p.sub
}

// Tool lists, for is.
var (
	aptTools = []string{"apt-get", "apt"}
	apkTools = []string{"apk"}
	rpmTools = []string{"yum", "dnf", "dnf5", "microdnf", "tdnf"}
	zypTools = []string{"zypper"}
)

// aptInstall tells whether the call is an apt-get or apt install that installs: not a
// simulation (-s) nor a download only (-d).
func (p *pkgCall) aptInstall() bool {
	return p.is(aptTools, "install") &&
		!p.has("-s", "--simulate", "--just-print", "--dry-run", "--recon", "--no-act", "-d", "--download-only", "--print-uris")
}

// eachPkgCall runs f over every package-manager call of every RUN of the file.
func eachPkgCall(file *dockerfile.File, f func(p *pkgCall) []rule.Finding) []rule.Finding {
	return eachCommand(file, func(c *dockerfile.Command) []rule.Finding {
		p, ok := asPkgCall(c)
		if !ok {
			return nil
		}
		return f(p)
	})
}

// pkgCalls returns the package-manager calls of one instruction, in order.
func pkgCalls(in *dockerfile.Instruction) []*pkgCall {
	var out []*pkgCall
	for _, c := range in.Commands {
		if p, ok := asPkgCall(c); ok {
			out = append(out, p)
		}
	}
	return out
}

// isVariable tells whether a word comes from a variable or a command substitution, so
// its value is not known before the build: "$PKGS", "curl=${CURL_VERSION}", "$(cat deps)".
func isVariable(s string) bool { return strings.ContainsAny(s, "$`") }

// isPath tells whether an operand names a file, a directory or a URL rather than a
// package in a registry: ./x.deb, /tmp/pkgs/*.apk, https://..., file.whl.
func isPath(s string, exts ...string) bool {
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "/") || strings.HasPrefix(s, "~") || strings.Contains(s, "://") {
		return true
	}
	for _, e := range exts {
		if strings.HasSuffix(strings.ToLower(s), e) {
			return true
		}
	}
	return false
}

// unpinnedMessage is the message of the pin rules: `apt-get install does not pin
// "curl", "git" and 2 more`.
func unpinnedMessage(p *pkgCall, names []string, how string) string {
	const show = 5
	list := quoteList(names)
	if len(names) > show {
		list = fmt.Sprintf("%s and %d more", quoteList(names[:show]), len(names)-show)
	}
	return fmt.Sprintf("%s does not pin the version of %s (%s)", p.verb(), list, how)
}

// boundedAbove classifies a version constraint by its operators: an exact version, a
// compatible-release or fuzzy match (~=, ~) or any upper bound (<, <=) limits what a
// rebuild can install, so it counts as pinned; only lower bounds (>, >=) or exclusions
// (!=) let any newer release in.
func boundedAbove(constraint string) bool {
	if strings.Contains(constraint, "<") || strings.Contains(constraint, "~") {
		return true
	}
	c := strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(constraint, ">=", ""), "!=", ""), "<=", "")
	return strings.Contains(c, "=")
}

// instructionText is the text of an instruction, its heredoc bodies included.
func instructionText(in *dockerfile.Instruction) string {
	var b strings.Builder
	b.WriteString(in.Original)
	for _, h := range in.Heredocs {
		b.WriteByte('\n')
		b.WriteString(h.Content)
	}
	return b.String()
}

// configMemo answers configuredBefore for one run of a rule, remembering per stage and
// pattern the first instruction that matches and whether an ancestor stage has one:
// rescanning the stages for every package-manager call was quadratic, and slow on a
// large RUN (the regular expression reads its whole text each time).
type configMemo struct {
	first     map[configKey]int  // index of the stage's first matching instruction, or -1
	ancestors map[configKey]bool // a stage the stage is built FROM, at any depth, matches
}

type configKey struct {
	s  *dockerfile.Stage
	re *regexp.Regexp
}

func newConfigMemo() *configMemo {
	return &configMemo{first: map[configKey]int{}, ancestors: map[configKey]bool{}}
}

// configuredBefore tells whether an instruction of one of the kinds, in the stage or in
// a stage it is built FROM, before in, has text matching re: a RUN writing an
// apt.conf.d setting, an ENV setting PIP_CONSTRAINT. A pattern always comes with the
// same kinds.
func (m *configMemo) configuredBefore(in *dockerfile.Instruction, re *regexp.Regexp, kinds ...string) bool {
	if in.Stage == nil {
		return false
	}
	if first := m.firstMatch(in.Stage, re, kinds); first >= 0 && first < in.Index {
		return true
	}
	return m.ancestorMatches(in.Stage, re, kinds)
}

func (m *configMemo) firstMatch(s *dockerfile.Stage, re *regexp.Regexp, kinds []string) int {
	k := configKey{s, re}
	if first, ok := m.first[k]; ok {
		return first
	}
	first := -1
	for _, i := range s.Instructions {
		if slices.Contains(kinds, i.Kind) && re.MatchString(instructionText(i)) {
			first = i.Index
			break
		}
	}
	m.first[k] = first
	return first
}

// ancestorMatches walks up the stages s is built FROM, without recursion, to the first
// one already known, then records the answer for each stage on the way.
func (m *configMemo) ancestorMatches(s *dockerfile.Stage, re *regexp.Regexp, kinds []string) bool {
	var path []*dockerfile.Stage
	seen := map[*dockerfile.Stage]bool{s: true}
	answer := false
	for a := s.BaseStage; ; a = a.BaseStage {
		if a == nil || seen[a] {
			break
		}
		if known, ok := m.ancestors[configKey{a, re}]; ok {
			answer = known || m.firstMatch(a, re, kinds) >= 0
			break
		}
		seen[a] = true
		path = append(path, a)
	}
	// path[i]'s ancestors are path[i+1:] and what lies beyond them.
	for i := len(path) - 1; i >= 0; i-- {
		m.ancestors[configKey{path[i], re}] = answer
		answer = answer || m.firstMatch(path[i], re, kinds) >= 0
	}
	m.ancestors[configKey{s, re}] = answer
	return answer
}

// cacheMounts returns the targets of the RUN's cache and tmpfs mounts
// (--mount=type=cache,target=/var/cache/apt): what they hold never reaches the layer.
func cacheMounts(in *dockerfile.Instruction) []string {
	var out []string
	for _, fl := range in.Flags {
		spec, ok := strings.CutPrefix(fl, "--mount=")
		if !ok {
			continue
		}
		typ, target := "bind", ""
		for _, kv := range strings.Split(spec, ",") {
			k, v, _ := strings.Cut(kv, "=")
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "type":
				typ = strings.ToLower(strings.Trim(v, `"'`))
			case "target", "dst", "destination":
				target = strings.Trim(v, `"'`)
			}
		}
		if (typ == "cache" || typ == "tmpfs") && target != "" {
			out = append(out, strings.TrimSuffix(target, "/"))
		}
	}
	return out
}

// mountedAt tells whether one of the RUN's cache mounts covers dir.
func mountedAt(in *dockerfile.Instruction, dir string) bool {
	for _, m := range cacheMounts(in) {
		if m == dir || strings.HasPrefix(dir, m+"/") {
			return true
		}
	}
	return false
}

// removes tells whether a command of the instruction deletes dir or what is in it:
// `rm -rf /var/lib/apt/lists/*`.
func removes(in *dockerfile.Instruction, dir string) bool {
	for _, c := range in.Commands {
		u := c.Unwrap()
		if !u.Is("rm") {
			continue
		}
		for _, a := range u.Operands() {
			a = strings.TrimSuffix(a, "/")
			if a == dir || strings.HasPrefix(a, dir+"/") || strings.HasPrefix(a, dir+"*") ||
				strings.Count(a, "/") >= 2 && strings.HasPrefix(dir, a+"/") {
				return true
			}
		}
	}
	return false
}
