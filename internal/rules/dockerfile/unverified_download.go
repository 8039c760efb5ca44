package dockerfile

import (
	"regexp"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// UnverifiedDownload is DF-0032.
var UnverifiedDownload = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0032",
		Slug:      "unverified-download",
		Title:     "Downloaded files must be verified against a checksum or signature",
		Severity:  rule.Medium,
		Practices: []string{"B15"},
		Rationale: "TLS proves who served a file, not that it is the file you reviewed: a compromised release " +
			"page, mirror or CDN, or a re-tagged release, changes what the next build installs. A checksum pinned " +
			"in the Dockerfile, or a signature checked against a pinned key, makes the build fail instead. The rule " +
			"reports a curl or wget that writes a file (or streams into tar) when no checksum or signature check " +
			"(sha256sum -c, gpg --verify, cosign verify-blob, a digest compared in a test) follows in the same RUN, " +
			"and ADD of an http(s) URL without --checksum. Keys, signatures, checksum lists, repository " +
			"definitions and URLs pinned to a full commit hash are not reported.",
		Remediation: "Pin the expected digest next to the version and check it in the same RUN: curl -fsSLo " +
			"app.tgz \"$URL\" && echo \"$APP_SHA256  app.tgz\" | sha256sum -c -; or verify the publisher's " +
			"signature (gpg --verify, cosign verify-blob). For ADD <url>, add --checksum=sha256:<digest>.",
		References: []string{
			"https://docs.docker.com/reference/dockerfile/#verifying-a-remote-file-checksum-add---checksumchecksum-http-src-dest",
			"https://github.com/docker-library/official-images#image-build",
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		var out []rule.Finding
		for _, s := range f.Stages {
			var checks []*dockerfile.Command // the stage's verifying commands, found once
			for _, in := range s.Instructions {
				switch in.Kind {
				case "ADD":
					if checks == nil {
						checks = verifyingCommands(s)
					}
					out = append(out, unverifiedAdd(f, checks, in)...)
				case "RUN":
					out = append(out, unverifiedRun(in)...)
				}
			}
		}
		return dedupe(out)
	},
}

// unverifiedAdd reports an ADD of an http(s) URL without --checksum, unless a later RUN
// of the stage verifies the file by name. Git sources are pinned by their ref instead.
func unverifiedAdd(f *dockerfile.File, checks []*dockerfile.Command, in *dockerfile.Instruction) []rule.Finding {
	add, ok := in.Command.(*instructions.AddCommand)
	if !ok || add.Checksum != "" {
		return nil
	}
	var out []rule.Finding
	for _, src := range add.SourcePaths {
		src = f.Unquote(src)
		if !looksLikeURL(src) || isGitURL(src) || contentAddressed(src) || verifiedLater(checks, in, urlFile([]string{src})) {
			continue
		}
		out = append(out, atInstruction(in, "ADD downloads %s without --checksum", redactURL(src)))
	}
	return out
}

// verifyingCommands returns the commands of the stage's RUNs that verify a file, in
// order. Looking them up once per stage, not once per ADD, keeps a file of many ADDs
// and RUNs linear.
func verifyingCommands(s *dockerfile.Stage) []*dockerfile.Command {
	out := []*dockerfile.Command{}
	for c := range s.Commands() {
		if verifies(c) {
			out = append(out, c)
		}
	}
	return out
}

// verifiedLater tells whether a RUN after in, in the stage, verifies a file named name:
// one of the stage's verifying commands (or the echo that feeds it) after in mentions it.
func verifiedLater(checks []*dockerfile.Command, in *dockerfile.Instruction, name string) bool {
	for _, c := range checks {
		if c.Instruction.Line <= in.Line {
			continue
		}
		if strings.Contains(c.Raw, name) || c.PipeFrom != nil && strings.Contains(c.PipeFrom.Raw, name) {
			return true
		}
	}
	return false
}

// isGitURL tells whether an ADD source is a git repository (https://host/repo.git#ref).
func isGitURL(s string) bool {
	u, _, _ := strings.Cut(s, "#")
	return strings.HasSuffix(u, ".git") || strings.HasPrefix(s, "git@") || strings.HasPrefix(s, "git://")
}

