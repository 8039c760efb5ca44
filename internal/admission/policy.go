package admission

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/pss"
	"github.com/kharden/kharden/internal/rule"
)

// Namespace labels that choose a namespace's policy. Each mode label takes a severity
// ("high": the configured profile's findings at or above it), a Pod Security level
// ("pss-restricted", "pss-baseline": any violation of it) or "off"; the -version labels
// pin the Pod Security version ("v1.30", default latest), as Pod Security Admission's
// own labels do, since a label value cannot hold the ":v1.30" of a --profile.
const (
	LabelPrefix         = "kharden.io/"
	LabelEnforce        = LabelPrefix + "enforce"
	LabelEnforceVersion = LabelPrefix + "enforce-version"
	LabelWarn           = LabelPrefix + "warn"
	LabelWarnVersion    = LabelPrefix + "warn-version"
	LabelAudit          = LabelPrefix + "audit"
	LabelAuditVersion   = LabelPrefix + "audit-version"
	// LabelMutate opts a namespace into mutation: "true" fills in the hardening defaults,
	// "read-only-root" also readOnlyRootFilesystem, "false" turns a configured default off.
	LabelMutate = LabelPrefix + "mutate"
)

// Mode is what a policy does with the findings it selects.
type Mode string

const (
	Enforce Mode = "enforce" // deny the request
	Warn    Mode = "warn"    // return admission warnings
	Audit   Mode = "audit"   // add audit annotations
)

// Modes lists the modes in the order they are reported.
var Modes = []Mode{Enforce, Warn, Audit}

// Level is what one mode judges by: the findings of a rule profile at or above a severity.
// The zero value is off.
type Level struct {
	// Profile is the `kharden scan --profile` whose rules run: the config's profile for a
	// severity level, "pss-restricted[:v1.N]" or "pss-baseline[:v1.N]" for a Pod
	// Security level.
	Profile string
	// Threshold is the lowest severity that counts; Info for a Pod Security level, which
	// every violation breaks.
	Threshold rule.Severity
	// Text is how the level was written, for messages ("high", "pss-restricted:v1.30").
	Text string
}

// Off tells whether the level judges nothing.
func (l Level) Off() bool { return l.Text == "" }

func (l Level) String() string {
	if l.Off() {
		return "off"
	}
	return l.Text
}

// ParseLevel reads a level as written in a config file or label: a severity, "off"
// (or empty), or "pss-baseline"/"pss-restricted" with an optional ":v1.N" or ":latest".
// version, when not empty, is the Pod Security version from a -version label. profile is
// the config's profile, which a severity level runs.
func ParseLevel(s, version, profile string) (Level, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "off", "none":
		if version != "" && s != "" {
			return Level{}, fmt.Errorf("version %q given for level %q", version, s)
		}
		return Level{}, nil
	}
	if sev, err := rule.ParseSeverity(s); err == nil {
		if version != "" {
			return Level{}, fmt.Errorf("version %q given for severity level %q: a version applies to pss-baseline and pss-restricted", version, s)
		}
		if profile == "" {
			profile = "default"
		}
		return Level{Profile: profile, Threshold: sev, Text: sev.String()}, nil
	}
	name, v, hasV := strings.Cut(s, ":")
	name = strings.ToLower(name)
	if name != "pss-baseline" && name != "pss-restricted" {
		return Level{}, fmt.Errorf("level %q: want a severity (%s), pss-baseline, pss-restricted or off",
			s, strings.Join(rule.SeverityNames(), ", "))
	}
	if version != "" {
		if hasV {
			return Level{}, fmt.Errorf("level %q already names a version; the -version label %q is one too many", s, version)
		}
		v, hasV = version, true
	}
	lvText := strings.TrimPrefix(name, "pss-")
	if hasV {
		lvText += ":" + v
	}
	lv, err := pss.Parse(lvText)
	if err != nil {
		return Level{}, fmt.Errorf("level %q: %w", s, err)
	}
	text := name
	if hasV {
		text += ":" + v
	}
	profile = text
	if latest := pss.Latest(); !lv.Version.Latest() && latest.Older(lv.Version) {
		// A version newer than kharden knows is judged at the newest, as the API
		// server judges its own pod-security labels, rather than refused on a request.
		profile = name + ":latest"
	}
	return Level{Profile: profile, Threshold: rule.Info, Text: text}, nil
}

// MutateMode says which hardening defaults mutation fills in.
type MutateMode int

const (
	MutateOff MutateMode = iota
	// MutateDefaults fills in runAsNonRoot, seccompProfile, allowPrivilegeEscalation and
	// capabilities.drop.
	MutateDefaults
	// MutateReadOnlyRoot also fills in readOnlyRootFilesystem.
	MutateReadOnlyRoot
)

func (m MutateMode) String() string {
	switch m {
	case MutateDefaults:
		return "true"
	case MutateReadOnlyRoot:
		return "read-only-root"
	}
	return "false"
}

// EnforceLabelValues are the values of kharden.io/enforce that enforce, exactly as the
// fail-closed webhook's namespace selector lists them (charts/kharden, deploy/webhook).
// A mode label takes one of them or "off", written just so: a value in any other
// spelling ("High") would send the namespace to the fail-open webhook, so it is reported
// rather than read.
var EnforceLabelValues = append(rule.SeverityNames(), "pss-baseline", "pss-restricted")

// MutateLabelValues are the values of kharden.io/mutate, exactly as the mutating
// webhook's namespace selector lists them.
var MutateLabelValues = []string{"true", "false", "read-only-root"}

