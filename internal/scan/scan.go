// Package scan is the task-level facade of `kharden scan`: it finds the inputs under the
// given paths, loads them (plain manifests, Helm charts, Kustomize directories,
// Dockerfiles), selects the rules of a profile and config, and runs the engines into one
// report.
package scan

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kharden/kharden/internal/config"
	"github.com/kharden/kharden/internal/engine"
	"github.com/kharden/kharden/internal/pss"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	imrules "github.com/kharden/kharden/internal/rules/image"
	"github.com/kharden/kharden/internal/rules/k8s"
	"github.com/kharden/kharden/internal/source/dockerfile"
	"github.com/kharden/kharden/internal/source/fsread"
	"github.com/kharden/kharden/internal/source/image"
	"github.com/kharden/kharden/internal/source/manifest"
)

// Options are the inputs of a scan.
type Options struct {
	Paths []string
	// Jobs is how many inputs are scanned in parallel; 0 means one per CPU.
	Jobs  int
	Stdin io.Reader
	// Profile overrides the config's profile when set.
	Profile string
	// FailOn overrides the config's failOn when set.
	FailOn    string
	Config    *config.Config
	Helm      HelmOptions
	Kustomize KustomizeOptions
	// Dockerfiles are Dockerfiles named explicitly (--dockerfile), whose build context is
	// Context, or their own directory when Context is empty. Dockerfiles found under
	// Paths always use their own directory.
	Dockerfiles []string
	Context     string
	// Version is the tool version written into reports.
	Version string
	// Images reads the image of every container of the workloads (registry references
	// only, with Image's settings) and attaches the image rules' findings to the
	// container's image field; see imageJudge. It is the only part of a scan that uses
	// the network.
	Images bool
	Image  image.Options
	// Registries are the registries Images may read, as image references name them
	// (host or host:port; "docker.io" is Docker Hub), and "*" for any registry at a
	// public address; none means "*". A named registry may be at any address; every
	// other connection, redirects and token servers included, must go to a public
	// address (netguard): the manifests are someone else's input, and must not make
	// the scan reach the runner's own network.
	Registries []string
	// Vulns are the vulnerability settings of Images: each image's packages are matched
	// against the database, and the findings placed as the image rules' are.
	Vulns VulnOptions
	// SeccompDir is the tree of the nodes' seccomp directory, where the Localhost
	// profiles workloads name are looked for (see SeccompDir); "" skips that rule.
	SeccompDir string
	// AllowEmpty makes a path with nothing to scan under it a note rather than an error
	// (see nothingToScan).
	AllowEmpty bool
}

// HelmOptions are passed to charts found under the paths.
type HelmOptions struct {
	ValuesFiles []string
	Set         []string
	// ReleaseName and Namespace are the release's, as `helm template` takes them: charts
	// that template {{ .Release.Namespace }} are judged in the namespace they will run in.
	ReleaseName string
	Namespace   string
}

// UsageError is a problem with what the user asked for (exit code 2, before any scanning).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Rules selects the rules of a profile, adjusted by a config. It also returns the PSS
// level the pss-* rules evaluate.
func Rules(profile string, cfg *config.Config) ([]*k8s.Rule, *config.Resolved, pss.LevelVersion, error) {
	res, err := cfg.Resolve(func(n string) (string, bool) {
		m := LookupAny(n)
		if m == nil {
			return "", false
		}
		return m.ID, true
	})
	if err != nil {
		return nil, nil, pss.LevelVersion{}, err
	}
	// A rule enabled by name must have something to judge: untrusted-registry without
	// allowedRegistries accepts every image, which the config's author cannot have meant.
	if len(cfg.AllowedRegistries) == 0 {
		for _, n := range cfg.Rules.Enable {
			if m := LookupAny(n); m != nil && m.ID == k8s.UntrustedRegistry.ID {
				return nil, nil, pss.LevelVersion{}, cfg.Errorf(n, "rule %q is enabled but allowedRegistries is empty, "+
					"so it would accept every image: list the allowed registries under allowedRegistries", n)
			}
		}
	}
	rules, lv, err := SelectRules(profile, res)
	return rules, res, lv, err
}

