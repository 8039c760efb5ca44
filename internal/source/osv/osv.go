// Package osv holds the fields of an OSV advisory (https://ossf.github.io/osv-schema/)
// that kharden uses to match packages, and the interface through which the matcher
// asks a vulnerability database for advisories.
package osv

import (
	"encoding/json"
	"time"
)

// Entry is one OSV advisory: the fields kharden reads (the database keeps the whole
// advisory). The others (schema_version, published, related, upstream, details) are
// left out on purpose: an advisory is decoded at every lookup, and with more than ten
// fields json-iterator takes its slow path for the struct (with details, a Go advisory's
// longest text, decoding takes 1.6 times as long).
type Entry struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	// Withdrawn is set when the advisory was withdrawn: it matches nothing then.
	Withdrawn *time.Time `json:"withdrawn,omitempty"`
	// Aliases are the same vulnerability's other IDs (related and upstream IDs, which
	// do not merge findings, are not read).
	Aliases  []string   `json:"aliases,omitempty"`
	Summary  string     `json:"summary,omitempty"`
	Severity []Severity `json:"severity,omitempty"`
	Affected []Affected `json:"affected,omitempty"`
	// References are kept for reports: type and URL.
	References       []Reference     `json:"references,omitempty"`
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Severity is a scored severity: Type CVSS_V2, CVSS_V3, CVSS_V4, Ubuntu; Score the
// vector (or the rating, for Ubuntu).
type Severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// Affected is one package an advisory affects, and which of its versions.
type Affected struct {
	Package           Package         `json:"package"`
	Severity          []Severity      `json:"severity,omitempty"`
	Ranges            []Range         `json:"ranges,omitempty"`
	Versions          []string        `json:"versions,omitempty"`
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific,omitempty"`
	DatabaseSpecific  json.RawMessage `json:"database_specific,omitempty"`
}

// Package names a package in an ecosystem. Ecosystem is as OSV writes it, release
// included: "Debian:12", "Alpine:v3.20", "Go", "PyPI", "npm", "Maven", "crates.io".
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	PURL      string `json:"purl,omitempty"`
}

// Range is a version range: Type SEMVER, ECOSYSTEM or GIT (GIT ranges match no
// package version and are ignored).
type Range struct {
	Type   string  `json:"type"`
	Repo   string  `json:"repo,omitempty"`
	Events []Event `json:"events"`
}

// Event is one event of a range; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// Reference is a link of an advisory.
type Reference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// Source is a vulnerability database as the matcher sees it. The matcher calls
// Lookup from several goroutines at once.
type Source interface {
	// Lookup returns the advisories with an Affected entry whose package is name in
	// ecosystem (exactly as OSV writes both, e.g. "Debian:12" and a source package
	// name, or "Go" and "stdlib"). The entries may be shared: callers do not modify
	// them.
	Lookup(ecosystem, name string) ([]*Entry, error)
}
