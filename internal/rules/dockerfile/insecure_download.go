package dockerfile

import (
	"regexp"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// InsecureDownload is DF-0031.
var InsecureDownload = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0031",
		Slug:      "insecure-download",
		Title:     "Downloads and package installs must keep TLS and signature checks on",
		Severity:  rule.High,
		Practices: []string{"B15"},
		Rationale: "TLS certificate checks and package signatures are what stop a machine in the middle (a " +
			"compromised proxy, mirror or DNS) from replacing what the build downloads. curl -k, wget " +
			"--no-check-certificate, apt's [trusted=yes] and --allow-unauthenticated, yum --nogpgcheck, apk " +
			"--allow-untrusted, pip --trusted-host, npm strict-ssl false, git http.sslVerify=false and " +
			"GIT_SSL_NO_VERIFY each turn that protection off, silently, for everything they fetch.",
		Remediation: "Remove the option and fix the cause instead: install the CA certificate of a TLS-intercepting " +
			"proxy into the image's trust store (or mount it as a build secret), import the repository's signing key " +
			"(signed-by= in apt sources), and use HTTPS package indexes.",
		References: []string{
			"https://docs.docker.com/build/building/best-practices/#apt-get",
			"https://wiki.debian.org/SecureApt",
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		var out []rule.Finding
		reported := map[int]bool{}
		out = append(out, eachCommand(f, func(c *dockerfile.Command) []rule.Finding {
			var fs []rule.Finding
			if why := insecureCommand(c); why != "" {
				fs = append(fs, atCommand(c, "%s", why))
				reported[c.Line] = true
			}
			for _, kv := range commandAssignments(c) {
				if why := insecureSetting(kv); why != "" {
					fs = append(fs, atCommand(c, "%s", why))
				}
			}
			return fs
		})...)
		for _, s := range f.Stages {
			for _, in := range s.Instructions {
				switch c := in.Command.(type) {
				case *instructions.EnvCommand:
					for _, kv := range c.Env {
						if why := insecureSetting(kv.Key + "=" + f.Unquote(kv.Value)); why != "" {
							out = append(out, atInstruction(in, "ENV %s", why))
						}
					}
				case *instructions.ArgCommand:
					for _, kv := range c.Args {
						if kv.Value != nil {
							if why := insecureSetting(kv.Key + "=" + f.Unquote(*kv.Value)); why != "" {
								out = append(out, atInstruction(in, "ARG %s", why))
							}
						}
					}
				}
				// Repository definitions written by a heredoc (COPY <<EOF, cat <<EOF >),
				// unless a command on that line (echo in a heredoc script) said it.
				for _, h := range in.Heredocs {
					if why := insecureRepoText(h.Content); why != "" {
						if line := heredocLine(f, in); !reported[line] {
							out = append(out, rule.Finding{Line: line, Message: why})
						}
					}
				}
			}
		}
		return dedupe(out)
	},
}

// commandAssignments are the VAR=value assignments a command makes: its prefix
// assignments, and the arguments of export, declare, typeset and readonly.
func commandAssignments(c *dockerfile.Command) []string {
	out := append([]string(nil), c.Env...)
	switch c.Name {
	case "export", "declare", "typeset", "readonly", "local":
		for _, a := range c.Args {
			if strings.Contains(a, "=") {
				out = append(out, a)
			}
		}
	}
	return out
}

