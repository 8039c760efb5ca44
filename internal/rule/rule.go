// Package rule holds the vocabulary every kharden rule speaks: metadata, severities,
// statuses, findings and results, and the registry that validates a rule set.
package rule

import (
	"fmt"
	"strings"
)

// Severity ranks how bad a failing rule is.
type Severity int

const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < Info || s > Critical {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity accepts the lower- or upper-case name of a severity.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(s, n) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want one of %s)", s, strings.Join(severityNames[:], ", "))
}

// SeverityNames lists the severities from lowest to highest.
func SeverityNames() []string { return append([]string(nil), severityNames[:]...) }

func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Status is the outcome of evaluating one rule on one input.
type Status string

const (
	Pass    Status = "pass"
	Fail    Status = "fail"
	Error   Status = "error"   // the rule could not be evaluated
	Manual  Status = "manual"  // a person has to judge
	Skipped Status = "skipped" // not applicable or turned off
)

// Standards maps a rule onto the control IDs of public benchmarks.
type Standards struct {
	CIS []string `json:"cis,omitempty"`
	PSS []string `json:"pss,omitempty"` // "baseline:privileged", "restricted:runAsNonRoot"
	NSA []string `json:"nsa,omitempty"` // sections of the NSA/CISA Kubernetes Hardening Guide
}

// Meta is the single source of what a rule is: docs, `kharden rules`, SARIF and
// admission messages are all rendered from it.
type Meta struct {
	ID          string    `json:"id"`
	Slug        string    `json:"slug"`
	Title       string    `json:"title"`
	Severity    Severity  `json:"severity"`
	Practices   []string  `json:"practices"`
	Rationale   string    `json:"rationale"`
	Remediation string    `json:"remediation"`
	References  []string  `json:"references,omitempty"`
	Standards   Standards `json:"standards"`
	Since       string    `json:"since"`
	// Default tells whether the rule runs without being enabled in the config.
	Default    bool   `json:"default"`
	Deprecated bool   `json:"deprecated,omitempty"`
	ReplacedBy string `json:"replacedBy,omitempty"`
	// Changes says how the rule's verdicts changed since it came, oldest first, each
	// "VERSION: what changed", so that a user whose results moved can see why.
	Changes []string `json:"changes,omitempty"`
	// HelpURI is the page documenting a rule made at run time rather than registered
	// (a vulnerability advisory's); empty for registered rules, whose page is
	// docs/rules/ID.md.
	HelpURI string `json:"helpURI,omitempty"`
}

// Finding is what a check reports: where, relative to the input it was given, and what.
type Finding struct {
	// Path is a field path relative to the checked input, such as
	// "containers[1].securityContext.privileged". Empty means the input itself.
	Path string
	// Line and Column position the finding directly, for inputs without field paths
	// (a Dockerfile instruction, a command inside a RUN). Zero means unknown.
	Line, Column int
	// Object names the object the finding is about, for checks whose input spans many
	// objects (a cluster snapshot); zero means the checked input itself.
	Object  Object
	Message string
	// Status is the verdict the finding stands for; empty means Fail. A check sets Manual
	// when its input cannot settle the question (a person must judge), and Skipped when
	// the thing it checks is not there to be seen (a managed control plane).
	Status Status
	// Practices are the practices of the check that failed, for a rule whose checks serve
	// different practices of its Meta.Practices (a Pod Security rule whose missing drop of
	// ALL is C15 but whose added capability is C16); nil means all of the rule's.
	Practices []string
}

// Object identifies a Kubernetes object in results.
type Object struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

func (o Object) String() string {
	if o.Namespace != "" {
		return o.Kind + " " + o.Namespace + "/" + o.Name
	}
	return o.Kind + " " + o.Name
}

// Location points at the offending place: file position and full field path.
type Location struct {
	File      string `json:"file"`
	Line      int    `json:"line"`
	Column    int    `json:"column"`
	FieldPath string `json:"fieldPath,omitempty"`
	Object    Object `json:"object"`
	// ValuesKey names the chart values the field came from, for a finding in a rendered
	// Helm chart ("image.tag"; several joined by ", "): what the user sets to change it.
	ValuesKey string `json:"valuesKey,omitempty"`
}

func (l Location) String() string {
	if l.Line > 0 {
		return fmt.Sprintf("%s:%d:%d", l.File, l.Line, l.Column)
	}
	return l.File
}

// Result is one rule's verdict on one place, ready for a report.
type Result struct {
	Meta     *Meta    `json:"-"`
	Status   Status   `json:"status"`
	Severity Severity `json:"severity"` // Meta.Severity unless the config overrides it
	Message  string   `json:"message"`
	Location Location `json:"location"`
	// Suppressed carries the reason when a suppression silenced this result.
	Suppressed string `json:"suppressed,omitempty"`
	// Control is the benchmark item the result is about ("1.2.1" of the CIS Kubernetes
	// Benchmark), for rules that check several; empty otherwise.
	Control string `json:"control,omitempty"`
	// Practices are the practices this result is about when they are fewer than its
	// rule's (Finding.Practices); nil means the rule's. Reports read PracticesOf.
	Practices []string `json:"practices,omitempty"`
	// Vulnerability is set on a result about a known vulnerability of an installed
	// package, whose Meta is the advisory's.
	Vulnerability *Vulnerability `json:"vulnerability,omitempty"`
}

// Vulnerability is what a result about a vulnerable package says besides its message.
type Vulnerability struct {
	// ID is the advisory (Meta.ID); Aliases its other names, CVEs among them.
	ID      string   `json:"id"`
	Aliases []string `json:"aliases"`
	// Package, Version and PURL are the installed package's; Ecosystem is the OSV
	// ecosystem it was matched in ("Debian:12", "Go").
	Package   string `json:"package"`
	Version   string `json:"version"`
	PURL      string `json:"purl"`
	Ecosystem string `json:"ecosystem"`
	// Fixed are the versions that fix it, in order; empty when none is known.
	Fixed []string `json:"fixed"`
	// File is where the package was found (a package database, a binary), Within its
	// path inside File for a package inside an archive; Layer the image layer that added
	// it, from 1 (0: not from an image layer).
	File   string `json:"file"`
	Within string `json:"within,omitempty"`
	Layer  int    `json:"layer"`
	// Score and Vector are the CVSS base score kharden computed and its vector (0 and ""
	// for a rating taken from the ecosystem); SeveritySource says where the severity
	// came from: CVSS_V4, CVSS_V3, Ubuntu, GHSA, Debian or unknown.
	Score          float64 `json:"score"`
	Vector         string  `json:"vector"`
	SeveritySource string  `json:"severitySource"`
}

// PracticesOf returns the practices a result is about: its own when the check that
// failed names them, else its rule's.
func (r *Result) PracticesOf() []string {
	if r.Practices != nil || r.Meta == nil {
		return r.Practices
	}
	return r.Meta.Practices
}
