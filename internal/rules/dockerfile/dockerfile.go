// Package dockerfile holds the Dockerfile rules (IDs DF-xxxx): pure checks over a parsed
// Dockerfile (package source/dockerfile). Each rule lives in its own file with its
// fixtures in testdata/<slug>/{pass,fail}/, either NAME.Dockerfile files or one
// directory per case holding a Dockerfile and, for rules about the build context, a
// .dockerignore.
//
// A rule reads the model, never the text: instructions with their typed BuildKit
// command, the commands of each RUN with their own line, the stages and which of them
// make up the running image (File.RunningStages). It returns findings with a Line (and
// Column) from the instruction or command it is about; the engine adds the file, the
// stage, suppressions and severity.
package dockerfile

import (
	"fmt"
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// Rule is a Dockerfile rule: metadata and a pure check over one parsed file.
type Rule struct {
	rule.Meta
	Check func(f *dockerfile.File) []rule.Finding
}

// atInstruction is a finding at an instruction's keyword.
func atInstruction(in *dockerfile.Instruction, format string, a ...any) rule.Finding {
	return rule.Finding{Line: in.Line, Column: in.Col, Message: fmt.Sprintf(format, a...)}
}

// atCommand is a finding at a command's name, on the line the command is written.
func atCommand(c *dockerfile.Command, format string, a ...any) rule.Finding {
	return rule.Finding{Line: c.Line, Column: c.Col, Message: fmt.Sprintf(format, a...)}
}

// eachCommand runs f over the RUN commands of every stage and collects the findings.
func eachCommand(file *dockerfile.File, f func(c *dockerfile.Command) []rule.Finding) []rule.Finding {
	var out []rule.Finding
	for _, s := range file.Stages {
		for c := range s.Commands() {
			out = append(out, f(c)...)
		}
	}
	return out
}

// eachInstruction runs f over the instructions of one kind in every stage.
func eachInstruction(file *dockerfile.File, kind string, f func(in *dockerfile.Instruction) []rule.Finding) []rule.Finding {
	var out []rule.Finding
	for _, s := range file.Stages {
		for in := range s.Kind(kind) {
			out = append(out, f(in)...)
		}
	}
	return out
}

// one wraps a single finding, for checks that report at most one per call.
func one(f rule.Finding) []rule.Finding { return []rule.Finding{f} }

// joinAnd joins names as "a", "a and b", "a, b and c".
func joinAnd(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
