package dockerfile

import (
	"path"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/secret"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// NoSecrets is DF-0020.
var NoSecrets = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0020",
		Slug:      "no-secrets",
		Title:     "The Dockerfile must not put secrets into the image or its history",
		Severity:  rule.High,
		Practices: []string{"B6"},
		Rationale: "Everything a Dockerfile writes ends up in something people can read: ENV values in the image " +
			"configuration, ARG values in the image history of every RUN that sees them, copied files in a layer " +
			"(deleting them later does not remove them from it), and literal values in the Dockerfile itself, " +
			"which lives in version control. A password, token or private key there is readable by anyone who can " +
			"pull the image or clone the repository, for as long as the image exists. The rule reports ENV and ARG " +
			"whose names say they hold a secret (DB_PASSWORD, NPM_TOKEN, not PASSWORD_FILE or GPG_KEY); an ARG " +
			"without a default too, since the value given with --build-arg is recorded in the history of every RUN " +
			"that sees it. It also reports credentials recognisable by their shape (private keys however many dashes " +
			"frame their header, AWS access and secret keys, Azure storage keys and connection strings, Azure AD client " +
			"secrets, Google service account keys, GitHub, GitLab, Slack, npm, PyPI, OpenAI and other service tokens, " +
			"passwords in URLs), COPY of key and credential files (id_rsa, *.key, .env, " +
			".npmrc, .aws/, .ssh/), passwords set with chpasswd, and literal passwords on command lines (mysql " +
			"-pX, docker login -p X, curl -u user:X, --password=X). Messages never repeat the secret.",
		Remediation: "Pass build-time secrets with RUN --mount=type=secret,id=NAME (docker build --secret " +
			"id=NAME,src=FILE) or ssh with RUN --mount=type=ssh; give run-time secrets to the container at start " +
			"(Kubernetes Secrets, mounted files, *_FILE variables) instead of ENV. Keep key and credential files out " +
			"of the build context with .dockerignore, and rotate any secret that was committed.",
		References: []string{
			"https://docs.docker.com/build/building/secrets/",
			"https://docs.docker.com/reference/build-checks/secrets-used-in-arg-or-env/",
			"CIS Docker Benchmark 4.10: Ensure secrets are not stored in Dockerfiles",
		},
		Standards: rule.Standards{CIS: []string{"4.10"}},
		Since:     "0.1.0",
		Default:   true,
		Changes:   []string{"0.2.0: the credential shapes are those of secrets-in-env (one catalogue): PEM headers with any run of dashes, AWS secret keys by their name, Azure storage keys, Google service account keys and more tokens; names such as BATCH_KEY and TLS_KEY count."},
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		var out []rule.Finding
		for _, in := range f.Instructions {
			switch c := in.Command.(type) {
			case *instructions.EnvCommand:
				var keys []string
				for _, kv := range c.Env {
					if secretName(kv.Key) && secretValue(f.Unquote(kv.Value)) {
						keys = append(keys, kv.Key)
					}
				}
				if len(keys) > 0 {
					out = append(out, atInstruction(in, "ENV %s stores a secret in the image configuration", joinAnd(keys)))
				}
			case *instructions.ArgCommand:
				var withDefault, bare []string
				for _, kv := range c.Args {
					if !secretName(kv.Key) {
						continue
					}
					switch {
					case kv.Value == nil || f.Unquote(*kv.Value) == "":
						bare = append(bare, kv.Key)
					case secretValue(f.Unquote(*kv.Value)):
						withDefault = append(withDefault, kv.Key)
					}
				}
				if len(withDefault) > 0 {
					out = append(out, atInstruction(in, "ARG %s has a literal default, written in the Dockerfile and "+
						"recorded in the image history", joinAnd(withDefault)))
				} else if len(bare) > 0 {
					out = append(out, atInstruction(in, "ARG %s takes a secret as a build argument, which the image "+
						"history records: use RUN --mount=type=secret", joinAnd(bare)))
				}
			case *instructions.CopyCommand, *instructions.AddCommand:
				if why := copiesSecretFile(f, in); why != "" {
					out = append(out, atInstruction(in, "%s", why))
				}
			}
			for _, c := range in.Commands {
				if why := secretOnCommandLine(c); why != "" {
					out = append(out, atCommand(c, "%s", why))
				}
			}
		}
		// Credentials recognisable by their shape, anywhere in an instruction.
		reported := map[int]bool{}
		for _, fd := range out {
			reported[fd.Line] = true
		}
		for _, in := range f.Instructions {
			for n := in.Line; n <= in.EndLine && n <= len(f.Lines); n++ {
				if reported[n] {
					continue
				}
				if what, col := credentialShape(f.Lines[n-1]); what != "" {
					out = append(out, rule.Finding{Line: n, Column: col, Message: "the line holds " + what})
					reported[n] = true
				}
			}
		}
		sort.SliceStable(out, func(i, j int) bool { return out[i].Line < out[j].Line })
		return dedupe(out)
	},
}

