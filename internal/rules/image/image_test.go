package image

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/image"
)

func TestRegistry(t *testing.T) {
	if err := rule.Validate(Metas(All())); err != nil {
		t.Fatal(err)
	}
	for _, r := range All() {
		if !strings.HasPrefix(r.ID, "IM-") || !strings.HasPrefix(r.Slug, "image-") {
			t.Errorf("%s %s: image rules are IM-xxxx with an image- slug", r.ID, r.Slug)
		}
		if Lookup(r.Slug) != r || Lookup(strings.ToLower(r.ID)) != r {
			t.Errorf("Lookup(%s)", r.Slug)
		}
	}
	// Every rule file is registered: one Go file per rule besides the package's own.
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		if !strings.HasSuffix(f, "_test.go") && f != "image.go" && f != "registry.go" {
			n++
		}
	}
	if n != len(All()) {
		t.Errorf("%d rule files, %d rules in All()", n, len(All()))
	}
}

// entry is a file of a test layer: a regular file unless link is set.
type entry struct {
	name, body, link string
	typ              byte
}

func layer(t *testing.T, entries ...entry) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: 0o755, Size: int64(len(e.body))}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		} else {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			if _, err := io.WriteString(tw, e.body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// build makes an image of cfg and layers (each with its history line), writes it as an
// OCI layout and reads it back with source/image.
func build(t *testing.T, cfg v1.Config, layers ...[]entry) *image.Image {
	t.Helper()
	im, err := image.Scan(context.Background(), "oci:"+writeLayout(t, makeImage(t, cfg, nil, layers...)), image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return im
}

// makeImage makes an image of cfg and layers; history, when not nil, replaces the
// history lines ("step N" for each layer).
func makeImage(t *testing.T, cfg v1.Config, history []v1.History, layers ...[]entry) v1.Image {
	t.Helper()
	img := empty.Image
	for i, es := range layers {
		var err error
		img, err = mutate.Append(img, mutate.Addendum{Layer: layer(t, es...),
			History: v1.History{CreatedBy: "step " + string(rune('1'+i))}})
		if err != nil {
			t.Fatal(err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Config, cf.OS, cf.Architecture = cfg, "linux", "amd64"
	if history != nil {
		cf.History = history
	}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	return img
}

// writeLayout writes img as an OCI layout in a new directory.
func writeLayout(t *testing.T, img v1.Image) string {
	t.Helper()
	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	return dir
}

// expect is a finding a case wants: its path, layer (from 1; 0 for the configuration)
// and a part of its message.
type expect struct {
	path  string
	layer int
	msg   string
}

type ruleCase struct {
	name   string
	cfg    v1.Config
	layers [][]entry
	want   []expect // none: the image passes
}

func run(t *testing.T, r *Rule, cases []ruleCase) {
	t.Helper()
	pass, fail := 0, 0
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := r.Check(build(t, c.cfg, c.layers...))
			var g []expect
			for _, f := range got {
				g = append(g, expect{f.Path, f.Layer + 1, f.Message})
			}
			if len(g) != len(c.want) {
				t.Fatalf("%s: %d findings %+v, want %+v", r.ID, len(g), g, c.want)
			}
			for i, w := range c.want {
				if g[i].path != w.path || g[i].layer != w.layer || !strings.Contains(g[i].msg, w.msg) {
					t.Errorf("%s: finding %+v, want %+v", r.ID, g[i], w)
				}
			}
		})
		if len(c.want) == 0 {
			pass++
		} else {
			fail++
		}
	}
	if pass == 0 || fail == 0 {
		t.Errorf("%s needs passing and failing images: %d pass, %d fail", r.ID, pass, fail)
	}
}

func TestRunsAsRoot(t *testing.T) {
	files := [][]entry{{{name: "bin/app", body: "x"}}}
	run(t, RunsAsRoot, []ruleCase{
		{"no user", v1.Config{}, files, []expect{{"config.User", 0, "names no user, so it runs as root"}}},
		{"uid 0", v1.Config{User: "0:0"}, files, []expect{{"config.User", 0, `runs as "0:0"`}}},
		{"root", v1.Config{User: "root"}, files, []expect{{"config.User", 0, `runs as "root"`}}},
		{"nonroot", v1.Config{User: "65532:65532"}, files, nil},
		{"named", v1.Config{User: "app"}, files, nil},
	})
}

func TestNetworkTools(t *testing.T) {
	run(t, NetworkTools, []ruleCase{
		{"curl and a busybox wget", v1.Config{}, [][]entry{
			{{name: "bin/busybox", body: "bb"}, {name: "usr/bin/curl", body: "curl"}},
			{{name: "bin/wget", link: "/bin/busybox", typ: tar.TypeSymlink}},
		}, []expect{
			{"/usr/bin/curl", 1, "curl is in the image at /usr/bin/curl, added by layer 1"},
			{"/bin/wget", 2, "wget (a link to /bin/busybox) is in the image at /bin/wget, added by layer 2"},
		}},
		{"on the image's PATH, through a merged /bin", v1.Config{Env: []string{"PATH=/opt/tools:/bin"}}, [][]entry{
			{{name: "bin", link: "usr/bin", typ: tar.TypeSymlink}, {name: "usr/bin/nc", body: "nc"}, {name: "opt/tools/socat", body: "s"}},
		}, []expect{
			{"/opt/tools/socat", 1, "socat is in the image"},
			{"/usr/bin/nc", 1, "nc is in the image at /usr/bin/nc"},
		}},
		{"removed by a later layer", v1.Config{}, [][]entry{
			{{name: "usr/bin/curl", body: "curl"}, {name: "usr/bin/wget", body: "wget"}},
			{{name: "usr/bin/.wh.curl"}},
			{{name: "usr/bin/.wh.wget"}},
		}, nil},
		{"a dangling link and a directory", v1.Config{}, [][]entry{
			{{name: "usr/bin/curl", link: "/nowhere", typ: tar.TypeSymlink}, {name: "usr/bin/wget/", typ: tar.TypeDir}},
		}, nil},
	})
}

func TestSecretsInEnv(t *testing.T) {
	files := [][]entry{{{name: "app", body: "x"}}}
	run(t, SecretsInEnv, []ruleCase{
		{"a password and a token", v1.Config{Env: []string{"PATH=/bin", "DB_PASSWORD=hunter2", "X=ghp_" + strings.Repeat("a", 36)}}, files,
			[]expect{
				{"config.Env[1]", 0, "DB_PASSWORD holds a secret"},
				{"config.Env[2]", 0, "X holds a GitHub token"},
			}},
		{"references, not secrets", v1.Config{Env: []string{"DB_PASSWORD_FILE=/run/secrets/db", "TOKEN_URL=https://example.com/t", "ALLOW_EMPTY_PASSWORD=no", "API_TOKEN="}}, files, nil},
	})
	// The value never appears in a message.
	im := build(t, v1.Config{Env: []string{"DB_PASSWORD=hunter2"}}, files...)
	for _, f := range SecretsInEnv.Check(im) {
		if strings.Contains(f.Message, "hunter2") {
			t.Errorf("message repeats the secret: %s", f.Message)
		}
	}
}
