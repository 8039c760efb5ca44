package scan

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/vex"
	"github.com/kharden/kharden/internal/source/vulndb"
	"github.com/kharden/kharden/internal/vuln"
)

// VulnOptions are the vulnerability settings of a run, as the command line gives them.
type VulnOptions struct {
	// Off turns matching off (--no-vulns).
	Off bool
	// DB is the database directory (--db); empty means vulndb.DefaultDir: $KHARDEN_DB,
	// else the user cache directory's.
	DB string
	// MaxAge is --max-db-age as written ("7d", "36h"); empty means the config's
	// vulnerabilities.maxDBAge, else DefaultMaxDBAge.
	MaxAge string
	// IgnoreUnfixed leaves out the findings no fixed version is known for.
	IgnoreUnfixed bool
	// VEX are OpenVEX documents whose not_affected and fixed statements set findings
	// aside.
	VEX []string
}

// DefaultMaxDBAge is the database age past which a run warns.
const DefaultMaxDBAge = 7 * 24 * time.Hour

// Vulns matches the packages a run finds against the vulnerability database, and makes
// a result of each finding: its rule is the advisory's (one rule.Meta per advisory,
// shared by the run), set aside when an OpenVEX statement or the config's
// vulnerabilities.ignore says so. It is safe for concurrent use.
type Vulns struct {
	db            *vulndb.DB
	start         *report.Report
	ignoreUnfixed bool
	ignores       []*vulnIgnore
	vex           *vex.Set
	cfgPath       string
	practices     []string

	mu    sync.Mutex
	metas map[string]*rule.Meta
}

// NewVulns checks the options and the config's vulnerabilities section, reads the VEX
// documents and opens the database. Bad options, config entries or VEX documents are
// a *UsageError. No database is no error: the run is told so by a note (Start), as it
// is of a database older than the greatest age, and a damaged database is an error
// there. It returns nil when o.Off.
func NewVulns(o VulnOptions, cfg *config.Config, practices []string, now time.Time) (*Vulns, error) {
	if o.Off {
		return nil, nil
	}
	if cfg == nil {
		cfg = &config.Config{}
	}
	var errs []error
	maxAge := DefaultMaxDBAge
	if s := cfg.Vulnerabilities.MaxDBAge; s != "" {
		d, err := config.ParseAge(s)
		if err != nil {
			errs = append(errs, cfg.Errorf(config.MaxDBAgeKey, "vulnerabilities.maxDBAge: %v", err))
		}
		maxAge = d
	}
	maxAge, ignores, vx, more := checkVulns(o, cfg, maxAge, now)
	if errs = append(errs, more...); len(errs) > 0 {
		return nil, &UsageError{Err: errors.Join(errs...)}
	}
	v := &Vulns{ignoreUnfixed: o.IgnoreUnfixed, ignores: ignores, vex: vx, cfgPath: cfg.Path, practices: practices,
		metas: map[string]*rule.Meta{}, start: &report.Report{}}
	dir := o.DB
	if dir == "" {
		var err error
		if dir, err = vulndb.DefaultDir(); err != nil {
			return nil, &UsageError{Err: err}
		}
	}
	db, warning, err := vulndb.OpenForScan(dir, maxAge)
	switch {
	case errors.Is(err, vulndb.ErrNoDatabase):
		v.start.Notes = append(v.start.Notes, report.Problem{File: dir,
			Message: "no vulnerability database, so packages were not matched against advisories: `kharden db update` downloads one; `kharden db import FILE.zip|DIR...` builds one where there is no network (or --no-vulns)"})
	case err != nil:
		v.start.Errors = append(v.start.Errors, report.Problem{File: dir, Message: strings.TrimPrefix(err.Error(), dir+": ")})
	default:
		v.db = db
		if warning != "" {
			v.start.Notes = append(v.start.Notes, report.Problem{File: dir, Message: "warning: " + warning})
		}
	}
	return v, nil
}

// checkVulns reads the vulnerability options and the config's vulnerability settings
// but maxDBAge (config.Resolve checks it): the greatest age of the database (maxAge
// unless --max-db-age), the ignore entries and the VEX documents, or every problem with
// them.
func checkVulns(o VulnOptions, cfg *config.Config, maxAge time.Duration, now time.Time) (time.Duration, []*vulnIgnore, *vex.Set, []error) {
	var errs []error
	if o.MaxAge != "" {
		d, err := config.ParseAge(o.MaxAge)
		if err != nil {
			errs = append(errs, fmt.Errorf("--max-db-age: %w", err))
		}
		maxAge = d
	}
	ignores, err := newVulnIgnores(cfg, now)
	if err != nil {
		errs = append(errs, err)
	}
	vx, err := vex.Load(o.VEX)
	if err != nil {
		errs = append(errs, err)
	}
	return maxAge, ignores, vx, errs
}