// insecureSetting tells why an environment variable assignment turns off a check, or "".
func insecureSetting(kv string) string {
	k, v, _ := strings.Cut(kv, "=")
	v = strings.Trim(v, `"'`)
	lv := strings.ToLower(v)
	switch strings.ToUpper(k) {
	case "GIT_SSL_NO_VERIFY":
		return "GIT_SSL_NO_VERIFY turns off git's TLS certificate checks"
	case "NODE_TLS_REJECT_UNAUTHORIZED":
		if v == "0" {
			return "NODE_TLS_REJECT_UNAUTHORIZED=0 turns off Node.js TLS certificate checks"
		}
	case "PIP_TRUSTED_HOST":
		if v != "" {
			return "PIP_TRUSTED_HOST makes pip accept hosts without valid TLS"
		}
	case "NPM_CONFIG_STRICT_SSL", "YARN_STRICT_SSL", "YARN_ENABLE_STRICT_SSL":
		if lv == "false" || v == "0" {
			return k + "=" + v + " turns off the package manager's TLS certificate checks"
		}
	case "PYTHONHTTPSVERIFY":
		if v == "0" {
			return "PYTHONHTTPSVERIFY=0 turns off Python's TLS certificate checks"
		}
	case "GOSUMDB":
		if lv == "off" {
			return "GOSUMDB=off turns off the Go checksum database"
		}
	case "GOINSECURE":
		if v != "" {
			return "GOINSECURE lets Go fetch modules without TLS or checksum verification"
		}
	case "GOFLAGS":
		if strings.Contains(v, "-insecure") {
			return "GOFLAGS -insecure lets go get fetch without TLS"
		}
	}
	return ""
}

var (
	aptInsecureOption = regexp.MustCompile(`(?i)^(APT::Get::AllowUnauthenticated|Acquire::AllowInsecureRepositories|` +
		`Acquire::AllowDowngradeToInsecureRepositories)\s*=\s*"?(1|true|yes)"?$|` +
		`^(?i)Acquire::https::(\S+::)?Verify-(Peer|Host)\s*=\s*"?(0|false|no)"?$`)
	// gpgcheck=0 and sslverify=0 in a yum/dnf repository file (not repo_gpgcheck).
	rpmRepoInsecure = regexp.MustCompile(`(?im)(^|[^a-z_])(gpgcheck|sslverify)\s*=\s*(0|false|no)\b`)
	aptConfInsecure = regexp.MustCompile(`(?i)(APT::Get::AllowUnauthenticated|Acquire::AllowInsecureRepositories|` +
		`Acquire::AllowDowngradeToInsecureRepositories)\s+"?(1|true|yes)"?|Verify-(Peer|Host)\s+"?(0|false|no)"?`)
	// [trusted=yes] (or [ trusted=yes ], with other options) before a repository URI.
	aptTrusted = regexp.MustCompile(`\[[^\]]*\btrusted=yes\b[^\]]*\]\s*(\S+)`)
	gitSSLOff  = regexp.MustCompile(`(?i)^http\.(\S+\.)?sslverify(=(false|0|no|off))?$`)
)

// insecureRepoText tells why a text (a repository file or apt configuration) turns off a
// check, or "". Local repositories (file:, copy:) of packages built in the same build
// may be trusted=yes.
func insecureRepoText(text string) string {
	for _, m := range aptTrusted.FindAllStringSubmatch(text, -1) {
		uri := strings.ToLower(strings.Trim(m[1], `"'`))
		if !strings.HasPrefix(uri, "file:") && !strings.HasPrefix(uri, "copy:") {
			return "an apt source marked [trusted=yes] is installed from without signature checks"
		}
	}
	if aptConfInsecure.MatchString(text) {
		return "the apt configuration turns off repository signature or TLS checks"
	}
	if m := rpmRepoInsecure.FindStringSubmatch(text); m != nil {
		return "a repository definition sets " + strings.ToLower(m[2]) + "=0, turning off its " + map[string]string{
			"gpgcheck": "package signature checks", "sslverify": "TLS certificate checks"}[strings.ToLower(m[2])]
	}
	return ""
}