// secretWords are the name parts that make a variable a secret on their own, and
// secretPairs the parts that do in sequence (API_KEY, PRIVATE_KEY).
var (
	secretWords = map[string]bool{"PASSWORD": true, "PASSWD": true, "PASS": true, "PASSPHRASE": true,
		"SECRET": true, "TOKEN": true, "APIKEY": true, "CREDENTIALS": true, "CREDENTIAL": true, "CREDS": true}
	secretPairs = map[string]bool{"API KEY": true, "PRIVATE KEY": true, "ACCESS KEY": true, "AUTH KEY": true,
		"MASTER KEY": true, "ENCRYPTION KEY": true, "SIGNING KEY": true, "ACCOUNT KEY": true, "STORAGE KEY": true,
		"LICENSE KEY": true, "SESSION KEY": true, "BATCH KEY": true, "SHARED KEY": true, "SAS KEY": true,
		"TLS KEY": true, "SSL KEY": true, "SERVICE KEY": true, "APP KEY": true, "CONSUMER KEY": true,
		"SUBSCRIPTION KEY": true, "WEBHOOK KEY": true, "DEPLOY KEY": true, "CLIENT KEY": true, "SECRET KEY": true,
		"DECRYPTION KEY": true, "CRYPTO KEY": true, "HMAC KEY": true, "JWT KEY": true, "ADMIN KEY": true}
	// metaSuffixes end names that describe a secret rather than hold it:
	// PASSWORD_FILE, TOKEN_URL, SECRET_NAME, PASSWORD_MIN_LENGTH, AWS_ACCESS_KEY_ID.
	metaSuffixes = map[string]bool{"FILE": true, "FILES": true, "PATH": true, "PATHS": true, "DIR": true,
		"DIRS": true, "URL": true, "URI": true, "VERSION": true, "VER": true, "ENABLED": true, "ENABLE": true,
		"DISABLED": true, "DISABLE": true, "LENGTH": true, "LEN": true, "POLICY": true, "TYPE": true, "NAME": true,
		"HEADER": true, "PREFIX": true, "ENDPOINT": true, "HOST": true, "PORT": true, "FORMAT": true,
		"REQUIRED": true, "EXPIRY": true, "EXPIRATION": true, "EXPIRES": true, "TTL": true, "TIMEOUT": true,
		"LOCATION": true, "COMMAND": true, "CMD": true, "MODE": true, "METHOD": true, "PROVIDER": true,
		"SOURCE": true, "ID": true, "USER": true, "USERNAME": true, "LOGIN": true, "REF": true, "ENV": true,
		"VAR": true, "MIN": true, "MAX": true, "SIZE": true, "ALGORITHM": true, "ALGO": true, "HASH": true,
		"ROTATION": true, "STORE": true, "BACKEND": true, "MANAGER": true, "KIND": true, "FIELD": true,
		"AUTHENTICATION": true, "AUTH": true, "CHARS": true, "COMPLEXITY": true, "SERVER": true, "SERVICE": true,
		"ISSUER": true, "AUDIENCE": true, "SCOPE": true, "SCOPES": true, "KEYRING": true, "FINGERPRINT": true,
		"LIMIT": true, "COUNT": true, "LIFETIME": true, "DURATION": true, "INTERVAL": true, "DELAY": true,
		"RETRIES": true, "SECONDS": true, "MINUTES": true, "HOURS": true, "DAYS": true, "STRENGTH": true,
		"ENCODING": true, "COST": true, "ROUNDS": true, "ITERATIONS": true, "LEVEL": true}
	// flagPrefixes start names of switches about a secret: ALLOW_EMPTY_PASSWORD.
	flagPrefixes = map[string]bool{"ALLOW": true, "ENABLE": true, "DISABLE": true, "SKIP": true, "REQUIRE": true,
		"USE": true, "NO": true, "IS": true, "HAS": true, "FORCE": true, "RANDOM": true, "GENERATE": true}
)

