package manifest

import (
	"strconv"

	yaml "go.yaml.in/yaml/v3"
)

// PathAt is the field path of the node of d that starts at line and column (any column
// when col is 0), or false when none does. A problem found in a loaded text that is not
// the user's (see Place) is placed in the user's file with it.
func (d *Document) PathAt(line, col int) (string, bool) {
	return pathAtDepth(d.Root, "", line, col, 0)
}

// startsAt tells whether n starts at line and col; col 0 (unknown) matches any column.
func startsAt(n *yaml.Node, line, col int) bool {
	return n.Line == line && (col == 0 || n.Column == col)
}

func pathAtDepth(n *yaml.Node, path string, line, col, depth int) (string, bool) {
	if n == nil || depth > maxDepth+1 {
		return "", false
	}
	if startsAt(n, line, col) {
		return path, true
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := JoinKey(path, k.Value)
			if startsAt(k, line, col) {
				return p, true
			}
			if r, ok := pathAtDepth(v, p, line, col, depth+1); ok {
				return r, true
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if r, ok := pathAtDepth(c, path+"["+strconv.Itoa(i)+"]", line, col, depth+1); ok {
				return r, true
			}
		}
	}
	return "", false
}
