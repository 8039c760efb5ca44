package cli

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/scan"
)

// nearestRules are the rules whose slug or ID is closest to name (edit distance, or
// sharing its words), best first: for a mistyped `kharden explain`.
func nearestRules(name string, n int) []string {
	name = strings.ToLower(name)
	type cand struct {
		s string
		d int
	}
	var cs []cand
	for _, m := range scan.AllRules() {
		for _, k := range []string{m.Slug, m.ID} {
			d := distance(name, strings.ToLower(k))
			if strings.Contains(k, name) || strings.Contains(name, k) {
				d = min(d, 2)
			}
			if d <= max(2, len(name)/3) {
				cs = append(cs, cand{k, d})
			}
		}
	}
	slices.SortStableFunc(cs, func(a, b cand) int { return a.d - b.d })
	var out []string
	for _, c := range cs {
		if !slices.Contains(out, c.s) {
			out = append(out, c.s)
		}
		if len(out) == n {
			break
		}
	}
	return out
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// ruleNames completes a rule's slug or ID.
func ruleNames(_ *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
	var out []string
	for _, m := range scan.AllRules() {
		for _, k := range []string{m.Slug, m.ID} {
			if strings.HasPrefix(k, prefix) {
				out = append(out, k+"\t"+m.Title)
			}
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// fixed completes one of a fixed list of values.
func fixed(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

// addCompletions gives the flags that take a value from a known list their completion,
// in every command that has them.
func addCompletions(c *cobra.Command) {
	sevs := rule.SeverityNames()
	byFlag := map[string]func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective){
		"fail-on":  fixed(sevs...),
		"severity": fixed(sevs...),
		"enable":   ruleNames,
		"disable":  ruleNames,
		"profile":  fixed("default", "pss-baseline", "pss-restricted"),
	}
	if f := c.Flags().Lookup("format"); f != nil {
		formats := []string{"text", "json", "sarif", "junit", "html"}
		if strings.Contains(f.Usage, "cyclonedx") {
			formats = append(formats, "cyclonedx", "spdx-json")
		} else if !strings.Contains(f.Usage, "sarif") {
			formats = []string{"text", "json"}
			if strings.Contains(f.Usage, "html") {
				formats = append(formats, "html")
			}
		}
		c.RegisterFlagCompletionFunc("format", fixed(formats...))
	}
	for name, fn := range byFlag {
		if c.Flags().Lookup(name) != nil {
			c.RegisterFlagCompletionFunc(name, fn)
		}
	}
	for _, sub := range c.Commands() {
		addCompletions(sub)
	}
}
