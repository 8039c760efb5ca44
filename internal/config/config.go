// Package config reads and validates .kharden.yaml, the project-level settings of a scan.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kharden/kharden/internal/rule"
)

// FileNames are the names searched for, upward from the scanned path.
var FileNames = []string{".kharden.yaml", ".kharden.yml"}

// Config is the content of a config file. Every field is optional.
type Config struct {
	// Profile selects the rule set: "default", "pss-baseline[:v1.N]", "pss-restricted[:v1.N]".
	Profile string `yaml:"profile"`
	// FailOn is the lowest severity that makes the run fail (exit code 1).
	FailOn string `yaml:"failOn"`
	Rules  Rules  `yaml:"rules"`
	// AllowedRegistries are image prefixes the untrusted-registry rule accepts.
	AllowedRegistries []string `yaml:"allowedRegistries"`
	// ExemptNamespaces are never checked.
	ExemptNamespaces []string `yaml:"exemptNamespaces"`
	// Admission are the defaults of `kharden webhook serve` for namespaces whose labels
	// do not choose a policy.
	Admission Admission `yaml:"admission"`
	// Images are the limits of the image rules (kharden scan image, kharden scan --images).
	Images Images `yaml:"images"`
	// Vulnerabilities tune vulnerability matching (scan image, scan --images, scan
	// sbom, audit node): accepted advisories and the database's greatest age.
	Vulnerabilities Vulnerabilities `yaml:"vulnerabilities"`

	// Path is where the config was read from; empty for the built-in default.
	Path string `yaml:"-"`
	// lines remembers where each rule name was written, for positioned errors.
	lines map[string]int
}

// Rules turns rules on and off and overrides severities. Names are slugs or IDs.
type Rules struct {
	Enable   []string          `yaml:"enable"`
	Disable  []string          `yaml:"disable"`
	Severity map[string]string `yaml:"severity"`
}

// Images are the limits some image rules compare with. Zero (or absent) means the
// rule's default.
type Images struct {
	// MaxExposedPorts is how many exposed ports image-many-exposed-ports accepts.
	MaxExposedPorts int `yaml:"maxExposedPorts"`
	// MaxLayers is how many layers image-layer-count accepts.
	MaxLayers int `yaml:"maxLayers"`
	// Exceptions accept image rules' findings on chosen images (kharden scan image and
	// kharden scan --images), where an image has no place for a suppression comment.
	Exceptions []ImageException `yaml:"exceptions"`
}

// ImageException accepts some image rules' findings on some images.
type ImageException struct {
	// Images are patterns over an image's repository, registry included, without tag or
	// digest: "ghcr.io/vendor/agent", "ghcr.io/vendor/*" (path.Match: * stays within a
	// path segment), "ghcr.io/vendor/**" (every repository below). Docker Hub names are
	// normalised as image references are ("nginx" is docker.io/library/nginx). For an
	// image read from a file (oci:DIR, docker-archive:FILE, rootfs:DIR) the pattern is
	// compared with the reference as given.
	Images []string `yaml:"images"`
	// Rules are image rules' slugs or IDs.
	Rules []string `yaml:"rules"`
	// Reason is required: why the finding is accepted, and who accepted it.
	Reason string `yaml:"reason"`
	// Expires is an optional last day (YYYY-MM-DD); the exception holds through it.
	Expires string `yaml:"expires"`
}

// Vulnerabilities are the vulnerability settings.
type Vulnerabilities struct {
	// Ignore accepts advisories: their findings are reported as suppressed.
	Ignore []VulnIgnore `yaml:"ignore"`
	// MaxDBAge is the age past which the database gives a warning: a duration in days
	// ("7d"), hours ("36h") or both ("1d12h"); empty means 7 days. See ParseAge.
	MaxDBAge string `yaml:"maxDBAge"`
}

// VulnIgnore accepts one advisory's findings, on some packages or all.
type VulnIgnore struct {
	// ID is the advisory's ID or any of its aliases: "CVE-2024-1234", "GHSA-...",
	// "DSA-5678-1".
	ID string `yaml:"id"`
	// Packages limits it to these packages, by name ("openssl", "libssl3",
	// "golang.org/x/net") or purl without version ("pkg:deb/debian/libssl3"); empty means
	// every package.
	Packages []string `yaml:"packages"`
	// Reason is required: why the finding is accepted, and who accepted it.
	Reason string `yaml:"reason"`
	// Expires is an optional last day (YYYY-MM-DD); the entry holds through it.
	Expires string `yaml:"expires"`
}

// VulnIgnoreKey is the name Errorf takes for vulnerabilities.ignore[i].
func VulnIgnoreKey(i int) string { return fmt.Sprintf("\x00vulnerabilities.ignore[%d]", i) }