// SelectRules selects the manifest rules of a profile, adjusted by a resolved config,
// and returns the PSS level the pss-* rules evaluate. The pss-baseline profile runs the
// pss-* rules of baseline checks, pss-restricted all of them. A pss-* rule the config
// enables outside the profiles that evaluate its check (under the default profile, or a
// restricted check under pss-baseline) judges the pod at its check's own level, rather
// than run and report nothing.
func SelectRules(profile string, res *config.Resolved) ([]*k8s.Rule, pss.LevelVersion, error) {
	all := k8s.All()
	var lv pss.LevelVersion
	var err error
	inProfile := func(r *k8s.Rule) bool { return r.Default && !isPSS(r) }
	switch name, version, _ := strings.Cut(profile, ":"); name {
	case "", "default":
		if version != "" {
			return nil, lv, fmt.Errorf("profile %q takes no version", profile)
		}
	case "pss-baseline", "pss-restricted":
		level := strings.TrimPrefix(name, "pss-")
		if version != "" {
			level += ":" + version
		}
		if lv, err = pss.Parse(level); err != nil {
			return nil, lv, fmt.Errorf("profile %q: %w", profile, err)
		}
		// A namespace label naming a future version is evaluated at the latest, as
		// the API server does; a version typed on the command line or in the config
		// that kharden does not know is a mistake to report, not to round down.
		if latest := pss.Latest(); !lv.Version.Latest() && latest.Older(lv.Version) {
			return nil, lv, fmt.Errorf("profile %q: kharden knows the Pod Security Standards up to %s (give v1.0 to %s, or no version for the newest)", profile, latest, latest)
		}
		inProfile = func(r *k8s.Rule) bool { return k8s.PSSCovered(r, lv.Level) }
	default:
		return nil, lv, fmt.Errorf("unknown profile %q (want default, pss-baseline[:v1.N] or pss-restricted[:v1.N])", profile)
	}
	var out []*k8s.Rule
	for _, r := range all {
		on := inProfile(r)
		if v, ok := res.Enabled[r.ID]; ok {
			on = v
		}
		if on && isPSS(r) && !inProfile(r) {
			r = k8s.PSSAtOwnLevel(r)
		}
		if on {
			out = append(out, r)
		}
	}
	return out, lv, nil
}

func isPSS(r *k8s.Rule) bool { return strings.HasPrefix(r.Slug, "pss-") }

// Lookup returns a function finding a rule by slug or ID (case-insensitive ID).
func Lookup(rules []*k8s.Rule) func(string) *k8s.Rule {
	m := map[string]*k8s.Rule{}
	for _, r := range rules {
		m[r.Slug] = r
		m[strings.ToUpper(r.ID)] = r
	}
	return func(n string) *k8s.Rule {
		if r := m[n]; r != nil {
			return r
		}
		return m[strings.ToUpper(n)]
	}
}

// Engine returns the manifest engine `kharden scan --profile profile` runs with cfg, and
// the resolved config; the admission webhook judges objects with it, so that it gives the
// scan's verdicts. now is the time suppression expiry is judged against (zero: now).
func Engine(profile string, cfg *config.Config, now time.Time) (*engine.Engine, *config.Resolved, error) {
	if cfg == nil {
		cfg = &config.Config{}
	}
	rules, res, lv, err := Rules(profile, cfg)
	if err != nil {
		return nil, nil, err
	}
	return manifestEngine(rules, res, lv, cfg, now), res, nil
}

func manifestEngine(rules []*k8s.Rule, res *config.Resolved, lv pss.LevelVersion, cfg *config.Config, now time.Time) *engine.Engine {
	o := manifestOptions(rules, res, lv, cfg, now)
	SeccompDir(&o, "") // admission has no nodes' seccomp directory to look in
	return engine.New(o)
}

// manifestOptions are the options of the manifest engine. A suppression may name an
// image rule too: kharden scan --images attaches their findings to workloads.
func manifestOptions(rules []*k8s.Rule, res *config.Resolved, lv pss.LevelVersion, cfg *config.Config, now time.Time) engine.Options {
	all := Lookup(k8s.All())
	return engine.Options{
		Rules:            rules,
		Severity:         res.Severity,
		Settings:         k8s.Settings{AllowedRegistries: cfg.AllowedRegistries, PSS: lv},
		ExemptNamespaces: cfg.ExemptNamespaces,
		Known:            func(n string) bool { return all(n) != nil || imrules.Lookup(n) != nil },
		Now:              now,
	}
}

