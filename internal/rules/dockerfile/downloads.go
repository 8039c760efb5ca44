package dockerfile

import (
	"path"
	"regexp"
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// This file holds what the download rules (remote-script-pipe, insecure-download,
// unverified-download) share: recognising curl and wget, where their output goes, and
// which later commands verify what they fetched.

// tool is a program as it runs: the command behind wrappers (sudo, env...) and behind
// busybox ("busybox wget" is wget).
type tool struct {
	name string
	args []string
	cmd  *dockerfile.Command // as written
}

func toolOf(c *dockerfile.Command) tool {
	u := c.Unwrap()
	t := tool{name: u.Base(), args: u.Args, cmd: c}
	if t.name == "busybox" && len(t.args) > 0 {
		t.name, t.args = path.Base(t.args[0]), t.args[1:]
	}
	return t
}

func (t tool) is(names ...string) bool {
	for _, n := range names {
		if t.name == n {
			return true
		}
	}
	return false
}

// hasFlag is Command.HasFlag over the tool's arguments.
func (t tool) hasFlag(flags ...string) bool {
	c := dockerfile.Command{Args: t.args}
	return c.HasFlag(flags...)
}

// optValue returns the value of an option that takes one: "--output=x", "--output x",
// "-o x", "-ox", and at the end of a cluster of short flags, "-sSLo x", "-qO-".
func (t tool) optValue(short byte, long string) (string, bool) {
	for i := 0; i < len(t.args); i++ {
		a := t.args[i]
		switch {
		case a == "--":
			return "", false
		case long != "" && a == long:
			if i+1 < len(t.args) {
				return t.args[i+1], true
			}
		case long != "" && strings.HasPrefix(a, long+"="):
			return a[len(long)+1:], true
		case short != 0 && len(a) >= 2 && a[0] == '-' && a[1] != '-':
			for j := 1; j < len(a); j++ {
				if a[j] == short {
					if j+1 < len(a) {
						return a[j+1:], true
					}
					if i+1 < len(t.args) {
						return t.args[i+1], true
					}
					return "", false
				}
				if !isLetter(a[j]) {
					break
				}
			}
		}
	}
	return "", false
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

// urls returns the arguments that are remote URLs.
func (t tool) urls() []string {
	var out []string
	for _, a := range t.args {
		if looksLikeURL(a) {
			out = append(out, a)
		}
	}
	return out
}

var urlPattern = regexp.MustCompile(`^(?i)(https?|ftps?)://`)

func looksLikeURL(s string) bool { return urlPattern.MatchString(s) }

// isDownloader tells whether the tool is curl or wget.
func (t tool) isDownloader() bool { return t.is("curl", "wget", "wget2") }

// downloadOutput says where a curl or wget writes what it fetches: to standard output
// ("-"), to a file (its path, or the URL's last segment for curl -O and plain wget),
// or nowhere ("" for wget --spider, curl --head, -o /dev/null).
func (t tool) downloadOutput() string {
	switch t.name {
	case "curl":
		if t.hasFlag("-I", "--head") {
			return ""
		}
		if v, ok := t.optValue('o', "--output"); ok {
			return devNull(v)
		}
		if t.hasFlag("-O", "--remote-name", "--remote-name-all") {
			return urlFile(t.urls())
		}
		return "-"
	case "wget", "wget2":
		if t.hasFlag("--spider") {
			return ""
		}
		if v, ok := t.optValue('O', "--output-document"); ok {
			return devNull(v)
		}
		return urlFile(t.urls())
	}
	return ""
}

func devNull(p string) string {
	if p == "/dev/null" {
		return ""
	}
	return p
}

// urlFile is the file name a URL is saved under: its last path segment.
func urlFile(urls []string) string {
	if len(urls) == 0 {
		return "the download"
	}
	u := urls[0]
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	u = strings.TrimRight(u, "/")
	if i := strings.Index(u, "://"); i >= 0 && !strings.Contains(u[i+3:], "/") {
		return "index.html"
	}
	return path.Base(u)
}

// runsStdinScript tells whether a command executes the script it reads on standard
// input: a shell without -c and without a script file (sh, bash -s, sudo -E bash -),
// or an interpreter without a program (python3, python -, perl, ruby, node, php).
func runsStdinScript(c *dockerfile.Command) bool {
	t := toolOf(c)
	switch {
	case isShellName(t.name):
		for i := 0; i < len(t.args); i++ {
			a := t.args[i]
			switch {
			case a == "-" || a == "--" || a == "-s":
				return true
			case a == "-o" || a == "+o" || a == "-O" || a == "+O":
				i++
			case strings.HasPrefix(a, "--"):
			case (strings.HasPrefix(a, "-") || strings.HasPrefix(a, "+")) && len(a) > 1:
				if strings.ContainsRune(a[1:], 'c') {
					return false
				}
				if strings.ContainsRune(a[1:], 's') {
					return true
				}
			default:
				return false
			}
		}
		return true
	case isInterpreter(t.name):
		for _, a := range t.args {
			switch {
			case a == "-":
				return true
			case a == "-c" || a == "-m" || a == "-e" || a == "-E" || a == "-r" || a == "--eval" || a == "-p" || a == "--print":
				return false
			case strings.HasPrefix(a, "-"):
			default:
				return false
			}
		}
		return true
	}
	return false
}

func isShellName(name string) bool {
	switch name {
	case "sh", "bash", "ash", "dash", "zsh", "ksh", "mksh":
		return true
	}
	return false
}

var interpreterPattern = regexp.MustCompile(`^(python[0-9.]*|perl[0-9.]*|ruby[0-9.]*|node|nodejs|php[0-9.]*)$`)

func isInterpreter(name string) bool { return interpreterPattern.MatchString(name) }

// checksumTools compute digests; run with -c (or compared in a test) they verify a download.
var checksumTools = []string{"sha256sum", "sha512sum", "sha384sum", "sha224sum", "sha1sum", "md5sum", "b2sum",
	"b3sum", "shasum", "cksum", "sha256", "sha512", "sha1", "md5"}

// verifies tells whether a command checks the integrity or signature of a file: a
// checksum tool with -c/--check or whose output is compared ($(sha256sum f), piped to
// grep or cmp), gpg --verify and gpgv, cosign verify*, minisign -V, signify -V,
// openssl dgst -verify or a digest compared in a substitution, rpm -K.
func verifies(c *dockerfile.Command) bool {
	t := toolOf(c)
	switch {
	case t.is(checksumTools...):
		if t.hasFlag("-c", "--check") || c.Subst {
			return true
		}
		if c.PipeTo != nil {
			p := toolOf(c.PipeTo)
			return p.is("grep", "cmp", "diff", "awk", "cut", "tr", "head")
		}
		return false
	case t.is("gpg", "gpg2"):
		return t.hasFlag("--verify", "--verify-files")
	case t.is("gpgv", "gpgv2", "sqv", "pgpv"):
		return true
	case t.is("sq"):
		return len(t.args) > 0 && t.args[0] == "verify"
	case t.is("cosign"):
		return len(t.args) > 0 && strings.HasPrefix(t.args[0], "verify")
	case t.is("minisign", "signify", "signify-openbsd"):
		return t.hasFlag("-V")
	case t.is("openssl"):
		for _, a := range t.args {
			if a == "-verify" || a == "-signature" {
				return true
			}
		}
		return c.Subst && len(t.args) > 0 && (t.args[0] == "dgst" || strings.HasPrefix(t.args[0], "sha") || t.args[0] == "md5")
	case t.is("rpm", "rpmkeys"):
		return t.hasFlag("-K", "--checksig")
	case t.is("slsa-verifier"):
		return true
	case t.is("gh"):
		return len(t.args) > 1 && t.args[0] == "attestation" && t.args[1] == "verify"
	case t.is("ssh-keygen"):
		return t.hasFlag("-Y") && slicesContains(t.args, "verify")
	}
	return false
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// contentAddressed tells whether a URL names its content by a digest or a full commit
// hash (40 or 64 hexadecimal characters in a path segment), so the server cannot
// change what it returns.
var hexID = regexp.MustCompile(`(^|[/@:=_.-])[0-9a-fA-F]{40}([0-9a-fA-F]{24})?($|[/?#._-])`)

func contentAddressed(url string) bool { return hexID.MatchString(url) }

// isTrustMaterial tells whether a downloaded file is a key, a signature or a checksum
// list (what verifies a download, not a download to verify), or a package repository
// definition (whose packages the package manager verifies).
func isTrustMaterial(name string) bool {
	full := strings.ToLower(name)
	for _, d := range []string{"keyrings/", "trusted.gpg.d/", "/etc/pki/rpm-gpg/", "/etc/apk/keys/"} {
		if strings.Contains(full, d) {
			return true
		}
	}
	n := path.Base(full)
	if n == "gpg" || n == "key" || n == "pubkey" || strings.HasSuffix(n, ".repo") || strings.HasSuffix(n, ".list") ||
		strings.HasSuffix(n, ".sources") {
		return true
	}
	for _, ext := range []string{".asc", ".sig", ".sign", ".gpg", ".pgp", ".pub", ".key", ".pem", ".crt", ".cer",
		".sha1", ".sha256", ".sha512", ".md5", ".sha256sum", ".sha512sum", ".sha1sum", ".md5sum", ".sum",
		".digest", ".sigstore", ".bundle", ".minisig"} {
		if strings.HasSuffix(n, ext) {
			return true
		}
	}
	for _, part := range []string{"keys", "keyring", "sha256sums", "sha512sums", "shasums", "checksums", "md5sums"} {
		if strings.Contains(n, part) {
			return true
		}
	}
	return false
}

// redactURL removes the user information from a URL, for messages.
func redactURL(u string) string {
	i := strings.Index(u, "://")
	if i < 0 {
		return u
	}
	rest := u[i+3:]
	host := rest
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		host = rest[:j]
	}
	if at := strings.LastIndex(host, "@"); at >= 0 {
		return u[:i+3] + "***@" + rest[at+1:]
	}
	return u
}

// dedupe drops findings that repeat one at the same place with the same message (a
// command inside `sh -c "$(...)"` is seen both in the outer and in the inner script).
func dedupe(in []rule.Finding) []rule.Finding {
	type key struct {
		line, col int
		path, msg string
		status    rule.Status
	}
	seen := map[key]bool{}
	out := in[:0]
	for _, f := range in {
		if k := (key{f.Line, f.Column, f.Path, f.Message, f.Status}); !seen[k] {
			seen[k] = true
			out = append(out, f)
		}
	}
	return out
}
