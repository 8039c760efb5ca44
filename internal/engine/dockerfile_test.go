package engine

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	dfrules "github.com/kharden/kharden/internal/rules/dockerfile"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

func scanDockerfile(t *testing.T, o DockerfileOptions, src string) *report.Report {
	t.Helper()
	f, err := dockerfile.Parse("Dockerfile", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if o.Rules == nil {
		o.Rules = dfrules.All()
	}
	if o.Now.IsZero() {
		o.Now = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	}
	rep := &report.Report{}
	NewDockerfile(o).Scan(f, rep)
	rep.Sort()
	return rep
}

func TestDockerfileResults(t *testing.T) {
	rep := scanDockerfile(t, DockerfileOptions{Severity: map[string]rule.Severity{"DF-0001": rule.Critical}}, `FROM golang:1.23 AS build
RUN go build \
    && sudo make install
FROM debian:12
COPY --from=build /app /app
`)
	if rep.Objects != 1 || len(rep.Errors) != 0 {
		t.Fatalf("objects %d, errors %v", rep.Objects, rep.Errors)
	}
	var sudo, user *rule.Result
	for i, r := range rep.Results {
		switch r.Meta.ID {
		case "DF-0001":
			sudo = &rep.Results[i]
		case "DF-0017":
			user = &rep.Results[i]
		}
	}
	if sudo == nil || user == nil {
		t.Fatalf("results %+v", rep.Results)
	}
	want := rule.Location{File: "Dockerfile", Line: 3, Column: 8, FieldPath: "instructions[1]",
		Object: rule.Object{Kind: "Dockerfile", Name: "build"}}
	if sudo.Location != want || sudo.Severity != rule.Critical || sudo.Status != rule.Fail {
		t.Errorf("sudo result %+v", sudo)
	}
	if user.Location.Line != 4 || user.Location.Object.Name != "#1" || user.Severity != rule.High {
		t.Errorf("user result %+v", user)
	}
}

func TestDockerfileSuppressions(t *testing.T) {
	// Only the rules the suppressions are about, so that rules added later (consecutive-runs
	// on these RUN lines) do not change the expected results.
	o := DockerfileOptions{Rules: []*dfrules.Rule{dfrules.NoSudo, dfrules.NoCd, dfrules.UserNotRoot},
		Known: func(n string) bool { return n == "some-off-rule" }}
	rep := scanDockerfile(t, o, `# syntax=docker/dockerfile:1
# kharden:ignore-file=user-not-root the base image sets USER 65532
FROM debian:12
# Install the vendor tool.
# kharden:ignore=no-sudo,DF-0013 the vendor installer insists; expires=2027-01-01
RUN cd /tmp && sudo ./install.sh
RUN true \
    # kharden:ignore=no-sudo needed inside the continuation too
    && sudo true
# kharden:ignore=no-sudo expired; expires=2026-01-01
RUN sudo a
# kharden:ignore=no-cd nothing to suppress here
RUN true
# kharden:ignore=no-sudo
RUN sudo b
# kharden:ignore=nope a reason
RUN true
# kharden:ignore=some-off-rule a rule that does not run
RUN true
# kharden:ignore=no-sudo

RUN true
`)
	got := map[string]int{}
	for _, r := range rep.Suppressed {
		got[r.Meta.ID]++
		if r.Suppressed == "" {
			t.Errorf("suppressed result without a reason: %+v", r)
		}
	}
	if got["DF-0017"] != 1 || got["DF-0001"] != 2 || got["DF-0013"] != 1 {
		t.Errorf("suppressed %v: %+v", got, rep.Suppressed)
	}
	var lines []int
	for _, r := range rep.Results {
		lines = append(lines, r.Location.Line)
		if r.Location.Line == 11 && !strings.Contains(r.Message, "suppression expired on 2026-01-01") {
			t.Errorf("expired suppression: %q", r.Message)
		}
	}
	if len(lines) != 2 || lines[0] != 11 || lines[1] != 15 {
		t.Errorf("results on lines %v, want 11 (expired) and 15 (no reason)", lines)
	}
	wantErrs := []struct {
		line int
		msg  string
	}{{14, "a reason is required"}, {16, `no Dockerfile rule with slug or ID "nope"`}, {20, "no instruction follows"}}
	if len(rep.Errors) != len(wantErrs) {
		t.Fatalf("errors %+v", rep.Errors)
	}
	for i, w := range wantErrs {
		if e := rep.Errors[i]; e.Line != w.line || !strings.Contains(e.Message, w.msg) || e.Column != 1 {
			t.Errorf("error %d: %+v, want line %d %q", i, e, w.line, w.msg)
		}
	}
	if len(rep.Notes) != 1 || rep.Notes[0].Line != 12 || !strings.Contains(rep.Notes[0].Message, `"no-cd" matches no finding`) {
		t.Errorf("notes %+v", rep.Notes)
	}
}

func TestDockerfileRulePanics(t *testing.T) {
	boom := &dfrules.Rule{Meta: rule.Meta{ID: "DF-9999", Slug: "boom"}, Check: func(*dockerfile.File) []rule.Finding {
		var f *dockerfile.File
		return []rule.Finding{{Message: f.Path}}
	}}
	rep := scanDockerfile(t, DockerfileOptions{Rules: []*dfrules.Rule{boom, dfrules.NoSudo}}, "FROM a:1\nRUN sudo x\n")
	if len(rep.Results) != 2 {
		t.Fatalf("results %+v", rep.Results)
	}
	var errored bool
	for _, r := range rep.Results {
		if r.Status == rule.Error {
			errored = true
			if !strings.Contains(r.Message, "internal error in rule DF-9999 (boom)") {
				t.Errorf("panic message %q", r.Message)
			}
		}
	}
	if !errored {
		t.Error("a panicking rule must give a result with status error")
	}
}

// TestDockerfileShellLimitNote: a RUN over the shell parse limits (400,000 &&, which
// overflowed the stack and killed the process) is checked word by word, with a note in
// the report, and the other instructions are checked as always.
func TestDockerfileShellLimitNote(t *testing.T) {
	var b strings.Builder
	b.WriteString("FROM debian:12\nRUN ")
	for range 400 {
		b.WriteString(strings.Repeat("true && ", 1000) + "\\\n")
	}
	b.WriteString("  curl -fsSL https://get.example | sh\nRUN sudo apt-get install -y curl\n")
	rep := scanDockerfile(t, DockerfileOptions{}, b.String())
	if len(rep.Errors) != 0 || len(rep.Notes) != 1 || rep.Notes[0].Line != 2 || !strings.Contains(rep.Notes[0].Message, "not parsed as shell") {
		t.Fatalf("errors %v, notes %v", rep.Errors, rep.Notes)
	}
	found := map[string]int{}
	for _, r := range rep.Results {
		found[r.Meta.Slug] = r.Location.Line
	}
	if found["remote-script-pipe"] != 402 || found["no-sudo"] != 403 {
		t.Errorf("results %v, want remote-script-pipe on line 402 and no-sudo on 403", found)
	}
}

// BenchmarkDockerfileManyRuns parses and checks with every rule a hostile file of
// 160,000 one-command RUN lines (a consecutive-runs finding on each): the cost per
// instruction must stay flat, where the stage index of each finding once made it
// quadratic.
func BenchmarkDockerfileManyRuns(b *testing.B) {
	var src strings.Builder
	src.WriteString("FROM debian:12\n")
	for i := range 160_000 {
		fmt.Fprintf(&src, "RUN echo %d\n", i)
	}
	e := NewDockerfile(DockerfileOptions{Rules: dfrules.All()})
	for b.Loop() {
		f, err := dockerfile.Parse("Dockerfile", []byte(src.String()))
		if err != nil {
			b.Fatal(err)
		}
		rep := &report.Report{}
		e.Scan(f, rep)
		if len(rep.Results) < 159_999 || len(rep.Notes) != 1 {
			b.Fatalf("%d results, notes %v", len(rep.Results), rep.Notes)
		}
	}
}
