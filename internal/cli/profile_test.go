package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProfileModules(t *testing.T) {
	golden, err := os.ReadFile("../profile/modules/testdata/default.golden")
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run("", "profile", "modules")
	if code != 0 || out != string(golden) || errOut != "" {
		t.Errorf("default: exit %d, stderr %q, output equals the golden file: %v", code, errOut, out == string(golden))
	}

	// A mounted root whose node has sctp and can loaded.
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "proc"), 0o755)
	os.WriteFile(filepath.Join(root, "proc", "modules"), []byte(
		"sctp 434176 2 - Live 0x0000000000000000\ncan 28672 0 - Live 0x0000000000000000\noverlay 151552 4 - Live 0x0000000000000000\n"), 0o444)
	file := filepath.Join(t.TempDir(), "kharden-blacklist.conf")
	code, out, errOut = run("", "profile", "modules", "--root", root, "--keep-loaded", "--add", "usb-storage,firewire_core",
		"--add", "thunderbolt", "--exclude", "hfs", "--output", file)
	if code != 0 || out != "" || errOut != "" {
		t.Fatalf("--keep-loaded --output: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// -o, as the flag was written before -o meant a format: still a file, with a warning.
	old := filepath.Join(t.TempDir(), "old.conf")
	if code, _, errOut := run("", "profile", "modules", "-o", old); code != 0 || !strings.Contains(errOut, "warning: -o/--out is now --output FILE") {
		t.Errorf("-o: exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(old); err != nil {
		t.Errorf("-o: %v", err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	got := string(data)
	for _, want := range []string{
		"\n# install sctp /bin/false\n", "\n# install can /bin/false\n", "# kept: loaded",
		"\ninstall usb_storage /bin/false\n", "\ninstall firewire_core /bin/false\n", "\ninstall thunderbolt /bin/false\n",
		"\ninstall dccp /bin/false\n", "# excluded: not blocked",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the file lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "\ninstall hfs ") || strings.Contains(got, "overlay") {
		t.Errorf("hfs blocked or overlay mentioned:\n%s", got)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("file mode: %v %v", fi.Mode(), err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(file), ".*")); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}

	code, out, _ = run("", "profile", "modules", "--help")
	for _, want := range []string{"/etc/modprobe.d/kharden-blacklist.conf", "kernel.modules_disabled=1", "modprobe -n -v dccp"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("--help (exit %d) does not mention %q", code, want)
		}
	}
}

func TestProfileModulesErrors(t *testing.T) {
	missing := t.TempDir()
	for _, c := range []struct {
		name  string
		args  []string
		inErr string
	}{
		{"shell in a name", []string{"--add", "dccp;reboot"}, `--add: module name "dccp;reboot" has ';'`},
		{"space in a name", []string{"--add", "a b"}, `has ' '`},
		{"path", []string{"--add", "../x"}, `has '.'`},
		{"option", []string{"--add=-v"}, `starts with "-"`},
		{"empty", []string{"--add", "dccp,,rds"}, "--add: empty module name"},
		// pflag's comma lists are CSV: a newline would end the record and drop the rest.
		{"newline", []string{"--add", "foo\nbar"}, `--add: module name "foo\nbar" has '\n'`},
		{"newline after comma", []string{"--add", "foo,bar\nbaz"}, `--add: module name "bar\nbaz" has '\n'`},
		{"quoted", []string{"--add", `"foo,bar"`}, `--add: module name "\"foo" has '"'`},
		{"exclude newline", []string{"--exclude", "sctp\nrds"}, `--exclude: module name "sctp\nrds" has '\n'`},
		{"exclude unknown", []string{"--exclude", "ext4"}, `--exclude: "ext4" is not a module of the list`},
		{"exclude bad", []string{"--exclude", "x/y"}, "--exclude: module name"},
		{"add and exclude", []string{"--add", "foo", "--exclude", "foo"}, "both name module"},
		{"no proc/modules", []string{"--keep-loaded", "--root", missing}, "--keep-loaded: open " + filepath.Join(missing, "proc", "modules")},
		{"unwritable output", []string{"--output", filepath.Join(missing, "no", "such", "dir", "f.conf")}, "no such file"},
		{"argument", []string{"dccp"}, "unknown command"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := run("", append([]string{"profile", "modules"}, c.args...)...)
			if code != ExitError || !strings.Contains(errOut, c.inErr) || out != "" {
				t.Errorf("exit %d (want 2), stdout %q, stderr %q (want %q)", code, out, errOut, c.inErr)
			}
		})
	}
}