// unverifiedRun reports the curl and wget downloads of a RUN that no checksum or
// signature check follows in the same RUN.
func unverifiedRun(in *dockerfile.Instruction) []rule.Finding {
	// The last verifying command: a download before it is verified after it. Looking
	// at the rest of the RUN for every download was quadratic.
	lastCheck := -1
	for i, c := range in.Commands {
		if verifies(c) {
			lastCheck = i
		}
	}
	var out []rule.Finding
	for i, c := range in.Commands {
		t := toolOf(c)
		if c.Subst || !t.isDownloader() {
			continue
		}
		if urls := t.urls(); len(urls) > 0 && allContentAddressed(urls) {
			continue
		}
		if sendsData(t) {
			continue
		}
		what, extracted := downloadTarget(c, t)
		if what == "" || isTrustMaterial(what) || isTrustMaterial(urlFile(t.urls())) {
			continue
		}
		if extracted {
			// Streamed into an extractor: nothing is left to verify afterwards.
			out = append(out, atCommand(c, "%s streams a download into %s without verifying it", t.name, toolOf(c.PipeTo).name))
			continue
		}
		if i < lastCheck {
			continue
		}
		out = append(out, atCommand(c, "%s downloads %s and no checksum or signature check follows in this RUN",
			t.name, what))
	}
	return out
}

// sendsData tells whether a curl call uploads or posts rather than downloads (-T, -d,
// -F, -X POST): an API call, not software to verify.
func sendsData(t tool) bool {
	if !t.is("curl") {
		return t.hasFlag("--post-data", "--post-file", "--method", "--body-data", "--body-file")
	}
	if t.hasFlag("-T", "--upload-file", "-d", "--data", "--data-binary", "--data-raw", "--data-urlencode",
		"-F", "--form", "--json") {
		return true
	}
	if v, ok := t.optValue('X', "--request"); ok && !strings.EqualFold(v, "GET") {
		return true
	}
	return false
}

func allContentAddressed(urls []string) bool {
	for _, u := range urls {
		if !contentAddressed(u) {
			return false
		}
	}
	return true
}

// extractors read an archive from standard input.
var extractors = []string{"tar", "bsdtar", "gunzip", "gzip", "bunzip2", "bzip2", "xz", "unxz", "zstd", "unzstd",
	"zcat", "cpio", "rpm2cpio", "busybox", "dpkg-deb", "unzip", "jar"}

// downloadTarget returns the file a download lands in ("" when it is not a download to
// keep: stdout printed or captured, piped into a shell, a checksum tool or gpg), and
// whether it is streamed straight into an extractor.
func downloadTarget(c *dockerfile.Command, t tool) (string, bool) {
	out := t.downloadOutput()
	if out != "-" {
		return out, false
	}
	if p := c.PipeTo; p != nil {
		pt := toolOf(p)
		switch {
		case runsStdinScript(p): // remote-script-pipe's
			return "", false
		case pt.is(extractors...):
			return urlFile(t.urls()), true
		case pt.is("tee"):
			if ops := (&dockerfile.Command{Args: pt.args}).Operands(); len(ops) > 0 {
				return ops[0], false
			}
		}
		return "", false
	}
	if target := redirectTarget(c); target != "" && target != "/dev/null" {
		return target, false
	}
	return "", false
}

// redirectTarget returns the file a command's standard output is redirected to
// (`curl -fsSL URL > app.tgz`), read from the instruction's text, or "".
func redirectTarget(c *dockerfile.Command) string {
	texts := []string{c.Instruction.Original}
	for _, h := range c.Instruction.Heredocs {
		texts = append(texts, h.Content)
	}
	raw := strings.TrimSpace(c.Raw)
	if raw == "" {
		return ""
	}
	for _, text := range texts {
		i := strings.Index(text, raw)
		if i < 0 {
			continue
		}
		if m := redirectPattern.FindStringSubmatch(text[i+len(raw):]); m != nil {
			return strings.Trim(m[1], `"'`)
		}
	}
	return ""
}

var redirectPattern = regexp.MustCompile(`^[ \t]*(?:1?>>?|&>|>\|)[ \t]*("[^"]*"|'[^']*'|[^\s;&|)]+)`)