// WithVulnProblems is err, a config's problems found by config.Resolve, with the
// problems of the vulnerability options and settings besides (the ignore entries, the
// VEX documents, --max-db-age), so that a run refused for its config reports every
// problem at once. It returns err unchanged when o.Off.
func WithVulnProblems(err error, o VulnOptions, cfg *config.Config, now time.Time) error {
	if o.Off || cfg == nil {
		return err
	}
	_, _, _, errs := checkVulns(o, cfg, DefaultMaxDBAge, now)
	return errors.Join(append([]error{err}, errs...)...)
}

// Close closes the database.
func (v *Vulns) Close() error {
	if v == nil || v.db == nil {
		return nil
	}
	return v.db.Close()
}

// Start is what the report says first about the database: none, too old, damaged.
func (v *Vulns) Start() *report.Report {
	if v == nil {
		return nil
	}
	return v.start
}

// Ready tells whether there is a database to match against.
func (v *Vulns) Ready() bool { return v != nil && v.db != nil }

// Metas are the rules of the advisories found so far, by ID: for the head of a report
// written once every input is read.
func (v *Vulns) Metas() []*rule.Meta {
	if v == nil {
		return nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]*rule.Meta, 0, len(v.metas))
	for _, m := range v.metas {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b *rule.Meta) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Unused are notes on the config's vulnerabilities.ignore entries that set aside no
// finding: for the end of the report.
func (v *Vulns) Unused() *report.Report {
	if v == nil {
		return nil
	}
	var out []report.Problem
	for _, x := range v.ignores {
		if !x.used.Load() && !x.expired {
			out = append(out, report.Problem{File: v.cfgPath, Line: x.line, Message: fmt.Sprintf("%s (%s) accepts no finding of what was scanned", x.key, x.id)})
		}
	}
	return &report.Report{Notes: out}
}

// VulnSubject is what a set of packages was found in.
type VulnSubject struct {
	// File is the results' Location.File: an image reference, an SBOM file. Empty,
	// each result is at its package's own file (a node's package database, a program),
	// with the package's name as field path.
	File string
	// Layer describes an image layer ("layer 2 (sha256:0123456789ab): RUN ..."), "" for
	// none; nil when the packages come from no image.
	Layer func(i int) string
	// PURLs identify the subject itself, for VEX statements about its subcomponents
	// (an image's pkg:oci purl).
	PURLs []string
}

// Match matches pkgs and returns the results, unsuppressed and suppressed, and the
// problems met: a database that could not be read, data the matcher could not use.
// It does nothing without a database.
func (v *Vulns) Match(pkgs []vuln.Package, sub VulnSubject) (results, suppressed []rule.Result, problems *report.Report) {
	problems = &report.Report{}
	if !v.Ready() || len(pkgs) == 0 {
		return nil, nil, problems
	}
	res, err := vuln.Match(pkgs, v.db, vuln.Options{IgnoreUnfixed: v.ignoreUnfixed})
	if err != nil {
		problems.Errors = append(problems.Errors, report.Problem{File: sub.File, Message: "matching against the vulnerability database: " + err.Error()})
		return nil, nil, problems
	}
	for _, n := range res.Stats.Notes {
		msg := "vulnerability database: " + n.Message
		if n.Count > 1 {
			msg += " (" + strconv.Itoa(n.Count) + " times)"
		}
		problems.Notes = append(problems.Notes, report.Problem{File: sub.File, Message: msg})
	}
	for i := range res.Findings {
		r := v.result(&res.Findings[i], sub)
		if r.Suppressed != "" {
			suppressed = append(suppressed, r)
		} else {
			results = append(results, r)
		}
	}
	return results, suppressed, problems
}

// result makes the result of a finding, suppressed when VEX or the config says so.
func (v *Vulns) result(f *vuln.Finding, sub VulnSubject) rule.Result {
	p := &f.Package
	layer := 0
	if p.Location.Layer >= 0 && sub.Layer != nil {
		layer = p.Location.Layer + 1
	}
	vu := &rule.Vulnerability{ID: f.ID, Aliases: f.Aliases, Package: p.Name, Version: p.Version, PURL: p.PURL,
		Ecosystem: f.Ecosystem, Fixed: f.Fixed, File: p.Location.File, Within: p.Location.Within, Layer: layer,
		Score: f.Rating.Score, Vector: f.Rating.Vector, SeveritySource: f.Rating.Source}
	loc := rule.Location{File: sub.File, FieldPath: vulnPath(p)}
	if sub.File == "" {
		loc = rule.Location{File: p.Location.File, FieldPath: p.Name}
	}
	res := rule.Result{Meta: v.meta(f), Status: rule.Fail, Severity: f.Rating.Severity, Message: vulnMessage(f, sub),
		Location: loc, Vulnerability: vu}
	ids := append([]string{f.ID}, f.Aliases...)
	if why, ok := v.vex.Judge(ids, p.PURL, sub.PURLs).Suppresses(); ok {
		res.Suppressed = why
		return res
	}
	for _, x := range v.ignores {
		if !x.covers(ids, f) {
			continue
		}
		if x.expired {
			res.Message += fmt.Sprintf(" (%s expired on %s)", x.key, x.expires.Format(time.DateOnly))
			continue
		}
		x.used.Store(true)
		res.Suppressed = x.key + ": " + x.reason
		break
	}
	return res
}

