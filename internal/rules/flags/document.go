package flags

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// A document is a configuration file (YAML or JSON) parsed with the position of every
// value, so that a verdict or a fault can name the line. The readers here are strict
// about the values the checks read (a string where a number belongs is an error, as it
// is for the component) and ignore everything else.

// parseDocument parses a configuration file. An empty file, or one holding only
// comments, gives a nil node.
func parseDocument(file string, content []byte) (*yaml.Node, *fileError) {
	var doc yaml.Node
	if err := yaml.Unmarshal(content, &doc); err != nil {
		return nil, yamlError(file, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	root := resolve(doc.Content[0])
	if isNull(root) {
		return nil, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, &fileError{File: file, Line: root.Line, What: "the file is not a mapping of settings"}
	}
	return root, nil
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlError turns a parser error into a fileError with its line.
func yamlError(file string, err error) *fileError {
	msg := strings.TrimSpace(err.Error())
	if rest, ok := strings.CutPrefix(msg, "yaml: unmarshal errors:"); ok {
		msg, _, _ = strings.Cut(strings.TrimSpace(rest), "\n")
	}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return &fileError{File: file, Line: n, What: m[2]}
	}
	return &fileError{File: file, What: strings.TrimPrefix(msg, "yaml: ")}
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// member returns the value of a key of a mapping node, or nil; a repeated key takes its
// last value, as the Kubernetes decoders do.
func member(m *yaml.Node, key string) *yaml.Node {
	var v *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := resolve(m.Content[i]); k.Kind == yaml.ScalarNode && k.Value == key {
			v = resolve(m.Content[i+1])
		}
	}
	return v
}

// valueError is a fault in one value of a document.
func valueError(file string, n *yaml.Node, key, format string, a ...any) *fileError {
	return &fileError{File: file, Line: n.Line, What: key + ": " + fmt.Sprintf(format, a...)}
}

// plain reports whether a scalar was written without quotes, so that YAML may read it
// as a boolean or a number.
func plain(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) == 0
}

// The Kubernetes decoders read YAML 1.1, where yes, no, on and off are booleans too.
var yamlBools = map[string]bool{
	"true": true, "yes": true, "on": true, "y": true,
	"false": false, "no": false, "off": false, "n": false,
}

func nodeBool(file, key string, n *yaml.Node) (bool, *fileError) {
	if plain(n) {
		if b, ok := yamlBools[strings.ToLower(n.Value)]; ok {
			return b, nil
		}
	}
	return false, valueError(file, n, key, "%q is not a boolean", n.Value)
}

func nodeInt(file, key string, n *yaml.Node) (int64, *fileError) {
	if plain(n) && n.Tag == "!!int" {
		if i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil {
			return i, nil
		}
	}
	return 0, valueError(file, n, key, "%q is not an integer", n.Value)
}

func nodeString(file, key string, n *yaml.Node) (string, *fileError) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		return n.Value, nil
	}
	return "", valueError(file, n, key, "%q is not a string", n.Value)
}

// nodeDuration reads a duration, which Kubernetes configuration files write as a string
// ("5m", "4h0m0s"): a bare number is an error for the component too.
func nodeDuration(file, key string, n *yaml.Node) (time.Duration, *fileError) {
	s, ferr := nodeString(file, key, n)
	if ferr != nil {
		return 0, valueError(file, n, key, "%q is not a duration such as \"5m\"", n.Value)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, valueError(file, n, key, "%q is not a duration such as \"5m\"", s)
	}
	return d, nil
}

func nodeStrings(file, key string, n *yaml.Node) ([]string, *fileError) {
	if n.Kind != yaml.SequenceNode {
		return nil, valueError(file, n, key, "is not a list")
	}
	out := make([]string, 0, len(n.Content))
	for _, e := range n.Content {
		s, err := nodeString(file, key, resolve(e))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
