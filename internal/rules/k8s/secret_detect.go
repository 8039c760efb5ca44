package k8s

import (
	"math"
	"regexp"
	"strings"
	"unicode"

	"github.com/kharden/kharden/internal/secret"
)

// Secret detection shared by secrets-in-env and secrets-in-configmap. Two signals:
//
//   - the value has the shape of a well-known credential (secretFormat, package secret),
//     whatever its name;
//   - the name says secret (secretName) and the value is a literal that could be one
//     (not plausibleSecretValue's exclusions: empty, booleans, paths, plain URLs, masked
//     values and references such as $(VAR), ${VAR} or {{ .Values.x }});
//   - the name may hold a key (keyName: ACCOUNT_KEY, SERVICE_KEY) and the value looks
//     generated (randomValue), which keeps CACHE_KEY=users and KEY_ID=abc out.
//
// Placeholder passwords such as "changeme" are reported on purpose: a default credential
// committed to a manifest ends up running in some cluster, and the fix (a Secret) is the
// same.

// urlPassword finds the password of a URL with credentials: scheme://user:password@host.
var urlPassword = regexp.MustCompile(`\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:([^\s/@]+)@`)

// secretFormat returns what kind of credential v contains, or "".
func secretFormat(v string) string {
	if what, _, _ := secret.Find(v); what != "" {
		return what
	}
	if !strings.Contains(v, "://") || strings.IndexByte(v, '@') < 0 {
		return "" // what urlPassword needs, looked for without the regular expression
	}
	for _, m := range urlPassword.FindAllStringSubmatch(v, -1) {
		if !referenceValue(m[1]) && strings.Trim(m[1], "*") != "" {
			return "a URL with an embedded password"
		}
	}
	return ""
}

// secretWordSuffixes end a name token that names a secret: DB_PASSWORD, dbPassword,
// MYSQLPASSWORD, GITHUB_TOKEN, APIKEY, HTPASSWD.
var secretWordSuffixes = []string{
	"PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "SECRETS", "TOKEN", "TOKENS", "APIKEY", "APIKEYS",
	"CREDENTIAL", "CREDENTIALS", "PRIVATEKEY", "ACCESSKEY", "SECRETKEY", "AUTHKEY",
}

// keyQualifiers make "<qualifier>_KEY" a secret name: API_KEY, PRIVATE_KEY, ACCESS_KEY,
// AZURE_STORAGE_KEY, AZURE_BATCH_KEY, TLS_KEY...
var keyQualifiers = map[string]bool{
	"API": true, "PRIVATE": true, "ACCESS": true, "SECRET": true, "AUTH": true, "ENCRYPTION": true,
	"SIGNING": true, "MASTER": true, "SESSION": true, "CLIENT": true, "SSH": true, "HMAC": true,
	"JWT": true, "LICENSE": true, "STORAGE": true, "BATCH": true, "SHARED": true, "SAS": true,
	"TLS": true, "SSL": true, "CONSUMER": true, "SUBSCRIPTION": true, "WEBHOOK": true, "DEPLOY": true,
	"DECRYPTION": true, "CRYPTO": true, "GPG": true, "PGP": true, "AES": true,
}

// notKeyQualifiers make "<qualifier>_KEY" name something other than a secret key, even
// with a random-looking value: a public key, a cache or partition key.
var notKeyQualifiers = map[string]bool{
	"PUBLIC": true, "PUB": true, "VERIFICATION": true, "VERIFY": true, "CACHE": true, "PARTITION": true,
	"SORT": true, "ROUTING": true, "IDEMPOTENCY": true, "LOOKUP": true, "FOREIGN": true, "PRIMARY": true,
}

// notSecretQualifiers, after the secret word, make the name describe something about a
// secret rather than the secret itself: TOKEN_URL, PASSWORD_FILE, SECRET_NAME,
// ACCESS_KEY_ID, TOKEN_TTL, API_KEY_HEADER, AUTH_ENABLED.
var notSecretQualifiers = map[string]bool{
	"URL": true, "URLS": true, "URI": true, "URIS": true, "ENDPOINT": true, "ENDPOINTS": true,
	"HOST": true, "HOSTNAME": true, "PORT": true, "PATH": true, "FILE": true, "FILES": true,
	"FILENAME": true, "DIR": true, "DIRECTORY": true, "NAME": true, "ID": true, "REF": true,
	"TTL": true, "EXPIRY": true, "EXPIRES": true, "EXPIRATION": true, "TIMEOUT": true,
	"LIFETIME": true, "DURATION": true, "INTERVAL": true, "SECONDS": true, "MINUTES": true,
	"HOURS": true, "DAYS": true, "LENGTH": true, "LEN": true, "MIN": true, "MAX": true,
	"LIMIT": true, "SIZE": true, "COUNT": true, "ENABLED": true, "ENABLE": true, "DISABLED": true,
	"DISABLE": true, "REQUIRED": true, "TYPE": true, "MODE": true, "HEADER": true, "FIELD": true,
	"PARAM": true, "PARAMETER": true, "VERSION": true, "ALGORITHM": true, "ALG": true,
	"PROVIDER": true, "ISSUER": true, "AUDIENCE": true, "SCOPE": true, "SCOPES": true,
	"REALM": true, "METHOD": true, "POLICY": true, "ROTATION": true, "LOCATION": true,
	"MOUNT": true, "NAMESPACE": true, "FORMAT": true, "ENCODING": true, "PREFIX": true,
	"SUFFIX": true, "RETRIES": true, "STRATEGY": true, "BACKEND": true, "ROUNDS": true,
	"COST": true, "ITERATIONS": true,
}

