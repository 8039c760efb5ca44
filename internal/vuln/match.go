// Package vuln matches installed packages against OSV advisories: it names each
// package in its OSV ecosystem (FromImage, FromBuildInfo), asks a database for the
// advisories of that name (osv.Source), decides with the ecosystem's own version order
// whether the installed version is affected, merges the advisories that are aliases of
// one another into one finding, and rates each finding from its CVSS vector or its
// ecosystem's rating. It reads nothing from disk or the network itself.
package vuln

import (
	"cmp"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/osv-scalibr/semantic"

	"github.com/kharden/kharden/internal/source/osv"
)

// Options tune Match.
type Options struct {
	// IgnoreUnfixed drops findings for which no advisory names a fixed version above
	// the installed one.
	IgnoreUnfixed bool
}

// Result is what Match found.
type Result struct {
	// Findings are ordered by package (ecosystem, name, version, location) and then
	// advisory ID.
	Findings []Finding `json:"findings"`
	Stats    Stats     `json:"stats"`
}

// Finding is one vulnerability of one installed package: one advisory, or several
// that are aliases of one another.
type Finding struct {
	// ID is the primary advisory's ID: the ecosystem's own (GO-, DSA-/DLA-/DEBIAN-,
	// USN-/UBUNTU-, ALPINE-, RHSA-, RLSA-, ALSA-, PYSEC-, RUSTSEC-) when the group has
	// one, else the first of the group's advisory IDs in lexical order.
	ID string `json:"id"`
	// Aliases are the group's other identifiers, sorted: the other advisories' IDs and
	// every alias any of them lists.
	Aliases []string `json:"aliases,omitempty"`
	// Merged are the IDs of the other advisories of the group that matched (a subset of
	// Aliases).
	Merged  []string `json:"merged,omitempty"`
	Summary string   `json:"summary,omitempty"`
	Package Package  `json:"package"`
	// Ecosystem, Name and Installed are what was compared: for a distribution package
	// the source package and its version, for Red Hat the product stream.
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	Installed string `json:"installed"`
	// Fixed are the smallest fixed versions above Installed of the ranges that affect it,
	// one per advisory at most, in version order; empty when none is known.
	Fixed      []string        `json:"fixed,omitempty"`
	Rating     Rating          `json:"rating"`
	References []osv.Reference `json:"references,omitempty"`
}

// Stats tell what a match looked at.
type Stats struct {
	// Packages is the number of packages given; Unmatched those not looked up (no
	// ecosystem, no name).
	Packages  int `json:"packages"`
	Unmatched int `json:"unmatched"`
	// Ecosystems counts the looked-up packages by ecosystem.
	Ecosystems map[string]int `json:"ecosystems"`
	// Lookups is the number of (ecosystem, name) questions asked of the database;
	// Advisories the distinct advisories it answered with; Withdrawn those of them
	// ignored as withdrawn.
	Lookups    int `json:"lookups"`
	Advisories int `json:"advisories"`
	Withdrawn  int `json:"withdrawn"`
	// Unfixed is the number of findings dropped by Options.IgnoreUnfixed.
	Unfixed int `json:"unfixed"`
	// Notes are data the matcher could not use (a version that does not parse, a range
	// of an unknown type, a vector that does not score), each with how often it occurred.
	Notes []Note `json:"notes,omitempty"`
}

// Note is one kind of data the matcher passed over, and how often.
type Note struct {
	Message string `json:"message"`
	Count   int    `json:"count"`
}

// notes collects notes, counting repeats.
type notes struct {
	m map[string]int
}

func (n *notes) add(msg string, err error) {
	if err != nil {
		msg += ": " + err.Error()
	}
	if n.m == nil {
		n.m = map[string]int{}
	}
	n.m[msg]++
}

func (n *notes) list() []Note {
	out := make([]Note, 0, len(n.m))
	for m, c := range n.m {
		out = append(out, Note{Message: m, Count: c})
	}
	slices.SortFunc(out, func(a, b Note) int { return cmp.Compare(a.Message, b.Message) })
	return out
}

// hit is one advisory that affects one installed version.
type hit struct {
	entry *osv.Entry
	key   lookupKey
	// affected are the advisory's affected entries that matched.
	affected []*osv.Affected
	fixed    string
	fixedV   semantic.Version
}

