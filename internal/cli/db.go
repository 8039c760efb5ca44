package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/source/vulndb"
)

// newDB is `kharden db` and its subcommands: the offline vulnerability database.
func newDB(s IO) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Download, import and inspect the offline vulnerability database",
		Long: `Manage kharden's vulnerability database: OSV advisories for the ecosystems kharden
inventories (` + strings.Join(vulndb.Ecosystems, ", ") + `),
fetched or imported once and then read with no network.

The database lives in --db, else $KHARDEN_DB, else kharden/db under the user cache
directory (~/.cache/kharden/db on Linux). Every update or import builds a new
database beside the old one and switches to it only once it is complete and on
disk: an interrupted or failed run leaves the previous database as it was.

See docs/vulndb.md.`,
		Example: `  kharden db update                              # download the OSV exports, or refresh them
  kharden db update --ecosystem Go --ecosystem Debian
  kharden db import Go-all.zip Debian-all.zip    # where there is no network
  kharden db status`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.PersistentFlags().StringVar(&dir, "db", "", "database directory (default: $KHARDEN_DB, else kharden/db under the user cache directory)")
	cmd.AddCommand(newDBUpdate(s, &dir), newDBImport(s, &dir), newDBStatus(s, &dir))
	return cmd
}

// dbDir is the --db flag or its default.
func dbDir(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	d, err := vulndb.DefaultDir()
	if err != nil {
		return "", &exitError{ExitError, err}
	}
	return d, nil
}

func newDBUpdate(s IO, dir *string) *cobra.Command {
	var (
		baseURL    string
		ecosystems []string
	)
	cmd := &cobra.Command{
		Use:   "update [flags]",
		Short: "Download the OSV exports and replace the database with them",
		Long: `Download the OSV export (all.zip) of each ecosystem from --base-url
(<base-url>/<ecosystem>/all.zip) and import them into the database.

The ecosystems downloaded replace the earlier downloads of the same ecosystems;
the other sources of the database (directories and files added with
kharden db import --add) are kept. Without --ecosystem, the ecosystems the
database already has from downloads are refreshed, or, in a new database, all of
` + strings.Join(vulndb.Ecosystems, ", ") + ` (several hundred MB).

A download that breaks is resumed where it stopped (an HTTP range request,
validated by the file's ETag), in this run or the next: the partial file stays in
the database directory's downloads/. Each download is checked against the
server's Content-Length and MD5 (x-goog-hash, as Google Cloud Storage sends it)
and each advisory against its zip CRC-32. Nothing is changed unless every
download and import succeeds.

A progress line is written to standard error when it is a terminal.

Exit codes: 0 the database was updated, 2 it was not (a download or an import
failed, a bad flag).`,
		Example: `  kharden db update
  kharden db update --ecosystem Go --ecosystem PyPI --ecosystem npm
  kharden db update --base-url https://mirror.example.com/osv --db /var/cache/kharden/db`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := dbDir(*dir)
			if err != nil {
				return err
			}
			pl := newDBProgress(s.Err)
			st, err := vulndb.Update(cmd.Context(), d, baseURL, ecosystems, pl.callback())
			pl.done()
			if err != nil {
				if cmd.Context().Err() != nil {
					return stopped(cmd.Context(), "the database was not changed; the next kharden db update resumes the download")
				}
				return &exitError{ExitError, err}
			}
			writeImported(s.Out, st)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&baseURL, "base-url", vulndb.DefaultBaseURL, "where the exports are: <base-url>/<ecosystem>/all.zip")
	f.StringSliceVar(&ecosystems, "ecosystem", nil, "an ecosystem to download, as OSV names it (repeatable, or comma-separated): "+strings.Join(vulndb.Ecosystems, ", "))
	return cmd
}

func newDBImport(s IO, dir *string) *cobra.Command {
	var add bool
	cmd := &cobra.Command{
		Use:   "import [flags] FILE.zip|DIR...",
		Short: "Build the database from OSV exports or directories of OSV JSON files",
		Long: `Build the database from files you copied in: OSV exports (the all.zip of an
ecosystem, as https://osv-vulnerabilities.storage.googleapis.com/<ecosystem>/all.zip
publishes it) and directories of OSV JSON files, read recursively (the data/osv
directory of golang.org/x/vulndb is one). This is how a machine with no network
gets a database.

Without --add, the database holds exactly the inputs named. With --add, the
sources it already has are kept, except those named again, which are replaced.

Advisories that are malformed (not JSON, no id, a range without events or with
events the OSV schema forbids) or that name no ecosystem kharden recognises are
skipped and counted by reason. A zip that is damaged or truncated, or beyond the
limits (2,000,000 entries, 16 GiB expanded, 100 times its own size), fails the
import; an advisory over 8 MiB is skipped.

Exit codes: 0 the database was built (skipped advisories are listed), 2 it was
not and the old one is unchanged.`,
		Example: `  kharden db import ~/Downloads/Go-all.zip ~/Downloads/Debian-all.zip
  kharden db import --add ./internal-advisories/
  dir=$(go mod download -json golang.org/x/vulndb@latest | jq -r .Dir)   # the Go database
  kharden db import --db /srv/kharden/db "$dir/data/osv"`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := dbDir(*dir)
			if err != nil {
				return err
			}
			pl := newDBProgress(s.Err)
			st, err := vulndb.Import(cmd.Context(), d, args, vulndb.ImportOptions{Add: add, Progress: pl.callback()})
			pl.done()
			if err != nil {
				if cmd.Context().Err() != nil {
					return stopped(cmd.Context(), "the database was not changed")
				}
				return &exitError{ExitError, err}
			}
			writeImported(s.Out, st)
			return nil
		},
	}
	cmd.Flags().BoolVar(&add, "add", false, "keep the database's other sources")
	return cmd
}

