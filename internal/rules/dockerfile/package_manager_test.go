package dockerfile

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/source/dockerfile"
)

// TestPkgCall reads one command per case and shows the call and, for the packaging
// families, what it does to the image's packages.
func TestPkgCall(t *testing.T) {
	for _, tc := range []struct{ run, want string }{
		{"apt-get -o Acquire::Retries=3 install -y curl=7.88 wget", "apt-get/apt install [curl=7.88 wget] +[curl wget]"},
		{"apt-get install -yt bookworm-backports git", "apt-get/apt install [git] +[git]"},
		{"sudo -u root apt-get purge -y --auto-remove curl", "apt-get/apt purge [curl] -[curl] autoremove"},
		{"xargs -r apt-mark manual", "apt-mark/apt manual [] manual unknown"},
		{"dpkg --root /target -P curl", "dpkg/apt  [curl] -[curl]"},
		{"rpm -e nmap-ncat", "rpm/rpm  [nmap-ncat] -[nmap-ncat]"},
		{"microdnf -e 0 install -y nmap-ncat-7.92-1.el9.x86_64", "microdnf/rpm install [nmap-ncat-7.92-1.el9.x86_64] +[nmap-ncat]"},
		{"zypper -C /cache in -y curl", "zypper/zypper in [curl] +[curl]"},
		{"apk add --no-cache --virtual .deps gcc", "apk/apk add [gcc] +[gcc] virtual=.deps"},
		{"apk add -t.deps gcc", "apk/apk add [gcc] +[gcc] virtual=.deps"},
		{"apk add -qt .deps gcc", "apk/apk add [gcc] +[gcc] virtual=.deps"},
		{"apk del --no-network .deps", "apk/apk del [.deps] -[.deps]"},
		{"python3 -m pip install -r req.txt flask", "pip/pip install [flask]"},
		{"gem install rails -- --with-x=1", "gem/gem install [rails]"},
		{"go install -ldflags -s ./cmd/x", "go/go install [./cmd/x]"},
		{"curl -fsSL https://example.com", "-"},
	} {
		f, err := dockerfile.Parse("Dockerfile", []byte("FROM alpine:3.20\nRUN "+tc.run+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		got := "-"
		if p, ok := asPkgCall(f.Stages[0].Instructions[1].Commands[0]); ok {
			got = fmt.Sprintf("%s/%s %s %v", p.tool, p.family, p.sub, p.operands)
			if ch, ok := pkgChangeOf(p, nil); ok {
				got += describeChange(ch)
			}
		}
		if got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.run, got, tc.want)
		}
	}
}

func describeChange(ch pkgChange) string {
	var b strings.Builder
	switch {
	case ch.install:
		fmt.Fprintf(&b, " +%v", ch.pkgs)
	case ch.remove:
		fmt.Fprintf(&b, " -%v", ch.pkgs)
	case ch.markManual:
		b.WriteString(" manual")
	case ch.markAuto:
		b.WriteString(" auto")
	}
	if ch.autoremove {
		b.WriteString(" autoremove")
	}
	if ch.unknown {
		b.WriteString(" unknown")
	}
	if ch.virtual != "" {
		b.WriteString(" virtual=" + ch.virtual)
	}
	return b.String()
}

// TestRunningPackages follows installs and removals through a file: what is left.
func TestRunningPackages(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"FROM alpine:3.20\nRUN apk add -t.fetch-deps curl && apk del .fetch-deps\nRUN apk add wget", "wget"},
		{"FROM fedora:40\nRUN microdnf install -y nmap-ncat tar && rpm -e nmap-ncat", "tar"},
		{"FROM debian:12\nENV TOOLS='curl wget'\nRUN apt-get install -y $TOOLS && dpkg --purge wget", "curl"},
	} {
		f, err := dockerfile.Parse("Dockerfile", []byte(tc.file+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range runningPackages(f) {
			names = append(names, p.name)
		}
		if got := strings.Join(names, " "); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.file, got, tc.want)
		}
	}
}