// Scanner is a configured scan: rules selected, config checked, ready to read inputs.
type Scanner struct {
	o     Options
	eng   *engine.Engine
	dfEng *engine.DockerfileEngine
	spEng *engine.SeccompEngine
	head  *report.Report
	// images is set by Options.Images.
	images *imageJudge
}

// New checks the options and config and selects the rules. Its error is a usage error:
// nothing has been read yet.
func New(o Options) (*Scanner, error) {
	cfg := o.Config
	if cfg == nil {
		cfg = &config.Config{}
	}
	profile := cfg.Profile
	if o.Profile != "" {
		profile = o.Profile
	}
	rules, res, lv, err := Rules(profile, cfg)
	if err != nil {
		return nil, &UsageError{err}
	}
	head := &report.Report{Tool: "kharden", Version: o.Version, FailOn: rule.High}
	if res.FailOn != nil {
		head.FailOn = *res.FailOn
	}
	if o.FailOn != "" {
		if head.FailOn, err = rule.ParseSeverity(o.FailOn); err != nil {
			return nil, &UsageError{fmt.Errorf("--fail-on: %w", err)}
		}
	}
	if o.Jobs < 0 {
		return nil, &UsageError{fmt.Errorf("--jobs %d: give a number of inputs to scan at once, or 0 for one per CPU", o.Jobs)}
	}
	o.Paths = uniquePaths(o.Paths)
	if len(o.Paths) == 0 && len(o.Dockerfiles) == 0 {
		return nil, &UsageError{errors.New("no path to scan (give files, directories, or - for stdin)")}
	}
	if slices.Contains(o.Paths, "-") && slices.Contains(o.Dockerfiles, "-") {
		return nil, &UsageError{errors.New("standard input can be read once: give - as a PATH or as --dockerfile -, not both")}
	}
	if o.Context != "" && len(o.Dockerfiles) == 0 && !slices.Contains(o.Paths, "-") {
		return nil, &UsageError{errors.New("--context applies to --dockerfile, and none is given")}
	}
	eo := manifestOptions(rules, res, lv, cfg, time.Time{})
	if err := SeccompDir(&eo, o.SeccompDir); err != nil {
		return nil, &UsageError{err}
	}
	var judge *imageJudge
	if o.Images {
		guard, err := NewRegistryGuard(o.Registries, o.Image.Insecure)
		if err != nil {
			return nil, &UsageError{err}
		}
		io := o.Image
		if io.Transport == nil {
			io.Transport = guard.Transport
		}
		isc, err := NewImage(ImageOptions{Config: cfg, Image: io, Vulns: o.Vulns})
		if err != nil {
			return nil, err
		}
		judge = newImageJudge(isc)
		judge.guard = guard
		eo.Images, eo.Extra = judge.judge, judge.metas()
	}
	eng := engine.New(eo)
	dfEng := engine.NewDockerfile(engine.DockerfileOptions{
		Rules:    DockerfileRules(profile, res),
		Severity: res.Severity,
		Known:    func(n string) bool { return lookupDockerfile(n) != nil },
	})
	spEng := engine.NewSeccomp(engine.SeccompOptions{Rules: SeccompRules(profile, res), Severity: res.Severity})
	head.Rules = append(eng.Rules(), dfEng.Rules()...)
	head.Rules = append(head.Rules, spEng.Rules()...)
	if judge != nil {
		head.Rules = append(head.Rules, judge.metas()...)
		// The advisories found in the images are rules too, met as the images are read.
		head.OpenRules = judge.sc.vulns != nil
	}
	return &Scanner{o: o, eng: eng, dfEng: dfEng, spEng: spEng, head: head, images: judge}, nil
}

// Head is the report's header: tool, version, the rules that run and the threshold.
func (s *Scanner) Head() *report.Report { return s.head }

