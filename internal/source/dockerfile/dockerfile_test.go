package dockerfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/kharden/kharden/internal/source/manifest"
)

func parse(t *testing.T, src string) *File {
	t.Helper()
	f, err := Parse("Dockerfile", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// cmds renders every command of a file as "line:col name args [| pipe] [^parent] [$]".
func cmds(f *File) []string {
	var out []string
	for _, in := range f.Instructions {
		for _, c := range in.Commands {
			s := fmt.Sprintf("%d:%d %s", c.Line, c.Col, strings.Join(append([]string{c.Name}, c.Args...), " "))
			if c.PipeTo != nil {
				s += " | " + c.PipeTo.Name
			}
			if c.Parent != nil {
				s += " ^" + c.Parent.Name
			}
			if c.Subst {
				s += " $"
			}
			out = append(out, s)
		}
	}
	return out
}

func checkCmds(t *testing.T, src string, want ...string) {
	t.Helper()
	got := cmds(parse(t, src))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("commands:\n got %q\nwant %q", got, want)
	}
}

func TestCommandsContinuedRun(t *testing.T) {
	checkCmds(t, `FROM debian:12
RUN apt-get update && \
    # a comment BuildKit drops
    DEBIAN_FRONTEND=noninteractive apt-get install -y \
      curl \
    && sudo -u root sh -c 'cd /tmp && \
echo "hi there" | tee x' \
    && curl -fsSL https://x.sh | sudo bash -
`,
		"2:5 apt-get update",
		"4:36 apt-get install -y curl",
		"6:8 sudo -u root sh -c cd /tmp && echo \"hi there\" | tee x",
		"6:28 cd /tmp ^sudo",
		"7:1 echo hi there | tee ^sudo",
		"7:19 tee x ^sudo",
		"8:8 curl -fsSL https://x.sh | sudo",
		"8:34 sudo bash -",
	)
}

func TestCommandsForms(t *testing.T) {
	for name, tc := range map[string]struct {
		src  string
		want []string
	}{
		"exec form is one command": {`FROM a:1
RUN ["/bin/echo", "a && b"]`, []string{"2:5 /bin/echo a && b"}},
		"exec form sh -c is parsed": {`FROM a:1
RUN ["sh", "-c", "sudo make install && cd /x"]`, []string{"2:5 sh -c sudo make install && cd /x", "2:5 sudo make install ^sh", "2:5 cd /x ^sh"}},
		"flags are not commands": {`FROM a:1
RUN --mount=type=cache,target=/root/.cache \
    --network=none pip install x`, []string{"3:20 pip install x"}},
		"heredoc script": {`FROM a:1
RUN <<EOF
set -e
  sudo apt-get install x
EOF
`, []string{"3:1 set -e", "4:3 sudo apt-get install x"}},
		"heredoc fed to bash": {"FROM a:1\nRUN bash -e <<'EOS'\ncd /x\necho $(cd /y && pwd)\nEOS\n",
			[]string{"2:5 bash -e", "3:1 cd /x ^bash", "4:1 echo $(cd /y && pwd) ^bash", "4:8 cd /y ^bash $", "4:17 pwd ^bash $"}},
		"heredoc with chomped tabs":    {"FROM a:1\nRUN <<-EOF\n\tsudo x\n\tEOF\n", []string{"3:2 sudo x"}},
		"heredoc data is not a script": {"FROM a:1\nRUN cat <<EOF > /etc/x\nsudo not a command\nEOF\n", []string{"2:5 cat"}},
		"python heredoc is not shell":  {"FROM a:1\nRUN <<EOF\n#!/usr/bin/env python3\nimport os\nEOF\n", nil},
		"shebang shell heredoc":        {"FROM a:1\nRUN <<EOF\n#!/bin/bash\nsudo x\nEOF\n", []string{"4:1 sudo x"}},
		"two heredocs": {"FROM a:1\nRUN <<A bash && cat <<B\nsudo one\nA\nsudo two\nB\n",
			[]string{"2:9 bash", "2:17 cat", "3:1 sudo one ^bash"}},
		"control flow and subshells": {`FROM a:1
RUN if [ -f x ]; then (cd /a && make); else for i in 1 2; do echo $i; done; fi; f() { sudo g; }; export A=1 B`,
			[]string{"2:8 [ -f x ]", "2:24 cd /a", "2:33 make", "2:62 echo $i", "2:87 sudo g", "2:98 export A=1 B"}},
		"pipelines": {"FROM a:1\nRUN wget -qO- https://x | tar -xz | tee log && curl -s u |& sh\n",
			[]string{"2:5 wget -qO- https://x | tar", "2:27 tar -xz | tee", "2:37 tee log", "2:48 curl -s u | sh", "2:61 sh"}},
		"process substitution": {"FROM a:1\nRUN bash <(curl -s https://x)\n", []string{"2:5 bash <(curl -s https://x)", "2:12 curl -s https://x $"}},
		"quotes are removed":   {"FROM a:1\nRUN apt-get install -y \"curl=${V}\" 'a b' c\\ d\n", []string{"2:5 apt-get install -y curl=${V} a b c d"}},
		"unparsable script falls back to words": {"FROM a:1\nRUN echo \"unterminated && sudo x; cd /y | sh\n",
			[]string{"2:5 echo \"unterminated", "2:27 sudo x", "2:35 cd /y | sh", "2:43 sh"}},
		"wrappers around sh -c": {"FROM a:1\nRUN su app -c 'cd /x' && env A=1 bash -euxc \"sudo y\"\n",
			[]string{"2:5 su app -c cd /x", "2:16 cd /x ^su", "2:26 env A=1 bash -euxc sudo y", "2:46 sudo y ^env"}},
		"powershell is one command": {"FROM a:1\nSHELL [\"powershell\", \"-Command\"]\nRUN Write-Host 'x'; sudo foo\n",
			[]string{"3:5 powershell -Command Write-Host 'x'; sudo foo"}},
		"CMD and ENTRYPOINT commands": {"FROM a:1\nCMD cd /x && ./run\nENTRYPOINT [\"/app\", \"-v\"]\n",
			[]string{"2:5 cd /x", "2:14 ./run", "3:12 /app -v"}},
		"escape directive": {"# escape=`\nFROM a:1\nRUN echo a `\n    && sudo b\n", []string{"3:5 echo a", "4:8 sudo b"}},
	} {
		t.Run(name, func(t *testing.T) {
			checkCmds(t, tc.src, tc.want...)
		})
	}
}

func TestCommandHelpers(t *testing.T) {
	f := parse(t, "FROM a:1\nRUN sudo -u app -E env DEBIAN_FRONTEND=noninteractive nice -n 5 /usr/bin/apt-get -qy install --no-install-recommends -- -x curl\n")
	c := f.Final.Instructions[1].Commands[0]
	if c.Base() != "sudo" || !c.Is("doas", "sudo") {
		t.Errorf("base %q", c.Base())
	}
	u := c.Unwrap()
	if u.Base() != "apt-get" || u.Name != "/usr/bin/apt-get" || u.Line != c.Line || u.Col != c.Col {
		t.Fatalf("unwrap: %+v", u)
	}
	if !u.HasFlag("-y") || !u.HasFlag("--no-install-recommends") || u.HasFlag("-x") || u.HasFlag("-n") {
		t.Errorf("HasFlag wrong for %q", u.Args)
	}
	if got := u.Operands(); !reflect.DeepEqual(got, []string{"install", "-x", "curl"}) {
		t.Errorf("operands %q", got)
	}
	if !u.HasArg("curl") || u.HasArg("cur") {
		t.Error("HasArg")
	}
	for _, tc := range []struct{ src, want string }{
		{"command -v curl", "command"},
		{"command curl x", "curl"},
		{"timeout 10 wget x", "wget"},
		{"xargs -n 1 -I{} rm {}", "rm"},
		{"gosu app ./run", "./run"},
		{"sudo", "sudo"},
		{"env", "env"},
	} {
		f := parse(t, "FROM a:1\nRUN "+tc.src+"\n")
		if got := f.Final.Instructions[1].Commands[0].Unwrap().Name; got != tc.want {
			t.Errorf("Unwrap(%q) = %q, want %q", tc.src, got, tc.want)
		}
	}
}

func TestStages(t *testing.T) {
	f := parse(t, `# syntax=docker/dockerfile:1.7
ARG REGISTRY=docker.io
ARG BASE=${REGISTRY}/library/golang
ARG VERSION
FROM ${BASE}:1.22 AS Build
RUN go build
FROM build AS test
FROM gcr.io/distroless/static:${VERSION} AS runtime
COPY --from=build /app /app
FROM runtime
USER app
`)
	if f.Syntax != "docker/dockerfile:1.7" || len(f.MetaArgs) != 3 {
		t.Errorf("syntax %q, %d meta args", f.Syntax, len(f.MetaArgs))
	}
	if len(f.Stages) != 4 || f.Final != f.Stages[3] {
		t.Fatalf("stages %d", len(f.Stages))
	}
	b := f.Stages[0]
	if b.Name != "build" || b.Base != "docker.io/library/golang:1.22" || b.BaseStage != nil || len(b.UnsetArgs) != 0 || b.Line != 5 {
		t.Errorf("build stage: %+v", b)
	}
	if f.Stages[1].BaseStage != b {
		t.Error("test stage is not built FROM build")
	}
	rt := f.Stages[2]
	if rt.Base != "gcr.io/distroless/static:" || !reflect.DeepEqual(rt.UnsetArgs, []string{"VERSION"}) || rt.BaseStage != nil {
		t.Errorf("runtime stage: %+v", rt)
	}
	if got := f.RunningStages(); len(got) != 2 || got[0] != rt || got[1] != f.Final {
		t.Errorf("running stages: %v (COPY --from is not inheritance)", got)
	}
	if f.Final.DisplayName() != "#3" || rt.DisplayName() != "runtime" {
		t.Errorf("display names %q %q", f.Final.DisplayName(), rt.DisplayName())
	}
	cp := rt.Instructions[1]
	if c, ok := cp.Command.(*instructions.CopyCommand); !ok || c.From != "build" || cp.Stage != rt {
		t.Errorf("COPY: %#v", cp.Command)
	}
	if in := f.InstructionAt(9); in != cp {
		t.Errorf("InstructionAt(9) = %v", in)
	}
	if s := f.StageAt(7); s != f.Stages[1] {
		t.Errorf("StageAt(7) = %v", s)
	}
	if f.StageAt(2) != nil || f.InstructionAt(1) != nil {
		t.Error("lines before the first FROM belong to no stage")
	}
	var runs int
	for range b.Commands() {
		runs++
	}
	if runs != 1 {
		t.Errorf("%d commands in build", runs)
	}
}

func TestParseErrors(t *testing.T) {
	for src, want := range map[string]struct {
		line int
		msg  string
	}{
		"FROM a:1\nRUN <<EOF\necho\n":              {2, "unterminated heredoc"},
		"FROM a:1\nFOO bar\n":                      {2, "unknown instruction"},
		"FROM a:1 AS 1bad\n":                       {1, "invalid name for build stage"},
		"RUN echo\nFROM a:1\n":                     {1, "before the first FROM"},
		"# just a comment\n":                       {0, "no instructions"},
		"ARG X=1\n":                                {1, "no FROM"},
		"FROM a:1\nCOPY --nope=1 a b\n":            {2, "unknown flag"},
		"# escape=x\nFROM a:1\n":                   {0, "invalid escape token"},
		"FROM a:1\nRUN [\"a\", 1]\n":               {2, "must be comprised of strings"},
		"FROM a:1\nHEALTHCHECK --interval=x CMD a": {2, "invalid duration"},
	} {
		_, err := Parse("Dockerfile", []byte(src))
		var me *manifest.Error
		if !errors.As(err, &me) {
			t.Errorf("%q: error %v is not a *manifest.Error", src, err)
			continue
		}
		if me.File != "Dockerfile" || (want.line != 0 && me.Line != want.line) || !strings.Contains(me.Msg, want.msg) {
			t.Errorf("%q: got %s (line %d), want line %d and %q", src, me, me.Line, want.line, want.msg)
		}
	}
}

func TestIgnore(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Dockerfile", "FROM a:1\n")
	write("api.Dockerfile", "FROM a:1\n")
	f, err := Load(filepath.Join(dir, "Dockerfile"), "")
	if err != nil {
		t.Fatal(err)
	}
	if f.ContextDir != dir || f.Ignore != nil {
		t.Fatalf("context %q, ignore %v", f.ContextDir, f.Ignore)
	}
	write(".dockerignore", "# secrets\n.git\n**/*.pem\n/node_modules\n*.md\n!README.md\n")
	write("api.Dockerfile.dockerignore", "*\n!api/\n")
	f, err = Load(filepath.Join(dir, "Dockerfile"), dir)
	if err != nil {
		t.Fatal(err)
	}
	ig := f.Ignore
	if ig == nil || ig.Path != filepath.Join(dir, ".dockerignore") || len(ig.Patterns) != 5 {
		t.Fatalf("ignore %+v", ig)
	}
	for p, want := range map[string]bool{
		".git": true, ".git/config": true, "./.git": true, "/.git/HEAD": true, "a/b/key.pem": true, "node_modules/x": true,
		"src/node_modules": false, "CHANGES.md": true, "README.md": false, "main.go": false, ".": false, "": false,
	} {
		if got := ig.Excludes(p); got != want {
			t.Errorf("Excludes(%q) = %v, want %v", p, got, want)
		}
	}
	var none *Ignore
	if none.Excludes(".git") {
		t.Error("a nil Ignore excludes nothing")
	}
	g, err := Load(filepath.Join(dir, "api.Dockerfile"), dir)
	if err != nil {
		t.Fatal(err)
	}
	if g.Ignore == nil || !strings.HasSuffix(g.Ignore.Path, "api.Dockerfile.dockerignore") || !g.Ignore.Excludes("main.go") || g.Ignore.Excludes("api/x.go") {
		t.Errorf("the Dockerfile's own ignore file wins: %+v", g.Ignore)
	}
	write(".dockerignore", "ok\n[\n")
	_, err = Load(filepath.Join(dir, "Dockerfile"), dir)
	var me *manifest.Error
	if !errors.As(err, &me) || me.Line != 2 || !strings.HasSuffix(me.File, ".dockerignore") {
		t.Errorf("bad pattern: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing"), dir); err == nil {
		t.Error("a missing Dockerfile is an error")
	}
}

func TestIsDockerfileName(t *testing.T) {
	for name, want := range map[string]bool{
		"Dockerfile": true, "dockerfile": true, "Containerfile": true, "api.Dockerfile": true, "Dockerfile.prod": true,
		"build.containerfile": true, "Dockerfile.dockerignore": false, ".dockerignore": false, "Dockerfiles": false,
		"mydockerfile": false, "docker-compose.yaml": false, "Dockerfile.md": false, "dockerfile.yaml": false,
	} {
		if got := IsDockerfileName(name); got != want {
			t.Errorf("IsDockerfileName(%q) = %v", name, got)
		}
	}
}

func TestParseNeverPanics(t *testing.T) {
	for _, src := range []string{
		"", "\x00", "FROM", "FROM a\nRUN", "FROM a\nRUN \\\n", "FROM a\nRUN <<\n", "FROM a\nRUN sh -c", "FROM a\nRUN sh -c 'sh -c \"sh -c \\'x\\'\"'",
		"FROM a\nRUN $(", "FROM a\nRUN <<EOF\n", "FROM a\nRUN bash <<EOF\nEOF\n", "\ufeffFROM a\r\nRUN x \\\r\n  y\r\n",
	} {
		_, _ = Parse("Dockerfile", []byte(src))
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("FROM a:1\nRUN apt-get update && \\\n  sudo x | sh -c 'cd /y'\n"))
	f.Add([]byte("FROM a:1\nRUN <<EOF\nset -e\nEOF\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("Dockerfile", data)
		if err != nil {
			return
		}
		for _, in := range file.Instructions {
			for _, c := range in.Commands {
				if c.Line < in.Line || c.Line > in.EndLine {
					t.Fatalf("command %q at line %d outside its instruction %d-%d", c.Name, c.Line, in.Line, in.EndLine)
				}
			}
		}
	})
}

func TestUnquote(t *testing.T) {
	f := parse(t, "FROM a:1\n")
	for in, want := range map[string]string{
		`"/target/app.jar"`: "/target/app.jar", `'a b'`: "a b", `${HOME}/x`: "${HOME}/x", `"$A"`: "$A",
		`plain`: "plain", `a\ b`: "a b", `"unterminated`: `"unterminated`,
	} {
		if got := f.Unquote(in); got != want {
			t.Errorf("Unquote(%s) = %q, want %q", in, got, want)
		}
	}
}
