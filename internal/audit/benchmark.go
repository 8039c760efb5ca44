package audit

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/kharden/kharden/internal/benchmark"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
)

// The verdicts of the benchmark report, as people who know the benchmark read them.
const (
	cisPass  = "PASS"
	cisFail  = "FAIL"
	cisWarn  = "WARN" // a person must judge: Manual
	cisError = "ERROR"
	cisSkip  = "SKIP"
)

var cisLabel = map[rule.Status]string{rule.Pass: cisPass, rule.Fail: cisFail, rule.Manual: cisWarn, rule.Error: cisError, rule.Skipped: cisSkip}

// BenchmarkTotals counts the items of a benchmark report by verdict.
type BenchmarkTotals map[string]int

// WriteBenchmark writes results as a report numbered like the benchmark: every item in
// its group and section, with its verdict (the worst of its results, see ControlStatus)
// and, for what is not a pass, the rule, place and reason; items that no rule decides
// are WARN with the benchmark's guidance, as are Manual ones. heading is printed first.
func WriteBenchmark(w io.Writer, b *benchmark.Benchmark, heading string, results []rule.Result) (BenchmarkTotals, error) {
	bw := bufio.NewWriter(w)
	totals := BenchmarkTotals{}
	by := ByControl(results)
	fmt.Fprintf(bw, "%s\n", heading)
	b.Walk(func(s benchmark.Group) { fmt.Fprintf(bw, "\n%s %s\n", s.ID, s.Title) }, func(g benchmark.Group, own bool) {
		if !own {
			fmt.Fprintf(bw, "%s %s\n", g.ID, g.Title)
		}
		for _, it := range g.Items {
			writeItem(bw, it, by[it.ID], totals)
		}
	})
	fmt.Fprintf(bw, "\n== Summary: %s ==\n", b.Title)
	for _, l := range []string{cisPass, cisFail, cisWarn, cisError, cisSkip} {
		fmt.Fprintf(bw, "%d checks %s\n", totals[l], l)
	}
	return totals, bw.Flush()
}

func writeItem(w io.Writer, it *benchmark.Item, rs []rule.Result, totals BenchmarkTotals) {
	label := cisWarn
	if len(rs) > 0 {
		label = cisLabel[ControlStatus(rs)]
	}
	totals[label]++
	kind := ""
	if !it.Automated() {
		kind = " (Manual)"
	}
	fmt.Fprintf(w, "[%s] %s %s%s\n", label, it.ID, it.Title, kind)
	switch label {
	case cisPass:
		return
	case cisSkip:
		fmt.Fprintf(w, "       %s\n", report.Escape(cutCIS(rs[0].Message)))
		return
	}
	if len(rs) == 0 {
		fmt.Fprintf(w, "       no rule decides this item here; %s\n", it.Guidance)
		return
	}
	for _, r := range rs {
		if r.Status == rule.Pass || r.Status == rule.Skipped {
			continue
		}
		loc := r.Location.File
		if r.Location.Line > 0 {
			loc = fmt.Sprintf("%s:%d", loc, r.Location.Line)
		}
		// Messages and paths come from the node's files: escaped as in every text report.
		loc, msg := report.Escape(loc), report.Escape(cutCIS(r.Message))
		// "kube-apiserver (FILE): ..." where FILE is the place printed: name it once.
		if i := strings.Index(msg, " ("+r.Location.File+"): "); i > 0 && !strings.Contains(msg[:i], " ") {
			msg = msg[:i] + ": " + msg[i+len(r.Location.File)+5:]
		}
		if r.Location.Line == 0 && strings.Contains(msg, loc) {
			fmt.Fprintf(w, "       %s %s\n", r.Meta.ID, msg) // the message names the place
			continue
		}
		fmt.Fprintf(w, "       %s %s: %s\n", r.Meta.ID, loc, msg)
	}
	if label == cisWarn {
		fmt.Fprintf(w, "       guidance: %s\n", it.Guidance)
	}
}

// cutCIS drops the "(CIS 1.2.3)" a message ends with: the report already numbers it.
func cutCIS(msg string) string {
	if i := strings.LastIndex(msg, " (CIS "); i >= 0 && strings.HasSuffix(msg, ")") {
		return msg[:i]
	}
	return msg
}
