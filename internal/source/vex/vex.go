// Package vex reads OpenVEX documents (https://github.com/openvex/spec, v0.0.1 and
// v0.2.0): statements that a vulnerability does or does not affect products, which a
// scan uses to set aside the findings their authors have judged. A document that is
// not valid OpenVEX is an error positioned at the line of the offending statement.
package vex

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/package-url/packageurl-go"
)

// MaxSize is the largest VEX document read.
const MaxSize = 16 << 20

// The statuses of the OpenVEX specification.
const (
	NotAffected        = "not_affected"
	Affected           = "affected"
	Fixed              = "fixed"
	UnderInvestigation = "under_investigation"
)

// Justifications are the labels a not_affected statement may give.
var Justifications = []string{
	"component_not_present",
	"vulnerable_code_not_present",
	"vulnerable_code_not_in_execute_path",
	"vulnerable_code_cannot_be_controlled_by_adversary",
	"inline_mitigations_already_exist",
}

// Statement is one statement, with the document it came from.
type Statement struct {
	// File and Line are where the statement is written.
	File string
	Line int
	// Vulnerability is the vulnerability's name and its aliases.
	Vulnerability []string
	Products      []Product
	Status        string
	Justification string
	Impact        string
	// Time is the statement's timestamp, else its document's.
	Time time.Time
	// order is its place among all statements read, for statements of one time.
	order int
}

// Product is a product a statement is about, by its identifiers (purls), and the
// subcomponents it names, each by its identifiers.
type Product struct {
	IDs           []string
	Subcomponents [][]string
}

// Set is the statements of several documents.
type Set struct {
	statements []*Statement
}

// Load reads the OpenVEX documents at paths. Every problem of every file is returned,
// each starting with "FILE:LINE: ".
func Load(paths []string) (*Set, error) {
	s := &Set{}
	var errs []error
	for _, p := range paths {
		b, err := readFile(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sts, err := Parse(p, b)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s.Add(sts...)
	}
	return s, errors.Join(errs...)
}

// Add adds statements, after those the set has.
func (s *Set) Add(sts ...*Statement) {
	for _, st := range sts {
		st.order = len(s.statements)
		s.statements = append(s.statements, st)
	}
}

// Len is the number of statements.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.statements)
}

func readFile(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("--vex: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && !fi.Mode().IsRegular() && fi.Mode()&os.ModeNamedPipe == 0 {
		return nil, fmt.Errorf("--vex %s: not a regular file (%s)", p, fi.Mode().Type())
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("--vex %s: %w", p, err)
	}
	if len(b) > MaxSize {
		return nil, fmt.Errorf("--vex %s: larger than %d MiB", p, MaxSize>>20)
	}
	return b, nil
}

// document is an OpenVEX document as far as kharden reads it.
type document struct {
	Context   string    `json:"@context"`
	Timestamp time.Time `json:"timestamp"`
}

// rawStatement is a statement as written: the vulnerability is a name (v0.0.1) or a
// struct (v0.2.0), products are purls or structs.
type rawStatement struct {
	Vulnerability   json.RawMessage   `json:"vulnerability"`
	Products        []json.RawMessage `json:"products"`
	Subcomponents   []json.RawMessage `json:"subcomponents"` // v0.0.1: beside products
	Status          string            `json:"status"`
	Justification   string            `json:"justification"`
	ImpactStatement string            `json:"impact_statement"`
	Timestamp       *time.Time        `json:"timestamp"`
}

type component struct {
	ID            string            `json:"@id"`
	Identifiers   map[string]string `json:"identifiers"`
	Subcomponents []json.RawMessage `json:"subcomponents"`
}

