package report

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/kharden/kharden/internal/rule"
)

// The HTML report is checked in a real browser: Debian's Chromium, headless, driven over
// the DevTools protocol (hack/report/deps.sh installs it). Without it the tests skip,
// except in CI (CI=true), where they fail.

// chromiumPath finds the browser, or skips (fails in CI) when there is none.
func chromiumPath(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("KHARDEN_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		tb.Fatal("chromium not found: run hack/report/deps.sh (or set KHARDEN_CHROMIUM)")
	}
	tb.Skip("chromium not found: run hack/report/deps.sh to check the HTML report in a browser")
	return ""
}

// browser is one headless Chromium tab with what the page said: console errors,
// uncaught exceptions, browser log errors (where CSP violations land) and dialogs.
type browser struct {
	ctx context.Context
	mu  sync.Mutex
	// problems are console errors, exceptions and error log entries; dialogs the
	// messages of alert, confirm and prompt.
	problems, dialogs []string
}

func newBrowser(tb testing.TB) *browser {
	tb.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath(tb)),
		chromedp.NoSandbox, chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	tb.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	b := &browser{ctx: ctx}
	err := chromedp.Listen(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				b.problems = append(b.problems, fmt.Sprintf("console.%s: %v", ev.Type, ev.Args))
			}
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			text := d.Text
			if d.Exception != nil {
				text += " " + d.Exception.Description
			}
			b.problems = append(b.problems, fmt.Sprintf("exception at %d:%d: %s", d.LineNumber, d.ColumnNumber, text))
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError || strings.Contains(ev.Entry.Text, "Content Security Policy") {
				b.problems = append(b.problems, "log: "+ev.Entry.Text)
			}
		case *page.EventJavascriptDialogOpening:
			b.dialogs = append(b.dialogs, ev.Message)
			// Dismissed from another goroutine: a listener must not call the browser.
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{})
		}
	})
	if err != nil {
		tb.Fatalf("starting chromium: %v", err)
	}
	return b
}

// open loads the report file and waits until its script has drawn the page.
func (b *browser) open(tb testing.TB, file string) {
	tb.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Navigate("file://"+file),
		chromedp.WaitReady(chromedp.CSS(`body[data-ready="true"]`))); err != nil {
		tb.Fatalf("loading %s: %v (page said: %v)", file, err, b.said())
	}
}

func (b *browser) said() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append(append([]string(nil), b.problems...), b.dialogs...)
}

// eval runs a script in the page and returns its result.
func eval[T any](tb testing.TB, b *browser, js string) T {
	tb.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		tb.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// count is the number of results the page says match the filters.
func (b *browser) count(tb testing.TB) string {
	tb.Helper()
	return eval[string](tb, b, `document.getElementById('kh-count').dataset.count`)
}

// choose selects a value in a filter's select element, as a person does.
func (b *browser) choose(tb testing.TB, id, value string) {
	tb.Helper()
	eval[bool](tb, b, fmt.Sprintf(`(function(){var s=document.getElementById(%q); s.value=%q; s.dispatchEvent(new Event('change')); return s.value===%q})()`, id, value, value))
}

// paste sets an input's text in one go, as pasting does: one input event.
func (b *browser) paste(tb testing.TB, id, text string) {
	tb.Helper()
	eval[bool](tb, b, fmt.Sprintf(`(function(){var s=document.getElementById(%q); s.value=%q; s.dispatchEvent(new Event('input')); return true})()`, id, text))
}

// typeInto types text into an input with key events.
func (b *browser) typeInto(tb testing.TB, id, text string) {
	tb.Helper()
	if err := chromedp.Do(b.ctx, chromedp.SendKeys(chromedp.ID(id), text)); err != nil {
		tb.Fatalf("typing into %s: %v", id, err)
	}
}

// syntheticRules are the rules synthetic results come from, severities as the metas say.
var syntheticRules = []*rule.Meta{metaPrivileged, metaHostPorts, metaMemory, metaRBAC, metaDefaultNS}

// synthetic is a report of n failing results spread over rules, namespaces, kinds and
// files as a large scan's are; every 7th message carries the word "needle".
func synthetic(n int) *Report {
	kinds := []string{"Deployment", "StatefulSet", "DaemonSet", "CronJob"}
	rep := &Report{Version: "0.1.0-test", Rules: syntheticRules, FailOn: rule.High, Files: n / 5, Objects: n / 5}
	for i := range n {
		m := syntheticRules[i%len(syntheticRules)]
		msg := fmt.Sprintf("container \"c%d\" breaks %s", i%3, m.Slug)
		if i%7 == 0 {
			msg += " (needle)"
		}
		rep.Results = append(rep.Results, rule.Result{Meta: m, Status: rule.Fail, Severity: m.Severity, Message: msg,
			Location: rule.Location{File: fmt.Sprintf("apps/app-%04d.yaml", i/5), Line: 10 + i%5, Column: 3,
				FieldPath: "spec.template.spec.containers[0]",
				Object: rule.Object{APIVersion: "apps/v1", Kind: kinds[i%len(kinds)],
					Namespace: fmt.Sprintf("team-%02d", i%40), Name: fmt.Sprintf("app-%d", i/5)}}})
	}
	return rep
}

func writeHTML(tb testing.TB, rep *Report) string {
	tb.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, rep, "html", Options{}); err != nil {
		tb.Fatal(err)
	}
	file := filepath.Join(tb.TempDir(), "report.html")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
	return file
}