// Each reads the inputs and hands each one's results to emit, in a stable order (the
// order of the paths, each directory tree in lexical order). Inputs are scanned by
// Options.Jobs workers in parallel (default: one per CPU) but emitted in order, and at
// most a few inputs per worker are held at once, so memory stays bounded by the largest
// inputs, not by their number. It stops at the first error emit returns, and when ctx
// is done: the inputs emitted by then are complete, and the error is ctx's
// (ErrInterrupted wrapping its cause); an input still being read is abandoned.
func (s *Scanner) Each(ctx context.Context, emit func(part *report.Report) error) error {
	workers := s.o.Jobs
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if s.images != nil {
		s.images.ctx = ctx
	}
	type slot chan scanned
	order := make(chan slot, 4*workers)
	jobs := make(chan func(), 4*workers)
	stop := make(chan struct{})
	var roots []*fsread.Root // the walked directories, open until their files are read
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range jobs {
				job()
			}
		}()
	}
	// The producer walks the paths; for each input it queues a slot (keeping the order)
	// and a job that fills it.
	go func() {
		defer close(order)
		defer close(jobs)
		inputs := 0 // queued so far, to tell a path that had none
		add := func(scanInput func() scanned) error {
			inputs++
			out := make(slot, 1)
			select {
			case order <- out:
			case <-stop:
				return errStopped
			case <-ctx.Done():
				return errStopped
			}
			select {
			case jobs <- func() { out <- scanInput() }:
			case <-ctx.Done():
				return errStopped // its slot is never filled: see below
			}
			return nil
		}
		for _, p := range s.o.Paths {
			if p == "-" && s.o.Stdin != nil {
				// Read by a worker, as any input: standard input may never end, and the
				// scan must still stop on a signal with what it has.
				if add(s.scanStdin) != nil {
					return
				}
				continue
			}
			before := inputs
			err := walk(p, s.o, func(load func() *manifest.Result) error {
				return add(func() scanned { return s.scanManifests(load()) })
			}, func(df dockerfileInput) error {
				return add(func() scanned { return scanned{part: s.scanDockerfile(df)} })
			}, func(r *fsread.Root) { roots = append(roots, r) }, func(b bigInput) error {
				return s.streamFile(b, add)
			})
			if err == nil && inputs == before {
				err = add(func() scanned { return scanned{part: nothingToScan(p, s.o.AllowEmpty)} })
			}
			if err != nil {
				return
			}
		}
		for _, p := range s.o.Dockerfiles {
			in := dockerfileInput{path: p, context: s.o.Context, read: func() ([]byte, error) {
				return fsread.ReadFile(p, dockerfile.MaxFileSize)
			}}
			if p == "-" {
				in.path = report.Stdin
				in.read = func() ([]byte, error) {
					if s.o.Stdin == nil {
						return nil, errors.New("no standard input")
					}
					return readStdin(s.o.Stdin, dockerfile.MaxFileSize)
				}
			}
			if add(func() scanned { return scanned{part: s.scanDockerfile(in)} }) != nil {
				return
			}
		}
	}()
	var err error
	interrupted := false
	pending := engine.NewPending() // results that wait for another input (see settle)
	defer pending.Close()
	for out := range order {
		var got scanned
		if !interrupted {
			select {
			case got = <-out:
			case <-ctx.Done():
				interrupted = true
			}
		}
		if interrupted {
			// The inputs done are still emitted, in order, up to the first one not
			// done; that one may be stuck where no context reaches (a standard input
			// that never ends), so it and the rest are abandoned to the process's exit.
			select {
			case got = <-out:
			default:
				if err == nil {
					err = s.settle(pending, emit)
				}
				return errors.Join(fmt.Errorf("%w: %w", ErrInterrupted, context.Cause(ctx)), err)
			}
		}
		if !got.wait.Empty() {
			pending.Add(got.wait)
		}
		if err == nil {
			if err = emit(got.part); err != nil {
				close(stop)
			}
		}
	}
	if err == nil {
		err = s.settle(pending, emit)
	}
	if err == nil && s.images != nil {
		if part := s.images.sc.Unused(); len(part.Notes) > 0 {
			err = emit(part)
		}
		if err == nil && s.images.used.Load() {
			if part := s.images.sc.vulns.Start(); part != nil && len(part.Notes)+len(part.Errors) > 0 {
				err = emit(part)
			}
		}
	}
	wg.Wait()
	for _, r := range roots {
		r.Close()
	}
	if err == nil && ctx.Err() != nil {
		err = fmt.Errorf("%w: %w", ErrInterrupted, context.Cause(ctx))
	}
	return err
}

