package image

import (
	"io"
	"path"
	"strings"
)

// Files that often hold credentials are kept whole (each up to maxSecretFile bytes, all of
// them up to maxSecretFiles) for the rules to look into: the image rule secret-files
// reads them through Entry.Content. Everything else stays metadata only.
const (
	maxSecretFile  = 64 << 10
	maxSecretFiles = 16 << 20
)

// secretNames are the base names of files kept for the secret rules, lower case.
var secretNames = map[string]bool{
	"id_rsa": true, "id_dsa": true, "id_ecdsa": true, "id_ed25519": true, "id_ecdsa_sk": true, "id_ed25519_sk": true,
	".env": true, ".npmrc": true, ".pypirc": true, ".netrc": true, "_netrc": true, ".git-credentials": true,
	".pgpass": true, ".my.cnf": true, ".s3cfg": true, ".boto": true, ".dockercfg": true,
	"credentials.json": true, "service-account.json": true, "service-account-key.json": true,
}

// secretFile tells whether the file p is kept for the secret rules: by its base name
// (.npmrc, id_rsa, .env.production), its extension (.pem, .key) or its directory
// (.docker/config.json, .aws/credentials, .kube/config, .git/config, /etc/ssh/ssh_host_*_key).
func secretFile(p string) bool {
	dir, base := path.Split(p)
	base = strings.ToLower(base)
	parent := path.Base(dir)
	switch {
	case secretNames[base]:
		return true
	case strings.HasPrefix(base, ".env.") && !strings.HasSuffix(base, ".example") && !strings.HasSuffix(base, ".sample") &&
		!strings.HasSuffix(base, ".template") && !strings.HasSuffix(base, ".dist"):
		return true
	case strings.HasSuffix(base, ".pem") || strings.HasSuffix(base, ".key"):
		return true
	case strings.HasPrefix(base, "ssh_host_") && strings.HasSuffix(base, "_key"):
		return true
	case parent == ".docker" && base == "config.json", parent == ".aws" && base == "credentials",
		parent == ".kube" && base == "config", parent == ".git" && base == "config":
		return true
	}
	return false
}

// secretContent is the kept content of a file secretFile selects.
type secretContent struct{ b []byte }

// keepSecretFile keeps the content of the secret-candidate file p, within the limits.
func (w *walker) keepSecretFile(layer int, p string, e *Entry, r io.Reader) {
	if e.Size > maxSecretFile {
		w.note(layer, p, "not read for secrets: %d bytes, more than the limit of %d", e.Size, maxSecretFile)
		return
	}
	if w.kept+e.Size > maxSecretFiles {
		w.note(layer, p, "not read for secrets: the %d bytes kept for secret checks are spent", maxSecretFiles)
		return
	}
	b, ok := w.readContent(layer, p, e.Size, maxSecretFile, r)
	if !ok {
		return
	}
	w.kept += int64(len(b))
	e.data = &secretContent{b: append([]byte(nil), b...)}
}

// Content is the content of a file kept for the secret rules (private keys, .npmrc,
// .docker/config.json...: see the image docs), and whether it was kept. Other files'
// content is never kept.
func (e *Entry) Content() ([]byte, bool) {
	if d, ok := e.data.(*secretContent); ok {
		return d.b, true
	}
	return nil, false
}
