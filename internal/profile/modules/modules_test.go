package modules

import (
	"bytes"
	"flag"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/testkit"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestGenerateGolden(t *testing.T) {
	for _, c := range []struct {
		name string
		o    Options
	}{
		{"default.golden", Options{}},
		{"options.golden", Options{
			Add:     []string{"usb-storage", "firewire_core", "dccp"},
			Exclude: []string{"sctp", "hfsplus"},
			Loaded:  []string{"overlay", "br_netfilter", "can", "bluetooth", "sctp", "usb_storage"},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := c.o.Validate(); err != nil {
				t.Fatal(err)
			}
			testkit.Golden(t, filepath.Join("testdata", c.name), Generate(c.o), *update)
		})
	}
}

// TestGenerateDirectives reads the default file as modprobe would: every listed module gets
// exactly one install and one blacklist line, nothing else is a directive, and no line is
// longer than a terminal.
func TestGenerateDirectives(t *testing.T) {
	out := string(Generate(Options{}))
	installs, blacklists := map[string]int{}, map[string]int{}
	for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if len(line) > width {
			t.Errorf("line %d is %d characters long: %q", i+1, len(line), line)
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		switch {
		case len(f) == 3 && f[0] == "install" && f[2] == "/bin/false":
			installs[f[1]]++
		case len(f) == 2 && f[0] == "blacklist":
			blacklists[f[1]]++
		default:
			t.Errorf("line %d is not an install or blacklist directive: %q", i+1, line)
		}
	}
	for _, must := range []string{"dccp", "sctp", "rds", "tipc"} {
		if installs[must] != 1 {
			t.Errorf("%s is not blocked", must)
		}
	}
	for _, m := range builtin {
		if installs[m.Name] != 1 || blacklists[m.Name] != 1 {
			t.Errorf("%s: %d install and %d blacklist lines", m.Name, installs[m.Name], blacklists[m.Name])
		}
	}
	if len(installs) != len(builtin) || len(blacklists) != len(builtin) {
		t.Errorf("%d install and %d blacklist lines for %d modules", len(installs), len(blacklists), len(builtin))
	}
	if !strings.Contains(out, InstallPath) || !strings.Contains(out, "modprobe -n -v dccp") {
		t.Error("the header does not say where the file goes and how to verify it")
	}
	if regexp.MustCompile(`20\d\d-\d\d-\d\d`).MatchString(out) {
		t.Error("the output has a date: it must be the same on every run")
	}
}

// TestList keeps the list well formed: valid, canonical, unique names, every one with a
// reason and a known group.
func TestList(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range List() {
		if err := CheckName(m.Name); err != nil || m.Name != Canonical(m.Name) {
			t.Errorf("%q: not a canonical module name (%v)", m.Name, err)
		}
		if seen[m.Name] {
			t.Errorf("%s listed twice", m.Name)
		}
		seen[m.Name] = true
		if len(m.Reason) < 30 || !strings.HasSuffix(m.Reason, ".") {
			t.Errorf("%s: reason %q: say what it is and why it is blocked, as sentences", m.Name, m.Reason)
		}
		if m.Group == Added || !containsGroup(m.Group) {
			t.Errorf("%s: group %q", m.Name, m.Group)
		}
	}
	l := List()
	l[0].Name = "changed"
	if builtin[0].Name == "changed" {
		t.Error("List returns the list itself, not a copy")
	}
}

func containsGroup(g Group) bool {
	for _, x := range groups {
		if x == g {
			return true
		}
	}
	return false
}

func TestGenerateOptions(t *testing.T) {
	out := string(Generate(Options{
		Add:     []string{"usb-storage", "zz_mod", "usb_storage"},
		Exclude: []string{"hfs"},
		Loaded:  []string{"sctp", "zz-mod"},
	}))
	for _, c := range []struct {
		what string
		ok   bool
	}{
		{"added module blocked, spelt with _, once", strings.Count(out, "\ninstall usb_storage /bin/false\n") == 1 && !strings.Contains(out, "usb-storage")},
		{"loaded module kept, commented out", strings.Contains(out, "\n# install sctp /bin/false\n# blacklist sctp\n") && !strings.Contains(out, "\ninstall sctp ")},
		{"loaded added module kept", strings.Contains(out, "\n# install zz_mod /bin/false\n")},
		{"kept modules say so", strings.Count(out, "# kept: loaded") == 2},
		{"excluded module not blocked", !strings.Contains(out, "install hfs ") && strings.Contains(out, "# hfs: ") && strings.Contains(out, "# excluded: not blocked")},
		{"hfsplus still blocked", strings.Contains(out, "\ninstall hfsplus /bin/false\n")},
		{"summary", strings.Contains(out, "Kept because loaded: sctp, zz_mod. Excluded: hfs.")},
	} {
		if !c.ok {
			t.Errorf("%s:\n%s", c.what, out)
		}
	}
	// The order of the options does not matter.
	a := Generate(Options{Add: []string{"b1", "a1"}, Exclude: []string{"rds", "tipc"}, Loaded: []string{"x", "dccp"}})
	b := Generate(Options{Add: []string{"a1", "b1"}, Exclude: []string{"tipc", "rds"}, Loaded: []string{"dccp", "x"}})
	if !bytes.Equal(a, b) {
		t.Error("the output depends on the order of the options")
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		o     Options
		inErr string // "" for valid
	}{
		{Options{}, ""},
		{Options{Add: []string{"usb-storage", "BusLogic", "nf_conntrack_ftp"}}, ""},
		{Options{Exclude: []string{"sctp", "n-hdlc"}}, ""},
		{Options{Add: []string{"dccp"}, Exclude: []string{"sctp"}}, ""},
		{Options{Add: []string{""}}, "--add: empty module name"},
		{Options{Add: []string{"dccp /bin/true\ninstall sctp"}}, `has ' '`},
		{Options{Add: []string{"a/b"}}, `has '/'`},
		{Options{Add: []string{"-v"}}, `starts with "-"`},
		{Options{Add: []string{strings.Repeat("m", 56)}}, "longer than 55"},
		{Options{Exclude: []string{"ext4"}}, `"ext4" is not a module of the list`},
		{Options{Exclude: []string{"x;y"}}, "--exclude: module name"},
		{Options{Add: []string{"foo"}, Exclude: []string{"foo"}}, "--add and --exclude both name"},
		{Options{Add: []string{"usb-storage"}, Exclude: []string{"usb_storage"}}, "--add and --exclude both name"},
	} {
		err := c.o.Validate()
		if c.inErr == "" && err != nil || c.inErr != "" && (err == nil || !strings.Contains(err.Error(), c.inErr)) {
			t.Errorf("%+v: error %v, want %q", c.o, err, c.inErr)
		}
	}
}

func TestParseLoaded(t *testing.T) {
	got, err := ParseLoaded([]byte("overlay 151552 4 - Live 0x0000000000000000\n" +
		"br_netfilter 32768 0 - Live 0x0000000000000000\n" +
		"\n" +
		"sctp 434176 2 [permanent], Live 0x0000000000000000\n"))
	if err != nil || strings.Join(got, ",") != "overlay,br_netfilter,sctp" {
		t.Errorf("ParseLoaded: %v %v", got, err)
	}
	if got, err := ParseLoaded(nil); err != nil || len(got) != 0 {
		t.Errorf("empty: %v %v", got, err)
	}
	if _, err := ParseLoaded([]byte("ok 1 0 - Live 0x0\nb@d 1 0 - Live 0x0\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("a malformed line: %v", err)
	}
}
