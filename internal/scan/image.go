package scan

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	imrules "github.com/kharden/kharden/internal/rules/image"
	"github.com/kharden/kharden/internal/sbom"
	"github.com/kharden/kharden/internal/source/image"
	"github.com/kharden/kharden/internal/vuln"
)

// ImageOptions are the inputs of an image scan.
type ImageOptions struct {
	// FailOn overrides the config's failOn when set.
	FailOn  string
	Config  *config.Config
	Version string
	Image   image.Options
	// Vulns are the vulnerability settings: each image's packages are matched against
	// the database, and each finding is a result.
	Vulns VulnOptions
}

// ImageScanner is a configured image scan: rules selected, config checked.
type ImageScanner struct {
	o        ImageOptions
	rules    []*imrules.Rule
	severity map[string]rule.Severity
	settings imrules.Settings
	head     *report.Report
	// exceptions are the config's images.exceptions.
	exceptions []*imageException
	cfgPath    string
	// vulns is nil with Vulns.Off.
	vulns *Vulns
	// policies are the config's image policies, and signature image-signature-verified
	// when it is on: kharden scan --images runs it (imageJudge), not an image scan.
	policies  []*ImagePolicy
	signature *imrules.Rule
}

// NewImage checks the options and config and selects the image rules. Its error is a
// *UsageError.
func NewImage(o ImageOptions) (*ImageScanner, error) {
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
	xs, err := newImageExceptions(cfg, time.Now())
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	// The image policies are checked wherever the config is read, as the webhook checks
	// them: a bad policy is refused at its line before it could be relied on.
	ps, err := ParseImagePolicies(cfg)
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	vs, err := NewVulns(o.Vulns, cfg, []string{"B19"}, time.Now())
	if err != nil {
		return nil, err
	}
	s := &ImageScanner{o: o, severity: res.Severity, settings: ImageSettings(cfg), exceptions: xs, cfgPath: cfg.Path, vulns: vs, policies: ps}
	head := &report.Report{Tool: "kharden", Version: o.Version, FailOn: rule.High}
	if res.FailOn != nil {
		head.FailOn = *res.FailOn
	}
	if o.FailOn != "" {
		if head.FailOn, err = rule.ParseSeverity(o.FailOn); err != nil {
			return nil, &UsageError{Err: fmt.Errorf("--fail-on: %w", err)}
		}
	}
	for _, r := range imrules.All() {
		on := r.Default
		if v, ok := res.Enabled[r.ID]; ok {
			on = v
		}
		if on && r.Signature {
			s.signature = r
			continue
		}
		if on {
			s.rules = append(s.rules, r)
			head.Rules = append(head.Rules, &r.Meta)
		}
	}
	s.head = head
	return s, nil
}

// ImageSettings are the image rules' limits of a config's images section.
func ImageSettings(cfg *config.Config) imrules.Settings {
	return imrules.Settings{MaxExposedPorts: cfg.Images.MaxExposedPorts, MaxLayers: cfg.Images.MaxLayers}
}

// Head is the report's header: tool, version, the rules that run and the threshold.
// The advisories found are not in its Rules: see Vulns.
func (s *ImageScanner) Head() *report.Report { return s.head }

// Vulns is the scanner's vulnerability matching, nil when it is off: its Start says
// whether there is a database, and its Metas are the rules of the advisories found,
// for the head of the report.
func (s *ImageScanner) Vulns() *Vulns { return s.vulns }

// Close releases the vulnerability database.
func (s *ImageScanner) Close() error { return s.vulns.Close() }

// Scan reads the image ref names and runs the rules over it. The report part names
// the image as its file; an image that cannot be read is an error in it, and im is nil.
func (s *ImageScanner) Scan(ctx context.Context, ref string) (*image.Image, *report.Report) {
	return s.ScanWith(ctx, ref, nil)
}

// ScanWith is Scan telling progress (when not nil) how far the layers have been read.
func (s *ImageScanner) ScanWith(ctx context.Context, ref string, progress func(image.Progress)) (*image.Image, *report.Report) {
	part := &report.Report{Files: 1, Scanned: []string{ref}}
	o := s.o.Image
	o.Progress = progress
	im, err := image.Scan(ctx, ref, o)
	if err != nil {
		part.Errors = append(part.Errors, report.Problem{File: ref, Message: strings.TrimPrefix(err.Error(), ref+": ")})
		return nil, part
	}
	for _, p := range im.Errors {
		part.Errors = append(part.Errors, report.Problem{File: ref, Message: problemText(im, p)})
	}
	for _, p := range im.Notes {
		part.Notes = append(part.Notes, report.Problem{File: ref, Message: problemText(im, p)})
	}
	for _, res := range s.results(im, s.rules, ref) {
		if res.Suppressed != "" {
			part.Suppressed = append(part.Suppressed, res)
		} else {
			part.Results = append(part.Results, res)
		}
	}
	rs, ss, probs := s.matchImage(im, ref)
	part.Results = append(part.Results, rs...)
	part.Suppressed = append(part.Suppressed, ss...)
	part.Errors = append(part.Errors, probs.Errors...)
	part.Notes = append(part.Notes, probs.Notes...)
	return im, part
}

// matchImage matches the image's packages against the vulnerability database; the
// results are located in file, at each package's file.
func (s *ImageScanner) matchImage(im *image.Image, file string) (results, suppressed []rule.Result, problems *report.Report) {
	if !s.vulns.Ready() {
		return nil, nil, &report.Report{}
	}
	var subjects []string
	if p := sbom.ImagePURL(im); p != "" {
		subjects = append(subjects, p)
	}
	return s.vulns.Match(vuln.FromImage(im), VulnSubject{File: file, Layer: im.Short, PURLs: subjects})
}

