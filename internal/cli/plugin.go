package cli

import (
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
)

// kharden is also a kubectl plugin: kubectl runs `kubectl kharden ARGS` as the
// program kubectl-kharden found on PATH (krew links it there, plugins/kharden.yaml),
// with ARGS, and kharden then behaves as ever but calls itself `kubectl kharden` in
// its help, usage, examples and hints.

// ProgramName is the command a user types to run the program started as argv0:
// "kubectl kharden" for kubectl-kharden (kubectl-kharden.exe on Windows), else
// "kharden".
func ProgramName(argv0 string) string {
	base := filepath.Base(argv0)
	if ext := filepath.Ext(base); strings.EqualFold(ext, ".exe") {
		base = strings.TrimSuffix(base, ext)
	}
	if strings.EqualFold(base, "kubectl-kharden") {
		return "kubectl kharden"
	}
	return "kharden"
}

// name is the command the user typed: IO.Name, by default kharden.
func (s IO) name() string {
	if s.Name == "" {
		return "kharden"
	}
	return s.Name
}

// exampleCommand finds kharden at the start of an example line or after a pipe.
var exampleCommand = regexp.MustCompile(`(?m)(^[ \t]*|\|[ \t]*)kharden `)

// nameAs makes the help, usage and examples of root and its commands say name
// (kubectl kharden) where they say kharden.
func nameAs(root *cobra.Command, name string) {
	if name == "" || name == root.Name() {
		return
	}
	if root.Annotations == nil {
		root.Annotations = map[string]string{}
	}
	root.Annotations[cobra.CommandDisplayNameAnnotation] = name
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		c.Example = exampleCommand.ReplaceAllStringFunc(c.Example, func(m string) string {
			return strings.TrimSuffix(m, "kharden ") + name + " "
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// commandPath is c's path from the root as kharden names it, whatever name the user
// typed: "kharden webhook serve" under kubectl too.
func commandPath(c *cobra.Command) string {
	var names []string
	for ; c.HasParent(); c = c.Parent() {
		names = append([]string{c.Name()}, names...)
	}
	return strings.Join(append([]string{c.Name()}, names...), " ")
}
