package report

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"sync"

	"github.com/kharden/kharden/internal/practice"
	"github.com/kharden/kharden/internal/rule"
)

// The HTML format is one self-contained page for people: summary by severity, namespace
// and practice, filters, search and every result with its rule's remediation and
// references. It loads nothing (its style and script are inline, allowed by hash in a
// Content-Security-Policy that forbids everything else), so it can be mailed, archived
// and opened offline.
//
// Results come from scanned input, which may be hostile. They never reach the page as
// markup: they are JSON inside <script type="application/json"> blocks, which the
// browser does not run and the page's script reads with JSON.parse and shows through
// textContent. Inside those blocks '<', '>' and '&' are written as \u003c, \u003e and
// \u0026 (and U+2028, U+2029 escaped), so no value can close the block or open a
// comment; the policy would stop an injected script anyway.
//
// The page stays usable with hundreds of thousands of results: the data is parsed once
// into flat arrays, filters walk them in memory, and only one page of rows (100) is in
// the document at a time.
//
// Layout: the head and the static body first, then the results in chunks, streamed
// (see flush), then at Close a block with the rules the results name, the practices,
// errors, notes and totals, and last the script.

//go:embed html/report.js
var htmlScript string

//go:embed html/report.css
var htmlStyle string

// htmlPolicy is the page's Content-Security-Policy: nothing but its own style and script,
// allowed by their SHA-256 hashes.
var htmlPolicy = sync.OnceValue(func() string {
	hash := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	return "default-src 'none'; script-src " + hash(htmlScript) + "; style-src " + hash(htmlStyle) +
		"; img-src 'none'; base-uri 'none'; form-action 'none'"
})

// htmlBody is the page's static markup; the script fills it in.
const htmlBody = `<header>
<h1>kharden report</h1>
<div class="meta"><span id="kh-tool"></span> · <span id="kh-verdict"></span></div>
<div class="meta" id="kh-config"></div>
</header>
<main>
<section id="kh-summary">
<div class="card"><h2>Findings by severity</h2><div id="s-severity"></div></div>
<div class="card"><h2>By namespace</h2><div id="s-namespace"></div></div>
<div class="card"><h2>By practice</h2><div id="s-practice"></div></div>
</section>
<section id="kh-errors"></section>
<section id="kh-notes"></section>
<section>
<div id="kh-filters">
<label>Severity<select id="f-severity"><option value="">all</option></select></label>
<label>Status<select id="f-status"><option value="">all but suppressed</option><option value="fail">fail</option><option value="error">error</option><option value="manual">manual</option><option value="skipped">skipped</option><option value="suppressed">suppressed</option></select></label>
<label>Rule<select id="f-rule"><option value="">all</option></select></label>
<label>Practice<select id="f-practice"><option value="">all</option></select></label>
<label>Kind<select id="f-kind"><option value="">all</option></select></label>
<label>Namespace<input id="f-namespace" list="l-namespace" autocomplete="off"></label>
<label>File<input id="f-file" list="l-file" autocomplete="off"></label>
<label>Search<input id="kh-search" type="search" placeholder="message, object, file, rule…" autocomplete="off"></label>
<button id="kh-reset" type="button">Reset</button>
<datalist id="l-namespace"></datalist><datalist id="l-file"></datalist>
</div>
<div id="kh-pager"><button id="kh-prev" type="button">‹ Previous</button><span id="kh-page"></span><button id="kh-next" type="button">Next ›</button><span id="kh-count" class="muted"></span></div>
<table>
<colgroup><col class="c-sev"><col class="c-rule"><col class="c-place"><col class="c-obj"><col></colgroup>
<thead><tr><th>Severity</th><th>Rule</th><th>Place</th><th>Object</th><th>Message</th></tr></thead>
<tbody id="kh-rows"></tbody>
</table>
</section>
</main>
`

type htmlRenderer struct {
	w *bufio.Writer
	// rules are the rules results name, by index in order of first appearance after
	// those the head says ran; index maps each to its place.
	rules []*rule.Meta
	index map[*rule.Meta]int
	errs  []Problem
	notes []Problem
	// strs maps the strings written so far to their index in the page's string table;
	// nstrs counts the table's entries.
	strs  map[string]int
	nstrs int
	// The chunk being built: its new strings, its rows' numbers, its rows' extras and
	// how many rows it has.
	chunkStrs, chunkRows, chunkExtra []byte
	chunkN                           int
	// prev is the chunk's last row, which the next is written as a difference from.
	prev [htmlStride]int
	err  error
	// What the head says of the run, shown at the top of the page.
	headTool, headVersion, headConfig string
}

// htmlStride is the number of fields of a row in a chunk's "r" list.
const htmlStride = 11

// chunkSize is the size at which a chunk of results is written out.
const chunkSize = 256 << 10