// The page loads with no console error and no CSP violation, shows one page of rows,
// and its filters and search narrow the results to exactly those that match.
func TestHTMLInBrowser(t *testing.T) {
	b := newBrowser(t)
	rep := synthetic(1000)
	// A small string table, so that the page holds both strings from the table and
	// strings written in their rows once it is full.
	defer func(n int) { maxHTMLStrings = n }(maxHTMLStrings)
	maxHTMLStrings = 50
	b.open(t, writeHTML(t, rep))

	if got := b.count(t); got != "1000" {
		t.Errorf("count with no filter: %s, want 1000", got)
	}
	if rows := eval[int](t, b, `document.querySelectorAll('#kh-rows tr').length`); rows != 100 {
		t.Errorf("%d rows in the document, want one page of 100", rows)
	}
	want := func(keep func(r *rule.Result) bool) string {
		n := 0
		for i := range rep.Results {
			if keep(&rep.Results[i]) {
				n++
			}
		}
		return fmt.Sprint(n)
	}
	b.choose(t, "f-severity", "high")
	high := want(func(r *rule.Result) bool { return r.Severity == rule.High })
	if got := b.count(t); got != high {
		t.Errorf("count at severity high: %s, want %s", got, high)
	}
	b.typeInto(t, "kh-search", "NEEDLE")
	highNeedle := want(func(r *rule.Result) bool {
		return r.Severity == rule.High && strings.Contains(r.Message, "needle")
	})
	if got := b.count(t); got != highNeedle || highNeedle == high {
		t.Errorf("count at severity high with search needle: %s, want %s (of %s)", got, highNeedle, high)
	}
	b.choose(t, "f-severity", "")
	b.choose(t, "f-kind", "CronJob")
	if got, w := b.count(t), want(func(r *rule.Result) bool {
		return r.Location.Object.Kind == "CronJob" && strings.Contains(r.Message, "needle")
	}); got != w {
		t.Errorf("count of CronJobs with search needle: %s, want %s", got, w)
	}
	b.choose(t, "f-kind", "")
	b.typeInto(t, "f-namespace", "team-07")
	if got, w := b.count(t), want(func(r *rule.Result) bool {
		return r.Location.Object.Namespace == "team-07" && strings.Contains(r.Message, "needle")
	}); got != w {
		t.Errorf("count in namespace team-07 with search needle: %s, want %s", got, w)
	}
	// A row opens to show the rule's remediation and references.
	detail := eval[string](t, b, `document.querySelector('#kh-rows tr.row').click(); document.querySelector('#kh-rows tr.detail').textContent`)
	if !strings.Contains(detail, "Remediation") && !strings.Contains(detail, "remediation") {
		t.Errorf("opened row lacks the remediation: %q", detail)
	}
	shot, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil || img.Bounds().Dx() == 0 || img.Bounds().Dy() == 0 {
		t.Errorf("screenshot is not a non-empty PNG (%d bytes): %v", len(shot), err)
	}
	if said := b.said(); len(said) > 0 {
		t.Errorf("the page reported problems: %q", said)
	}
}

