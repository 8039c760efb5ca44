package dockerfile

import (
	"regexp"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// RemoteScriptPipe is DF-0030.
var RemoteScriptPipe = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0030",
		Slug:      "remote-script-pipe",
		Title:     "RUN must not execute a script straight from the network",
		Severity:  rule.High,
		Practices: []string{"B15"},
		Rationale: "curl URL | sh runs whatever the server returns at build time, as the build user (usually root), " +
			"with nothing to compare it against: a compromised or hijacked server, a changed redirect or a truncated " +
			"download runs in the image, and the next build may run something else. The same holds for bash " +
			"<(curl URL), sh -c \"$(curl URL)\" and interpreters reading a script from a pipe.",
		Remediation: "Download the script (or, better, the release artifact it would fetch) to a file pinned to a " +
			"version, verify it against a published checksum or signature (echo \"$SHA256  install.sh\" | " +
			"sha256sum -c -), then run it. Prefer the distribution's packages when they exist.",
		References: []string{
			"https://docs.docker.com/build/building/best-practices/#run",
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		return dedupe(eachCommand(f, func(c *dockerfile.Command) []rule.Finding {
			t := toolOf(c)
			if t.isDownloader() && c.PipeTo != nil && t.downloadOutput() == "-" && runsStdinScript(c.PipeTo) {
				return one(atCommand(c, "%s pipes a download into %s, which runs it unverified", t.name, toolOf(c.PipeTo).name))
			}
			if d := substitutedDownload(t); d != "" {
				return one(atCommand(c, "%s runs the output of %s as a script, unverified", t.name, d))
			}
			return nil
		}))
	},
}

// substitutionDownload matches a word that starts with a command or process substitution
// running curl or wget: "$(curl -fsSL URL)", "<(wget -qO- URL)", "`curl URL`".
var substitutionDownload = regexp.MustCompile(`^\s*(?:\$\(|<\(|` + "`" + `)\s*(?:sudo\s+)?(?:\S*/)?(curl|wget)\s`)

// substitutedDownload returns "curl" or "wget" when a shell, an interpreter, eval or
// source runs the output of a download as its script: bash <(curl URL),
// sh -c "$(curl URL)", eval "$(wget -qO- URL)", . <(curl URL).
func substitutedDownload(t tool) string {
	switch {
	case isShellName(t.name) || isInterpreter(t.name):
		// The script: the word after -c (or -e, -r), or the first operand.
		for i := 0; i < len(t.args); i++ {
			a := t.args[i]
			if len(a) > 1 && a[0] == '-' && !substitutionDownload.MatchString(a) {
				continue
			}
			if m := substitutionDownload.FindStringSubmatch(a); m != nil {
				return m[1]
			}
			return ""
		}
	case t.is("eval", "source", "."):
		for _, a := range t.args {
			if m := substitutionDownload.FindStringSubmatch(a); m != nil {
				return m[1]
			}
		}
	}
	return ""
}