// labelLevel reads a mode label's value: one of EnforceLabelValues or "off", written just
// so. version is the -version label's value, "" when absent.
func labelLevel(v, version, profile string) (Level, error) {
	if v != "off" && !slices.Contains(EnforceLabelValues, v) {
		l, err := ParseLevel(v, "", profile)
		if err != nil {
			return Level{}, err
		}
		return Level{}, notCanonical(v, l.String())
	}
	return ParseLevel(v, version, profile)
}

// notCanonical is the error of a label value kharden would understand but the webhook
// configurations' namespace selectors do not match.
func notCanonical(v, canonical string) error {
	return fmt.Errorf("%q is not a value the webhook configurations' namespace selectors match: write %q", v, canonical)
}

// ParseMutate reads a mutate setting, in a config file or a label: "true", "false" (or
// empty) or "read-only-root", exactly, since the chart chooses the mutating webhook's
// namespace selector by the config's value and the selector matches labels exactly.
func ParseMutate(s string) (MutateMode, error) {
	switch s {
	case "", "false":
		return MutateOff, nil
	case "true":
		return MutateDefaults, nil
	case "read-only-root":
		return MutateReadOnlyRoot, nil
	}
	var canonical MutateMode = -1
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "false", "off":
		canonical = MutateOff
	case "true", "on":
		canonical = MutateDefaults
	case "read-only-root", "readonlyroot", "readonlyrootfilesystem":
		canonical = MutateReadOnlyRoot
	}
	if canonical >= 0 {
		return MutateOff, fmt.Errorf("mutate %w", notCanonical(s, canonical.String()))
	}
	return MutateOff, fmt.Errorf("mutate %q: want true, false or read-only-root", s)
}

// Policy is what applies to one namespace: a level per mode and the mutation.
type Policy struct {
	Enforce, Warn, Audit Level
	Mutate               MutateMode
	// Problems are labels that could not be read. An unreadable enforce label denies
	// every request (fail closed); the others become warnings.
	Problems []Problem
}

// Problem is a namespace label that could not be read.
type Problem struct {
	Mode  Mode // the mode whose label it is; "" for the mutate label
	Label string
	Err   error
}

func (p Problem) String() string { return fmt.Sprintf("namespace label %s: %v", p.Label, p.Err) }

// Level returns the level of a mode.
func (p *Policy) Level(m Mode) Level {
	switch m {
	case Enforce:
		return p.Enforce
	case Warn:
		return p.Warn
	case Audit:
		return p.Audit
	}
	return Level{}
}

func (p *Policy) set(m Mode, l Level) {
	switch m {
	case Enforce:
		p.Enforce = l
	case Warn:
		p.Warn = l
	case Audit:
		p.Audit = l
	}
}

// Defaults are the policy of namespaces without labels, read from a config file's
// admission section (see config.Admission), and the profile severity levels run.
type Defaults struct {
	Policy
	profile string
	// exceptions and trustAnnotations are where findings are suppressed at admission.
	exceptions       exceptions
	trustAnnotations bool
}

// NewDefaults checks the config's admission section.
func NewDefaults(cfg *config.Config) (*Defaults, error) {
	if cfg == nil {
		cfg = &config.Config{}
	}
	d := &Defaults{profile: cfg.Profile}
	for _, m := range Modes {
		var s string
		switch m {
		case Enforce:
			s = cfg.Admission.Enforce
		case Warn:
			s = cfg.Admission.Warn
		case Audit:
			s = cfg.Admission.Audit
		}
		l, err := ParseLevel(s, "", d.profile)
		if err != nil {
			return nil, fmt.Errorf("admission.%s: %w", m, err)
		}
		d.set(m, l)
	}
	mu, err := ParseMutate(cfg.Admission.Mutate)
	if err != nil {
		return nil, fmt.Errorf("admission.mutate: %w", err)
	}
	d.Mutate = mu
	if d.exceptions, err = newExceptions(cfg); err != nil {
		return nil, err
	}
	d.trustAnnotations = cfg.Admission.TrustSuppressionAnnotations
	return d, nil
}

// Exceptions returns how many admission exceptions the config gives, and whether objects'
// suppression annotations are trusted at admission; the webhook logs both at start.
func (d *Defaults) Exceptions() (n int, trustAnnotations bool) {
	return len(d.exceptions), d.trustAnnotations
}

// For returns the policy of a namespace with the given labels: each mode's label, or the
// default when the namespace has none.
func (d *Defaults) For(labels map[string]string) Policy {
	p := d.Policy
	p.Problems = nil
	for _, m := range Modes {
		key := LabelPrefix + string(m)
		v, ok := labels[key]
		version := labels[key+"-version"]
		if !ok {
			if version != "" {
				p.Problems = append(p.Problems, Problem{Mode: m, Label: key + "-version",
					Err: fmt.Errorf("%q given without %s", version, key)})
			}
			continue
		}
		l, err := labelLevel(v, version, d.profile)
		if err != nil {
			p.Problems = append(p.Problems, Problem{Mode: m, Label: key, Err: err})
			continue
		}
		p.set(m, l)
	}
	if v, ok := labels[LabelMutate]; ok {
		mu, err := ParseMutate(v)
		if err == nil && v == "" { // off in a config file, but matched by a NotIn selector
			err = fmt.Errorf("mutate %w", notCanonical(v, MutateOff.String()))
		}
		if err != nil {
			p.Problems = append(p.Problems, Problem{Label: LabelMutate, Err: err})
		} else {
			p.Mutate = mu
		}
	}
	return p
}