func newHTMLRenderer(w *bufio.Writer, head *Report) *htmlRenderer {
	r := &htmlRenderer{w: w, index: map[*rule.Meta]int{}, strs: map[string]int{},
		headTool: head.toolName(), headVersion: head.Version, headConfig: head.Config.String()}
	for _, m := range head.Rules {
		r.ruleIndex(m)
	}
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString(`<meta http-equiv="Content-Security-Policy" content="` + htmlPolicy() + "\">\n")
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"referrer\" content=\"no-referrer\">\n")
	b.WriteString("<title>kharden report</title>\n<style>" + htmlStyle + "</style>\n</head>\n<body>\n")
	b.WriteString(htmlBody)
	_, r.err = w.WriteString(b.String())
	return r
}

// ruleIndex is the index of m in the rules block, adding it on first sight.
func (r *htmlRenderer) ruleIndex(m *rule.Meta) int {
	if i, ok := r.index[m]; ok {
		return i
	}
	r.index[m] = len(r.rules)
	r.rules = append(r.rules, m)
	return len(r.rules) - 1
}

func (r *htmlRenderer) add(p *Report, _ *Totals) error {
	if r.err != nil {
		return r.err
	}
	for _, list := range [][]rule.Result{p.Results, p.Suppressed} {
		for i := range list {
			r.addResult(&list[i])
			if len(r.chunkStrs)+len(r.chunkRows)+len(r.chunkExtra) >= chunkSize {
				if err := r.flush(); err != nil {
					return err
				}
			}
		}
	}
	r.errs = append(r.errs, p.Errors...)
	r.notes = append(r.notes, p.Notes...)
	return nil
}

// The results are written in chunks, each a data block the page's script reads:
//
//	<script type="application/json" class="kh-data">{"s":[…],"r":[…],"x":[…]}</script>
//
// "s" are the strings the chunk adds to the page's string table, in order. "r" are the
// chunk's rows, htmlStride numbers each: rule index, severity, status, message, file,
// line, column, kind, namespace, name and field path, strings as their index in the
// table, each number written as its difference from the same field of the row before
// in the chunk (mostly 0 or small: results of one object follow each other). A row with more to say has an entry in "x": [row within the chunk, practices
// (null: the rule's), suppression reason, package], strings again as indexes.
//
// Strings repeat across results (files, namespaces, kinds, field paths, and messages:
// the same finding in every copy of a chart), so each is written once, and the page
// reads numbers into flat typed arrays instead of building an object per result: that
// keeps a page of 300,000 results small and quick to open. Past maxHTMLStrings entries
// the Go side forgets the table and starts over (strings seen before are written again
// under new indexes), so memory stays bounded.

// addResult adds one result to the chunk.
func (r *htmlRenderer) addResult(res *rule.Result) {
	l := &res.Location
	status := string(res.Status)
	if status == "" {
		status = string(rule.Fail)
	}
	fields := [htmlStride]int{r.ruleIndex(meta(*res)), int(res.Severity), r.str(status), r.str(res.Message), r.str(l.File),
		l.Line, l.Column, r.str(l.Object.Kind), r.str(l.Object.Namespace), r.str(l.Object.Name), r.str(l.FieldPath)}
	b := r.chunkRows
	if r.chunkN > 0 {
		b = append(b, ',')
	}
	b = append(b, '\n')
	for k, v := range fields {
		if k > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(v-r.prev[k]), 10)
	}
	r.prev = fields
	r.chunkRows = b
	var pkg string
	if v := res.Vulnerability; v != nil {
		pkg = v.Package + " " + v.Version
		if len(v.Fixed) > 0 {
			pkg += " (fixed in " + strings.Join(v.Fixed, ", ") + ")"
		}
	}
	if res.Practices != nil || res.Suppressed != "" || pkg != "" {
		x := r.chunkExtra
		if len(x) > 0 {
			x = append(x, ',')
		}
		x = append(x, '[')
		x = strconv.AppendInt(x, int64(r.chunkN), 10)
		x = append(x, ',')
		if res.Practices != nil {
			x = append(x, '[')
			for i, p := range res.Practices {
				if i > 0 {
					x = append(x, ',')
				}
				x = strconv.AppendInt(x, int64(r.str(p)), 10)
			}
			x = append(x, ']')
		} else {
			x = append(x, "null"...)
		}
		x = append(x, ',')
		x = strconv.AppendInt(x, int64(r.str(res.Suppressed)), 10)
		x = append(x, ',')
		x = strconv.AppendInt(x, int64(r.str(pkg)), 10)
		r.chunkExtra = append(x, ']')
	}
	r.chunkN++
}

// maxHTMLStrings bounds the string table the Go side keeps (a variable for tests).
var maxHTMLStrings = 1 << 16

