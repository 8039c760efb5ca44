package vuln

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/osv"
)

// Rating is how severe a finding is, and where that came from.
type Rating struct {
	Severity rule.Severity `json:"severity"`
	// Score is the CVSS base score kharden computed from Vector; 0 for a rating taken
	// from the ecosystem.
	Score  float64 `json:"score,omitempty"`
	Vector string  `json:"vector,omitempty"`
	// Source says where the severity came from: "CVSS_V4" or "CVSS_V3" (computed from
	// Vector), "Ubuntu" (Ubuntu's priority), "GHSA" (GitHub's database_specific
	// severity), "Debian" (the security tracker's urgency), or "unknown": no advisory of
	// the finding rates it, and Severity is then UnknownSeverity.
	Source string `json:"source"`
	// Advisory is the advisory the rating came from.
	Advisory string `json:"advisory,omitempty"`
}

// UnknownSeverity is the severity of a finding that no advisory rates (the Go
// vulnerability database rates none). Medium, the middle of the scale: a known
// vulnerability is not hidden below a low threshold, and does not fail a "high"
// threshold by a guess. Rating.Source "unknown" tells it from a computed medium.
const UnknownSeverity = rule.Medium

// ecosystem ratings, lower-cased, to kharden's severities.
var (
	// Ubuntu's priorities (https://ubuntu.com/security/cves/about#priority).
	ubuntuPriorities = map[string]rule.Severity{
		"negligible": rule.Info, "low": rule.Low, "medium": rule.Medium, "high": rule.High, "critical": rule.Critical,
	}
	// GitHub's advisory severities.
	ghsaSeverities = map[string]rule.Severity{
		"low": rule.Low, "moderate": rule.Medium, "medium": rule.Medium, "high": rule.High, "critical": rule.Critical,
	}
	// Debian's urgencies ("unimportant": no security impact on Debian). "not yet
	// assigned" and "end-of-life" rate nothing.
	debianUrgencies = map[string]rule.Severity{
		"unimportant": rule.Info, "low": rule.Low, "medium": rule.Medium, "high": rule.High,
	}
)

// rate picks the rating of a group of advisories (the finding's primary first), each
// with the affected entries that matched: the first CVSS vector that scores (v4 before
// v3 within an advisory, a package's own before the advisory's), else the first
// ecosystem rating, else unknown. A vector that does not parse is noted and passed over.
func rate(hits []*hit, n *notes, sc *scores) Rating {
	for _, h := range hits {
		for _, sevs := range h.severities() {
			for _, typ := range []string{"CVSS_V4", "CVSS_V3"} {
				for _, s := range sevs {
					if s.Type != typ {
						continue
					}
					score, err := sc.score(typ, s.Score)
					if err != nil {
						n.add(fmt.Sprintf("advisory %s: %s severity not used", h.entry.ID, typ), err)
						continue
					}
					return Rating{Severity: bandOf(score), Score: score, Vector: s.Score, Source: typ, Advisory: h.entry.ID}
				}
			}
		}
	}
	for _, h := range hits {
		if r, ok := ecosystemRating(h); ok {
			return r
		}
	}
	return Rating{Severity: UnknownSeverity, Source: "unknown"}
}

// scores caches the base scores of the vectors a match meets: advisories share them.
type scores map[[2]string]scored

type scored struct {
	score float64
	err   error
}

func (sc *scores) score(typ, vector string) (float64, error) {
	k := [2]string{typ, vector}
	if s, ok := (*sc)[k]; ok {
		return s.score, s.err
	}
	var s scored
	if typ == "CVSS_V4" {
		s.score, s.err = CVSS4Score(vector)
	} else {
		s.score, s.err = CVSS3Score(vector)
	}
	if *sc == nil {
		*sc = scores{}
	}
	(*sc)[k] = s
	return s.score, s.err
}

// severities are the severity lists that apply to a hit: each matched affected entry's
// own, then the advisory's.
func (h *hit) severities() [][]osv.Severity {
	var out [][]osv.Severity
	for _, a := range h.affected {
		if len(a.Severity) > 0 {
			out = append(out, a.Severity)
		}
	}
	if len(h.entry.Severity) > 0 {
		out = append(out, h.entry.Severity)
	}
	return out
}

// ecosystemRating is the rating an advisory's ecosystem gives: an "Ubuntu" severity,
// a GitHub advisory's database_specific.severity, a Debian urgency (in an affected
// entry's ecosystem_specific or database_specific, or the advisory's
// database_specific).
func ecosystemRating(h *hit) (Rating, bool) {
	for _, sevs := range h.severities() {
		for _, s := range sevs {
			if s.Type == "Ubuntu" {
				if sev, ok := ubuntuPriorities[strings.ToLower(s.Score)]; ok {
					return Rating{Severity: sev, Source: "Ubuntu", Advisory: h.entry.ID}, true
				}
			}
		}
	}
	var ds struct {
		Severity string `json:"severity"`
		Urgency  string `json:"urgency"`
	}
	raws := []json.RawMessage{h.entry.DatabaseSpecific}
	for _, a := range h.affected {
		raws = append(raws, a.EcosystemSpecific, a.DatabaseSpecific)
	}
	for _, raw := range raws {
		if !mayRate(raw) {
			continue
		}
		ds.Severity, ds.Urgency = "", ""
		if json.Unmarshal(raw, &ds) != nil {
			continue
		}
		if sev, ok := ghsaSeverities[strings.ToLower(ds.Severity)]; ok && strings.HasPrefix(h.entry.ID, "GHSA-") {
			return Rating{Severity: sev, Source: "GHSA", Advisory: h.entry.ID}, true
		}
		if sev, ok := debianUrgencies[strings.ToLower(strings.TrimSuffix(ds.Urgency, "**"))]; ok {
			return Rating{Severity: sev, Source: "Debian", Advisory: h.entry.ID}, true
		}
	}
	return Rating{}, false
}

// mayRate tells whether a database_specific or ecosystem_specific object could hold a
// severity or an urgency, as encoding/json would read it: a key spelt so in any ASCII
// case, or one it could not tell from the bytes (an escape, a non-ASCII character, which
// json's case folding matches). The others, most of them (the Go database's
// ecosystem_specific lists every vulnerable symbol), are not decoded.
func mayRate(raw []byte) bool {
	if len(raw) == 0 {
		return false
	}
	for _, c := range raw {
		if c == '\\' || c >= utf8.RuneSelf {
			return true
		}
	}
	return containsFoldASCII(raw, "severity") || containsFoldASCII(raw, "urgency")
}

// containsFoldASCII tells whether b holds s (lower-case ASCII) in any ASCII case.
func containsFoldASCII(b []byte, s string) bool {
	for i := 0; i+len(s) <= len(b); i++ {
		j := 0
		for j < len(s) && b[i+j]|0x20 == s[j] {
			j++
		}
		if j == len(s) {
			return true
		}
	}
	return false
}
