package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kharden/kharden/internal/rule"
)

func TestAppendEscaped(t *testing.T) {
	for in, want := range map[string]string{
		"web":               "web",
		"café ☕ 日本":         "café ☕ 日本",
		`C:\x`:              `C:\x`,
		"a\x1b[2Jb":         `a\x1b[2Jb`,
		"a\r\nb\tc":         `a\r\nb\tc`,
		"\x00\x7f":          `\x00\x7f`,
		"\u0085\u009b":      `\u0085\u009b`,
		"x\u202eevil\u202c": `x\u202eevil\u202c`,
		"\u2066\u2067\u2068\u2069\u202a\u202b\u202d": `\u2066\u2067\u2068\u2069\u202a\u202b\u202d`,
		"\u2028\u2029":    `\u2028\u2029`,
		"bad\xffutf8\xc3": `bad\xffutf8\xc3`,
		"\U000E0001":      `\U000e0001`,
	} {
		if got := string(appendEscaped(nil, in)); got != want {
			t.Errorf("appendEscaped(%q) = %s, want %s", in, got, want)
		}
	}
}

// Every byte value, at every offset of the eight appendEscaped skips at once, is kept
// exactly when it is printable ASCII.
func TestAppendEscapedEveryByte(t *testing.T) {
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 8; pos++ {
			in := []byte("abcdefgh ~ijklmnop")
			in[pos] = byte(c)
			got := string(appendEscaped(nil, string(in)))
			if kept := got == string(in); kept != (c >= 0x20 && c < 0x7f) {
				t.Fatalf("byte %#x at %d: %q", c, pos, got)
			}
		}
	}
}

func BenchmarkAppendEscaped(b *testing.B) {
	s := `spec.template.spec.containers[0].securityContext.privileged container "web" runs privileged`
	var buf []byte
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		buf = appendEscaped(buf[:0], s)
	}
}

// hostile is what a hostile input can put into every field of a report that comes from
// it: terminal escape sequences, carriage returns, newlines, C1 controls, bidi overrides,
// invalid UTF-8 and characters XML cannot hold.
const hostile = "x\x1b[2J\x1b]0;owned\x07\r\n  1:1  critical  forged\u202eevil\u2066\x00\x0b\u0085\xff]]>"

func hostileReport() *Report {
	obj := rule.Object{APIVersion: "v1" + hostile, Kind: "Pod" + hostile, Namespace: "ns" + hostile, Name: "web" + hostile}
	loc := rule.Location{File: "dir/" + hostile + ".yaml", Line: 3, Column: 1, FieldPath: "metadata.annotations['" + hostile + "']", Object: obj}
	return &Report{
		Tool: "kharden", Rules: []*rule.Meta{metaPrivileged, metaRBAC}, FailOn: rule.High,
		Config: Config{File: "cfg/" + hostile + "/.kharden.yaml", Source: ConfigFound},
		Results: []rule.Result{
			{Meta: metaPrivileged, Status: rule.Fail, Severity: rule.Critical, Message: "container " + hostile + " runs privileged", Location: loc},
			{Meta: metaRBAC, Status: rule.Error, Severity: rule.High, Message: "internal error in rule KM-0040 (rbac-wildcards): boom\ngoroutine 1 [running]:", Location: loc},
		},
		Suppressed: []rule.Result{{Meta: metaPrivileged, Status: rule.Fail, Severity: rule.Critical, Message: hostile,
			Suppressed: "reason " + hostile, Location: loc}},
		Errors:  []Problem{{File: hostile, Line: 1, Message: "cannot parse " + hostile}},
		Notes:   []Problem{{File: loc.File, Line: 2, Message: "note " + hostile}},
		Scanned: []string{loc.File, hostile},
		Files:   2, Objects: 1,
	}
}

// badTerminalRune finds a character in out that a terminal would act on rather than show.
func badTerminalRune(out string) (rune, bool) {
	for _, r := range out {
		if r != '\n' && (r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f ||
			r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x2028 || r == 0x2029 || r == utf8.RuneError) {
			return r, true
		}
	}
	return 0, false
}