// scanStdin scans standard input given as -: as a Dockerfile when it starts as one
// (and says so), else as manifests.
func (s *Scanner) scanStdin() scanned {
	in := bufio.NewReader(s.o.Stdin)
	if looksLikeDockerfile(in) {
		return scanned{part: s.scanDockerfile(dockerfileInput{path: report.Stdin, context: s.o.Context,
			read: func() ([]byte, error) { return readStdin(in, dockerfile.MaxFileSize) },
			note: "standard input starts as a Dockerfile does, so it is read as one (--dockerfile - says so outright)"})}
	}
	o := s.o
	o.Stdin = in
	var r *manifest.Result
	walk("-", o, func(load func() *manifest.Result) error { r = load(); return nil }, nil, nil, nil)
	return s.scanManifests(r)
}

// looksLikeDockerfile tells whether the input starts as a Dockerfile does: after blank
// and comment lines, a FROM or ARG instruction, or a parser directive (# syntax=). It
// reads no further than its first few lines.
func looksLikeDockerfile(in *bufio.Reader) bool {
	head, _ := in.Peek(4096)
	for _, line := range strings.Split(string(head), "\n") {
		line = strings.TrimSpace(line)
		low := strings.ToLower(line)
		switch {
		case line == "":
		case strings.HasPrefix(low, "# syntax=") || strings.HasPrefix(low, "# escape="):
			return true
		case strings.HasPrefix(line, "#"):
		default:
			word, _, _ := strings.Cut(low, " ")
			return word == "from" || word == "arg"
		}
	}
	return false
}

// readStdin reads standard input up to limit bytes: more is an error, since a stream
// has no size to tell.
func readStdin(r io.Reader, limit int) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(data) > limit {
		return nil, &fsread.TooLargeError{Limit: int64(limit)}
	}
	return data, nil
}

// ErrInterrupted is Each's error when its context ended before every input was read.
var ErrInterrupted = errors.New("scan interrupted")

var errStopped = errors.New("scan stopped")

func (s *Scanner) scanManifests(r *manifest.Result) scanned {
	part := &report.Report{Files: 1, Scanned: []string{firstFile(r)}, FailOn: s.head.FailOn}
	addLoad(part, r)
	docs, profiles := splitProfiles(r.Docs)
	buf := resultBufs.Get().(*[]rule.Result)
	part.Results = (*buf)[:0]
	wait := s.eng.ScanInput(docs, part)
	for _, d := range profiles {
		s.spEng.Scan(d, part)
	}
	part.Results = keepResults(part.Results, buf)
	clipProblems(part)
	return scanned{part: part, wait: wait}
}

// resultBufs hold the slices an input's results are gathered in. The results are then
// copied out at their number, so that a scan of many files does not allocate (and
// collect) a slice grown by doubling for each.
var resultBufs = sync.Pool{New: func() any { return new([]rule.Result) }}

// maxResultBuf is the largest buffer put back: an input with more results is rare, and
// a buffer is cleared whole when it is put back.
const maxResultBuf = 64

// keepResults returns a copy of rs, gathered in *buf, and puts the buffer back.
func keepResults(rs []rule.Result, buf *[]rule.Result) []rule.Result {
	var out []rule.Result
	if len(rs) > 0 {
		out = make([]rule.Result, len(rs))
		copy(out, rs)
	}
	if cap(rs) <= maxResultBuf {
		// Whole: the engine may have moved results out (held ones) and left copies
		// past the end. No pointer into this input is kept.
		clear(rs[:cap(rs)])
		*buf = rs[:0]
		resultBufs.Put(buf)
	}
	return out
}