// insecureCommand tells why a command turns off TLS or signature checks, or "".
func insecureCommand(c *dockerfile.Command) string {
	t := toolOf(c)
	switch {
	case t.is("curl"):
		if t.hasFlag("-k", "--insecure", "--proxy-insecure") {
			return "curl -k/--insecure turns off TLS certificate checks"
		}
	case t.is("wget", "wget2"):
		if t.hasFlag("--no-check-certificate") {
			return "wget --no-check-certificate turns off TLS certificate checks"
		}
	case t.is("apt-get", "apt", "aptitude"):
		p, _ := parsePkgCall(c, t.name, t.args)
		if !installsRemote(p, ".deb") {
			return ""
		}
		if p.has("--allow-unauthenticated", "--allow-insecure-repositories",
			"--allow-downgrade-to-insecure-repositories", "--force-yes") {
			return t.name + " is allowed to install unauthenticated packages"
		}
		for _, v := range p.values("-o", "--option") {
			if aptInsecureOption.MatchString(v) {
				return t.name + " -o " + v + " turns off repository signature or TLS checks"
			}
		}
	case t.is("yum", "dnf", "dnf5", "microdnf", "tdnf", "rpm", "zypper"):
		p, _ := parsePkgCall(c, t.name, t.args)
		if !installsRemote(p, ".rpm") {
			return ""
		}
		if p.has("--nogpgcheck", "--no-gpgcheck", "--no-gpg-checks", "--nosignature", "--nodigest") {
			return t.name + " installs packages without checking their signatures"
		}
		for _, v := range p.values("--setopt") {
			if rpmRepoInsecure.MatchString(v) {
				return t.name + " --setopt=" + v + " turns off package signature or TLS checks"
			}
		}
	case t.is("apk"):
		p, _ := parsePkgCall(c, t.name, t.args)
		if p.has("--allow-untrusted") && apkInstallsRemote(p) {
			return "apk --allow-untrusted installs packages without checking their signatures"
		}
	case t.is("pip", "pip3") || isInterpreter(t.name) && len(t.args) > 1 && t.args[0] == "-m" && t.args[1] == "pip":
		if t.hasFlag("--trusted-host") {
			return "pip --trusted-host accepts the host without valid TLS"
		}
		if slicesContains(t.args, "config") && containsSuffix(t.args, ".trusted-host") {
			return "pip config trusted-host accepts the host without valid TLS"
		}
	case t.is("npm", "yarn", "pnpm"):
		if configSets(t.args, "strict-ssl", "false") || configSets(t.args, "enableStrictSsl", "false") ||
			slicesContains(t.args, "--strict-ssl=false") {
			return t.name + " strict-ssl false turns off TLS certificate checks"
		}
	case t.is("git"):
		for i, a := range t.args {
			if a == "-c" && i+1 < len(t.args) && gitSSLOff.MatchString(t.args[i+1]) && strings.Contains(t.args[i+1], "=") {
				return "git -c http.sslVerify=false turns off TLS certificate checks"
			}
			if gitSSLOff.MatchString(a) && !strings.Contains(a, "=") && i+1 < len(t.args) &&
				slicesContains(t.args, "config") && isFalse(t.args[i+1]) {
				return "git config http.sslVerify false turns off TLS certificate checks"
			}
		}
	case t.is("go"):
		if slicesContains(t.args, "-insecure") {
			return "go get -insecure fetches without TLS"
		}
		if len(t.args) > 1 && t.args[0] == "env" && slicesContains(t.args, "-w") {
			for _, a := range t.args {
				if why := insecureSetting(a); why != "" && strings.Contains(a, "=") {
					return why
				}
			}
		}
	case t.is("composer"):
		if configSets(t.args, "secure-http", "false") || configSets(t.args, "disable-tls", "true") {
			return "composer config turns off HTTPS or TLS checks"
		}
	case t.is("conda", "mamba", "micromamba"):
		for i, a := range t.args {
			if a == "ssl_verify" && i+1 < len(t.args) && isFalse(t.args[i+1]) {
				return t.name + " ssl_verify false turns off TLS certificate checks"
			}
		}
	case t.is("helm"):
		if t.hasFlag("--insecure-skip-tls-verify") {
			return "helm --insecure-skip-tls-verify turns off TLS certificate checks"
		}
	case t.is("echo", "printf"):
		// Repository and apt configuration lines written from the command line.
		return insecureRepoText(strings.Join(t.args, "\n"))
	case t.is("sed"):
		// What sed writes: the replacement of s/old/new/ (s/gpgcheck=0/gpgcheck=1/ is a fix).
		var repl []string
		for _, a := range t.args {
			if r, ok := sedReplacement(a); ok {
				repl = append(repl, r)
			}
		}
		return insecureRepoText(strings.Join(repl, "\n"))
	}
	return ""
}