// MaxDBAgeKey is the name Errorf takes for vulnerabilities.maxDBAge.
const MaxDBAgeKey = "\x00vulnerabilities.maxDBAge"

// ParseAge reads an age: days ("7d"), a Go duration ("36h", "90m"), or days and a
// duration ("1d12h"). It must be positive.
func ParseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	rest := s
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || n > 100000 {
			return 0, fmt.Errorf("%q is not an age (7d, 36h, 1d12h)", s)
		}
		d, rest = time.Duration(n)*24*time.Hour, s[i+1:]
	}
	if rest != "" {
		r, err := time.ParseDuration(rest)
		if err != nil || r < 0 {
			return 0, fmt.Errorf("%q is not an age (7d, 36h, 1d12h)", s)
		}
		d += r
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q is not an age (7d, 36h, 1d12h): it must be more than nothing", s)
	}
	return d, nil
}

// ImageExceptionKey is the name Errorf takes for images.exceptions[i].
func ImageExceptionKey(i int) string { return fmt.Sprintf("\x00images.exceptions[%d]", i) }

// Admission is the webhook's policy for namespaces without kharden.io labels. Each mode
// takes a severity threshold ("high": the profile's findings at or above it), a Pod
// Security level ("pss-restricted", "pss-baseline:v1.30": any violation) or "off".
// Empty means off. Mutate is "true", "false" or "read-only-root" (also fill in
// readOnlyRootFilesystem).
type Admission struct {
	Enforce string `yaml:"enforce"`
	Warn    string `yaml:"warn"`
	Audit   string `yaml:"audit"`
	Mutate  string `yaml:"mutate"`
	// Exceptions accept named rules' findings on chosen objects at admission. They are the
	// only exemption there: an object's own ignore.kharden.io annotations are written by
	// the author the webhook judges, so they exempt nothing at admission.
	Exceptions []Exception `yaml:"exceptions"`
	// TrustSuppressionAnnotations lets objects' ignore.kharden.io annotations suppress
	// their findings at admission, as kharden did before exceptions. Dangerous: whoever
	// may create a pod may then exempt it from every rule.
	TrustSuppressionAnnotations bool `yaml:"trustSuppressionAnnotations"`
	// ImagePolicies require the images of the workloads judged to be signed (and, when
	// asked, attested) by given keys, as `kharden verify` checks them; see
	// docs/webhook.md. Checked by package admission.
	ImagePolicies []ImagePolicy `yaml:"imagePolicies"`
}

// ImagePolicy requires the images it matches to verify against its keys at admission.
type ImagePolicy struct {
	// Name names the policy in denials, logs and the verification cache; unique.
	Name string `yaml:"name"`
	// Images are repository patterns as images.exceptions writes them
	// ("registry.example.com/**", "ghcr.io/team/*").
	Images []string `yaml:"images"`
	// Namespaces are globs (path.Match) of the namespaces the policy applies in; empty
	// means every namespace the webhook judges.
	Namespaces []string `yaml:"namespaces"`
	// Keys are public keys, each a PEM text or a file's path (relative to the config
	// file); a signature by any of them verifies.
	Keys []string `yaml:"keys"`
	// Attestation, when given, also requires a passing kharden scan attestation.
	Attestation *ImageAttestation `yaml:"attestation"`
}

// ImageAttestation is what a policy's scan attestation must show, as `kharden verify
// --attestation --max-age --fail-on` asks.
type ImageAttestation struct {
	// MaxAge is the oldest scan accepted ("7d", "36h"; "0" any age); empty means 7d.
	MaxAge string `yaml:"maxAge"`
	// FailOn is the severity the scan must have found nothing at or above; empty means high.
	FailOn string `yaml:"failOn"`
}

// ImagePolicyKey is the name Errorf takes for admission.imagePolicies[i].
func ImagePolicyKey(i int) string { return fmt.Sprintf("\x00admission.imagePolicies[%d]", i) }

// Exception accepts the findings of some rules on some objects at admission. Namespace
// and Name are globs (path.Match: * matches any run of characters); Name empty means
// every object of the namespace.
type Exception struct {
	Namespace string `yaml:"namespace"`
	Name      string `yaml:"name"`
	// Kinds are object kinds as written in manifests (Pod, DaemonSet); empty means any.
	Kinds []string `yaml:"kinds"`
	// Rules are slugs or IDs; every one must name a manifest rule.
	Rules []string `yaml:"rules"`
	// Reason is required: why the finding is accepted, and who accepted it.
	Reason string `yaml:"reason"`
	// Expires is an optional last day (YYYY-MM-DD); the exception holds through it.
	Expires string `yaml:"expires"`
}

// ExceptionKey is the name Errorf takes for admission.exceptions[i].
func ExceptionKey(i int) string { return fmt.Sprintf("\x00admission.exceptions[%d]", i) }

var yamlLine = regexp.MustCompile(`line (\d+): `)

