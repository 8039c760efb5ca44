package image

import (
	"debug/elf"
	"os"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestRustAuditable(t *testing.T) {
	bin, err := os.ReadFile("testdata/rust/hello")
	if err != nil {
		t.Fatal(err)
	}
	img := imageOf(t, v1.Config{}, "amd64",
		step{"ADD rootfs.tar /", []file{reg("etc/os-release", debianRelease)}},
		step{"COPY hello /usr/local/bin/", []file{exe("usr/local/bin/hello", string(bin))}})
	im := scan(t, "oci:"+writeLayout(t, img), Options{})
	if len(im.Errors) > 0 {
		t.Fatalf("errors: %+v", im.Errors)
	}
	var got, want []string
	for _, p := range im.Packages {
		got = append(got, p.Name+" "+p.Version)
		if p.Type != "cargo" || p.File != "/usr/local/bin/hello" || p.Layer != 1 || p.PURL != "pkg:cargo/"+p.Name+"@"+p.Version {
			t.Errorf("%+v", p)
		}
	}
	// The crates linked in, not the build-time ones.
	for _, l := range expectedLines(t, "testdata/rust/expected.txt") {
		if f := strings.Fields(l); f[2] == "runtime" {
			want = append(want, f[0]+" "+f[1])
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("packages:\n got %q\nwant %q", got, want)
	}

	// A damaged section is an error at the binary.
	f, err := elf.NewFile(strings.NewReader(string(bin)))
	if err != nil {
		t.Fatal(err)
	}
	s := f.Section(".dep-v0")
	bad := slices.Clone(bin)
	for i := s.Offset + 2; i < s.Offset+s.Size; i++ {
		bad[i] ^= 0x5a
	}
	img = imageOf(t, v1.Config{}, "amd64", step{"COPY hello /usr/local/bin/", []file{exe("usr/local/bin/hello", string(bad))}})
	im = scan(t, "oci:"+writeLayout(t, img), Options{})
	if len(im.Packages) != 0 || len(im.Errors) != 1 || im.Errors[0].Path != "/usr/local/bin/hello" || !strings.Contains(im.Errors[0].Message, ".dep-v0") {
		t.Errorf("damaged section: packages %q, errors %+v", pkgLines(im), im.Errors)
	}
}
