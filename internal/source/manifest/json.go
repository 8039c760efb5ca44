package manifest

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// maxAliasNodes bounds how many nodes alias expansion may produce in one document, so an
// alias bomb ("billion laughs") becomes an error before the decoder expands it.
const maxAliasNodes = 100_000

// maxDepth bounds nesting; no Kubernetes object comes close.
const maxDepth = 1000

// maxDuplicates bounds the duplicate-key errors reported for one document.
const maxDuplicates = 20

type posError struct {
	node *yaml.Node
	msg  string
}

func (e *posError) Error() string { return e.msg }

// checker walks a document as the decoder will expand it: it bounds depth and alias
// expansion, and collects duplicate keys.
type checker struct {
	aliased int
	dups    []*yaml.Node
}

func (c *checker) walk(n *yaml.Node, depth int, viaAlias bool) *posError {
	if depth > maxDepth {
		return &posError{n, fmt.Sprintf("nesting deeper than %d levels", maxDepth)}
	}
	if viaAlias {
		if c.aliased++; c.aliased > maxAliasNodes {
			return &posError{n, fmt.Sprintf("alias expansion exceeds %d nodes (an alias bomb?)", maxAliasNodes)}
		}
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return &posError{n, "alias to an unknown anchor"}
		}
		return c.walk(n.Alias, depth+1, true)
	case yaml.MappingNode:
		if !viaAlias {
			c.duplicates(n)
		}
	}
	for _, k := range n.Content {
		if err := c.walk(k, depth+1, viaAlias); err != nil {
			return err
		}
	}
	return nil
}

// duplicates records keys written twice in one mapping. The YAML decoder behind kubectl
// and Helm keeps the later value silently; kustomize refuses the file.
func (c *checker) duplicates(n *yaml.Node) {
	var seen map[string]bool
	if len(n.Content) > 32 {
		seen = make(map[string]bool, len(n.Content)/2)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode || isMerge(k) {
			continue
		}
		key := keyString(k)
		dup := false
		if seen != nil {
			dup = seen[key]
			seen[key] = true
		} else {
			for j := 0; j < i; j += 2 {
				if p := n.Content[j]; p.Kind == yaml.ScalarNode && !isMerge(p) && keyString(p) == key {
					dup = true
					break
				}
			}
		}
		if dup && len(c.dups) <= maxDuplicates {
			c.dups = append(c.dups, k)
		}
	}
}

// keyString is the JSON name of a mapping key as sigs.k8s.io/yaml makes it from YAML 1.1:
// plain keys that read as booleans or numbers are written in their canonical form
// (yes: becomes "true", 0x10: becomes "16").
func keyString(k *yaml.Node) string {
	v := k.Value
	if k.Style&^yaml.FlowStyle != 0 || v == "" {
		return v // quoted, block or tagged: the text itself
	}
	switch c := v[0]; {
	case c >= '0' && c <= '9', c == '+', c == '-', c == '.':
	case strings.IndexByte("yYnNtTfFoO", c) >= 0:
		switch v {
		case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON":
			return "true"
		case "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF":
			return "false"
		}
		return v
	default:
		return v
	}
	plain := strings.ReplaceAll(v, "_", "")
	if i, err := strconv.ParseInt(plain, 0, 64); err == nil {
		return strconv.FormatInt(i, 10)
	}
	if u, err := strconv.ParseUint(plain, 0, 64); err == nil {
		return strconv.FormatUint(u, 10)
	}
	if f, err := strconv.ParseFloat(plain, 64); err == nil && !math.IsInf(f, 0) && !strings.ContainsAny(plain, "xXpP") {
		return strconv.FormatFloat(f, 'g', -1, 32)
	}
	return v
}