// nameParts splits a variable name into upper-case words at _, -, . and camelCase
// boundaries: "dbPassword" and "DB_PASSWORD" are [DB PASSWORD].
func nameParts(name string) []string {
	var parts []string
	var cur []rune
	rs := []rune(name)
	flush := func() {
		if len(cur) > 0 {
			parts = append(parts, strings.ToUpper(string(cur)))
			cur = nil
		}
	}
	for i, r := range rs {
		switch {
		case r == '_' || r == '-' || r == '.':
			flush()
		case unicode.IsUpper(r) && i > 0 && unicode.IsLower(rs[i-1]):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
	}
	flush()
	return parts
}

// secretName tells whether a variable name says it holds a secret: DB_PASSWORD,
// PGPASSWORD, MYSQL_PWD, GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY, STRIPE_API_KEY (not
// PWD, GPG_KEY, PASSWORD_FILE or ALLOW_EMPTY_PASSWORD).
func secretName(name string) bool {
	parts := nameParts(name)
	if len(parts) == 0 || metaSuffixes[parts[len(parts)-1]] || flagPrefixes[parts[0]] {
		return false
	}
	for i, p := range parts {
		if secretWords[p] || i > 0 && (secretPairs[parts[i-1]+" "+p] || p == "PWD") {
			return true
		}
		// Words run together: PGPASSWORD, DBPASS, GITHUBTOKEN.
		for _, w := range []string{"PASSWORD", "PASSWD", "TOKEN", "SECRET"} {
			if strings.HasSuffix(p, w) {
				return true
			}
		}
	}
	return false
}

// secretValue tells whether a value of a secret-named variable can be a secret: not
// empty, not a switch (true, no, 0), not a file path.
func secretValue(v string) bool {
	v = strings.TrimSpace(v)
	switch strings.ToLower(v) {
	case "", "true", "false", "yes", "no", "on", "off", "0", "1", "none", "null", "nil", "enabled", "disabled", "empty":
		return false
	}
	return !strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "./") && !strings.HasPrefix(v, "~/")
}

// literalSecret tells whether a command-line value is written out rather than taken
// from a variable, a substitution or standard input.
func literalSecret(v string) bool {
	return v != "" && v != "-" && !strings.ContainsAny(v, "$`") && !strings.HasPrefix(v, "<") &&
		!strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "@")
}

// keyFileNames are files that hold private keys or credentials, by base name.
var keyFileNames = map[string]bool{"id_rsa": true, "id_dsa": true, "id_ecdsa": true, "id_ed25519": true,
	"id_ecdsa_sk": true, "id_ed25519_sk": true, ".env": true, ".npmrc": true, ".pypirc": true, ".netrc": true,
	".git-credentials": true, "credentials.json": true, ".pgpass": true, ".my.cnf": true, ".s3cfg": true,
	".boto": true, ".dockercfg": true, "service-account.json": true, "service-account-key.json": true}

// keyDirs are directories of credentials, as a path segment of a source.
var keyDirs = map[string]bool{".ssh": true, ".aws": true, ".gnupg": true, ".kube": true, ".docker": true, ".azure": true}

