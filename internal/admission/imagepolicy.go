package admission

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
	"github.com/kharden/kharden/internal/scan"
	"github.com/kharden/kharden/internal/sign"
)

// ImagePoliciesKey is where image policies are written in the webhook's config.
const ImagePoliciesKey = "admission.imagePolicies"

// Defaults of a policy's attestation requirement, those of `kharden verify`.
const (
	defaultAttestationMaxAge = 7 * 24 * time.Hour
	defaultAttestationFailOn = "high"
)

// imagePolicy is one checked entry of the config's admission.imagePolicies.
type imagePolicy struct {
	key        string // admission.imagePolicies[i]
	name       string
	images     []scan.RepoPattern
	namespaces []string // path.Match patterns; none means every namespace
	// verify is what `kharden verify --key ... [--attestation --max-age --fail-on]`
	// would be given: the same options, so the same verdict.
	verify sign.VerifyOptions
}

// newImagePolicies checks the config's image policies, reporting every problem at its
// line: a unique name, repository patterns, namespace globs, keys that parse (PEM text,
// or a file relative to the config file), an attestation age and severity.
func newImagePolicies(cfg *config.Config) ([]*imagePolicy, error) {
	var out []*imagePolicy
	var errs []error
	names := map[string]bool{}
	for i, c := range cfg.Admission.ImagePolicies {
		p := &imagePolicy{key: fmt.Sprintf("%s[%d]", ImagePoliciesKey, i), name: strings.TrimSpace(c.Name)}
		bad := func(format string, a ...any) {
			errs = append(errs, cfg.Errorf(config.ImagePolicyKey(i), "%s: %s", p.key, fmt.Sprintf(format, a...)))
		}
		switch {
		case p.name == "":
			bad("name is required")
		case names[p.name]:
			bad("name %q is given to another policy too", p.name)
		}
		names[p.name] = true
		if len(c.Images) == 0 {
			bad(`images: name at least one repository pattern ("registry.example.com/**")`)
		}
		for _, s := range c.Images {
			pat, ok := scan.ParseRepoPattern(s)
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
			key, err := policyKey(cfg.Path, fmt.Sprintf("%s.keys[%d]", p.key, j), k)
			if err != nil {
				bad("%v", err)
				continue
			}
			p.verify.Keys = append(p.verify.Keys, key)
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
			p.verify.Attestation = ap
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

// appliesIn tells whether the policy applies in a namespace.
func (p *imagePolicy) appliesIn(namespace string) bool {
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

// covers tells whether the policy's patterns cover an image reference.
func (p *imagePolicy) covers(image string) bool {
	for _, pat := range p.images {
		if pat.Matches(image) {
			return true
		}
	}
	return false
}

// AnnotationAuditImages is the audit annotation that lists the images an audit level
// found not verified.
const AnnotationAuditImages = "audit-images"

// imagePolicyHint ends an image denial: what to do, and that the object cannot exempt
// itself.
const imagePolicyHint = "\nSign the image (kharden sign) with a key the policy names, and check it with `kharden verify`; " +
	"annotations on the object exempt nothing: image policies are the cluster admins' (" + ImagePoliciesKey + ")."

// imageDenial names the object and, per image that did not verify, the image, the
// container, the policy and the reason:
//
//	kharden: Deployment shop/web: 1 image not verified by the image policies:
//	- image "registry.example.com/app:1" (container "web", spec.template.spec.containers[0].image) is not verified by image policy "prod": ...
func (r *Reviewer) imageDenial(obj fmt.Stringer, failed []imageCheck) string {
	var b strings.Builder
	n := len(failed)
	fmt.Fprintf(&b, "kharden: %s: %d %s not verified by the image policies:", obj, n, plural(n, "image", "images"))
	for i, c := range failed {
		if i == r.maxListed {
			fmt.Fprintf(&b, "\n- and %d more", n-i)
			break
		}
		fmt.Fprintf(&b, "\n- %s", c)
	}
	b.WriteString(imagePolicyHint)
	return truncate(b.String(), maxDenial)
}

// joinDenials puts an image denial after the rules' denial, within the bound.
func joinDenials(a, b string) string {
	if a == "" {
		return b
	}
	return truncate(a+"\n"+b, maxDenial)
}

// imageAnnotation lists the images not verified, with their policies.
func imageAnnotation(failed []imageCheck) string {
	parts := make([]string, 0, len(failed))
	for _, c := range failed {
		parts = append(parts, fmt.Sprintf("%s %s (%s)", c.path, c.image, c.policy.name))
	}
	return truncate(strings.Join(parts, "; "), maxAnnotation)
}