// Parse reads a config file's content. name is used in error messages.
func Parse(name string, data []byte) (*Config, error) {
	c := &Config{Path: name, lines: map[string]int{}}
	if len(bytes.TrimSpace(data)) == 0 {
		return c, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			var msgs []string
			for _, e := range te.Errors {
				msgs = append(msgs, positioned(name, e))
			}
			return nil, errors.New(strings.Join(msgs, "\n"))
		}
		return nil, errors.New(positioned(name, strings.TrimPrefix(err.Error(), "yaml: ")))
	}
	// A second pass over the node tree records where each rule name is, so semantic
	// errors (an unknown rule) can point at it.
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err == nil {
		walkRuleNames(&root, c.lines)
	}
	return c, nil
}

func positioned(file, msg string) string {
	msg = visible(msg)
	if m := yamlLine.FindStringSubmatchIndex(msg); m != nil {
		line := msg[m[2]:m[3]]
		return fmt.Sprintf("%s:%s: %s", file, line, msg[:m[0]]+msg[m[1]:])
	}
	return file + ": " + msg
}

// visible escapes what a terminal would act on rather than show (control and format
// characters, bidi overrides among them) in a YAML error, which may quote the file: a
// config found in a scanned tree is someone else's text.
func visible(msg string) string {
	if !strings.ContainsFunc(msg, func(r rune) bool { return !strconv.IsPrint(r) }) {
		return msg
	}
	var b strings.Builder
	for _, r := range msg {
		if strconv.IsPrint(r) {
			b.WriteRune(r)
		} else {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
	}
	return b.String()
}

func walkRuleNames(n *yaml.Node, lines map[string]int) {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	rules := child(n, "rules")
	for _, key := range []string{"enable", "disable"} {
		if s := child(rules, key); s != nil {
			for _, v := range s.Content {
				lines[v.Value] = v.Line
			}
		}
	}
	if m := child(rules, "severity"); m != nil {
		for i := 0; i+1 < len(m.Content); i += 2 {
			lines[m.Content[i].Value] = m.Content[i].Line
		}
	}
	if v := child(n, "failOn"); v != nil {
		lines["\x00failOn"] = v.Line
	}
	if v := child(n, "profile"); v != nil {
		lines["\x00profile"] = v.Line
	}
	for _, key := range []string{"maxExposedPorts", "maxLayers"} {
		if v := child(child(n, "images"), key); v != nil {
			lines["\x00images."+key] = v.Line
		}
	}
	if s := child(child(n, "admission"), "exceptions"); s != nil && s.Kind == yaml.SequenceNode {
		for i, e := range s.Content {
			lines[ExceptionKey(i)] = e.Line
		}
	}
	if s := child(child(n, "admission"), "imagePolicies"); s != nil && s.Kind == yaml.SequenceNode {
		for i, e := range s.Content {
			lines[ImagePolicyKey(i)] = e.Line
		}
	}
	if s := child(child(n, "images"), "exceptions"); s != nil && s.Kind == yaml.SequenceNode {
		for i, e := range s.Content {
			lines[ImageExceptionKey(i)] = e.Line
		}
	}
	if s := child(child(n, "vulnerabilities"), "ignore"); s != nil && s.Kind == yaml.SequenceNode {
		for i, e := range s.Content {
			lines[VulnIgnoreKey(i)] = e.Line
		}
	}
	if v := child(child(n, "vulnerabilities"), "maxDBAge"); v != nil {
		lines[MaxDBAgeKey] = v.Line
	}
}

func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// Errorf returns an error positioned at the line where name (a rule name,
// "\x00failOn"/"\x00profile"/"\x00images.KEY", an ExceptionKey, an ImagePolicyKey, an
// ImageExceptionKey, a VulnIgnoreKey or MaxDBAgeKey) was written.
func (c *Config) Errorf(name, format string, a ...any) error {
	loc := c.Path
	if c.Path == "" {
		loc = "config"
	}
	if l := c.lines[name]; l > 0 {
		loc += ":" + strconv.Itoa(l)
	}
	return fmt.Errorf("%s: %s", loc, fmt.Sprintf(format, a...))
}

// Line is the line where name (as for Errorf) was written, or 0.
func (c *Config) Line(name string) int { return c.lines[name] }

// Resolved is a config checked against the known rules.
type Resolved struct {
	Enabled  map[string]bool // by rule ID: true enabled, false disabled, absent = rule default
	Severity map[string]rule.Severity
	FailOn   *rule.Severity
}

// Resolve checks rule names and severities against the known rules (lookup by slug or
// ID returns the rule's ID), and the values of the other settings every command reads
// (failOn, images limits, allowedRegistries, vulnerabilities.maxDBAge), and reports
// every problem at once, each at its line: a config is refused whole by any command
// that loads it, not only by the one that uses the setting at fault.
func (c *Config) Resolve(lookup func(string) (string, bool)) (*Resolved, error) {
	r := &Resolved{Enabled: map[string]bool{}, Severity: map[string]rule.Severity{}}
	var errs []error
	set := func(names []string, on bool) {
		for _, n := range names {
			id, ok := lookup(n)
			if !ok {
				errs = append(errs, c.Errorf(n, "unknown rule %q (see `kharden rules`)", n))
				continue
			}
			if prev, dup := r.Enabled[id]; dup && prev != on {
				errs = append(errs, c.Errorf(n, "rule %q is both enabled and disabled", n))
			}
			r.Enabled[id] = on
		}
	}
	set(c.Rules.Enable, true)
	set(c.Rules.Disable, false)
	for n, s := range c.Rules.Severity {
		id, ok := lookup(n)
		if !ok {
			errs = append(errs, c.Errorf(n, "unknown rule %q (see `kharden rules`)", n))
			continue
		}
		sev, err := rule.ParseSeverity(s)
		if err != nil {
			errs = append(errs, c.Errorf(n, "rule %q: %v", n, err))
			continue
		}
		r.Severity[id] = sev
	}
	if c.FailOn != "" {
		sev, err := rule.ParseSeverity(c.FailOn)
		if err != nil {
			errs = append(errs, c.Errorf("\x00failOn", "failOn: %v", err))
		} else {
			r.FailOn = &sev
		}
	}
	for _, l := range []struct {
		key string
		v   int
	}{{"maxExposedPorts", c.Images.MaxExposedPorts}, {"maxLayers", c.Images.MaxLayers}} {
		if l.v < 0 {
			errs = append(errs, c.Errorf("\x00images."+l.key, "images.%s: %d is negative (give a count, or leave it out for the default)", l.key, l.v))
		}
	}
	if c.Vulnerabilities.MaxDBAge != "" {
		if _, err := ParseAge(c.Vulnerabilities.MaxDBAge); err != nil {
			errs = append(errs, c.Errorf(MaxDBAgeKey, "vulnerabilities.maxDBAge: %v", err))
		}
	}
	for _, reg := range c.AllowedRegistries {
		if strings.TrimSpace(reg) == "" || strings.Contains(reg, "://") {
			errs = append(errs, c.Errorf("", "allowedRegistries: %q must be an image prefix such as registry.example.com/team/", reg))
		}
	}
	return r, errors.Join(errs...)
}

// Find looks for a config file in dir and its parents, up to the root of the
// repository dir is in (the first directory holding .git, a directory or, in a
// submodule or worktree, a file) or else the filesystem root. It returns "" when none
// exists. Past the repository root, a config file belongs to no one the project knows
// of (a stray one in $HOME, a planted one in a shared /tmp), so the search stops there.
//
// What Find returns may be any entry but a directory: read it with LoadFound, which
// accepts only a regular file.
func Find(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	if fi, err := os.Stat(abs); err == nil && !fi.IsDir() {
		abs = filepath.Dir(abs)
	}
	for {
		for _, n := range FileNames {
			p := filepath.Join(abs, n)
			if fi, err := os.Lstat(p); err == nil && !fi.IsDir() {
				if fi.Mode()&os.ModeSymlink == 0 {
					return p
				}
				// A link to a directory is no config file; a link to anything else is
				// returned, for LoadFound to refuse by name.
				if ti, err := os.Stat(p); err != nil || !ti.IsDir() {
					return p
				}
			}
		}
		if _, err := os.Lstat(filepath.Join(abs, ".git")); err == nil {
			return ""
		}
		parent := filepath.Dir(abs)
		if parent == abs {
			return ""
		}
		abs = parent
	}
}

// MaxSize is the largest config file kharden reads. Config files are a few hundred
// bytes; the cap keeps a hostile one (or /dev/zero behind --config) from taking the
// run's memory.
const MaxSize = 1 << 20

// Load reads and parses a config file named by the user (--config), at most MaxSize
// bytes. It may be any readable file, a pipe included (--config <(...)).
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("config: %s is larger than 1 MiB", path)
	}
	return Parse(path, data)
}

// LoadFound reads a config file that Find found. The scanned tree may be someone else's,
// so only a regular file is read: a named pipe would hang the run, a device would never
// end, and a symbolic link could point out of the tree, at a file whose content a parse
// error would then quote. Anything else is an error naming the file and the flags that
// choose otherwise.
func LoadFound(path string) (*Config, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	switch {
	case fi.Mode()&os.ModeSymlink != 0:
		return nil, fmt.Errorf("config: %s is a symbolic link, which kharden does not follow when it finds a config file; name the file with --config, or pass --no-config", path)
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("config: %s is not a regular file (%s); name a config file with --config, or pass --no-config", path, fi.Mode().Type())
	}
	return Load(path)
}