// Parse reads one OpenVEX document; name is used in errors.
func Parse(name string, b []byte) ([]*Statement, error) {
	at := func(off int64) string { return fmt.Sprintf("%s:%d", name, lineAt(b, off)) }
	if !json.Valid(b) {
		var v any
		err := json.Unmarshal(b, &v)
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%s: not JSON: %v", at(se.Offset), err)
		}
		return nil, fmt.Errorf("%s:1: not JSON: %v", name, err)
	}
	var doc document
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: not an OpenVEX document: %v", at(typeOffset(err)), err)
	}
	if !strings.HasPrefix(doc.Context, "https://openvex.dev/ns") {
		return nil, fmt.Errorf("%s:1: not an OpenVEX document: @context is %q, not https://openvex.dev/ns[/vX.Y.Z]", name, doc.Context)
	}
	raws, offs, err := statements(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", at(typeOffset(err)), err)
	}
	if len(raws) == 0 {
		return nil, fmt.Errorf("%s:1: the document has no statements", name)
	}
	var out []*Statement
	var errs []error
	for i, r := range raws {
		line := lineAt(b, offs[i])
		bad := func(format string, a ...any) {
			errs = append(errs, fmt.Errorf("%s:%d: statements[%d]: %s", name, line, i, fmt.Sprintf(format, a...)))
		}
		st := &Statement{File: name, Line: line, Status: r.Status, Justification: r.Justification, Impact: r.ImpactStatement, Time: doc.Timestamp}
		if r.Timestamp != nil {
			st.Time = *r.Timestamp
		}
		st.Vulnerability = vulnerabilityNames(r.Vulnerability)
		if len(st.Vulnerability) == 0 {
			bad("no vulnerability name")
		}
		switch r.Status {
		case NotAffected:
			if r.Justification == "" && strings.TrimSpace(r.ImpactStatement) == "" {
				bad("status not_affected needs a justification (%s) or an impact_statement", strings.Join(Justifications, ", "))
			}
			if r.Justification != "" && !slices.Contains(Justifications, r.Justification) {
				bad("justification %q is not one of %s", r.Justification, strings.Join(Justifications, ", "))
			}
		case Affected, Fixed, UnderInvestigation:
		case "":
			bad("no status (not_affected, affected, fixed or under_investigation)")
		default:
			bad("status %q is not one of not_affected, affected, fixed, under_investigation", r.Status)
		}
		var subs [][]string
		for _, s := range r.Subcomponents {
			if ids := identifiers(s); len(ids) > 0 {
				subs = append(subs, ids)
			}
		}
		for _, p := range r.Products {
			pr := Product{IDs: identifiers(p), Subcomponents: subs}
			var c component
			if json.Unmarshal(p, &c) == nil {
				for _, s := range c.Subcomponents {
					if ids := identifiers(s); len(ids) > 0 {
						pr.Subcomponents = append(pr.Subcomponents, ids)
					}
				}
			}
			if len(pr.IDs) == 0 {
				bad("a product has no @id or identifiers")
				continue
			}
			st.Products = append(st.Products, pr)
		}
		if len(r.Products) == 0 {
			bad("no products")
		}
		out = append(out, st)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// statements decodes the document's statements with the offset where each starts.
func statements(b []byte) ([]rawStatement, []int64, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil, errors.New("not an OpenVEX document: not a JSON object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		if t != "statements" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, nil, err
			}
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return nil, nil, errors.New("statements is not a list")
		}
		var out []rawStatement
		var offs []int64
		for dec.More() {
			off := dec.InputOffset()
			for off < int64(len(b)) && (b[off] == ',' || b[off] == ' ' || b[off] == '\n' || b[off] == '\r' || b[off] == '\t') {
				off++
			}
			var r rawStatement
			if err := dec.Decode(&r); err != nil {
				return nil, nil, &offsetError{off: off, err: fmt.Errorf("statements[%d]: %w", len(out), err)}
			}
			out = append(out, r)
			offs = append(offs, off)
		}
		return out, offs, nil
	}
	return nil, nil, nil
}

// vulnerabilityNames reads "CVE-..." or {"name": ..., "aliases": [...]}.
func vulnerabilityNames(raw json.RawMessage) []string {
	var name string
	if json.Unmarshal(raw, &name) == nil {
		if name = strings.TrimSpace(name); name != "" {
			return []string{name}
		}
		return nil
	}
	var v struct {
		ID      string   `json:"@id"`
		Name    string   `json:"name"`
		Aliases []string `json:"aliases"`
	}
	if json.Unmarshal(raw, &v) != nil || strings.TrimSpace(v.Name) == "" {
		return nil
	}
	out := []string{strings.TrimSpace(v.Name)}
	for _, a := range v.Aliases {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// identifiers are a component's @id and identifiers, or the string it is.
func identifiers(raw json.RawMessage) []string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s != "" {
			return []string{s}
		}
		return nil
	}
	var c component
	if json.Unmarshal(raw, &c) != nil {
		return nil
	}
	var out []string
	if c.ID != "" {
		out = append(out, c.ID)
	}
	for _, k := range []string{"purl", "cpe23", "cpe22"} {
		if v := c.Identifiers[k]; v != "" {
			out = append(out, v)
		}
	}
	return out
}