// Run scans everything into one report, for callers that want it whole (tests, small
// inputs). The error is a usage error.
func Run(o Options) (*report.Report, error) {
	s, err := New(o)
	if err != nil {
		return nil, err
	}
	rep := *s.head
	err = s.Each(context.Background(), func(part *report.Report) error {
		rep.Files += part.Files
		rep.Objects += part.Objects
		rep.Scanned = append(rep.Scanned, part.Scanned...)
		rep.Results = append(rep.Results, part.Results...)
		rep.Suppressed = append(rep.Suppressed, part.Suppressed...)
		rep.Errors = append(rep.Errors, part.Errors...)
		rep.Notes = append(rep.Notes, part.Notes...)
		return nil
	})
	rep.Sort()
	return &rep, err
}

// nothingToScan is the report of a path under which nothing was found to scan: an
// error (exit 2), since a CI job pointed at the wrong directory would otherwise pass
// having checked nothing; a note when the caller allows it (--allow-empty).
func nothingToScan(path string, allow bool) *report.Report {
	p := report.Problem{File: path, Message: "nothing to scan: no manifest (.yaml, .yml, .json), Dockerfile, Helm chart or kustomization here"}
	if allow {
		return &report.Report{Notes: []report.Problem{p}}
	}
	p.Message += " (--allow-empty accepts that)"
	return &report.Report{Errors: []report.Problem{p}}
}

func addLoad(rep *report.Report, r *manifest.Result) {
	for _, e := range r.Errors {
		rep.Errors = append(rep.Errors, report.Problem{File: e.File, Line: e.Line, Column: e.Column, Message: e.Msg})
	}
	for _, n := range r.Notes {
		rep.Notes = append(rep.Notes, report.Problem{File: n.File, Line: n.Line, Column: n.Column, Message: n.Msg})
	}
}

// manifestExts are the file extensions scanned inside directories.
var manifestExts = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// walk calls f with each input found under path: the file itself, every manifest file
// of a directory tree in lexical order, a rendered chart or a built kustomization; and
// df with each Dockerfile (by name, see dockerfile.IsDockerfileName), charts and
// kustomizations included. A directory is opened as a root that its files are read
// through, so that none resolves outside it (see fsread); keep is handed each root,
// to close once its files have been read. A manifest file larger than
// manifest.WholeFileSize goes to big instead of f, when big is set.
func walk(path string, o Options, f func(load func() *manifest.Result) error, df func(dockerfileInput) error, keep func(*fsread.Root), big func(bigInput) error) error {
	now := func(r *manifest.Result) func() *manifest.Result { return func() *manifest.Result { return r } }
	if path == "-" {
		if o.Stdin == nil {
			return f(now(failed(report.Stdin, "no standard input")))
		}
		return f(func() *manifest.Result {
			data, err := io.ReadAll(io.LimitReader(o.Stdin, manifest.MaxFileSize+1))
			if err != nil {
				return failed(report.Stdin, err.Error())
			}
			if len(data) > manifest.MaxFileSize {
				// A stream has no size to tell: it is more than the limit, by how much
				// is unknown.
				return failed(report.Stdin, (&fsread.TooLargeError{Limit: manifest.MaxFileSize}).Error())
			}
			return loadManifest(report.Stdin, data)
		})
	}
	fi, err := os.Stat(path)
	if err != nil {
		return f(now(failed(path, cleanErr(err))))
	}
	if !fi.IsDir() {
		// A file named on the command line: its directories are taken as named, and a
		// link in its last element must stay in its directory (see fsread.ReadFile).
		if dockerfile.IsDockerfileName(filepath.Base(path)) {
			return df(dockerfileInput{path: path, read: func() ([]byte, error) {
				return fsread.ReadFile(path, dockerfile.MaxFileSize)
			}})
		}
		read := func() ([]byte, error) {
			data, err := fsread.ReadFile(path, manifest.MaxFileSize)
			if err != nil && (path == "/dev/stdin" || strings.HasPrefix(path, "/dev/fd/")) {
				err = fmt.Errorf("%s; give - to read standard input", cleanErr(err))
			}
			return data, err
		}
		if big != nil && fi.Mode().IsRegular() && fi.Size() > manifest.WholeFileSize {
			return big(bigInput{path: path, open: openNamed(path), read: read})
		}
		return f(func() *manifest.Result { return loadData(path, read) })
	}
	root, err := fsread.OpenRoot(path)
	if err != nil {
		return f(now(failed(path, cleanErr(err))))
	}
	keep(root)
	return walkTree(path, treeVisitor{
		dir: func(p string, entries []fs.DirEntry) (bool, error) {
			l := specialDirIn(p, entries)
			if l == nil {
				return true, nil
			}
			if err := f(func() *manifest.Result { return l.run(p, o) }); err != nil {
				return false, err
			}
			return false, walkDockerfiles(root, path, p, df)
		},
		// Files of any type are handed on by name, so that a FIFO, a device or a link
		// that leaves the tree is reported rather than silently passed over.
		file: func(p string, d fs.DirEntry) error {
			if dockerfile.IsDockerfileName(d.Name()) {
				return df(rootDockerfile(root, path, p))
			}
			if !manifestExts[strings.ToLower(filepath.Ext(p))] {
				return nil
			}
			rel := relTo(path, p)
			read := func() ([]byte, error) { return root.ReadEntry(rel, d.Type(), manifest.MaxFileSize) }
			if big == nil || !d.Type().IsRegular() {
				return f(func() *manifest.Result { return loadData(p, read) })
			}
			// The walk opens the file, to learn from the open file, rather than by a stat
			// of its path, whether it is read whole or streamed; the worker reads it.
			e, err := root.OpenEntry(rel, d.Type())
			if err != nil {
				return f(now(failed(p, cleanErr(err))))
			}
			if e.Size > manifest.WholeFileSize {
				e.Close()
				return big(bigInput{path: p, open: openIn(root, rel), read: read})
			}
			if err := f(func() *manifest.Result {
				return loadData(p, func() ([]byte, error) { return e.Read(manifest.MaxFileSize) })
			}); err != nil {
				e.Close() // not queued: its load never runs
				return err
			}
			return nil
		},
		fail: func(p string, err error) error { return f(now(failed(p, cleanErr(err)))) },
	})
}