// vulnPath is a finding's field path: the file the package was found in and the
// package, so that two packages of one database are two places.
func vulnPath(p *vuln.Package) string {
	f := p.Location.File
	if p.Location.Within != "" {
		f += "!/" + p.Location.Within
	}
	if f == "" {
		return p.Name
	}
	return f + " (" + p.Name + ")"
}

// maxAliases is how many aliases a message names.
const maxAliases = 6

// vulnMessage says what is affected, by what, what fixes it, how severe it is and
// where the package was found.
func vulnMessage(f *vuln.Finding, sub VulnSubject) string {
	p := &f.Package
	var b strings.Builder
	b.WriteString(p.Name + " " + p.Version)
	if f.Name != p.Name || f.Installed != p.Version {
		b.WriteString(" (source " + f.Name + " " + f.Installed + ")")
	}
	b.WriteString(" is affected by " + f.ID)
	if len(f.Aliases) > 0 {
		as := f.Aliases
		more := ""
		if len(as) > maxAliases {
			as, more = as[:maxAliases], fmt.Sprintf(" and %d more", len(f.Aliases)-maxAliases)
		}
		b.WriteString(" (" + strings.Join(as, ", ") + more + ")")
	}
	if f.Summary != "" {
		b.WriteString(": " + strings.TrimSuffix(strings.TrimSpace(f.Summary), "."))
	}
	if len(f.Fixed) > 0 {
		b.WriteString("; fixed in " + strings.Join(f.Fixed, ", "))
	} else {
		b.WriteString("; no fixed version known")
	}
	switch r := f.Rating; r.Source {
	case "CVSS_V3", "CVSS_V4":
		version := strings.TrimPrefix(r.Source, "CVSS_V")
		if v, _, ok := strings.Cut(strings.TrimPrefix(r.Vector, "CVSS:"), "/"); ok && strings.HasPrefix(r.Vector, "CVSS:") {
			version = v
		}
		fmt.Fprintf(&b, "; %s, CVSS %s base score %.1f", r.Severity, version, r.Score)
	case "unknown":
		fmt.Fprintf(&b, "; no advisory rates it (%s assumed)", r.Severity)
	default:
		fmt.Fprintf(&b, "; %s, as %s rates it", r.Severity, r.Source)
	}
	if file := p.Location.File; file != "" {
		if p.Location.Within != "" {
			file += "!/" + p.Location.Within
		}
		b.WriteString("; found in " + file)
		if sub.Layer != nil && p.Location.Layer >= 0 {
			if l := sub.Layer(p.Location.Layer); l != "" && l != "no layer" {
				b.WriteString(", added by " + l)
			}
		}
	}
	return b.String()
}

// meta is the rule of f's advisory, made once per run.
func (v *Vulns) meta(f *vuln.Finding) *rule.Meta {
	v.mu.Lock()
	defer v.mu.Unlock()
	if m := v.metas[f.ID]; m != nil {
		return m
	}
	summary := strings.TrimSuffix(strings.TrimSpace(f.Summary), ".")
	title := summary
	if title == "" {
		title = "Known vulnerability " + f.ID
	}
	rationale := "The advisory " + f.ID
	if len(f.Aliases) > 0 {
		rationale += " (" + strings.Join(f.Aliases, ", ") + ")"
	}
	rationale += " affects a package at the version installed"
	if summary != "" {
		rationale += ": " + summary
	}
	rationale += "."
	m := &rule.Meta{
		ID: f.ID, Slug: "vulnerability", Title: title, Severity: f.Rating.Severity, Practices: v.practices,
		Rationale: rationale,
		Remediation: "Upgrade the package to a version that fixes it (each finding names them), or rebuild on an updated base image. " +
			"Where the vulnerable code cannot be reached, say so in an OpenVEX statement (--vex) or in vulnerabilities.ignore " +
			"of .kharden.yaml, with the reason.",
		HelpURI: helpURI(f),
	}
	for _, r := range f.References {
		if r.URL != "" && !slices.Contains(m.References, r.URL) {
			m.References = append(m.References, r.URL)
		}
	}
	v.metas[f.ID] = m
	return m
}

// helpURI is an advisory's page: its ADVISORY reference, else its first, else its page
// on osv.dev.
func helpURI(f *vuln.Finding) string {
	for _, r := range f.References {
		if r.Type == "ADVISORY" && strings.HasPrefix(r.URL, "https://") {
			return r.URL
		}
	}
	for _, r := range f.References {
		if strings.HasPrefix(r.URL, "https://") || strings.HasPrefix(r.URL, "http://") {
			return r.URL
		}
	}
	return "https://osv.dev/vulnerability/" + f.ID
}