// offsetError is an error at an offset of the document.
type offsetError struct {
	off int64
	err error
}

func (e *offsetError) Error() string { return e.err.Error() }

func typeOffset(err error) int64 {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	var oe *offsetError
	switch {
	case errors.As(err, &oe):
		return oe.off
	case errors.As(err, &te):
		return te.Offset
	case errors.As(err, &se):
		return se.Offset
	}
	return 0
}

func lineAt(b []byte, off int64) int {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	if off < 0 {
		off = 0
	}
	return bytes.Count(b[:off], []byte("\n")) + 1
}

// Verdict is what the statements say of one finding.
type Verdict struct {
	// Statement decides, nil when none applies. Its status is not_affected or fixed
	// for a finding to be set aside.
	Statement *Statement
}

// Suppresses tells whether the verdict sets the finding aside, and why.
func (v Verdict) Suppresses() (string, bool) {
	st := v.Statement
	if st == nil || (st.Status != NotAffected && st.Status != Fixed) {
		return "", false
	}
	why := st.Status
	if st.Justification != "" {
		why += ": " + st.Justification
	}
	if st.Impact != "" {
		why += " (" + st.Impact + ")"
	}
	return fmt.Sprintf("VEX %s:%d: %s", st.File, st.Line, why), true
}

// Judge finds what the statements say of a finding: a vulnerability known by ids (its
// ID and aliases), in the package purl pkg, part of the subjects (purls of what holds
// the package: an image; none for a package scanned by itself). Of the statements that
// apply, the latest decides (by timestamp, then the order read), as OpenVEX says
// statements override earlier ones.
func (s *Set) Judge(ids []string, pkg string, subjects []string) Verdict {
	if s == nil || pkg == "" {
		return Verdict{}
	}
	var best *Statement
	for _, st := range s.statements {
		if !overlaps(st.Vulnerability, ids) || !st.covers(pkg, subjects) {
			continue
		}
		if best == nil || !st.Time.Before(best.Time) {
			best = st
		}
	}
	return Verdict{Statement: best}
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if strings.EqualFold(x, y) {
				return true
			}
		}
	}
	return false
}

// covers tells whether a statement is about the package pkg: a product that is the
// package, or a subcomponent that is, of a product that is one of the subjects or
// the package itself.
func (st *Statement) covers(pkg string, subjects []string) bool {
	for _, p := range st.Products {
		if len(p.Subcomponents) == 0 {
			if anyMatch(p.IDs, pkg) {
				return true
			}
			continue
		}
		holder := anyMatch(p.IDs, pkg)
		for _, sub := range subjects {
			holder = holder || anyMatch(p.IDs, sub)
		}
		if !holder {
			continue
		}
		for _, sc := range p.Subcomponents {
			if anyMatch(sc, pkg) {
				return true
			}
		}
	}
	return false
}

func anyMatch(ids []string, purl string) bool {
	for _, id := range ids {
		if MatchPURL(id, purl) {
			return true
		}
	}
	return false
}

// caseless are the purl types whose names are not case-sensitive.
var caseless = map[string]bool{"deb": true, "apk": true, "rpm": true, "pypi": true, "npm": true, "github": true}

// MatchPURL tells whether the purl pattern p (from a VEX document) names the package
// purl pkg: the same type, namespace and name; the same version when p has one; and
// each qualifier of p present in pkg with the same value. Anything that is not a purl
// matches only itself.
func MatchPURL(p, pkg string) bool {
	if p == pkg {
		return true
	}
	a, err1 := packageurl.FromString(p)
	b, err2 := packageurl.FromString(pkg)
	if err1 != nil || err2 != nil {
		return false
	}
	if !strings.EqualFold(a.Type, b.Type) {
		return false
	}
	// Names are case-sensitive but where the ecosystem says not (PyPI, npm, deb...).
	same := func(x, y string) bool { return x == y || caseless[strings.ToLower(a.Type)] && strings.EqualFold(x, y) }
	if !same(a.Namespace, b.Namespace) || !same(a.Name, b.Name) {
		return false
	}
	if a.Version != "" && a.Version != b.Version {
		return false
	}
	bq := b.Qualifiers.Map()
	for k, v := range a.Qualifiers.Map() {
		if bq[k] != v {
			return false
		}
	}
	return a.Subpath == "" || a.Subpath == b.Subpath
}
