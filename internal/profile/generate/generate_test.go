package generate

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/profile"
	"github.com/kharden/kharden/internal/profile/seccomp"
	"github.com/kharden/kharden/internal/testkit"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func readRecording(t *testing.T) *profile.Recording {
	t.Helper()
	data, err := os.ReadFile("testdata/web.recording.json")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := profile.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestFilesGolden fixes every format's bytes for one recording: stable, sorted output.
func TestFilesGolden(t *testing.T) {
	rec := readRecording(t)
	base := &seccomp.Baseline{Runtime: "runc", Syscalls: []string{"capget", "fchown", "no_such_syscall"}}
	files, warnings, err := Files(rec, Options{Name: "web", Namespace: "shop", Formats: []string{"seccomp", "apparmor", "spo"}, Baseline: base})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
		testkit.Golden(t, filepath.Join("testdata", f.Name+".golden"), f.Data, *update)
	}
	want := "web.json web.apparmor web.seccompprofile.yaml web.apparmorprofile.yaml web.recording.json"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("files %s, want %s", got, want)
	}
	// The SPO pattern refuses the comma and the escaped glob; AppArmor quotes and escapes them.
	if len(warnings) != 2 || !strings.Contains(warnings[0], "odd name,with comma") || !strings.Contains(warnings[1], `star\*`) {
		t.Errorf("warnings %q", warnings)
	}
	// The same recording again, from a different map order: the same bytes.
	again, _, _ := Files(profile.Merge(rec), Options{Name: "web", Namespace: "shop", Formats: []string{"seccomp", "apparmor", "spo"}, Baseline: base})
	for i := range files {
		if i < len(again) && files[i].Name != "web.recording.json" && string(files[i].Data) != string(again[i].Data) {
			t.Errorf("%s differs between two generations", files[i].Name)
		}
	}
}

func TestParseFormats(t *testing.T) {
	for in, want := range map[string]string{
		"seccomp": "seccomp", "all": "seccomp apparmor spo", "spo,seccomp": "seccomp spo", "apparmor,all": "seccomp apparmor spo",
	} {
		got, err := ParseFormats(in)
		if err != nil || strings.Join(got, " ") != want {
			t.Errorf("%q: %v %v, want %s", in, got, err, want)
		}
	}
	if _, err := ParseFormats("json"); err == nil || !strings.Contains(err.Error(), `unknown format "json"`) {
		t.Errorf("json: %v", err)
	}
}

func TestFilesErrors(t *testing.T) {
	rec := readRecording(t)
	if _, _, err := Files(rec, Options{Name: "../etc/passwd", Formats: []string{"seccomp"}}); err == nil {
		t.Error("a name with a slash was accepted")
	}
	rec.Files = nil
	if _, _, err := Files(rec, Options{Name: "web", Formats: []string{"apparmor"}}); err == nil || !strings.Contains(err.Error(), "no files") {
		t.Errorf("apparmor without files: %v", err)
	}
}
