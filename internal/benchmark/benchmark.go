// Package benchmark holds the CIS Kubernetes Benchmark as data: every item's number, its
// section and group, a short title, whether the benchmark scores it (Automated) or leaves
// it to a person (Manual), what kind of evidence decides it, and guidance for the person
// who has to act on it or judge it. Reports number their results like the benchmark and
// take titles and guidance from here; the checks themselves live with the rules
// (package flags for flags and configuration files).
//
// Titles and guidance are kharden's own words; the numbering and the Automated/Manual
// split are the benchmark's.
package benchmark

import (
	"fmt"
	"strings"
)

// Assessment is the benchmark's classification of an item.
type Assessment string

const (
	// Automated items are scored: a tool can decide them.
	Automated Assessment = "Automated"
	// Manual items are not scored: the benchmark leaves them to a person, although
	// kharden decides some of them from the effective configuration.
	Manual Assessment = "Manual"
)

// Audit is the kind of evidence that decides an item.
type Audit string

const (
	// AuditFlags: a component's command-line flags.
	AuditFlags Audit = "flags"
	// AuditFileMode: the permission bits of files or directories.
	AuditFileMode Audit = "file-mode"
	// AuditFileOwner: the owner and group of files or directories.
	AuditFileOwner Audit = "file-owner"
	// AuditConfigFile: the content of a configuration file a flag names, with the flags
	// that override it (the kubelet's --config, the audit policy, the encryption
	// configuration).
	AuditConfigFile Audit = "config-file"
	// AuditNone: nothing on a node answers it; a person judges.
	AuditNone Audit = "none"
)

// Item is one recommendation of the benchmark.
type Item struct {
	// ID is the item's number ("1.2.1").
	ID string
	// Section is the top-level section ("1"); Group the group the item is listed under
	// ("1.2"; "2" for the etcd items, which have no subgroup).
	Section, Group string
	// Title is the requirement, short, in kharden's words.
	Title      string
	Assessment Assessment
	Audit      Audit
	// Guidance says what a person should do, or judge, about the item.
	Guidance string
}

// Automated tells whether the benchmark scores the item.
func (it *Item) Automated() bool { return it.Assessment == Automated }

// Group is a numbered group of items, or a section (whose ID has no dot).
type Group struct {
	ID, Title string
	// Items are the group's items in benchmark order; empty for a section.
	Items []*Item
}

// Benchmark is one version of the benchmark.
type Benchmark struct {
	// Name is the short name ("cis-1.12"), Title the full one.
	Name, Title string
	// Items are every item, in benchmark order.
	Items []Item

	sections []Group
	groups   []Group
	index    map[string]int
}

// Lookup returns the item with an ID.
func (b *Benchmark) Lookup(id string) (*Item, bool) {
	i, ok := b.index[id]
	if !ok {
		return nil, false
	}
	return &b.Items[i], true
}

// Groups returns the groups in benchmark order, each with its items.
func (b *Benchmark) Groups() []Group { return append([]Group(nil), b.groups...) }

// Sections returns the top-level sections in benchmark order, without items.
func (b *Benchmark) Sections() []Group { return append([]Group(nil), b.sections...) }

// GroupOf returns the group an item is listed under.
func (b *Benchmark) GroupOf(it *Item) Group {
	for _, g := range b.groups {
		if g.ID == it.Group {
			return g
		}
	}
	return Group{}
}

// build validates a benchmark's data and indexes it; bad data is a programming error and
// panics, so that it fails every test rather than a run.
func build(name, title string, sections, groups []Group, items []Item) *Benchmark {
	b := &Benchmark{Name: name, Title: title, Items: items, sections: sections, index: map[string]int{}}
	known := map[string]bool{}
	for _, s := range sections {
		known[s.ID] = true
	}
	groupIndex := map[string]int{}
	for _, g := range groups {
		if g.Title == "" || !known[strings.SplitN(g.ID, ".", 2)[0]] {
			panic(fmt.Sprintf("benchmark %s: group %q has no title or no section", name, g.ID))
		}
		groupIndex[g.ID] = len(b.groups)
		b.groups = append(b.groups, Group{ID: g.ID, Title: g.Title})
	}
	for i := range b.Items {
		it := &b.Items[i]
		if _, dup := b.index[it.ID]; dup {
			panic(fmt.Sprintf("benchmark %s: item %s listed twice", name, it.ID))
		}
		gi, ok := groupIndex[it.Group]
		switch {
		case !ok || !strings.HasPrefix(it.ID, it.Group+"."):
			panic(fmt.Sprintf("benchmark %s: item %s is not in a known group (%q)", name, it.ID, it.Group))
		case it.Section != strings.SplitN(it.ID, ".", 2)[0]:
			panic(fmt.Sprintf("benchmark %s: item %s is not in section %s", name, it.ID, it.Section))
		case it.Title == "" || it.Guidance == "" || strings.HasSuffix(it.Title, "."):
			panic(fmt.Sprintf("benchmark %s: item %s needs a title (no full stop) and guidance", name, it.ID))
		case it.Assessment != Automated && it.Assessment != Manual:
			panic(fmt.Sprintf("benchmark %s: item %s has assessment %q", name, it.ID, it.Assessment))
		}
		switch it.Audit {
		case AuditFlags, AuditFileMode, AuditFileOwner, AuditConfigFile, AuditNone:
		default:
			panic(fmt.Sprintf("benchmark %s: item %s has audit %q", name, it.ID, it.Audit))
		}
		b.index[it.ID] = i
		b.groups[gi].Items = append(b.groups[gi].Items, it)
	}
	return b
}

// Walk visits the groups that have items, in benchmark order, as a report numbered like
// the benchmark lays them out: section is called when a new section starts, then group
// for each of its groups; own is set for a group that is the section itself (the etcd
// items sit directly under section 2), which has no heading of its own.
func (b *Benchmark) Walk(section func(s Group), group func(g Group, own bool)) {
	titles := map[string]string{}
	for _, s := range b.sections {
		titles[s.ID] = s.Title
	}
	last := ""
	for _, g := range b.groups {
		if len(g.Items) == 0 {
			continue
		}
		if s := g.Items[0].Section; s != last {
			section(Group{ID: s, Title: titles[s]})
			last = s
		}
		group(g, g.ID == last)
	}
}
