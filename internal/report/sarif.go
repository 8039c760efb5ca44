package report

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/kharden/kharden/internal/practice"
	"github.com/kharden/kharden/internal/rule"
)

// The SARIF format is SARIF 2.1.0 (OASIS), shaped for GitHub code scanning:
//
//   - runs[0].tool.driver.rules[] holds every rule that ran (the stream's head.Rules,
//     and for Write any rule a result names that Report.Rules lacks), sorted by ID;
//     results point at it by ruleIndex (left out for a rule rules[] does not list).
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
//   - Standard input (File Stdin) is no artifact a URI could name: its locations have no
//     physicalLocation (code scanning refuses one without a uri), and their message
//     says "standard input, line L, column C" instead.
//   - A result's properties.practices are the practices it is about: those of the check
//     that failed, which may be fewer than the rule's (whose tags list them all).
//   - runs[0].properties.config names the config file the run applied, as the JSON
//     format's "config" does: {"file": ..., "source": "flag"|"found"|"none"|"disabled"}.
//   - The run is written as it streams: tool first, then results as parts come (within
//     a part, unsuppressed and suppressed results together in file, line, ... order),
//     then invocations, whose notifications (load errors, then rule errors, then notes,
//     each in part order) are held until Close. Results and notifications are one
//     compact object per line.
//   - With head.OpenRules (rules made as the run goes: one per vulnerability advisory),
//     the tool comes after the results instead, and its rules[] lists the head's rules
//     sorted by ID and then every other rule a result named, in the order first met;
//     every result has its ruleIndex.

const sarifSchemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

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