// str is the index of s in the page's string table, adding it to the chunk when new.
func (r *htmlRenderer) str(s string) int {
	if i, ok := r.strs[s]; ok {
		return i
	}
	if len(r.strs) >= maxHTMLStrings {
		clear(r.strs)
	}
	i := r.nstrs
	r.nstrs++
	r.strs[s] = i
	if len(r.chunkStrs) > 0 {
		r.chunkStrs = append(r.chunkStrs, ',')
	}
	r.chunkStrs = append(r.chunkStrs, '\n')
	r.chunkStrs = appendScriptString(r.chunkStrs, s)
	return i
}

// flush writes the chunk, if it has rows.
func (r *htmlRenderer) flush() error {
	if r.chunkN == 0 {
		return nil
	}
	for _, part := range [][]byte{
		[]byte(`<script type="application/json" class="kh-data">{"s":[`), r.chunkStrs,
		[]byte(`],"r":[`), r.chunkRows, []byte(`],"x":[`), r.chunkExtra, []byte("]}</script>\n"),
	} {
		if _, err := r.w.Write(part); err != nil {
			return err
		}
	}
	r.chunkStrs, r.chunkRows, r.chunkExtra, r.chunkN = r.chunkStrs[:0], r.chunkRows[:0], r.chunkExtra[:0], 0
	r.prev = [htmlStride]int{}
	return nil
}

// appendScriptString appends s as a JSON string that is safe inside a <script> element:
// besides JSON's own escapes, '<', '>' and '&' are written as \u escapes.
func appendScriptString(b []byte, s string) []byte {
	start := len(b)
	b = appendJSONString(b, s)
	if !bytes.ContainsAny(b[start:], "<>&") {
		return b
	}
	enc := append([]byte(nil), b[start:]...)
	b = b[:start]
	for _, c := range enc {
		switch c {
		case '<', '>', '&':
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		default:
			b = append(b, c)
		}
	}
	return b
}

// htmlMeta is the block the page reads besides the results.
type htmlMeta struct {
	Tool      string            `json:"tool"`
	Version   string            `json:"version"`
	Config    string            `json:"config"`
	FailOn    string            `json:"failOn"`
	Failed    bool              `json:"failed"`
	Files     int               `json:"files"`
	Objects   int               `json:"objects"`
	Rules     []htmlRule        `json:"rules"`
	Practices map[string]string `json:"practices"`
	Errors    [][4]any          `json:"errors"`
	Notes     [][4]any          `json:"notes"`
}

type htmlRule struct {
	ID          string   `json:"id"`
	Slug        string   `json:"slug"`
	Title       string   `json:"title"`
	Severity    string   `json:"severity"`
	Rationale   string   `json:"rationale"`
	Remediation string   `json:"remediation"`
	Help        string   `json:"help"`
	References  []string `json:"references"`
	Practices   []string `json:"practices"`
	CIS         []string `json:"cis"`
	PSS         []string `json:"pss"`
	NSA         []string `json:"nsa"`
}

func (r *htmlRenderer) close(t *Totals) error {
	if r.err != nil {
		return r.err
	}
	if err := r.flush(); err != nil {
		return err
	}
	m := htmlMeta{
		Tool: r.headTool, Version: r.headVersion, Config: r.headConfig, FailOn: t.FailOn.String(), Failed: t.Failed,
		Files: t.Files, Objects: t.Objects, Practices: map[string]string{},
		Rules: make([]htmlRule, 0, len(r.rules)), Errors: problemRows(r.errs), Notes: problemRows(r.notes),
	}
	for _, rm := range r.rules {
		m.Rules = append(m.Rules, htmlRule{
			ID: rm.ID, Slug: rm.Slug, Title: rm.Title, Severity: rm.Severity.String(),
			Rationale: rm.Rationale, Remediation: rm.Remediation, Help: RuleDocURL(rm),
			References: nonNil(rm.References), Practices: nonNil(rm.Practices),
			CIS: nonNil(rm.Standards.CIS), PSS: nonNil(rm.Standards.PSS), NSA: nonNil(rm.Standards.NSA),
		})
		for _, id := range rm.Practices {
			if p, ok := practice.Lookup(id); ok {
				m.Practices[id] = p.Title
			}
		}
	}
	// encoding/json escapes '<', '>', '&', U+2028 and U+2029 by default: safe in a script block.
	enc, err := json.Marshal(m)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	b.WriteString("<script type=\"application/json\" id=\"kh-meta\">")
	b.Write(enc)
	b.WriteString("</script>\n<script>" + htmlScript + "</script>\n</body>\n</html>\n")
	_, err = r.w.Write(b.Bytes())
	r.errs, r.notes, r.rules, r.index, r.strs = nil, nil, nil, nil, nil
	return err
}

// problemRows turns problems into [file, line, column, message] rows.
func problemRows(ps []Problem) [][4]any {
	rows := make([][4]any, 0, len(ps))
	for _, p := range ps {
		rows = append(rows, [4]any{p.File, p.Line, p.Column, p.Message})
	}
	return rows
}
