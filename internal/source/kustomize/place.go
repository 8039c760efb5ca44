package kustomize

import (
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"

	kjson "sigs.k8s.io/json"

	"github.com/kharden/kharden/internal/source/manifest"
)

// source is where a built resource came from, as its origin annotation tells.
type source struct {
	name string // as the user names it: base/deployment.yaml, a URL, a kustomization
	// data is the file's text when it is a local file kustomize read; nil for a
	// generated or fetched resource, which has no line of its own.
	data []byte
	// generated is set when a generator of the kustomization named made the resource,
	// remote when it came from a URL or repository.
	generated, remote bool
}

// sourceFiles parses each source file once, however many resources it holds.
type sourceFiles map[string]*manifest.Result

func (s sourceFiles) docs(src source) []*manifest.Document {
	r, ok := s[src.name]
	if !ok {
		r = manifest.Load(src.name, src.data)
		s[src.name] = r
	}
	return r.Docs
}

// placer positions the fields of one built resource in the file it was written in.
//
// A field path of the built object is followed through the built object and the source
// document side by side (list items matched by name, as strategic merge patches match
// them): a field both have, with the same value, is at its line in the source; a field
// the build added or changed (a patch, the images or namespace transformer) or removed
// has no line in any file the user wrote, so it is placed at the kustomization without
// one, and a note says why. A missing field is placed, as everywhere, at its nearest
// ancestor, when the source has that ancestor too.
type placer struct {
	kfile string // the kustomization built
	file  string // the file to name when no line can be given
	src   source
	built *manifest.Document
	doc   *manifest.Document // the resource in src; nil when it cannot be told
	note  string             // why there is no line, when doc is nil

	once            sync.Once
	builtV, sourceV any
}

func (p *placer) place(path string) manifest.Position {
	if p.doc == nil {
		return manifest.Position{File: p.file, Note: p.note}
	}
	p.once.Do(func() {
		p.builtV, p.sourceV = decode(p.built.JSON), decode(p.doc.JSON)
	})
	segs, err := manifest.SplitPath(path)
	if err != nil {
		return manifest.Position{File: p.kfile}
	}
	srcPath, state, at := follow(p.builtV, p.sourceV, segs)
	switch state {
	case changed:
		return manifest.Position{File: p.kfile, Note: "the kustomization sets " + at + "; " + p.src.name + " has another value"}
	case added:
		return manifest.Position{File: p.kfile, Note: "the kustomization adds " + at + "; it is not in " + p.src.name}
	case removed:
		return manifest.Position{File: p.kfile, Note: "the kustomization removes " + at + " that " + p.src.name + " has"}
	case unmatched:
		return manifest.Position{File: p.src.name, Note: "kharden cannot tell which item of " + at + " in " + p.src.name + " it is"}
	}
	line, col, found := p.doc.Locate(srcPath)
	if found != srcPath {
		// The JSON and the YAML tree disagree, which they should not: no line rather
		// than a wrong one.
		return manifest.Position{File: p.src.name}
	}
	return manifest.Position{File: p.src.name, Line: line, Column: col}
}

func decode(js []byte) any {
	var v any
	if kjson.UnmarshalCaseSensitivePreserveInts(js, &v) != nil {
		return nil
	}
	return v
}

// What following a path found.
type state int

const (
	same      state = iota // the source has the field (or its nearest ancestor) as built
	changed                // the build changed the field's value
	added                  // the build added the field or an ancestor
	removed                // the build removed the field or an ancestor
	unmatched              // a list item of the build cannot be matched to one of the source
)

// follow walks segs through the built object b and the source object s. It returns the
// source's path to the field (or to the deepest ancestor the built object has, for a
// missing field), and, when the source's text is not the built field's, what the build
// did and to which path of the built object.
func follow(b, s any, segs []manifest.Segment) (srcPath string, st state, at string) {
	var bp strings.Builder // the built path walked so far
	for _, seg := range segs {
		var bv, sv any
		var bok, sok bool
		step, srcStep := "", ""
		if seg.Key != "" {
			bm, _ := b.(map[string]any)
			bv, bok = bm[seg.Key]
			sm, _ := s.(map[string]any)
			sv, sok = sm[seg.Key]
			step = manifest.JoinKey(bp.String(), seg.Key)[bp.Len():]
			srcStep = manifest.JoinKey(srcPath, seg.Key)[len(srcPath):]
		} else {
			bl, _ := b.([]any)
			sl, _ := s.([]any)
			step = "[" + strconv.Itoa(seg.Index) + "]"
			if bok = seg.Index >= 0 && seg.Index < len(bl); bok {
				bv = bl[seg.Index]
				j, ok := match(bl, sl, seg.Index)
				if !ok {
					return srcPath, unmatched, bp.String()
				}
				if j >= 0 {
					sv, sok = sl[j], true
					srcStep = "[" + strconv.Itoa(j) + "]"
				}
			} else {
				sok = seg.Index >= 0 && seg.Index < len(sl)
			}
		}
		switch {
		case !bok && sok:
			// Missing from the build, present in the source: the finding's "missing"
			// is the build's doing.
			return srcPath, removed, bp.String() + step
		case !bok:
			// Missing from both: the nearest ancestor is the same field in both.
			return srcPath, same, ""
		case !sok:
			return srcPath, added, bp.String() + step
		}
		bp.WriteString(step)
		srcPath += srcStep
		b, s = bv, sv
	}
	if scalar(b) && !reflect.DeepEqual(b, s) {
		return srcPath, changed, bp.String()
	}
	return srcPath, same, ""
}

func scalar(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return false
	}
	return true
}

// match finds the source item of built list item i: the item of the same name for lists
// of named items (containers, volumes, env, ports...), which patches merge by name;
// otherwise the same index when the lists are as long. It returns -1, true when the
// source has no such item (the build added it) and false when it cannot be told.
func match(built, src []any, i int) (int, bool) {
	if name, ok := itemName(built[i]); ok {
		for j, it := range src {
			if n, ok := itemName(it); ok && n == name {
				return j, true
			}
		}
		return -1, true
	}
	if len(built) == len(src) {
		return i, true
	}
	return 0, false
}

func itemName(v any) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return "", false
	}
	n, ok := m["name"].(string)
	return n, ok
}

// find returns the document of docs that a built resource of the given kind and name
// came from. A name transformer may have added a prefix and a suffix, so a document
// whose name is the middle of the built one is taken, the longest such; nil when none
// is, or two are equally good.
func find(docs []*manifest.Document, kind, name string) *manifest.Document {
	var best *manifest.Document
	tie := false
	for _, d := range docs {
		if d.Object.Kind != kind || !strings.Contains(name, d.Object.Name) {
			continue
		}
		switch {
		case best == nil || len(d.Object.Name) > len(best.Object.Name):
			best, tie = d, false
		case len(d.Object.Name) == len(best.Object.Name):
			tie = true
		}
	}
	if tie {
		return nil
	}
	return best
}

// localData is the text of the file at originPath (relative to the kustomization
// built), when kustomize read it from the local file system.
func (g *guardFS) localData(originPath string) []byte {
	p := filepath.Clean(filepath.Join(g.top, originPath))
	if d, ok := g.read[p]; ok {
		return d
	}
	return nil
}