// sarifResult is the shape of a result. The renderer writes results with appendResult,
// which the tests hold byte for byte to encoding/json's encoding of this type.
type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           *int               `json:"ruleIndex,omitempty"`
	Kind                string             `json:"kind,omitempty"`
	Level               string             `json:"level"`
	Message             sarifMessage       `json:"message"`
	Locations           []sarifLocation    `json:"locations,omitempty"`
	PartialFingerprints *sarifFingerprints `json:"partialFingerprints,omitempty"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          *sarifResultProps  `json:"properties,omitempty"`
}

type sarifResultProps struct {
	Practices []string `json:"practices,omitempty"`
	ValuesKey string   `json:"valuesKey,omitempty"`
}

type sarifFingerprints struct {
	V1 string `json:"kharden/v1"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysicalLocation `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogicalLocation `json:"logicalLocations,omitempty"`
	Message          *sarifMessage          `json:"message,omitempty"`
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

type sarifNotification struct {
	Level          string             `json:"level"`
	Message        sarifMessage       `json:"message"`
	Locations      []sarifLocation    `json:"locations,omitempty"`
	AssociatedRule *sarifReportingRef `json:"associatedRule,omitempty"`
}

type sarifReportingRef struct {
	ID    string `json:"id"`
	Index *int   `json:"index,omitempty"`
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

// sarifElemIndent starts each result; sarifNoteIndent each notification. Entries after
// the first begin with the comma, which is dropped from the first.
const (
	sarifElemIndent = ",\n        "
	sarifNoteIndent = ",\n            "
)

type sarifRenderer struct {
	w     *bufio.Writer
	index map[string]*int // rule ID -> its index in rules[]
	// open is head.OpenRules: the tool is written at the end, with driver, whose
	// rules[] holds the head's rules and then, in the order first met, the rules of
	// results the head lacked.
	open   bool
	driver sarifDriver
	refs   ruleCache[sarifRuleRef]
	// The artifact URI of the last file a result was in: results come file by file.
	lastFile, lastURI string
	fqn               []byte // scratch for a fully qualified name
	enc               *json.Encoder
	buf               jsonBuffer
	scratch           []byte // the results of a part, reused from part to part
	results           int
	// Notifications, encoded as they come, each starting with sarifNoteIndent.
	errors, ruleErrors, notes []byte
	failed                    bool // some error: executionSuccessful is false
	err                       error
}

func newSARIFRenderer(w *bufio.Writer, head *Report) *sarifRenderer {
	r := &sarifRenderer{w: w, index: map[string]*int{}}
	r.refs = newRuleCache(r.refOf)
	r.enc = json.NewEncoder(&r.buf)
	r.enc.SetEscapeHTML(false)

	metas := sarifRules(head)
	driver := sarifDriver{Name: head.toolName(), Version: head.Version, InformationURI: Homepage,
		Rules: make([]sarifRule, 0, len(metas))}
	for i, m := range metas {
		idx := i
		r.index[m.ID] = &idx
		driver.Rules = append(driver.Rules, sarifRuleOf(m))
	}
	// The document's head, indented like the rest of the document around it.
	b := []byte("{\n  \"$schema\": \"" + sarifSchemaURI + "\",\n  \"version\": \"2.1.0\",\n  \"runs\": [\n    {\n      ")
	if head.OpenRules {
		r.open, r.driver = true, driver
		b = append(b, "\"properties\": {\"config\": "...)
	} else {
		b = append(append(b, "\"tool\": "...), encodeTool(driver)...)
		b = append(b, ",\n      \"properties\": {\"config\": "...)
	}
	b = appendMarshal(b, jsonConfig{File: head.Config.File, Source: head.Config.source()})
	b = append(b, "},\n      \"results\": ["...)
	_, r.err = w.Write(b)
	return r
}

// encodeTool is the tool object, indented as the run's member.
func encodeTool(driver sarifDriver) []byte {
	var tool jsonBuffer
	enc := json.NewEncoder(&tool)
	enc.SetEscapeHTML(false)
	enc.SetIndent("      ", "  ")
	if err := enc.Encode(sarifTool{Driver: driver}); err != nil {
		panic("report: encoding SARIF rules: " + err.Error())
	}
	return tool.b[:len(tool.b)-1]
}

// sarifRuleRef is how results and notifications point at a rule: the reference, and the
// encoded start of a result, {"ruleId":…,"ruleIndex":…,
type sarifRuleRef struct {
	ref  *sarifReportingRef
	head []byte
}

func (r *sarifRenderer) refOf(m *rule.Meta) *sarifRuleRef {
	if _, ok := r.index[m.ID]; !ok && r.open && m.ID != "unknown" {
		idx := len(r.driver.Rules)
		r.index[m.ID] = &idx
		r.driver.Rules = append(r.driver.Rules, sarifRuleOf(m))
	}
	rr := &sarifRuleRef{ref: &sarifReportingRef{ID: m.ID, Index: r.index[m.ID]}}
	rr.head = append(rr.head, `{"ruleId":`...)
	rr.head = appendJSONString(rr.head, m.ID)
	rr.head = append(rr.head, ',')
	if i := rr.ref.Index; i != nil {
		rr.head = append(rr.head, `"ruleIndex":`...)
		rr.head = strconv.AppendInt(rr.head, int64(*i), 10)
		rr.head = append(rr.head, ',')
	}
	return rr
}

// encode appends v, compact, to b.
func (r *sarifRenderer) encode(b []byte, v any) []byte {
	r.buf.b = b
	if err := r.enc.Encode(v); err != nil {
		panic("report: encoding SARIF: " + err.Error())
	}
	b = r.buf.b[:len(r.buf.b)-1]
	r.buf.b = nil
	return b
}

func (r *sarifRenderer) add(p *Report, _ *Totals) error {
	if r.err != nil {
		return r.err
	}
	for _, e := range p.Errors {
		r.failed = true
		r.errors = append(r.errors, sarifNoteIndent...)
		r.errors = r.encode(r.errors, sarifProblem("error", e))
	}
	b := r.scratch[:0]
	var err error
	add := func(res *rule.Result, suppressed bool) {
		rr := r.refs.get(res)
		if res.Status == rule.Error {
			r.failed = true
			n := sarifNotification{Level: "error", Message: sarifMessage{Text: res.Message},
				Locations: sarifLocations(res.Location), AssociatedRule: rr.ref}
			r.ruleErrors = append(r.ruleErrors, sarifNoteIndent...)
			r.ruleErrors = r.encode(r.ruleErrors, n)
			return
		}
		b = append(b, sarifElemIndent...)
		if r.results == 0 {
			b = b[1:]
		}
		r.results++
		b = r.appendResult(b, rr, res, suppressed)
		if len(b) >= bufSize && err == nil {
			_, err = r.w.Write(b)
			b = b[:0]
		}
	}
	// Results and suppressed results interleave in the order of the part (file, line,
	// ...), so that cutting file-ordered content into parts differently changes nothing.
	rs, ss := p.Results, p.Suppressed
	for len(rs) > 0 || len(ss) > 0 {
		if len(ss) == 0 || len(rs) > 0 && !resultLess(&ss[0], &rs[0]) {
			add(&rs[0], false)
			rs = rs[1:]
		} else {
			add(&ss[0], true)
			ss = ss[1:]
		}
	}
	for _, n := range p.Notes {
		r.notes = append(r.notes, sarifNoteIndent...)
		r.notes = r.encode(r.notes, sarifProblem("note", n))
	}
	if err == nil {
		_, err = r.w.Write(b)
	}
	r.scratch = b[:0]
	return err
}

// appendResult appends res encoded exactly as encoding/json (without HTML escaping)
// encodes its sarifResult; the tests hold it to that.
func (r *sarifRenderer) appendResult(b []byte, rr *sarifRuleRef, res *rule.Result, suppressed bool) []byte {
	b = append(b, rr.head...)
	level := sarifLevel(res.Severity)
	if res.Status == rule.Manual {
		b = append(b, `"kind":"review",`...)
		level = "none"
	}
	b = append(b, `"level":"`...)
	b = append(b, level...)
	b = append(b, `","message":{"text":`...)
	b = appendJSONString(b, res.Message)
	b = append(b, '}')
	b = r.appendLocations(b, &res.Location)
	b = append(b, `,"partialFingerprints":{"kharden/v1":"`...)
	b = appendFingerprint(b, rr.ref.ID, &res.Location)
	b = append(b, `"}`...)
	if suppressed {
		b = append(b, `,"suppressions":[{"kind":"inSource","status":"accepted","justification":`...)
		b = appendJSONString(b, res.Suppressed)
		b = append(b, "}]"...)
	}
	ps, key := res.PracticesOf(), res.Location.ValuesKey
	if len(ps) > 0 || key != "" {
		b = append(b, `,"properties":{`...)
		if len(ps) > 0 {
			b = append(b, `"practices":`...)
			b = appendJSONStrings(b, ps)
		}
		if key != "" {
			if len(ps) > 0 {
				b = append(b, ',')
			}
			b = append(b, `"valuesKey":`...)
			b = appendJSONString(b, key)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendLocations appends ,"locations":[…] as sarifLocations makes it, or nothing when it
// is nil.
func (r *sarifRenderer) appendLocations(b []byte, l *rule.Location) []byte {
	stdin := l.File == Stdin
	physical, logical := l.File != "" && !stdin, l.Object.Kind != "" || l.Object.Name != ""
	if !physical && !logical && !stdin {
		return b
	}
	b = append(b, `,"locations":[{`...)
	if physical {
		if l.File != r.lastFile {
			r.lastFile, r.lastURI = l.File, artifactURI(l.File)
		}
		b = append(b, `"physicalLocation":{"artifactLocation":{"uri":`...)
		b = appendJSONString(b, r.lastURI)
		b = append(b, '}')
		if l.Line > 0 {
			b = append(b, `,"region":{"startLine":`...)
			b = strconv.AppendInt(b, int64(l.Line), 10)
			if l.Column > 0 {
				b = append(b, `,"startColumn":`...)
				b = strconv.AppendInt(b, int64(l.Column), 10)
			}
			b = append(b, '}')
		}
		b = append(b, '}')
		if logical {
			b = append(b, ',')
		}
	}
	if logical {
		b = append(b, `"logicalLocations":[{`...)
		if l.Object.Name != "" {
			b = append(b, `"name":`...)
			b = appendJSONString(b, l.Object.Name)
			b = append(b, ',')
		}
		b = append(b, `"fullyQualifiedName":`...)
		r.fqn = appendObjectRef(r.fqn[:0], &l.Object)
		if l.FieldPath != "" {
			r.fqn = append(append(r.fqn, '/'), l.FieldPath...)
		}
		b = appendJSONString(b, r.fqn)
		b = append(b, `,"kind":"resource"}]`...)
	}
	if stdin {
		if logical {
			b = append(b, ',')
		}
		b = append(b, `"message":{"text":`...)
		b = appendJSONString(b, stdinPlace(l))
		b = append(b, '}')
	}
	return append(b, "}]"...)
}

// stdinPlace says where in standard input a location is, for the location's message.
func stdinPlace(l *rule.Location) string {
	s := "standard input"
	if l.Line > 0 {
		s += ", line " + strconv.Itoa(l.Line)
		if l.Column > 0 {
			s += ", column " + strconv.Itoa(l.Column)
		}
	}
	return s
}

func (r *sarifRenderer) close(_ *Totals) error {
	if r.err != nil {
		return r.err
	}
	b := closeJSONList(nil, r.results > 0, "      ")
	if r.open {
		b = append(append(b, ",\n      \"tool\": "...), encodeTool(r.driver)...)
	}
	b = append(b, ",\n      \"invocations\": [\n        {\n          \"executionSuccessful\": "...)
	b = strconv.AppendBool(b, !r.failed)
	if len(r.errors)+len(r.ruleErrors)+len(r.notes) > 0 {
		b = append(b, ",\n          \"toolExecutionNotifications\": ["...)
		first := true
		for _, l := range [][]byte{r.errors, r.ruleErrors, r.notes} {
			if len(l) > 0 && first {
				l, first = l[1:], false
			}
			b = append(b, l...)
		}
		b = closeJSONList(b, true, "          ")
	}
	b = append(b, "\n        }\n      ]\n    }\n  ]\n}\n"...)
	_, err := r.w.Write(b)
	r.errors, r.ruleErrors, r.notes = nil, nil, nil
	return err
}

// sarifRules is Report.Rules plus any rule a result names that it lacks, sorted by ID.
// (A stream's head has no results; Write's head is the whole report.)
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
	if l.File == Stdin {
		loc.Message = &sarifMessage{Text: stdinPlace(&l)}
	} else if l.File != "" {
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
	if loc.PhysicalLocation == nil && loc.LogicalLocations == nil && loc.Message == nil {
		return nil
	}
	return []sarifLocation{loc}
}

// artifactURI turns a file path into a URI reference: relative paths stay relative with
// forward slashes (what GitHub resolves against the repository root), absolute paths
// become file:// URIs, and characters that are not allowed in a URI are escaped.
//
// A file that is already an absolute URI with an authority, such as the logical
// k8s://namespace/Kind/name of a live object, is kept as it is.
func artifactURI(file string) string {
	if scheme, _, ok := strings.Cut(file, "://"); ok && isScheme(scheme) {
		if u, err := url.Parse(file); err == nil {
			return u.String()
		}
	}
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

// isScheme tells whether s is a URI scheme (RFC 3986: a letter, then letters, digits,
// "+", "-" and "."), longer than a Windows drive letter.
func isScheme(s string) bool {
	if len(s) < 2 || !('a' <= s[0] && s[0] <= 'z' || 'A' <= s[0] && s[0] <= 'Z') {
		return false
	}
	for _, c := range s {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// fingerprint identifies a finding independently of its line, so code scanning can
// follow it when lines move: the first half of the SHA-256 of rule ID, file, object
// (as objectRef) and field path, joined by NUL bytes, in hex.
func fingerprint(id string, l rule.Location) string {
	return string(appendFingerprint(nil, id, &l))
}

func appendFingerprint(dst []byte, id string, l *rule.Location) []byte {
	var buf [256]byte
	b := append(buf[:0], id...)
	b = append(append(b, 0), filepath.ToSlash(l.File)...)
	b = append(b, 0)
	b = appendObjectRef(b, &l.Object)
	b = append(append(b, 0), l.FieldPath...)
	sum := sha256.Sum256(b)
	return hex.AppendEncode(dst, sum[:16])
}

// appendObjectRef appends objectRef(*o).
func appendObjectRef(b []byte, o *rule.Object) []byte {
	if o.Kind == "" && o.Name == "" {
		return b
	}
	b = append(b, o.Kind...)
	if o.Namespace != "" {
		b = append(append(b, '/'), o.Namespace...)
	}
	return append(append(b, '/'), o.Name...)
}

func orDefault(s, def string) string {
	if s != "" {
		return s
	}
	return def
}
