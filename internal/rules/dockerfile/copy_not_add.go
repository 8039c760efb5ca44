package dockerfile

import (
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// CopyNotAdd is DF-0002.
var CopyNotAdd = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0002",
		Slug:      "copy-not-add",
		Title:     "Local files must be copied with COPY, not ADD",
		Severity:  rule.Low,
		Practices: []string{"B2"},
		Rationale: "ADD does more than copy: it unpacks local tar archives and fetches URLs. Used for ordinary " +
			"files it hides that behaviour from readers and reviewers, and a file that later becomes (or is " +
			"replaced by) an archive is silently extracted into the image. COPY does exactly one thing.",
		Remediation: "Use COPY for local files and directories. Keep ADD only for a local tar archive you mean to " +
			"extract, or for a remote file pinned with --checksum.",
		References: []string{
			"https://docs.docker.com/build/building/best-practices/#add-or-copy",
			"hadolint DL3020: Use COPY instead of ADD for files and folders",
			"trivy-checks DS-0005 (DS005): ADD instead of COPY",
		},
		Standards: rule.Standards{CIS: []string{"4.9"}},
		Since:     "0.1.0",
		Default:   true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		return eachInstruction(f, "ADD", func(in *dockerfile.Instruction) []rule.Finding {
			add, ok := in.Command.(*instructions.AddCommand)
			if !ok {
				return nil
			}
			var local []string
			for _, src := range add.SourcePaths {
				src = f.Unquote(src)
				if !isRemote(src) && !isArchive(src) && !strings.Contains(src, "$") {
					local = append(local, src)
				}
			}
			for _, c := range add.SourceContents {
				local = append(local, "<<"+c.Path)
			}
			switch len(local) {
			case 0:
				return nil
			case 1:
				return one(atInstruction(in, "ADD copies the local file %q: use COPY", local[0]))
			}
			return one(atInstruction(in, "ADD copies local files %s: use COPY", quoteList(local)))
		})
	},
}

// isRemote tells whether an ADD source is fetched rather than read from the context.
func isRemote(src string) bool {
	return strings.Contains(src, "://") || strings.HasPrefix(src, "git@")
}

// archiveExts are the suffixes of files ADD may be meant to extract.
var archiveExts = []string{".tar", ".tgz", ".tbz", ".tbz2", ".txz", ".tzst", ".gz", ".bz2", ".xz", ".zst", ".lz4"}

func isArchive(src string) bool {
	s := strings.ToLower(src)
	for _, ext := range archiveExts {
		if strings.HasSuffix(s, ext) {
			return true
		}
	}
	return false
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = `"` + s + `"`
	}
	return strings.Join(q, ", ")
}
