package dockerfile

// The secret detectors of no-secrets, for the rules that look for secrets outside a
// Dockerfile (an image's configuration).

// SecretName tells whether a variable's name says it holds a secret: DB_PASSWORD,
// GITHUB_TOKEN, not PASSWORD_FILE or ALLOW_EMPTY_PASSWORD.
func SecretName(name string) bool { return secretName(name) }

// SecretValue tells whether the value of a secret-named variable can be a secret: not
// empty, not a switch, not a file path.
func SecretValue(v string) bool { return secretValue(v) }

// CredentialShape tells which well-known credential a line holds by its shape (a
// private key, an AWS key ID, a GitHub token, a password in a URL...) and its 1-based
// column, or "".
func CredentialShape(line string) (string, int) { return credentialShape(line) }