// secretName tells whether an environment variable or ConfigMap key names a secret.
func secretName(name string) bool {
	toks := nameTokens(name)
	last := -1 // index of the last token that makes the name secret
	for i, t := range toks {
		switch {
		case hasAnySuffix(t, secretWordSuffixes):
			last = i
		case t == "PASS" || t == "CREDS":
			last = i
		case t == "PWD" && i > 0: // PWD alone is the working directory
			last = i
		case t == "AUTH" && i == len(toks)-1: // BASIC_AUTH, REDIS_AUTH; not AUTH_MODE
			last = i
		case t == "KEY" && i > 0 && keyQualifiers[toks[i-1]]:
			last = i
		}
	}
	if last < 0 {
		return false
	}
	for _, t := range toks[last+1:] {
		if notSecretQualifiers[t] {
			return false
		}
	}
	return true
}

// keyName tells whether a name may hold a key without saying which (ACCOUNT_KEY,
// SERVICE_KEY, KEY, GCP_KEY_CONTENT): a KEY token not followed by a word that makes the
// name describe the key (KEY_ID, KEY_NAME) and not qualified as public or a cache key. Such
// a name counts as a secret's only when its value looks random (randomValue).
func keyName(name string) bool {
	toks := nameTokens(name)
	last := -1
	for i, t := range toks {
		if t == "KEY" || t == "KEYS" {
			last = i
		}
	}
	if last < 0 || last > 0 && notKeyQualifiers[toks[last-1]] {
		return false
	}
	for _, t := range toks[last+1:] {
		if notSecretQualifiers[t] {
			return false
		}
	}
	return true
}

// randomValue tells whether a value looks like generated key material rather than a word,
// a path or a name: 20 characters or more of a token alphabet, with upper- and lower-case
// letters and digits (base64, most vendors' keys) or 32 hex digits or more, and varied
// enough (at least 3.3 bits of entropy per character).
func randomValue(v string) bool {
	v = strings.TrimSpace(v)
	if len(v) < 20 || len(v) > 4096 {
		return false
	}
	var upper, lower, digit, hex bool
	hex = true
	counts := map[rune]int{}
	for _, r := range v {
		switch {
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= '0' && r <= '9':
			digit = true
		case strings.ContainsRune("+/=_-.~", r):
		default:
			return false // spaces, punctuation: prose or a structured value
		}
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			hex = false
		}
		counts[r]++
	}
	if !(upper && lower && digit) && !(hex && digit && len(v) >= 32) {
		return false
	}
	entropy := 0.0
	for _, n := range counts {
		p := float64(n) / float64(len(v))
		entropy -= p * math.Log2(p)
	}
	return entropy >= 3.3
}

// nameTokens splits a name into upper-cased words at punctuation and camelCase
// boundaries: "dbPassword" and "DB_PASSWORD" both give DB, PASSWORD; "APIKey" gives API, KEY.
func nameTokens(s string) []string {
	var toks []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			toks = append(toks, strings.ToUpper(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(s)
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush()
			continue
		}
		if len(cur) > 0 && unicode.IsUpper(r) {
			prev := rs[i-1]
			if unicode.IsLower(prev) || unicode.IsDigit(prev) ||
				unicode.IsUpper(prev) && i+1 < len(rs) && unicode.IsLower(rs[i+1]) {
				flush()
			}
		}
		cur = append(cur, r)
	}
	flush()
	return toks
}

func hasAnySuffix(s string, suffixes []string) bool {
	for _, suf := range suffixes {
		if strings.HasSuffix(s, suf) {
			return true
		}
	}
	return false
}

var (
	// referenceOnly matches values that stand for a value kept elsewhere.
	referenceOnly = regexp.MustCompile(`^(?:\$\([A-Za-z_][A-Za-z0-9_.-]*\)|\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\{\{.*\}\}|<[^<>]*>)$`)
	// envReference matches a Kubernetes dependent environment variable, $(NAME).
	envReference = regexp.MustCompile(`\$\([A-Za-z_][A-Za-z0-9_.-]*\)`)
	schemeURL    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://\S+$`)
)

func referenceValue(v string) bool { return referenceOnly.MatchString(strings.TrimSpace(v)) }

var notSecretValues = map[string]bool{
	"true": true, "false": true, "yes": true, "no": true, "on": true, "off": true,
	"enabled": true, "disabled": true, "enable": true, "disable": true, "none": true,
	"null": true, "nil": true, "required": true, "optional": true, "n/a": true,
}

// plausibleSecretValue tells whether a literal under a secret-looking name could be the
// secret itself: not empty, not a boolean or "none", not a reference to a value kept
// elsewhere, not a file path (PASSWORD=/run/secrets/db names a file), not a URL without
// credentials (those are endpoints), not masked ("****").
func plausibleSecretValue(v string) bool {
	t := strings.TrimSpace(v)
	switch {
	case t == "", notSecretValues[strings.ToLower(t)], strings.Trim(t, "*") == "", referenceValue(t):
		return false
	case strings.HasPrefix(t, "/"), strings.HasPrefix(t, "./"), strings.HasPrefix(t, "../"), strings.HasPrefix(t, "~/"):
		return false
	case schemeURL.MatchString(t) && !urlPassword.MatchString(t):
		return false
	}
	return true
}
