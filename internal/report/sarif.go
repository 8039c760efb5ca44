package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/url"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kharden/kharden/internal/practice"
	"github.com/kharden/kharden/internal/rule"
)

// The SARIF format is SARIF 2.1.0 (OASIS), shaped for GitHub code scanning:
//
//   - runs[0].tool.driver.rules[] holds every rule that ran (and any rule a result
//     names that Report.Rules lacks), sorted by ID; results point at it by ruleIndex.
//   - Result level follows the result's (possibly overridden) severity: error for
//     critical and high, warning for medium, note for low and info. The rule's
//     defaultConfiguration.level and properties["security-severity"] follow the
//     rule's own severity.
//   - Suppressed results are included with an inSource suppression and its reason.
//   - Manual results are kind "review" with level "none". Results with status error
//     (the rule could not be evaluated) are not results: they become error
//     notifications with an associatedRule, next to load errors (level error) and
//     notes (level note) in invocations[0].toolExecutionNotifications.
//   - invocations[0].executionSuccessful is false when there was any error.
//   - Logical locations name the object as Kind/namespace/name/fieldPath, dropping the
//     namespace segment for cluster-scoped objects and the field path when empty.

const sarifSchemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string             `json:"id"`
	Name                 string             `json:"name"`
	ShortDescription     sarifMessage       `json:"shortDescription"`
	FullDescription      sarifMessage       `json:"fullDescription"`
	Help                 sarifHelp          `json:"help"`
	HelpURI              string             `json:"helpUri"`
	DefaultConfiguration sarifConfiguration `json:"defaultConfiguration"`
	Properties           sarifRuleProps     `json:"properties"`
}

type sarifHelp struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type sarifConfiguration struct {
	Level string `json:"level"`
}

type sarifRuleProps struct {
	Tags             []string `json:"tags"`
	SecuritySeverity string   `json:"security-severity"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Kind                string             `json:"kind,omitempty"`
	Level               string             `json:"level"`
	Message             sarifMessage       `json:"message"`
	Locations           []sarifLocation    `json:"locations,omitempty"`
	PartialFingerprints map[string]string  `json:"partialFingerprints,omitempty"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysicalLocation `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogicalLocation `json:"logicalLocations,omitempty"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           *sarifRegion          `json:"region,omitempty"`
}