func TestTextEscapesInput(t *testing.T) {
	out := string(render(t, hostileReport(), "text", Options{}))
	if r, bad := badTerminalRune(out); bad {
		t.Errorf("text output holds %U:\n%s", r, out)
	}
	// Each input field stays on its line: the lines are the config header, then per
	// file its name and rows (the rule error's stack trace is kharden's own second line).
	var lines []string
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	want := []string{
		"config: ",        // header
		"dir/",            // the file in dir/: its name,
		"  2    note",     // a note,
		"  3:1  critical", // a result and its object line,
		"       Pod",      //
		"  3:1  high",     // the rule error, its trace and its object line,
		"       goroutine 1",
		"       Pod",
		"  1 suppressed",
		"x",          // the file named hostile: its name and its load error
		"  1  error", //
		"1 finding (",
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, l := range lines {
		if !strings.Contains(l, want[i]) {
			t.Errorf("line %d is %q, want it to hold %q", i+1, l, want[i])
		}
	}
	if !strings.Contains(out, `x\x1b[2J\x1b]0;owned\x07\r\n  1:1  critical  forged\u202eevil\u2066\x00\x0b\u0085\xff]]>`) {
		t.Errorf("the escaped form is not in the output:\n%s", out)
	}
	// With colour, the only escape sequences are kharden's own.
	out = string(render(t, hostileReport(), "text", Options{Color: true}))
	for _, code := range []string{ansiReset, ansiBoldRed, ansiRed, ansiYellow, ansiCyan, ansiDim} {
		out = strings.ReplaceAll(out, code, "")
	}
	if r, bad := badTerminalRune(out); bad {
		t.Errorf("coloured text output holds %U:\n%s", r, out)
	}
}

func TestJUnitValidWithHostileInput(t *testing.T) {
	out := render(t, hostileReport(), "junit", Options{})
	dec := xml.NewDecoder(bytes.NewReader(out))
	for {
		_, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("JUnit output is not well-formed XML: %v\n%s", err, out)
		}
	}
	var doc junitSuites
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("xml.Unmarshal: %v", err)
	}
	if len(doc.Suites) != 2 || len(doc.Suites[0].Cases) == 0 {
		t.Fatalf("suites: %+v", doc.Suites)
	}
}

func TestJSONAndSARIFValidWithHostileInput(t *testing.T) {
	for _, format := range []string{"json", "sarif"} {
		out := render(t, hostileReport(), format, Options{})
		var v any
		if err := json.Unmarshal(out, &v); err != nil {
			t.Errorf("%s: %v", format, err)
		}
		// encoding/json's escaping: no raw C0 control; strings keep their content.
		for _, c := range out {
			if c < 0x20 && c != '\n' {
				t.Errorf("%s output holds raw byte %#x", format, c)
				break
			}
		}
		if !bytes.Contains(out, []byte(`\u001b[2J`)) {
			t.Errorf("%s output does not carry the escape as \\u001b", format)
		}
	}
}

// Every format names the config file the run applied, so a report read later still says
// whose settings judged the input.
func TestConfigNamedInEveryFormat(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want map[string]string
	}{
		{Config{File: "vendor/chart/.kharden.yaml", Source: ConfigFound}, map[string]string{
			"text":  "config: vendor/chart/.kharden.yaml (found upward from the first path; --no-config ignores it)\n",
			"json":  `"config": {"file":"vendor/chart/.kharden.yaml","source":"found"},`,
			"sarif": `"properties": {"config": {"file":"vendor/chart/.kharden.yaml","source":"found"}},`,
			"junit": `<property name="kharden.config" value="vendor/chart/.kharden.yaml"></property>` + "\n      " +
				`<property name="kharden.config.source" value="found"></property>`,
		}},
		{Config{Source: ConfigDisabled}, map[string]string{
			"text":  "config: none (--no-config: built-in defaults)\n",
			"json":  `"config": {"file":"","source":"disabled"},`,
			"sarif": `"properties": {"config": {"file":"","source":"disabled"}},`,
			"junit": `<property name="kharden.config.source" value="disabled"></property>`,
		}},
		{Config{}, map[string]string{
			"text": "config: none (built-in defaults)\n",
			"json": `"config": {"file":"","source":"none"},`,
		}},
	} {
		for _, format := range Formats {
			want, ok := c.want[format]
			if !ok {
				continue
			}
			rep := fixture()
			rep.Config = c.cfg
			if out := string(render(t, rep, format, Options{})); !strings.Contains(out, want) {
				t.Errorf("%s output for %+v lacks %q:\n%s", format, c.cfg, want, out)
			}
		}
	}
}

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"plain text: ok":  "plain text: ok",
		"a\x1b[2Jb\r\nc":  `a\x1b[2Jb\r\nc`,
		"left\u202eright": `left\u202eright`,
		"unicode é stays": "unicode é stays",
		"bad \xff byte":   `bad \xff byte`,
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}