// apkInstallsRemote tells whether an apk call fetches packages from a repository: an
// add, fix or upgrade of package names rather than of local .apk files only.
func apkInstallsRemote(p *pkgCall) bool {
	if !p.is(apkTools, "add", "fix", "upgrade") {
		return false
	}
	for _, r := range p.values("-X", "--repository") {
		if looksLikeURL(r) {
			return true
		}
	}
	for _, op := range p.operands {
		if !strings.HasSuffix(op, ".apk") {
			return true
		}
	}
	return false
}

// installsRemote tells whether a package manager command may fetch from a repository:
// anything but installing local package files (a .deb or .rpm built in an earlier
// stage, whose signature there is nothing to check against).
func installsRemote(p *pkgCall, ext string) bool {
	if p.tool == "rpm" {
		// rpm -i FILE/URL: remote only for a URL.
		for _, o := range p.opts {
			if looksLikeURL(o.value) {
				return true
			}
		}
		for _, op := range p.operands {
			if looksLikeURL(op) {
				return true
			}
		}
		return false
	}
	if p.sub == "" || len(p.operands) == 0 {
		return true // update, upgrade...: repository operations
	}
	for _, op := range p.operands {
		local := strings.HasSuffix(op, ext) && !looksLikeURL(op) && (strings.HasPrefix(op, "/") || strings.HasPrefix(op, "."))
		if !local {
			return true
		}
	}
	return false
}

// sedReplacement returns the replacement of a sed s command ("s|a|b|g" is "b").
func sedReplacement(expr string) (string, bool) {
	if len(expr) < 4 || expr[0] != 's' {
		return "", false
	}
	d := expr[1]
	if d == '\\' || d == '\n' || d == ' ' || isLetter(d) {
		return "", false
	}
	parts := strings.Split(expr[2:], string(d))
	if len(parts) < 2 {
		return "", false
	}
	return parts[1], true
}

// configSets tells whether arguments set a configuration key to a value:
// "config set KEY VALUE", "set KEY VALUE", "config KEY VALUE", "KEY=VALUE".
func configSets(args []string, key, value string) bool {
	for i, a := range args {
		if strings.EqualFold(a, key) && i+1 < len(args) && strings.EqualFold(args[i+1], value) {
			return true
		}
		if strings.EqualFold(a, key+"="+value) && (slicesContains(args, "config") || slicesContains(args, "set")) {
			return true
		}
	}
	return false
}

func containsSuffix(args []string, suffix string) bool {
	for _, a := range args {
		if strings.HasSuffix(a, suffix) {
			return true
		}
	}
	return false
}

func isFalse(s string) bool {
	switch strings.ToLower(s) {
	case "false", "0", "no", "off":
		return true
	}
	return false
}

// heredocLine returns the physical line of an instruction's heredoc body that holds the
// text a finding is about, or the instruction's line.
func heredocLine(f *dockerfile.File, in *dockerfile.Instruction) int {
	start := in.HeredocLine
	if start == 0 {
		return in.Line
	}
	for n := start; n <= in.EndLine && n <= len(f.Lines); n++ {
		if insecureRepoText(f.Lines[n-1]) != "" {
			return n
		}
	}
	return in.Line
}
