// Package secret recognises credentials by their shape: the formats that private keys and
// the tokens of well-known services have, whatever name they are stored under. The
// manifest and Dockerfile rules share it, so that a format learnt once is found in both.
package secret

import (
	"regexp"
	"strings"
	"sync"
)

// A shape is one credential format. hints are substrings every match contains, checked
// before the expression so that most text costs a few substring searches.
type shape struct {
	what  string
	hints []string
	re    func() *regexp.Regexp
}

// lazy compiles an expression the first time a text holds one of its shape's hints:
// compiling all of them cost every kharden command 0.4 MB and 6 ms at start, while most
// scans meet none.
func lazy(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// shapes are the formats, most specific first: a match names the first that fits. They
// are chosen to have few false positives on configuration text; each says what it is in
// findings, never the value.
var shapes = []shape{
	// A Google service account key file is JSON with a PEM private key in "private_key".
	{"a Google service account key", []string{`"private_key"`},
		lazy(`"private_key"\s*:\s*"-{2,}\s?BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY`)},
	// PEM armour has five dashes, but keys pasted by hand often have four or three.
	{"a private key", []string{"PRIVATE KEY"},
		lazy(`-{2,}\s?BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?\s?-{2,}`)},
	{"an AWS access key ID", []string{"AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA"},
		lazy(`\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b`)},
	// The secret access key has no prefix of its own: it is known by the name before it,
	// as in a credentials file or an environment listing.
	{"an AWS secret access key", []string{"ecret", "ECRET"},
		lazy(`(?i)aws_?secret(?:_?access)?_?key["']?\s*[:=]\s*["']?[A-Za-z0-9/+]{40}(?:[^A-Za-z0-9/+=]|$)`)},
	// Azure storage and Service Bus connection strings carry the key itself.
	{"an Azure connection string with a key", []string{"AccountKey=", "SharedAccessKey=", "SharedAccessSignature="},
		lazy(`(?:AccountKey|SharedAccessKey)=[A-Za-z0-9+/]{20,}={0,2}|SharedAccessSignature=[^;\s"']*sig=[A-Za-z0-9%+/=]{20,}`)},
	// An Azure storage account key is 64 random bytes in base64: 86 characters and "==".
	{"a 64-byte base64 key (an Azure storage account key)", []string{"=="},
		lazy(`(?:^|[^A-Za-z0-9+/])([A-Za-z0-9+/]{86}==)(?:[^A-Za-z0-9+/=]|$)`)},
	// Microsoft Entra (Azure AD) client secrets: three characters, a digit, "Q~".
	{"an Azure AD client secret", []string{"Q~"},
		lazy(`(?:^|[^A-Za-z0-9_~.-])([A-Za-z0-9_~.-]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34})(?:[^A-Za-z0-9_~.-]|$)`)},
	{"a GitHub token", []string{"gh", "github_pat_"},
		lazy(`\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b`)},
	{"a GitLab token", []string{"glpat-"}, lazy(`\bglpat-[A-Za-z0-9_-]{20,}`)},
	{"a Slack token", []string{"xox"}, lazy(`\bxox(?:[abposre]|e\.xox[bp])-[A-Za-z0-9-]{10,}`)},
	{"a Slack webhook URL", []string{"hooks.slack.com"},
		lazy(`https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+`)},
	{"a Google API key", []string{"AIza"}, lazy(`\bAIza[0-9A-Za-z_-]{35}\b`)},
	{"a Stripe live key", []string{"k_live_"}, lazy(`\b[rs]k_live_[0-9A-Za-z]{20,}`)},
	{"an Anthropic API key", []string{"sk-ant-"}, lazy(`\bsk-ant-[a-z]+[0-9]{2}-[A-Za-z0-9_-]{80,}`)},
	{"an OpenAI API key", []string{"sk-"},
		lazy(`\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}`)},
	{"an npm token", []string{"npm_"}, lazy(`\bnpm_[A-Za-z0-9]{36}\b`)},
	{"a PyPI token", []string{"pypi-"}, lazy(`\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}`)},
	{"a SendGrid API key", []string{"SG."}, lazy(`\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b`)},
	{"a Hugging Face token", []string{"hf_"}, lazy(`\bhf_[A-Za-z0-9]{34,}\b`)},
	{"a DigitalOcean token", []string{"do"}, lazy(`\bdo[por]_v1_[a-f0-9]{64}\b`)},
	{"a Shopify token", []string{"shp"}, lazy(`\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b`)},
	{"a Databricks token", []string{"dapi"}, lazy(`\bdapi[a-f0-9]{32}(?:-[0-9])?\b`)},
	{"a JSON Web Token", []string{"eyJ"}, lazy(`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`)},
}

// Find returns what kind of credential s contains and the byte offsets of the first
// match, or "" when it contains none it knows.
func Find(s string) (what string, start, end int) {
	for _, sh := range shapes {
		if !containsAny(s, sh.hints) {
			continue
		}
		// An expression that must not run into a neighbouring character matches it too,
		// and groups the credential.
		if loc := sh.re().FindStringSubmatchIndex(s); loc != nil {
			if len(loc) > 2 && loc[2] >= 0 {
				return sh.what, loc[2], loc[3]
			}
			return sh.what, loc[0], loc[1]
		}
	}
	return "", 0, 0
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
