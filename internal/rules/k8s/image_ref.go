package k8s

import (
	"strings"
)

// imageRef is a container image reference split the way container runtimes resolve it:
// "nginx:1.25" is docker.io/library/nginx with tag 1.25.
type imageRef struct {
	Domain string // "docker.io", "ghcr.io", "localhost:5000"; always set
	Path   string // "library/nginx", "acme/web"
	Tag    string // "" when absent
	Digest string // "sha256:..." or "" when absent
}

// parseImage splits an image reference. It never fails: a malformed reference yields
// whatever parts can be recognised, and the rules judge those.
func parseImage(image string) imageRef {
	var r imageRef
	name := strings.TrimSpace(image)
	if i := strings.IndexByte(name, '@'); i >= 0 {
		name, r.Digest = name[:i], name[i+1:]
	}
	// A tag is the part after the last colon, but only when that colon comes after the
	// last slash: in "localhost:5000/app" the colon belongs to the registry host.
	if i := strings.LastIndexByte(name, ':'); i >= 0 && i > strings.LastIndexByte(name, '/') {
		name, r.Tag = name[:i], name[i+1:]
	}
	if first, rest, ok := strings.Cut(name, "/"); ok && looksLikeRegistryHost(first) {
		r.Domain, r.Path = normaliseRegistryHost(first), rest
	} else {
		r.Domain, r.Path = "docker.io", name
	}
	if r.Domain == "docker.io" && !strings.Contains(r.Path, "/") {
		r.Path = "library/" + r.Path
	}
	return r
}

// looksLikeRegistryHost applies the runtimes' rule: the first path component is a registry
// host when it has a dot or a port, is "localhost", or has upper-case letters (which
// repository paths cannot).
func looksLikeRegistryHost(s string) bool {
	return strings.ContainsAny(s, ".:") || s == "localhost" || s != strings.ToLower(s)
}

// normaliseRegistryHost lower-cases a host and folds Docker Hub's aliases into docker.io.
func normaliseRegistryHost(h string) string {
	h = strings.ToLower(h)
	switch h {
	case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com":
		return "docker.io"
	}
	return h
}

// Name is the fully qualified repository, without tag or digest.
func (r imageRef) Name() string { return r.Domain + "/" + r.Path }

// names returns every spelling of the repository an allow-list entry may use: the fully
// qualified name, and for official Docker Hub images also the form without "library/".
func (r imageRef) names() []string {
	out := []string{r.Name()}
	if r.Domain == "docker.io" {
		if short, ok := strings.CutPrefix(r.Path, "library/"); ok && !strings.Contains(short, "/") {
			out = append(out, "docker.io/"+short)
		}
	}
	return out
}

// Pinned tells whether the reference names its content by a well-formed digest:
// sha256 with 64 lower-case hex digits, or sha512 with 128. (Checked by hand: a regular
// expression here cost the webhook 5% of a request's CPU.)
func (r imageRef) Pinned() bool {
	alg, hex, _ := strings.Cut(r.Digest, ":")
	if !(alg == "sha256" && len(hex) == 64 || alg == "sha512" && len(hex) == 128) {
		return false
	}
	for i := range len(hex) {
		if c := hex[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// ImplicitLatest tells whether the runtime pulls the "latest" tag: the tag says so, or
// there is neither tag nor digest.
func (r imageRef) ImplicitLatest() bool {
	return r.Tag == "latest" || r.Tag == "" && r.Digest == ""
}

// registryPrefix normalises an allow-list entry the way parseImage normalises images:
// host lower-cased, Docker Hub aliases folded, an entry without a host taken as a Docker
// Hub path ("bitnami/" means docker.io/bitnami), and trailing slashes dropped.
func registryPrefix(entry string) string {
	p := strings.TrimRight(strings.TrimSpace(entry), "/")
	if p == "" {
		return ""
	}
	first, rest, hasRest := strings.Cut(p, "/")
	if !looksLikeRegistryHost(first) {
		return "docker.io/" + p
	}
	if !hasRest {
		return normaliseRegistryHost(first)
	}
	return normaliseRegistryHost(first) + "/" + rest
}

// allowedImage tells whether an image comes from one of the allow-list entries. An entry
// matches whole path components only: "registry.example.com" allows
// "registry.example.com/app" but not "registry.example.com.evil.io/app" nor
// "registry.example.com:5000/app".
func allowedImage(r imageRef, allowed []string) bool {
	for _, entry := range allowed {
		prefix := registryPrefix(entry)
		if prefix == "" {
			continue
		}
		for _, n := range r.names() {
			if n == prefix || strings.HasPrefix(n, prefix+"/") {
				return true
			}
		}
	}
	return false
}