func newDBStatus(s IO, dir *string) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "status [flags]",
		Short: "Show the database's sources, advisory counts and age",
		Long: `Show where the database is, its sources (the file, directory or URL each
came from and when it was imported), their advisories by ecosystem, what was
skipped and why, and the age of the database: the time since its oldest source
was imported.

Exit codes: 0, or 2 when there is no database or it is damaged.`,
		Example: `  kharden db status
  kharden db status -o json | jq '.sources[] | {input, advisories}'`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if output != "text" && output != "json" {
				return &exitError{ExitError, fmt.Errorf("unknown output format %q (want text or json)", output)}
			}
			d, err := dbDir(*dir)
			if err != nil {
				return err
			}
			db, err := vulndb.Open(d)
			if err != nil {
				return &exitError{ExitError, err}
			}
			defer db.Close()
			st := db.Status()
			if output == "json" {
				enc := json.NewEncoder(s.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			writeStatus(s.Out, st)
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "format", "o", "text", "output format: text or json")
	return cmd
}

// writeImported summarises an import or update.
func writeImported(w io.Writer, st vulndb.Stats) {
	fmt.Fprintf(w, "Vulnerability database %s updated.\n", report.Escape(st.Dir))
	for _, src := range st.Sources {
		writeSource(w, "Imported", src)
	}
	for _, src := range st.Kept {
		writeSource(w, "Kept", src)
	}
}

func writeStatus(w io.Writer, st vulndb.Status) {
	fmt.Fprintf(w, "Vulnerability database %s\n", report.Escape(st.Dir))
	sources := "sources"
	if len(st.Sources) == 1 {
		sources = "source"
	}
	fmt.Fprintf(w, "  built %s; %s advisories from %d %s; updated %s (%s ago)\n",
		stamp(st.Created), thousands(st.Advisories), len(st.Sources), sources, stamp(st.Updated), ago(st.Age))
	for _, src := range st.Sources {
		writeSource(w, "Source", src)
	}
}

func writeSource(w io.Writer, verb string, s vulndb.SourceStatus) {
	kind := s.Kind
	if s.Ecosystem != "" {
		kind += ", " + s.Ecosystem
	}
	fmt.Fprintf(w, "%s %s (%s), %s\n", verb, report.Escape(s.Input), kind, stamp(s.Imported))
	var ecos []string
	for _, e := range slices.Sorted(maps.Keys(s.Ecosystems)) {
		ecos = append(ecos, e+" "+thousands(s.Ecosystems[e]))
	}
	line := "  " + thousands(s.Advisories) + " advisories"
	if len(ecos) > 0 {
		line += " (" + strings.Join(ecos, ", ") + ")"
	}
	if s.Withdrawn > 0 {
		line += ", " + thousands(s.Withdrawn) + " withdrawn"
	}
	if !s.NewestModified.IsZero() {
		line += "; newest modified " + stamp(s.NewestModified)
	}
	fmt.Fprintln(w, line)
	if n := s.SkippedTotal(); n > 0 {
		fmt.Fprintf(w, "  skipped %s:\n", thousands(n))
		for _, reason := range slices.Sorted(maps.Keys(s.Skipped)) {
			k := s.Skipped[reason]
			ex := make([]string, len(k.Examples))
			for i, e := range k.Examples {
				ex[i] = report.Escape(e)
			}
			fmt.Fprintf(w, "    %s: %s (%s", reason, thousands(k.Count), strings.Join(ex, ", "))
			if k.Count > len(ex) {
				fmt.Fprint(w, ", ...")
			}
			fmt.Fprintln(w, ")")
		}
	}
	if s.Ignored > 0 {
		fmt.Fprintf(w, "  %s files not named *.json ignored\n", thousands(s.Ignored))
	}
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func ago(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", int(d/time.Minute))
	}
	return "moments"
}

// thousands writes n with comma separators: 4,789.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// dbProgress writes one line of progress on a terminal, rewritten in place; nil
// (no progress) when w is not a terminal.
type dbProgress struct {
	w     io.Writer
	mu    sync.Mutex
	last  time.Time
	shown bool
}

func newDBProgress(w io.Writer) *dbProgress {
	if !isTerminal(w) {
		return nil
	}
	return &dbProgress{w: w}
}

func (p *dbProgress) callback() func(vulndb.Progress) {
	if p == nil {
		return nil
	}
	return p.report
}

func (p *dbProgress) report(pr vulndb.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Sub(p.last) < 100*time.Millisecond && (pr.Total == 0 || pr.Done < pr.Total) {
		return
	}
	p.last = now
	in := pr.Input
	if len(in) > 50 {
		in = "..." + in[len(in)-47:]
	}
	var what string
	switch pr.Phase {
	case "download":
		what = "downloading, " + mib(pr.Done)
		if pr.Total > 0 {
			what += " of " + mib(pr.Total)
		}
	default:
		what = "importing, " + thousands(int(pr.Done))
		if pr.Total > 0 {
			what += " of " + thousands(int(pr.Total))
		}
		what += " files"
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s: %s", report.Escape(in), what)
	p.shown = true
}

func (p *dbProgress) done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}