// ScannedImage is what a scan keeps of an image once read: the image rules' results
// and its problems, and its packages, which Match judges again when the database
// changes. Its files and layers are not kept: it costs its package list.
type ScannedImage struct {
	// Ref is the reference read (registry/repo@sha256:...).
	Ref string
	// Results are the image rules' results, those the config's images.exceptions set
	// aside with their reason (Suppressed).
	Results       []rule.Result
	Errors, Notes []string
	packages      []vuln.Package
	layers        []string // each layer as a finding names it (Image.Short)
	purls         []string // the image's own purl, for VEX statements about it
}

// ContentRules are the image rules that judge an image's content: those that judge a
// reference's wording apply to a workload's image field, not to what a digest holds.
func (s *ImageScanner) ContentRules() []*imrules.Rule {
	var out []*imrules.Rule
	for _, r := range s.rules {
		if !r.Reference {
			out = append(out, r)
		}
	}
	return out
}

// Read reads the image at ref, a registry reference, and runs the content rules over
// it (results located at no file: the caller places them). platform, when not empty,
// picks the image of a multi-platform index instead of the scanner's.
func (s *ImageScanner) Read(ctx context.Context, ref, platform string) (*ScannedImage, error) {
	o := s.o.Image
	if platform != "" {
		o.Platform = platform
	}
	im, err := image.Scan(ctx, ref, o)
	if err != nil {
		return nil, err
	}
	si := &ScannedImage{Ref: ref, Results: s.results(im, s.ContentRules(), ""), packages: vuln.FromImage(im)}
	for _, p := range im.Errors {
		si.Errors = append(si.Errors, problemText(im, p))
	}
	for _, p := range im.Notes {
		si.Notes = append(si.Notes, problemText(im, p))
	}
	for i := range im.Layers {
		si.layers = append(si.layers, im.Short(i))
	}
	if p := sbom.ImagePURL(im); p != "" {
		si.purls = []string{p}
	}
	return si, nil
}

// Judge is the image's whole verdict: the content rules' results and its
// vulnerabilities (those set aside with their reason), and the problems met reading
// and matching it.
func (s *ImageScanner) Judge(si *ScannedImage) (results []rule.Result, errs, notes []string) {
	rs, merrs, mnotes := s.Match(si)
	return append(slices.Clone(si.Results), rs...), append(slices.Clone(si.Errors), merrs...), append(slices.Clone(si.Notes), mnotes...)
}

// Packages is the number of packages the image holds.
func (si *ScannedImage) Packages() int { return len(si.packages) }

// Match matches the image's packages against the scanner's database: results (those
// set aside with their reason) at no file, and the problems met. Nothing without a
// database.
func (s *ImageScanner) Match(si *ScannedImage) (results []rule.Result, errs, notes []string) {
	if !s.vulns.Ready() {
		return nil, nil, nil
	}
	layer := func(i int) string {
		if i < 0 || i >= len(si.layers) {
			return "no layer"
		}
		return si.layers[i]
	}
	rs, ss, probs := s.vulns.Match(si.packages, VulnSubject{Layer: layer, PURLs: si.purls})
	for _, p := range probs.Errors {
		errs = append(errs, p.Message)
	}
	for _, p := range probs.Notes {
		notes = append(notes, p.Message)
	}
	return append(rs, ss...), errs, notes
}

// Unused are notes on the config's image exceptions and vulnerabilities.ignore entries
// that accepted no finding so far: for the end of the report.
func (s *ImageScanner) Unused() *report.Report {
	notes := unusedImageExceptions(s.exceptions, s.cfgPath)
	if u := s.vulns.Unused(); u != nil {
		notes = append(notes, u.Notes...)
	}
	return &report.Report{Notes: notes}
}

// results runs rules over im; each result is located in file, at the finding's path
// in the image.
func (s *ImageScanner) results(im *image.Image, rules []*imrules.Rule, file string) []rule.Result {
	var out []rule.Result
	for _, r := range rules {
		sev := r.Severity
		if v, ok := s.severity[r.ID]; ok {
			sev = v
		}
		fs, err := runImageRule(r, im, s.settings)
		if err != nil {
			out = append(out, rule.Result{Meta: &r.Meta, Status: rule.Error, Severity: sev,
				Message: err.Error(), Location: rule.Location{File: file}})
			continue
		}
		for _, f := range fs {
			out = append(out, rule.Result{Meta: &r.Meta, Status: rule.Fail, Severity: sev,
				Message: f.Message, Location: rule.Location{File: file, FieldPath: f.Path}})
		}
	}
	except(s.exceptions, im.Ref, out)
	return out
}

// problemText places a content problem: file, line and layer.
func problemText(im *image.Image, p image.Problem) string {
	var b strings.Builder
	if p.Path != "" {
		b.WriteString(p.Path)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
		}
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	if p.Layer >= 0 {
		b.WriteString(" [" + im.Short(p.Layer) + "]")
	}
	return b.String()
}

// runImageRule calls an image rule, turning a panic into an error.
func runImageRule(r *imrules.Rule, im *image.Image, settings imrules.Settings) (fs []imrules.Finding, err error) {
	defer func() {
		if p := recover(); p != nil {
			stack := strings.Split(string(debug.Stack()), "\n")
			if len(stack) > 12 {
				stack = stack[:12]
			}
			err = fmt.Errorf("internal error in rule %s (%s): %v\n%s", r.ID, r.Slug, p, strings.Join(stack, "\n"))
		}
	}()
	return r.Run(im, settings), nil
}