// relTo is p, found by walking dir, relative to dir.
func relTo(dir, p string) string {
	rel, err := filepath.Rel(dir, p)
	if err != nil {
		return p // cannot happen for a path WalkDir gave
	}
	return rel
}

func firstFile(r *manifest.Result) string {
	switch {
	case len(r.Docs) > 0:
		return r.Docs[0].File
	case len(r.Errors) > 0:
		return r.Errors[0].File
	case len(r.Notes) > 0:
		return r.Notes[0].File
	}
	return ""
}

// specialDirIn returns the loader of a directory that is one input (a Helm chart, a
// Kustomize directory), or nil for a plain directory; entries are the directory's.
// Only a directory with an entry of a loader's name (in any case: a case-insensitive
// file system finds Chart.yaml as chart.yaml) is looked at more closely.
func specialDirIn(dir string, entries []fs.DirEntry) *dirLoader {
	for i := range dirLoaders {
		if hasEntry(entries, dirLoaders[i].names) && dirLoaders[i].match(dir) {
			return &dirLoaders[i]
		}
	}
	return nil
}

func hasEntry(entries []fs.DirEntry, names []string) bool {
	for _, e := range entries {
		for _, n := range names {
			if strings.EqualFold(e.Name(), n) {
				return true
			}
		}
	}
	return false
}

func (l *dirLoader) run(dir string, o Options) *manifest.Result {
	r, err := l.load(dir, o)
	if err != nil {
		return failed(dir, err.Error())
	}
	return r
}

// dirLoader recognises and loads a directory that is one input (a chart, a kustomization).
type dirLoader struct {
	names []string // the files that make a directory one (match tells for sure)
	match func(dir string) bool
	load  func(dir string, o Options) (*manifest.Result, error)
}

// dirLoaders is filled by the files that wire Helm and Kustomize in.
var dirLoaders []dirLoader

// loadData loads the manifests read reads, or the error reading them as one
// positioned at the file.
func loadData(p string, read func() ([]byte, error)) *manifest.Result {
	data, err := read()
	if err != nil {
		return failed(p, cleanErr(err))
	}
	return loadManifest(p, data)
}

func failed(file, msg string) *manifest.Result {
	return &manifest.Result{Errors: []*manifest.Error{{File: file, Msg: msg}}}
}

// cleanErr drops the path os errors repeat, since problems already name the file.
func cleanErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}
