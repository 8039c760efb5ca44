package scan

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/sign"
)

// ImagePoliciesKey is where image policies are written in the config.
const ImagePoliciesKey = "admission.imagePolicies"

// Defaults of a policy's attestation requirement, those of `kharden verify`.
const (
	defaultAttestationMaxAge = 7 * 24 * time.Hour
	defaultAttestationFailOn = "high"
)

// ImagePolicy is one checked entry of the config's admission.imagePolicies: the
// webhook, kharden scan --images and kharden audit cluster --images judge images by
// the same values, so with the same verdicts.
type ImagePolicy struct {
	// Key is where the policy is written: admission.imagePolicies[i].
	Key  string
	Name string
	// Verify is what `kharden verify --key ... [--attestation --max-age --fail-on]`
	// would be given: the same options, so the same verdict. Its registry Options are
	// the caller's.
	Verify     sign.VerifyOptions
	images     []RepoPattern
	namespaces []string // path.Match patterns; none means every namespace
}

// Registries are the registry hosts the policy's patterns name literally (no wildcard
// in the host): the registries its administrator chose, which may be anywhere.
func (p *ImagePolicy) Registries() []string {
	var out []string
	for _, pat := range p.images {
		host, _, _ := strings.Cut(string(pat), "/")
		if host != "" && !strings.ContainsAny(host, "*?[\\") {
			out = append(out, host)
		}
	}
	return out
}

// ParseImagePolicies checks the config's image policies, reporting every problem at
// its line: a unique name, repository patterns, namespace globs, keys that parse (PEM
// text, or a file relative to the config file), an attestation age and severity.
func ParseImagePolicies(cfg *config.Config) ([]*ImagePolicy, error) {
	var out []*ImagePolicy
	var errs []error
	names := map[string]bool{}
	for i, c := range cfg.Admission.ImagePolicies {
		p := &ImagePolicy{Key: fmt.Sprintf("%s[%d]", ImagePoliciesKey, i), Name: strings.TrimSpace(c.Name)}
		bad := func(format string, a ...any) {
			errs = append(errs, cfg.Errorf(config.ImagePolicyKey(i), "%s: %s", p.Key, fmt.Sprintf(format, a...)))
		}
		switch {
		case p.Name == "":
			bad("name is required")
		case names[p.Name]:
			bad("name %q is given to another policy too", p.Name)
		}
		names[p.Name] = true
		if len(c.Images) == 0 {
			bad(`images: name at least one repository pattern ("registry.example.com/**")`)
		}
		for _, s := range c.Images {
			pat, ok := ParseRepoPattern(s)
			if !ok {
				bad("%q is not a repository pattern (registry/repository, * within a segment, a trailing /** for every repository below; no tag or digest)", s)
				continue
			}
			p.images = append(p.images, pat)
		}
		for _, ns := range c.Namespaces {
			ns = strings.TrimSpace(ns)
			if _, err := path.Match(ns, ""); err != nil || ns == "" {
				bad("namespaces: %q is not a glob", ns)
				continue
			}
			p.namespaces = append(p.namespaces, ns)
		}
		if len(c.Keys) == 0 {
			bad("keys: give at least one public key (PEM text or a file)")
		}
		for j, k := range c.Keys {
			key, err := policyKey(cfg.Path, fmt.Sprintf("%s.keys[%d]", p.Key, j), k)
			if err != nil {
				bad("%v", err)
				continue
			}
			p.Verify.Keys = append(p.Verify.Keys, key)
		}
		if a := c.Attestation; a != nil {
			ap := &sign.AttestationPolicy{MaxAge: defaultAttestationMaxAge, FailOn: defaultAttestationFailOn}
			if s := strings.TrimSpace(a.MaxAge); s == "0" {
				ap.MaxAge = 0
			} else if s != "" {
				d, err := config.ParseAge(s)
				if err != nil {
					bad("attestation.maxAge: %v", err)
				}
				ap.MaxAge = d
			}
			if s := strings.TrimSpace(a.FailOn); s != "" {
				sev, err := rule.ParseSeverity(s)
				if err != nil {
					bad("attestation.failOn: %v", err)
				}
				ap.FailOn = sev.String()
			}
			p.Verify.Attestation = ap
		}
		out = append(out, p)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// policyKey reads one of a policy's keys: PEM text as written, or a file, relative to
// the config file's directory. A key written inline is named by where it is written.
func policyKey(cfgPath, where, s string) (*sign.PublicKey, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "-----BEGIN") {
		return sign.ParsePublicKey(where, []byte(s)) // its errors name where
	}
	if s == "" {
		return nil, fmt.Errorf("%s: empty (PEM text or a file)", where)
	}
	file := s
	if !filepath.IsAbs(file) && cfgPath != "" {
		file = filepath.Join(filepath.Dir(cfgPath), file)
	}
	if _, err := os.Stat(file); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	k, err := sign.LoadPublicKey(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	return k, nil
}

// AppliesIn tells whether the policy applies in a namespace.
func (p *ImagePolicy) AppliesIn(namespace string) bool {
	if len(p.namespaces) == 0 {
		return true
	}
	for _, g := range p.namespaces {
		if ok, _ := path.Match(g, namespace); ok {
			return true
		}
	}
	return false
}

// Covers tells whether the policy's patterns cover an image reference.
func (p *ImagePolicy) Covers(image string) bool {
	for _, pat := range p.images {
		if pat.Matches(image) {
			return true
		}
	}
	return false
}

// NotVerifiedReason says why a verification failed, in a few parts: the problems, and
// the reasons of the signatures (or, when a signature verified, of the attestations).
func NotVerifiedReason(res *sign.Verification) string {
	var parts []string
	signed := false
	for _, r := range res.Signatures {
		signed = signed || r.Verified
	}
	if !signed {
		for _, r := range res.Signatures {
			parts = append(parts, fmt.Sprintf("signature %d: %s", r.Layer, r.Reason))
		}
	} else {
		for _, r := range res.Attestations {
			if !r.Verified {
				parts = append(parts, fmt.Sprintf("attestation %d: %s", r.Layer, r.Reason))
			}
		}
	}
	parts = append(parts, res.Problems...)
	const most = 4
	if len(parts) > most {
		parts = append(parts[:most], fmt.Sprintf("and %d more", len(parts)-most))
	}
	if len(parts) == 0 {
		return "not verified"
	}
	return strings.Join(parts, "; ")
}