// secretFile tells what kind of secret a copied path is, or "".
func secretFile(p string) string {
	p = strings.TrimSuffix(strings.ReplaceAll(p, `\`, "/"), "/")
	base := path.Base(p)
	lower := strings.ToLower(base)
	switch {
	case keyFileNames[lower]:
		return base
	case strings.HasPrefix(lower, ".env.") && !envTemplate(lower):
		return base
	case (strings.HasSuffix(lower, ".key") || strings.HasSuffix(lower, ".p12") || strings.HasSuffix(lower, ".pfx") ||
		strings.HasSuffix(lower, ".ppk")) && !publicKeyName(lower):
		return base
	case strings.HasSuffix(lower, ".pem") && (strings.Contains(lower, "key") || strings.Contains(lower, "priv")) &&
		!publicKeyName(lower):
		return base
	}
	for _, seg := range strings.Split(p, "/") {
		if keyDirs[seg] {
			if seg == ".docker" && base != "config.json" && base != ".docker" {
				continue
			}
			if seg == ".ssh" && publicSSHFile(lower) {
				continue
			}
			return p
		}
	}
	return ""
}

// publicKeyName tells whether a key file's name says it is public: a repository
// signing key (nginx_signing.key, Release.key, repo-gpg.key) or a public key.
func publicKeyName(lower string) bool {
	for _, w := range []string{"pub", "gpg", "signing", "release", "repo", "archive", "cert", "trust"} {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

// trustDir tells whether a destination is where public keys and CA certificates go.
func trustDir(dest string) bool {
	for _, d := range []string{"/etc/apt/", "keyrings", "trusted.gpg", "/etc/pki/rpm-gpg", "/etc/apk/keys",
		"ca-certificates", "/etc/pki/ca-trust", "/etc/ssl/certs"} {
		if strings.Contains(dest, d) {
			return true
		}
	}
	return false
}

// envTemplate tells whether a .env.* file is a committed example, not real values.
func envTemplate(lower string) bool {
	for _, s := range []string{".example", ".sample", ".template", ".dist", ".defaults", ".tpl"} {
		if strings.HasSuffix(lower, s) {
			return true
		}
	}
	return false
}

// publicSSHFile tells whether a file of an .ssh directory is public: known_hosts,
// authorized_keys, config, *.pub.
func publicSSHFile(lower string) bool {
	return lower == "known_hosts" || lower == "authorized_keys" || lower == "config" || lower == "ssh_config" ||
		strings.HasSuffix(lower, ".pub")
}

// copiesSecretFile tells why a COPY or ADD puts a key or credential file into the
// image: one taken from the build context (not --from another stage), or any file
// written into an .ssh directory or under a key file's name; "" when it does not.
func copiesSecretFile(f *dockerfile.File, in *dockerfile.Instruction) string {
	srcs, _, from, ok := copySources(f, in)
	if !ok || from != "" {
		return ""
	}
	var dest string
	switch c := in.Command.(type) {
	case *instructions.CopyCommand:
		dest = f.Unquote(c.DestPath)
	case *instructions.AddCommand:
		dest = f.Unquote(c.DestPath)
	}
	for _, s := range srcs {
		if looksLikeURL(s) || trustDir(dest) {
			continue
		}
		if what := secretFile(s); what != "" {
			return in.Kind + " copies " + what + ", a key or credential file, into the image"
		}
	}
	// A key copied under another name: as id_* or into an .ssh directory.
	if strings.Contains(dest, "/.ssh") {
		for _, s := range srcs {
			if !publicSSHFile(strings.ToLower(path.Base(s))) && !looksLikeURL(s) {
				return in.Kind + " puts " + s + " into the .ssh directory " + dest
			}
		}
		if len(srcs) == 0 && !publicSSHFile(strings.ToLower(path.Base(dest))) {
			return in.Kind + " writes a file into the .ssh directory " + dest
		}
	}
	if what := secretFile(dest); what != "" && !strings.HasSuffix(dest, "/") && !trustDir(dest) {
		return in.Kind + " writes " + dest + ", a key or credential file, into the image"
	}
	return ""
}

// secretOnCommandLine tells why a command carries a literal secret, or "".
func secretOnCommandLine(c *dockerfile.Command) string {
	t := toolOf(c)
	switch {
	case t.is("chpasswd", "passwd"):
		if p := c.PipeFrom; p != nil && literalEcho(p) {
			return t.name + " sets a password written in the Dockerfile"
		}
	case t.is("mysql", "mysqladmin", "mysqldump", "mysqlimport", "mysqlshow", "mysqlcheck", "mariadb",
		"mariadb-admin", "mariadb-dump", "mariadb-import", "mariadb-show", "mariadb-check"):
		for _, a := range t.args {
			if len(a) > 2 && strings.HasPrefix(a, "-p") && literalSecret(a[2:]) {
				return t.name + " -p passes a password written in the Dockerfile"
			}
		}
	case t.is("docker", "podman", "buildah", "skopeo", "helm", "nerdctl", "oras", "crane", "regctl"):
		if slicesContains(t.args, "login") {
			if v, ok := t.optValue('p', "--password"); ok && literalSecret(v) {
				return t.name + " login passes a password written in the Dockerfile"
			}
			if t.hasFlag("--password-stdin") && c.PipeFrom != nil && literalEcho(c.PipeFrom) {
				return t.name + " login reads a password written in the Dockerfile"
			}
		}
	case t.is("sshpass"):
		if v, ok := t.optValue('p', ""); ok && literalSecret(v) {
			return "sshpass -p passes a password written in the Dockerfile"
		}
	case t.is("redis-cli"):
		if v, ok := t.optValue('a', "--pass"); ok && literalSecret(v) {
			return "redis-cli -a passes a password written in the Dockerfile"
		}
	case t.is("mongo", "mongosh", "mongodump", "mongorestore", "mongoexport", "mongoimport"):
		if v, ok := t.optValue('p', "--password"); ok && literalSecret(v) {
			return t.name + " passes a password written in the Dockerfile"
		}
	case t.is("curl"):
		if v, ok := t.optValue('u', "--user"); ok {
			if _, pw, found := strings.Cut(v, ":"); found && literalSecret(pw) {
				return "curl -u passes a password written in the Dockerfile"
			}
		}
	case t.is("htpasswd"):
		if t.hasFlag("-b") {
			if ops := (&dockerfile.Command{Args: t.args}).Operands(); len(ops) > 0 && literalSecret(ops[len(ops)-1]) {
				return "htpasswd -b sets a password written in the Dockerfile"
			}
		}
	case t.is("openssl"):
		if len(t.args) > 0 && t.args[0] == "passwd" && !slicesContains(t.args, "-stdin") && !slicesContains(t.args, "-in") {
			var ops []string
			for i := 1; i < len(t.args); i++ {
				switch a := t.args[i]; {
				case a == "-salt":
					i++
				case !strings.HasPrefix(a, "-"):
					ops = append(ops, a)
				}
			}
			if len(ops) > 0 && literalSecret(ops[len(ops)-1]) {
				return "openssl passwd hashes a password written in the Dockerfile"
			}
		}
		for i, a := range t.args {
			if (a == "-passout" || a == "-passin" || a == "-pass" || a == "-password") && i+1 < len(t.args) {
				if v, ok := strings.CutPrefix(t.args[i+1], "pass:"); ok && literalSecret(v) {
					return "openssl " + a + " pass: passes a password written in the Dockerfile"
				}
			}
		}
	case t.is("useradd", "usermod", "adduser"):
		if v, ok := t.optValue('p', "--password"); ok && literalSecret(v) && v != "*" && v != "!" && v != "x" {
			return t.name + " -p sets a password written in the Dockerfile"
		}
	case t.is("npm", "yarn", "pnpm"):
		for i, a := range t.args {
			lower := strings.ToLower(a)
			if (strings.HasSuffix(lower, "_authtoken") || strings.HasSuffix(lower, ":_auth") ||
				strings.HasSuffix(lower, ":_password") || strings.HasSuffix(lower, "npmauthtoken")) &&
				i+1 < len(t.args) && literalSecret(t.args[i+1]) {
				return t.name + " config stores a registry token written in the Dockerfile"
			}
		}
	}
	for i, a := range t.args {
		if a == "--" {
			break
		}
		name, val, eq := strings.Cut(a, "=")
		if !strings.HasPrefix(name, "--") || strings.HasPrefix(name, "--no-") {
			continue
		}
		if !eq && i+1 < len(t.args) {
			val = t.args[i+1]
		}
		switch {
		case eq && secretFlag(name):
		case !eq && valueSecretFlags[name] && !strings.HasPrefix(val, "-"):
		default:
			continue
		}
		// A switch (--use-token=true) or a secret reference (--secret id=npm,src=f).
		if !literalSecret(val) || !secretValue(val) || strings.HasPrefix(val, "id=") ||
			strings.Contains(val, "src=") {
			continue
		}
		return t.name + " " + name + " passes a secret written in the Dockerfile"
	}
	return ""
}

// valueSecretFlags are options known to take a secret as their next argument.
var valueSecretFlags = map[string]bool{"--password": true, "--passwd": true, "--passphrase": true, "--token": true,
	"--api-key": true, "--apikey": true, "--secret": true, "--client-secret": true, "--access-key": true,
	"--secret-key": true, "--auth-token": true, "--http-password": true, "--ftp-password": true,
	"--proxy-password": true, "--secret-access-key": true}

// secretFlag tells whether a long option's name says its value is a secret.
func secretFlag(name string) bool {
	n := strings.ToLower(strings.TrimPrefix(name, "--"))
	for _, s := range []string{"password", "passwd", "passphrase", "token", "secret", "api-key", "apikey",
		"access-key", "secret-key"} {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

// literalEcho tells whether a command is echo or printf writing only literal text
// (no variables or substitutions): echo 'root:root'.
func literalEcho(c *dockerfile.Command) bool {
	t := toolOf(c)
	if !t.is("echo", "printf") {
		return false
	}
	var text []string
	for _, a := range t.args {
		if strings.HasPrefix(a, "-") && len(a) <= 3 && t.name == "echo" {
			continue
		}
		text = append(text, a)
	}
	joined := strings.Join(text, " ")
	return strings.TrimSpace(joined) != "" && !strings.ContainsAny(joined, "$`")
}

// credentialShapes are the credential formats of build tooling that package secret does
// not know (it holds the formats of services' keys and tokens). hints are literals one of
// which every match contains: a line without any is skipped before the regexp runs,
// which keeps this rule cheap on the many lines that hold no credential.
var credentialShapes = []struct {
	what  string
	hints []string
	re    *regexp.Regexp
}{
	{"an npm registry token", []string{"_auth", "_password"}, regexp.MustCompile(`(^|[:\s])_(authToken|auth|password)\s*=\s*[^\s$'"{<]`)},
	{"a registry credential", []string{`"auth"`}, regexp.MustCompile(`"auth"\s*:\s*"[A-Za-z0-9+/=]{12,}"`)},
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// urlCredentials matches user:password@ in a URL; the password is checked apart.
var urlCredentials = regexp.MustCompile(`\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@'"]+:([^/\s@'"]+)@[^\s/'"]`)

// credentialShape returns what credential a line holds by its well-known shape, and its
// 1-based column, or "".
func credentialShape(line string) (string, int) {
	if what, start, end := secret.Find(line); what != "" && !strings.Contains(line[start:end], "EXAMPLE") {
		return what, start + 1
	}
	for _, s := range credentialShapes {
		if !containsAny(line, s.hints) {
			continue
		}
		if loc := s.re.FindStringIndex(line); loc != nil {
			if strings.Contains(line[loc[0]:loc[1]], "EXAMPLE") {
				continue
			}
			return s.what, loc[0] + 1
		}
	}
	if !strings.Contains(line, "://") || !strings.Contains(line, "@") {
		return "", 0
	}
	for _, m := range urlCredentials.FindAllStringSubmatchIndex(line, -1) {
		pw := line[m[2]:m[3]]
		if literalSecret(pw) && !strings.HasPrefix(pw, "{") {
			return "a password in a URL", m[0] + 1
		}
	}
	return "", 0
}
