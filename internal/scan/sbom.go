package scan

import (
	"errors"
	"fmt"
	"time"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	srcsbom "github.com/kharden/kharden/internal/source/sbom"
	"github.com/kharden/kharden/internal/vuln"
)

// SBOMOptions are the inputs of kharden scan sbom.
type SBOMOptions struct {
	// FailOn overrides the config's failOn when set.
	FailOn  string
	Config  *config.Config
	Version string
	Vulns   VulnOptions
}

// SBOMScanner matches SBOMs against the vulnerability database.
type SBOMScanner struct {
	head  *report.Report
	vulns *Vulns
}

// NewSBOM checks the options and config and opens the database. Its error is a
// *UsageError.
func NewSBOM(o SBOMOptions) (*SBOMScanner, error) {
	cfg := o.Config
	if cfg == nil {
		cfg = &config.Config{}
	}
	res, err := cfg.Resolve(func(n string) (string, bool) {
		if m := LookupAny(n); m != nil {
			return m.ID, true
		}
		return "", false
	})
	if err != nil {
		return nil, &UsageError{Err: WithVulnProblems(err, o.Vulns, cfg, time.Now())}
	}
	head := &report.Report{Tool: "kharden", Version: o.Version, FailOn: rule.High}
	if res.FailOn != nil {
		head.FailOn = *res.FailOn
	}
	if o.FailOn != "" {
		if head.FailOn, err = rule.ParseSeverity(o.FailOn); err != nil {
			return nil, &UsageError{Err: fmt.Errorf("--fail-on: %w", err)}
		}
	}
	vs, err := NewVulns(o.Vulns, cfg, []string{"B19"}, time.Now())
	if err != nil {
		return nil, err
	}
	return &SBOMScanner{head: head, vulns: vs}, nil
}

// Head is the report's header; its Rules are none until the advisories found are
// added (Vulns().Metas()).
func (s *SBOMScanner) Head() *report.Report { return s.head }

// Vulns is the scanner's matching; nil with VulnOptions.Off.
func (s *SBOMScanner) Vulns() *Vulns { return s.vulns }

// Close releases the database.
func (s *SBOMScanner) Close() error { return s.vulns.Close() }

// Scan reads and matches one SBOM: see Vulns.ScanSBOM. With matching off, the SBOM
// is only read.
func (s *SBOMScanner) Scan(file string) *report.Report {
	if s.vulns == nil {
		return (&Vulns{}).ScanSBOM(file)
	}
	return s.vulns.ScanSBOM(file)
}

// ScanSBOM reads the SBOM at file (CycloneDX or SPDX JSON) and matches the packages it
// names against the database. The part names the file; an SBOM that cannot be read
// (not JSON, another format, no purl) is an error in it.
func (v *Vulns) ScanSBOM(file string) *report.Report {
	part := &report.Report{Files: 1, Scanned: []string{file}}
	doc, err := srcsbom.ReadFile(file)
	if err != nil {
		var se *srcsbom.Error
		if errors.As(err, &se) {
			part.Errors = append(part.Errors, report.Problem{File: file, Line: se.Line, Message: se.Msg})
		} else {
			part.Errors = append(part.Errors, report.Problem{File: file, Message: err.Error()})
		}
		return part
	}
	if doc.Skipped > 0 {
		part.Notes = append(part.Notes, report.Problem{File: file, Message: fmt.Sprintf("%d of the %s document's components have no package URL (purl) and were not matched", doc.Skipped, doc.Format)})
	}
	for _, im := range doc.Subjects {
		pkgs := vuln.FromImage(im)
		unmatched := 0
		for _, p := range pkgs {
			if p.Ecosystem == "" {
				unmatched++
			}
		}
		where := ""
		if len(doc.Subjects) > 1 && im.Name != "" {
			where = im.Name + ": "
		}
		if unmatched > 0 {
			why := "no OSV ecosystem kharden knows for their type"
			if im.OS == nil {
				why += ", or no operating system release (the SBOM names none) for the distribution packages"
			}
			part.Notes = append(part.Notes, report.Problem{File: file, Message: fmt.Sprintf("%s%d of %d packages could not be matched: %s", where, unmatched, len(pkgs), why)})
		}
		sub := VulnSubject{File: file}
		if len(im.Layers) > 0 {
			sub.Layer = im.Short
		}
		rs, ss, probs := v.Match(pkgs, sub)
		for i := range rs {
			rs[i].Message = where + rs[i].Message
		}
		for i := range ss {
			ss[i].Message = where + ss[i].Message
		}
		part.Results = append(part.Results, rs...)
		part.Suppressed = append(part.Suppressed, ss...)
		part.Errors = append(part.Errors, probs.Errors...)
		part.Notes = append(part.Notes, probs.Notes...)
	}
	return part
}