// Values from the scanned input are shown as text and never run, whatever they hold:
// no script of theirs executes (no dialog), nothing is parsed into elements, and the
// page has no error.
func TestHTMLHostileInputInBrowser(t *testing.T) {
	b := newBrowser(t)
	const evil = `</script><img src=x onerror=alert(1)><!--<script>alert(2)</script>`
	advisory := &rule.Meta{ID: "CVE-0000-0001", Slug: "cve-0000-0001", Title: evil, Severity: rule.High,
		Remediation: evil, References: []string{"javascript:alert(3)", evil}, HelpURI: "javascript:alert(4)"}
	rep := synthetic(20)
	rep.Config = Config{File: evil, Source: ConfigFlag}
	rep.Results = append(rep.Results, rule.Result{Meta: advisory, Status: rule.Fail, Severity: rule.High,
		Message: evil + "\u2028\u2029 & <b>bold</b>",
		Location: rule.Location{File: evil + ".yaml", Line: 1, Column: 1, FieldPath: evil,
			Object: rule.Object{Kind: "Pod", Namespace: evil, Name: evil}}})
	rep.Errors = []Problem{{File: evil, Line: 2, Message: evil}}
	b.open(t, writeHTML(t, rep))

	b.typeInto(t, "kh-search", "onerror")
	if got := b.count(t); got != "1" {
		t.Fatalf("search for the hostile result: count %s, want 1", got)
	}
	cells := eval[[]string](t, b, `Array.from(document.querySelectorAll('#kh-rows tr.row td')).map(function(td){return td.textContent})`)
	if len(cells) != 5 || cells[4] != evil+"\u2028\u2029 & <b>bold</b>" || cells[3] != "Pod "+evil+"/"+evil {
		t.Errorf("hostile values not shown as text: %q", cells)
	}
	eval[bool](t, b, `document.querySelector('#kh-rows tr.row').click(); true`)
	links := eval[[]string](t, b, `Array.from(document.querySelectorAll('a')).map(function(a){return a.getAttribute('href')})`)
	if len(links) != 0 {
		t.Errorf("links made of non-web URLs: %q", links)
	}
	if n := eval[int](t, b, `document.querySelectorAll('img, b, iframe, object, embed').length + document.scripts.length`); n != 3 {
		t.Errorf("the page has %d img/b/iframe/object/embed and script elements, want its own 3 scripts", n)
	}
	// Give any injected handler time to fire before looking for its dialog.
	time.Sleep(300 * time.Millisecond)
	if said := b.said(); len(said) > 0 {
		t.Errorf("hostile input ran or broke the page: %q", said)
	}
}

// The checks above would see a policy violation: a page whose script does not match its
// hash is refused, and the browser says so.
func TestHTMLPolicyViolationIsSeen(t *testing.T) {
	b := newBrowser(t)
	file := writeHTML(t, synthetic(3))
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.Replace(data, []byte("'use strict';"), []byte("'use strict'; "), 1)
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(b.ctx, chromedp.Navigate("file://"+file)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(b.said()) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if said := b.said(); len(said) == 0 || !strings.Contains(strings.Join(said, "\n"), "Content Security Policy") {
		t.Errorf("a script off its hash was not reported as a policy violation: %q", said)
	}
}

// BenchmarkHTMLBrowser opens a report in Chromium and filters it (severity high, then a
// search pasted in one go): open-ms is from navigation to the drawn page, filter-ms the
// two filters until the count is shown, each a round trip over the DevTools protocol. The report is the file KHARDEN_HTML_REPORT names (hack/bench-html.sh
// makes the x100 corpus scan's), else 100,000 synthetic results. Run with
//
//	go test ./internal/report/ -run '^$' -bench HTMLBrowser -benchtime 3x
func BenchmarkHTMLBrowser(b *testing.B) {
	br := newBrowser(b)
	file := os.Getenv("KHARDEN_HTML_REPORT")
	if file == "" {
		file = writeHTML(b, synthetic(100_000))
	}
	// What is searched: a word some results hold, so that the filtered rows are drawn
	// (the synthetic results' "needle", KHARDEN_HTML_SEARCH for a real report).
	search := cmp.Or(os.Getenv("KHARDEN_HTML_SEARCH"), "needle")
	fi, err := os.Stat(file)
	if err != nil {
		b.Fatal(err)
	}
	var open, filter time.Duration
	var all, some string
	for b.Loop() {
		start := time.Now()
		br.open(b, file)
		mid := time.Now()
		all = br.count(b)
		br.choose(b, "f-severity", "high")
		br.paste(b, "kh-search", search)
		some = br.count(b)
		end := time.Now()
		open += mid.Sub(start)
		filter += end.Sub(mid)
	}
	if all == some || some == "0" {
		b.Fatalf("filters did not narrow the %s results to some (%s): search for a word some high results hold", all, some)
	}
	// Where the opening went: reading the file, then parsing it and running the script.
	nav := eval[map[string]float64](b, br, `(function(){var n=performance.getEntriesByType("navigation")[0]; return {read: n.responseEnd, interactive: n.domInteractive}})()`)
	b.Logf("%s results, %s after the filters (severity high, search %q); file read by %.0f ms, page drawn by %.0f ms", all, some, search, nav["read"], nav["interactive"])
	b.ReportMetric(float64(fi.Size())/(1<<20), "MiB")
	b.ReportMetric(float64(open.Milliseconds())/float64(b.N), "open-ms")
	b.ReportMetric(float64(filter.Milliseconds())/float64(b.N), "filter-ms")
	if said := br.said(); len(said) > 0 {
		b.Errorf("the page reported problems: %q", said)
	}
}