// matcher holds what one Match call caches.
type matcher struct {
	src     osv.Source
	notes   notes
	stats   Stats
	entries map[[2]string][]*osv.Entry
	// hits caches the advisories affecting a (key, platform).
	hits     map[hitKey][]*hit
	seen     map[string]bool
	withdraw map[string]bool
	scores   scores
	parsed   parseCache
	// Scratch maps of findings, cleared for each package.
	byID, owner map[string]int
}

type hitKey struct {
	key      lookupKey
	platform string
}

// Match matches pkgs against the advisories of src. An error is the database's: bad
// advisory data becomes notes in the stats, never an error.
func Match(pkgs []Package, src osv.Source, opts Options) (Result, error) {
	m := &matcher{
		src:      src,
		entries:  map[[2]string][]*osv.Entry{},
		hits:     map[hitKey][]*hit{},
		seen:     map[string]bool{},
		withdraw: map[string]bool{},
	}
	m.stats.Packages = len(pkgs)
	m.stats.Ecosystems = map[string]int{}
	// Packages in report order; each package's findings are sorted by ID, so the
	// findings need no sort of their own.
	order := make([]int, len(pkgs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		pa, pb := &pkgs[i], &pkgs[j]
		return cmp.Or(cmp.Compare(pa.Ecosystem, pb.Ecosystem), cmp.Compare(pa.Name, pb.Name),
			cmp.Compare(pa.Version, pb.Version), cmp.Compare(pa.Location.File, pb.Location.File),
			cmp.Compare(pa.Location.Within, pb.Location.Within), cmp.Compare(pa.Location.Layer, pb.Location.Layer))
	})
	keys := make([][]lookupKey, len(pkgs))
	for i := range pkgs {
		keys[i] = pkgs[i].keys()
	}
	if err := m.prefetch(order, keys); err != nil {
		return Result{}, err
	}
	// The hits of every package first, so that the findings, large values, are
	// allocated once: a package has at most one finding per hit.
	pkgHits := make([][]*hit, len(pkgs))
	total := 0
	for _, i := range order {
		p := &pkgs[i]
		if len(keys[i]) == 0 {
			m.stats.Unmatched++
			continue
		}
		m.stats.Ecosystems[p.Ecosystem]++
		for ki, k := range keys[i] {
			hs, err := m.hitsFor(k, p.Platform)
			if err != nil {
				return Result{}, err
			}
			if ki == 0 {
				pkgHits[i] = hs
			} else if len(hs) > 0 {
				pkgHits[i] = append(slices.Clip(pkgHits[i]), hs...)
			}
		}
		total += len(pkgHits[i])
	}
	findings := make([]Finding, 0, total)
	for _, i := range order {
		p := &pkgs[i]
		start := len(findings)
		findings = m.findings(findings, p, pkgHits[i])
		if opts.IgnoreUnfixed {
			kept := findings[:start]
			for _, f := range findings[start:] {
				if len(f.Fixed) == 0 {
					m.stats.Unfixed++
					continue
				}
				kept = append(kept, f)
			}
			clear(findings[len(kept):])
			findings = kept
		}
		slices.SortFunc(findings[start:], func(a, b Finding) int { return cmp.Compare(a.ID, b.ID) })
	}
	if len(findings) == 0 {
		findings = nil
	}
	m.stats.Advisories = len(m.seen)
	m.stats.Withdrawn = len(m.withdraw)
	m.stats.Notes = m.notes.list()
	return Result{Findings: findings, Stats: m.stats}, nil
}

// prefetch asks the database for the advisories of every (ecosystem, name) of the
// packages, once each, with as many lookups at once as there are processors: reading
// and decoding advisories is most of a match's work. The first error in package
// order is returned, as a match one lookup at a time would have met it.
func (m *matcher) prefetch(order []int, keys [][]lookupKey) error {
	var names [][2]string
	for _, i := range order {
		for _, k := range keys[i] {
			nk := [2]string{k.ecosystem, k.name}
			if _, ok := m.entries[nk]; !ok {
				m.entries[nk] = nil
				names = append(names, nk)
			}
		}
	}
	type answer struct {
		es  []*osv.Entry
		err error
	}
	answers := make([]answer, len(names))
	var next atomic.Int64
	work := func() {
		for {
			i := int(next.Add(1)) - 1
			if i >= len(names) {
				return
			}
			answers[i].es, answers[i].err = m.src.Lookup(names[i][0], names[i][1])
		}
	}
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(names)) - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
	n := 0
	for i := range answers {
		n += len(answers[i].es)
	}
	m.seen = make(map[string]bool, n)
	for i, nk := range names {
		if err := answers[i].err; err != nil {
			return fmt.Errorf("looking up %s %s: %w", nk[0], nk[1], err)
		}
		m.stats.Lookups++
		m.record(nk, answers[i].es)
	}
	return nil
}

