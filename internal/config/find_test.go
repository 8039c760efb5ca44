package config

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The search goes upward from the scanned path and stops at the root of the repository
// the path is in: a config file above it (in $HOME, in a shared /tmp) belongs to no one
// the project knows of.
func TestFindStopsAtRepositoryRoot(t *testing.T) {
	top := t.TempDir()
	write(t, filepath.Join(top, ".kharden.yaml"), "failOn: critical\n")
	repo := filepath.Join(top, "repo")
	sub := filepath.Join(repo, "deploy", "web")
	write(t, filepath.Join(sub, "pod.yaml"), "kind: Pod\n")

	// Not in a repository: up to the filesystem root, as before.
	if got := Find(sub); got != filepath.Join(top, ".kharden.yaml") {
		t.Errorf("outside a repository: Find = %q", got)
	}

	if err := os.Mkdir(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := Find(sub); got != "" {
		t.Errorf("Find went above the repository root to %q", got)
	}
	if got := Find(filepath.Join(sub, "pod.yaml")); got != "" {
		t.Errorf("Find from a file went above the repository root to %q", got)
	}
	write(t, filepath.Join(repo, ".kharden.yml"), "")
	if got := Find(sub); got != filepath.Join(repo, ".kharden.yml") {
		t.Errorf("Find = %q, want the repository's own", got)
	}

	// A submodule or worktree has a .git file: it is a repository root too.
	mod := filepath.Join(repo, "vendor", "mod")
	write(t, filepath.Join(mod, ".git"), "gitdir: ../../.git/modules/mod\n")
	if got := Find(mod); got != "" {
		t.Errorf("Find went above a submodule's root to %q", got)
	}
}

// A found config is read only when it is a regular file: a named pipe would hang the
// run, a device or /proc file would never end, and a symbolic link could have the parse
// error quote a file from outside the scanned tree. Each is an error naming the file
// and the way out, never a silent skip.
func TestLoadFoundOnlyRegularFiles(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(t.TempDir(), "secret")
	write(t, secret, "TOKEN=hunter2\n")

	link := filepath.Join(dir, "link", ".kharden.yaml")
	os.MkdirAll(filepath.Dir(link), 0o755)
	if err := os.Symlink(secret, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo", ".kharden.yaml")
	os.MkdirAll(filepath.Dir(fifo), 0o755)
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big", ".kharden.yaml")
	write(t, big, "# "+strings.Repeat("x", MaxSize)+"\n")

	for _, c := range []struct {
		path, want string
	}{
		{link, "is a symbolic link"},
		{fifo, "not a regular file"},
		{big, "larger than 1 MiB"},
	} {
		if got := Find(filepath.Dir(c.path)); got != c.path {
			t.Errorf("Find = %q, want %q", got, c.path)
			continue
		}
		cfg, err := LoadFound(c.path)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.path) ||
			strings.Contains(err.Error(), "hunter2") {
			t.Errorf("LoadFound(%s) = %v, %v; want an error naming it and saying %q", c.path, cfg, err, c.want)
		}
	}
	// Given with --config, a link is the user's choice; the size cap still holds.
	if _, err := Load(link); err == nil {
		t.Errorf("Load(link to a non-YAML file) = %v, want an error", err)
	}
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "larger than 1 MiB") {
		t.Errorf("Load(big) = %v", err)
	}
	good := filepath.Join(dir, "good", ".kharden.yaml")
	write(t, good, "failOn: low\n")
	if cfg, err := LoadFound(good); err != nil || cfg.FailOn != "low" || cfg.Path != good {
		t.Errorf("LoadFound(good) = %+v, %v", cfg, err)
	}
}