type sarifArtifactLocation struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifLogicalLocation struct {
	Name               string `json:"name,omitempty"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level          string             `json:"level"`
	Message        sarifMessage       `json:"message"`
	Locations      []sarifLocation    `json:"locations,omitempty"`
	AssociatedRule *sarifReportingRef `json:"associatedRule,omitempty"`
}

type sarifReportingRef struct {
	ID    string `json:"id"`
	Index int    `json:"index"`
}

// securitySeverity is GitHub's numeric "security-severity" for each severity: GitHub
// maps > 9.0 to critical, 7.0-8.9 to high, 4.0-6.9 to medium and 0.1-3.9 to low.
var securitySeverity = map[rule.Severity]string{
	rule.Critical: "9.5",
	rule.High:     "8.0",
	rule.Medium:   "5.5",
	rule.Low:      "3.0",
	rule.Info:     "1.0",
}

// sarifLevel maps a severity onto SARIF's result levels.
func sarifLevel(s rule.Severity) string {
	switch {
	case s >= rule.High:
		return "error"
	case s == rule.Medium:
		return "warning"
	default:
		return "note"
	}
}

func writeSARIF(w io.Writer, r *Report, _ Options) error {
	metas := sarifRules(r)
	index := make(map[string]int, len(metas))
	driver := sarifDriver{Name: r.toolName(), Version: r.Version, InformationURI: Homepage,
		Rules: make([]sarifRule, 0, len(metas))}
	for i, m := range metas {
		index[m.ID] = i
		driver.Rules = append(driver.Rules, sarifRuleOf(m))
	}

	inv := sarifInvocation{ExecutionSuccessful: true}
	for _, p := range r.Errors {
		inv.ExecutionSuccessful = false
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifProblem("error", p))
	}
	results := []sarifResult{}
	add := func(res rule.Result, suppressed bool) {
		m := meta(res)
		if res.Status == rule.Error {
			inv.ExecutionSuccessful = false
			n := sarifNotification{Level: "error", Message: sarifMessage{Text: res.Message},
				Locations: sarifLocations(res.Location), AssociatedRule: &sarifReportingRef{ID: m.ID, Index: index[m.ID]}}
			inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, n)
			return
		}
		sr := sarifResult{
			RuleID:              m.ID,
			RuleIndex:           index[m.ID],
			Level:               sarifLevel(res.Severity),
			Message:             sarifMessage{Text: res.Message},
			Locations:           sarifLocations(res.Location),
			PartialFingerprints: map[string]string{"kharden/v1": fingerprint(m.ID, res.Location)},
		}
		if res.Status == rule.Manual {
			sr.Kind, sr.Level = "review", "none"
		}
		if suppressed {
			sr.Suppressions = []sarifSuppression{{Kind: "inSource", Status: "accepted", Justification: res.Suppressed}}
		}
		results = append(results, sr)
	}
	for _, res := range r.Results {
		add(res, false)
	}
	for _, res := range r.Suppressed {
		add(res, true)
	}
	for _, p := range r.Notes {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifProblem("note", p))
	}

	log := sarifLog{Schema: sarifSchemaURI, Version: "2.1.0", Runs: []sarifRun{{
		Tool:        sarifTool{Driver: driver},
		Invocations: []sarifInvocation{inv},
		Results:     results,
	}}}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(log)
}

// sarifRules is Report.Rules plus any rule a result names that it lacks, sorted by ID.
func sarifRules(r *Report) []*rule.Meta {
	seen := map[string]bool{}
	var out []*rule.Meta
	for _, m := range r.Rules {
		if m != nil && !seen[m.ID] {
			seen[m.ID] = true
			out = append(out, m)
		}
	}
	for _, rs := range [][]rule.Result{r.Results, r.Suppressed} {
		for _, res := range rs {
			if m := meta(res); !seen[m.ID] {
				seen[m.ID] = true
				out = append(out, m)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func sarifRuleOf(m *rule.Meta) sarifRule {
	text, markdown := ruleHelp(m)
	return sarifRule{
		ID:                   m.ID,
		Name:                 m.Slug,
		ShortDescription:     sarifMessage{Text: m.Title},
		FullDescription:      sarifMessage{Text: orDefault(m.Rationale, m.Title)},
		Help:                 sarifHelp{Text: text, Markdown: markdown},
		HelpURI:              RuleDocURL(m),
		DefaultConfiguration: sarifConfiguration{Level: sarifLevel(m.Severity)},
		Properties:           sarifRuleProps{Tags: ruleTags(m), SecuritySeverity: securitySeverity[m.Severity]},
	}
}

// ruleTags are "security", the rule's practice IDs and its standards' control IDs, once each.
func ruleTags(m *rule.Meta) []string {
	tags := []string{"security"}
	tags = append(tags, m.Practices...)
	for _, c := range m.Standards.CIS {
		tags = append(tags, "CIS "+c)
	}
	for _, c := range m.Standards.PSS {
		tags = append(tags, "PSS "+c)
	}
	for _, c := range m.Standards.NSA {
		tags = append(tags, "NSA "+c)
	}
	seen := map[string]bool{}
	out := tags[:0]
	for _, t := range tags {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// ruleHelp renders remediation, references, practices and standards as plain text and
// as Markdown.
func ruleHelp(m *rule.Meta) (text, markdown string) {
	var t, md strings.Builder
	if m.Deprecated {
		note := "Deprecated."
		if m.ReplacedBy != "" {
			note = "Deprecated: replaced by " + m.ReplacedBy + "."
		}
		t.WriteString(note + "\n\n")
		md.WriteString("**" + note + "**\n\n")
	}
	t.WriteString(orDefault(m.Remediation, m.Title))
	md.WriteString("**Remediation.** " + orDefault(m.Remediation, m.Title))
	if len(m.References) > 0 {
		t.WriteString("\n\nReferences:")
		md.WriteString("\n\n**References**\n")
		for _, ref := range m.References {
			t.WriteString("\n- " + ref)
			md.WriteString("\n- <" + ref + ">")
		}
	}
	if len(m.Practices) > 0 {
		names := make([]string, 0, len(m.Practices))
		for _, id := range m.Practices {
			if p, ok := practice.Lookup(id); ok {
				names = append(names, id+" ("+p.Title+")")
			} else {
				names = append(names, id)
			}
		}
		t.WriteString("\n\nPractices: " + strings.Join(names, "; "))
		md.WriteString("\n\n**Practices:** " + strings.Join(names, "; "))
	}
	var std []string
	for _, c := range m.Standards.CIS {
		std = append(std, "CIS "+c)
	}
	for _, c := range m.Standards.PSS {
		std = append(std, "PSS "+c)
	}
	for _, c := range m.Standards.NSA {
		std = append(std, "NSA "+c)
	}
	if len(std) > 0 {
		t.WriteString("\n\nStandards: " + strings.Join(std, "; "))
		md.WriteString("\n\n**Standards:** " + strings.Join(std, "; "))
	}
	return t.String(), md.String()
}

func sarifProblem(level string, p Problem) sarifNotification {
	return sarifNotification{Level: level, Message: sarifMessage{Text: p.Message},
		Locations: sarifLocations(rule.Location{File: p.File, Line: p.Line, Column: p.Column})}
}

// sarifLocations is the physical and logical location of a result; nil when it has neither.
func sarifLocations(l rule.Location) []sarifLocation {
	var loc sarifLocation
	if l.File != "" {
		loc.PhysicalLocation = &sarifPhysicalLocation{ArtifactLocation: sarifArtifactLocation{URI: artifactURI(l.File)}}
		if l.Line > 0 {
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: l.Line, StartColumn: max(l.Column, 0)}
		}
	}
	if ref := objectRef(l.Object); ref != "" {
		fqn := ref
		if l.FieldPath != "" {
			fqn += "/" + l.FieldPath
		}
		loc.LogicalLocations = []sarifLogicalLocation{{Name: l.Object.Name, FullyQualifiedName: fqn, Kind: "resource"}}
	}
	if loc.PhysicalLocation == nil && loc.LogicalLocations == nil {
		return nil
	}
	return []sarifLocation{loc}
}

// artifactURI turns a file path into a URI reference: relative paths stay relative with
// forward slashes (what GitHub resolves against the repository root), absolute paths
// become file:// URIs, and characters that are not allowed in a URI are escaped.
func artifactURI(file string) string {
	p := filepath.ToSlash(file)
	for strings.HasPrefix(p, "./") {
		p = p[2:]
	}
	if filepath.IsAbs(file) || path.IsAbs(p) {
		if !strings.HasPrefix(p, "/") {
			p = "/" + p // a Windows drive path
		}
		return (&url.URL{Scheme: "file", Path: p}).String()
	}
	return (&url.URL{Path: p}).String()
}

// fingerprint identifies a finding independently of its line, so code scanning can
// follow it when lines move: rule, file, object and field path.
func fingerprint(id string, l rule.Location) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{id, filepath.ToSlash(l.File), objectRef(l.Object), l.FieldPath}, "\x00")))
	return hex.EncodeToString(sum[:16])
}

func orDefault(s, def string) string {
	if s != "" {
		return s
	}
	return def
}