// record keeps the advisories of one (ecosystem, name), counting them.
func (m *matcher) record(k [2]string, es []*osv.Entry) {
	for _, e := range es {
		if e == nil {
			continue
		}
		m.seen[e.ID] = true
		if e.Withdrawn != nil {
			m.withdraw[e.ID] = true
		}
	}
	m.entries[k] = es
}

// lookup asks the database once per (ecosystem, name); prefetch has usually asked.
func (m *matcher) lookup(eco, name string) ([]*osv.Entry, error) {
	k := [2]string{eco, name}
	if es, ok := m.entries[k]; ok {
		return es, nil
	}
	m.stats.Lookups++
	es, err := m.src.Lookup(eco, name)
	if err != nil {
		return nil, fmt.Errorf("looking up %s %s: %w", eco, name, err)
	}
	m.record(k, es)
	return es, nil
}

// hitsFor are the advisories that affect the installed version of a key.
func (m *matcher) hitsFor(k lookupKey, platform string) ([]*hit, error) {
	hk := hitKey{k, platform}
	if hs, ok := m.hits[hk]; ok {
		return hs, nil
	}
	es, err := m.lookup(k.ecosystem, k.name)
	if err != nil {
		return nil, err
	}
	ev := newEvaluator(k.version, &m.notes, &m.parsed)
	var out []*hit
	for _, e := range es {
		if e == nil || e.Withdrawn != nil {
			continue
		}
		var h *hit
		for ai := range e.Affected {
			a := &e.Affected[ai]
			if a.Package.Ecosystem != k.ecosystem || a.Package.Name != k.name {
				continue
			}
			r := ev.evaluate(e.ID, a)
			if !r.affected {
				continue
			}
			if k.ecosystem == "Go" && !goPlatform(e.ID, a, platform, &m.notes) {
				continue
			}
			if h == nil {
				h = &hit{entry: e, key: k}
			}
			h.affected = append(h.affected, a)
			if r.fixedV != nil && (h.fixedV == nil || compare(r.fixedV, h.fixedV) < 0) {
				h.fixed, h.fixedV = r.fixed, r.fixedV
			}
		}
		if h != nil {
			out = append(out, h)
		}
	}
	m.hits[hk] = out
	return out, nil
}

// goPlatform tells whether a Go advisory's affected entry applies on platform
// ("linux/amd64"): when it lists packages, at least one must be for any GOOS/GOARCH or
// list the platform's.
func goPlatform(id string, a *osv.Affected, platform string, n *notes) bool {
	if platform == "" || len(a.EcosystemSpecific) == 0 {
		return true
	}
	goos, goarch, _ := strings.Cut(platform, "/")
	var es struct {
		Imports []struct {
			GOOS   []string `json:"goos"`
			GOARCH []string `json:"goarch"`
		} `json:"imports"`
	}
	if err := json.Unmarshal(a.EcosystemSpecific, &es); err != nil {
		n.add(fmt.Sprintf("advisory %s: ecosystem_specific does not parse: platforms not checked", id), err)
		return true
	}
	if len(es.Imports) == 0 {
		return true
	}
	for _, imp := range es.Imports {
		if (len(imp.GOOS) == 0 || slices.Contains(imp.GOOS, goos)) && (len(imp.GOARCH) == 0 || slices.Contains(imp.GOARCH, goarch)) {
			return true
		}
	}
	return false
}

// ownPrefixes are the ID prefixes of each ecosystem's own advisories.
var ownPrefixes = map[string][]string{
	"Go":          {"GO-"},
	"Debian":      {"DSA-", "DLA-", "DTSA-", "DEBIAN-"},
	"Ubuntu":      {"USN-", "UBUNTU-"},
	"Alpine":      {"ALPINE-"},
	"Red Hat":     {"RHSA-", "RHBA-", "RHEA-"},
	"Rocky Linux": {"RLSA-", "RLBA-", "RLEA-", "RXSA-"},
	"AlmaLinux":   {"ALSA-", "ALBA-", "ALEA-"},
	"PyPI":        {"PYSEC-"},
	"crates.io":   {"RUSTSEC-"},
}

// findings groups a package's hits into findings, appended to out: advisories whose
// IDs and aliases meet are one group (transitively), reported once.
func (m *matcher) findings(out []Finding, p *Package, hits []*hit) []Finding {
	if len(hits) == 0 {
		return out
	}
	// One hit per advisory: a Red Hat advisory naming both the binary and the source
	// RPM, asked twice, is one.
	if m.byID == nil {
		m.byID, m.owner = map[string]int{}, map[string]int{}
	}
	clear(m.byID)
	uniq := hits[:0:0]
	for _, h := range hits {
		if _, ok := m.byID[h.entry.ID]; ok {
			continue
		}
		m.byID[h.entry.ID] = len(uniq)
		uniq = append(uniq, h)
	}
	hits = uniq
	parent := make([]int, len(hits))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(i int, id string) {
		if j, ok := m.owner[id]; ok {
			a, b := find(i), find(j)
			if a != b {
				parent[max(a, b)] = min(a, b)
			}
			return
		}
		m.owner[id] = i
	}
	clear(m.owner)
	for i, h := range hits {
		union(i, h.entry.ID)
		for _, a := range h.entry.Aliases {
			union(i, a)
		}
	}
	// Each group's hits together, groups in the order of their first hit.
	idx := make([]int, len(hits))
	for i := range idx {
		idx[i] = i
		find(i)
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(parent[a], parent[b]) })
	base, _, _ := strings.Cut(p.Ecosystem, ":")
	g := make([]*hit, 0, len(hits))
	for start := 0; start < len(idx); {
		end := start + 1
		for end < len(idx) && parent[idx[end]] == parent[idx[start]] {
			end++
		}
		g = g[:0]
		for _, i := range idx[start:end] {
			g = append(g, hits[i])
		}
		start = end
		slices.SortFunc(g, func(a, b *hit) int { return cmp.Compare(a.entry.ID, b.entry.ID) })
		primary := 0
		for i, h := range g {
			if hasAnyPrefix(h.entry.ID, ownPrefixes[base]) {
				primary = i
				break
			}
		}
		g[0], g[primary] = g[primary], g[0]
		out = append(out, m.finding(p, g))
	}
	return out
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// finding makes the finding of a group of hits, its primary first.
func (m *matcher) finding(p *Package, g []*hit) Finding {
	pr := g[0]
	f := Finding{ID: pr.entry.ID, Summary: pr.entry.Summary, Package: *p, Ecosystem: pr.key.ecosystem, Name: pr.key.name,
		Installed: pr.key.version}
	type fix struct {
		raw string
		v   semantic.Version
	}
	var fixes []fix
	for i, h := range g {
		if i > 0 {
			f.Merged = append(f.Merged, h.entry.ID)
			f.Aliases = append(f.Aliases, h.entry.ID)
		}
		f.Aliases = append(f.Aliases, h.entry.Aliases...)
		if f.Summary == "" {
			f.Summary = h.entry.Summary
		}
		for _, r := range h.entry.References {
			if !slices.Contains(f.References, r) {
				f.References = append(f.References, r)
			}
		}
		if h.fixed != "" && !slices.ContainsFunc(fixes, func(x fix) bool { return x.raw == h.fixed }) {
			fixes = append(fixes, fix{h.fixed, h.fixedV})
		}
	}
	slices.Sort(f.Aliases)
	f.Aliases = slices.Compact(f.Aliases)
	if i, ok := slices.BinarySearch(f.Aliases, f.ID); ok {
		f.Aliases = slices.Delete(f.Aliases, i, i+1)
	}
	if len(f.Aliases) == 0 {
		f.Aliases = nil
	}
	slices.Sort(f.Merged)
	// Fixes of one order are compared; a SEMVER fix and an ECOSYSTEM fix of the same
	// package are not, and keep their advisories' order.
	slices.SortStableFunc(fixes, func(a, b fix) int {
		if c, err := a.v.Compare(b.v); err == nil {
			return c
		}
		return 0
	})
	for _, x := range fixes {
		f.Fixed = append(f.Fixed, x.raw)
	}
	f.Rating = rate(g, &m.notes, &m.scores)
	return f
}
