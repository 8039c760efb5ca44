package image

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/image"
)

func ports(specs ...string) map[string]struct{} {
	m := map[string]struct{}{}
	for _, s := range specs {
		m[s] = struct{}{}
	}
	return m
}

func TestSSHPort(t *testing.T) {
	files := [][]entry{{{name: "app", body: "x"}}}
	run(t, SSHPort, []ruleCase{
		{"22/tcp", v1.Config{ExposedPorts: ports("8080/tcp", "22/tcp")}, files,
			[]expect{{`config.ExposedPorts["22/tcp"]`, 0, "exposes 22/tcp, the SSH port"}}},
		{"22 without a protocol", v1.Config{ExposedPorts: ports("22")}, files,
			[]expect{{`config.ExposedPorts["22"]`, 0, "the SSH port"}}},
		{"other ports", v1.Config{ExposedPorts: ports("8080/tcp", "2222/tcp", "22/udp")}, files, nil},
		{"none", v1.Config{}, files, nil},
	})
	// The history line that exposed it is named.
	img := makeImage(t, v1.Config{ExposedPorts: ports("22/tcp")}, []v1.History{
		{CreatedBy: "COPY app / # buildkit"},
		{CreatedBy: "EXPOSE map[22/tcp:{}]", EmptyLayer: true},
	}, []entry{{name: "app", body: "x"}})
	im := scanLayout(t, img)
	fs := SSHPort.Check(im)
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "(history: EXPOSE map[22/tcp:{}])") {
		t.Errorf("findings %+v, want one naming the EXPOSE history line", fs)
	}
}

func scanLayout(t *testing.T, img v1.Image) *image.Image {
	t.Helper()
	im, err := image.Scan(context.Background(), "oci:"+writeLayout(t, img), image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return im
}

func TestManyExposedPorts(t *testing.T) {
	files := [][]entry{{{name: "app", body: "x"}}}
	run(t, ManyExposedPorts, []ruleCase{
		{"four", v1.Config{ExposedPorts: ports("9090/tcp", "80/tcp", "443/tcp", "53/udp")}, files,
			[]expect{{"config.ExposedPorts", 0, "exposes 4 ports (53/udp, 80/tcp, 443/tcp, 9090/tcp), more than 3"}}},
		{"three", v1.Config{ExposedPorts: ports("80/tcp", "443/tcp", "53/udp")}, files, nil},
	})
	// The limit is a setting.
	im := build(t, v1.Config{ExposedPorts: ports("80/tcp", "443/tcp", "53/udp")}, files...)
	if fs := ManyExposedPorts.Run(im, Settings{MaxExposedPorts: 2}); len(fs) != 1 || !strings.Contains(fs[0].Message, "more than 2") {
		t.Errorf("MaxExposedPorts 2: %+v", fs)
	}
	if fs := ManyExposedPorts.Run(im, Settings{}); len(fs) != 0 {
		t.Errorf("default settings: %+v", fs)
	}
}

func TestRemoteControlServers(t *testing.T) {
	run(t, RemoteControlServers, []ruleCase{
		{"sshd and a busybox telnetd", v1.Config{}, [][]entry{
			{{name: "bin/busybox", body: "bb"}, {name: "usr/sbin/sshd", body: "ELF"}},
			{{name: "usr/sbin/telnetd", link: "../../bin/busybox", typ: tar.TypeSymlink}},
		}, []expect{
			{"/usr/sbin/sshd", 1, "the remote access server sshd is in the image at /usr/sbin/sshd, added by layer 1"},
			{"/usr/sbin/telnetd", 2, "telnetd (a link to /bin/busybox)"},
		}},
		{"a VNC server on the PATH", v1.Config{Env: []string{"PATH=/opt/vnc/bin:/usr/bin"}}, [][]entry{
			{{name: "opt/vnc/bin/x11vnc", body: "x"}},
		}, []expect{{"/opt/vnc/bin/x11vnc", 1, "x11vnc"}}},
		{"the ssh client only, and sshd removed", v1.Config{}, [][]entry{
			{{name: "usr/bin/ssh", body: "ssh"}, {name: "usr/sbin/sshd", body: "sshd"}, {name: "etc/ssh/sshd_config", body: "x"}},
			{{name: "usr/sbin/.wh.sshd"}},
		}, nil},
	})
}

func TestBuildTools(t *testing.T) {
	run(t, BuildTools, []ruleCase{
		{"gcc with cc, and go", v1.Config{Env: []string{"PATH=/usr/local/go/bin:/usr/bin"}}, [][]entry{
			{{name: "usr/bin/x86_64-linux-gnu-gcc-12", body: "gcc"},
				{name: "usr/bin/gcc", link: "gcc-12", typ: tar.TypeSymlink},
				{name: "usr/bin/gcc-12", link: "x86_64-linux-gnu-gcc-12", typ: tar.TypeSymlink},
				{name: "etc/alternatives/cc", link: "/usr/bin/gcc", typ: tar.TypeSymlink},
				{name: "usr/bin/cc", link: "/etc/alternatives/cc", typ: tar.TypeSymlink}},
			{{name: "usr/local/go/bin/go", body: "go"}},
		}, []expect{
			{"/usr/local/go/bin/go", 2, "the compiler go is in the image at /usr/local/go/bin/go, added by layer 2"},
			{"/usr/bin/gcc", 1, "the compiler gcc (a link to /usr/bin/x86_64-linux-gnu-gcc-12) (also run as cc) is in the image at /usr/bin/gcc, added by layer 1"},
		}},
		{"a runtime: java but not javac, cpp", v1.Config{}, [][]entry{
			{{name: "usr/bin/java", body: "j"}, {name: "usr/bin/cpp", body: "c"}, {name: "usr/bin/apt-get", body: "a"}},
		}, nil},
		{"removed after the build", v1.Config{}, [][]entry{
			{{name: "usr/bin/gcc", body: "gcc"}},
			{{name: "usr/bin/.wh.gcc"}},
		}, nil},
	})
}

func TestPackageManagers(t *testing.T) {
	run(t, PackageManagers, []ruleCase{
		{"apt and dpkg, pip", v1.Config{}, [][]entry{
			{{name: "usr/bin/apt-get", body: "a"}, {name: "usr/bin/dpkg", body: "d"}},
			{{name: "usr/local/bin/pip3", body: "p"}, {name: "usr/local/bin/pip", link: "pip3", typ: tar.TypeSymlink}},
		}, []expect{
			{"/usr/local/bin/pip", 2, "the package manager pip (a link to /usr/local/bin/pip3) (also run as pip3) is in the image at /usr/local/bin/pip, added by layer 2"},
			{"/usr/bin/apt-get", 1, "the package manager apt-get"},
			{"/usr/bin/dpkg", 1, "the package manager dpkg"},
		}},
		{"distroless", v1.Config{}, [][]entry{
			{{name: "var/lib/dpkg/status.d/base", body: "Package: base-files\n"}, {name: "app", body: "x"}},
		}, nil},
	})
	if PackageManagers.Default || PackageManagers.Severity != rule.Info {
		t.Errorf("image-package-managers is informational and off by default")
	}
}

func TestLayerCount(t *testing.T) {
	var many [][]entry
	for i := range 22 {
		many = append(many, []entry{{name: fmt.Sprintf("f%d", i), body: "x"}})
	}
	run(t, LayerCount, []ruleCase{
		{"22 layers", v1.Config{}, many, []expect{{"rootfs.diff_ids", 21, "the image has 22 layers, more than 20; the first past the limit is layer 21"}}},
		{"20 layers", v1.Config{}, many[:20], nil},
	})
	im := build(t, v1.Config{}, many[:5]...)
	if fs := LayerCount.Run(im, Settings{MaxLayers: 4}); len(fs) != 1 || fs[0].Layer != 4 {
		t.Errorf("MaxLayers 4 on 5 layers: %+v", fs)
	}
	if fs := LayerCount.Run(im, Settings{MaxLayers: 5}); len(fs) != 0 {
		t.Errorf("MaxLayers 5 on 5 layers: %+v", fs)
	}
}

func TestMutableTag(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	img := makeImage(t, v1.Config{User: "1000"}, nil, []entry{{name: "app", body: "x"}})
	for _, tag := range []string{"app:1.4", "app:latest"} {
		ref, err := name.ParseReference(host+"/"+tag, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(ref, img); err != nil {
			t.Fatal(err)
		}
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ ref, want string }{
		{host + "/app:1.4", "referenced by the tag 1.4, which can be moved to other content; use a digest (it is " + d.String() + " now)"},
		{host + "/app:latest", "referenced by the tag latest"},
		{host + "/app", "without a tag or digest, which means the tag latest"},
		{host + "/app@" + d.String(), ""},
		{host + "/app:1.4@" + d.String(), ""},
		{"oci:" + writeLayout(t, img), ""},
	} {
		im, err := image.Scan(context.Background(), c.ref, image.Options{Insecure: true})
		if err != nil {
			t.Fatal(err)
		}
		fs := MutableTag.Check(im)
		switch {
		case c.want == "" && len(fs) != 0:
			t.Errorf("%s: %+v, want none", c.ref, fs)
		case c.want != "" && (len(fs) != 1 || !strings.Contains(fs[0].Message, c.want) || fs[0].Path != "reference"):
			t.Errorf("%s: %+v, want one with %q", c.ref, fs, c.want)
		}
	}
}

func TestSecretsInHistory(t *testing.T) {
	token := "ghp_" + strings.Repeat("b", 36)
	layers := [][]entry{{{name: "a", body: "x"}}, {{name: "b", body: "y"}}}
	for _, c := range []struct {
		name    string
		history []v1.History
		env     []string
		want    []expect // layer from 1, 0 for a step without one
	}{
		{"a build argument of a RUN (BuildKit)", []v1.History{
			{CreatedBy: "COPY a / # buildkit"},
			{CreatedBy: "ARG NPM_TOKEN", EmptyLayer: true},
			{CreatedBy: "RUN |2 NPM_TOKEN=s3cr3t-value VERSION=1.2 /bin/sh -c npm ci # buildkit"},
		}, nil, []expect{{"history[2]", 2, "the build argument NPM_TOKEN keeps a value in the image's history (the RUN step of layer 2 (sha256:"}}},
		{"the classic builder's form, an ARG default", []v1.History{
			{CreatedBy: "/bin/sh -c #(nop) ARG DB_PASSWORD=hunter2", EmptyLayer: true},
			{CreatedBy: "|1 DB_PASSWORD=hunter2 /bin/sh -c ./configure"},
			{CreatedBy: "/bin/sh -c make"},
		}, nil, []expect{
			{"history[0]", 0, "the ARG DB_PASSWORD keeps a value in the image's history (an ARG step that made no layer)"},
			{"history[1]", 1, "the build argument DB_PASSWORD keeps"},
		}},
		{"a token in a command", []v1.History{
			{CreatedBy: "RUN /bin/sh -c git clone https://" + token + "@github.com/x/y # buildkit"},
			{CreatedBy: "COPY b / # buildkit"},
		}, nil, []expect{{"history[0]", 1, "the image's history holds a GitHub token (the RUN step of layer 1"}}},
		{"clean: references to secrets, an ENV left to image-secrets-in-env", []v1.History{
			{CreatedBy: "RUN |1 NPM_TOKEN=$NPM_TOKEN /bin/sh -c npm ci # buildkit"},
			{CreatedBy: "ENV DB_PASSWORD=hunter2", EmptyLayer: true},
			{CreatedBy: "RUN /bin/sh -c --mount=type=secret,id=npm npm ci # buildkit"},
			{CreatedBy: "ARG PASSWORD_FILE=/run/secrets/pw", EmptyLayer: true},
		}, []string{"DB_PASSWORD=hunter2"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			im := scanLayout(t, makeImage(t, v1.Config{Env: c.env}, c.history, layers...))
			fs := SecretsInHistory.Check(im)
			if len(fs) != len(c.want) {
				t.Fatalf("%d findings %+v, want %+v", len(fs), fs, c.want)
			}
			for i, w := range c.want {
				if fs[i].Path != w.path || fs[i].Layer+1 != w.layer || !strings.Contains(fs[i].Message, w.msg) {
					t.Errorf("finding %+v, want %+v", fs[i], w)
				}
				for _, s := range []string{"s3cr3t", "hunter2", token} {
					if strings.Contains(fs[i].Message, s) {
						t.Errorf("message repeats the secret: %s", fs[i].Message)
					}
				}
			}
		})
	}
}

func TestSecretFiles(t *testing.T) {
	key := "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n"
	npm := "npm_" + strings.Repeat("c", 36)
	run(t, SecretFiles, []ruleCase{
		{"keys and credential files", v1.Config{}, [][]entry{
			{{name: "root/.ssh/id_ed25519", body: key}, {name: "root/.ssh/id_ed25519.pub", body: "ssh-ed25519 AAAA x"},
				{name: "etc/ssh/ssh_host_rsa_key", body: key},
				{name: "etc/ssl/private/site.key", body: "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n"}},
			{{name: "app/.npmrc", body: "registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=abc123def\n"},
				{name: "app/.env", body: "# settings\nDEBUG=false\nDATABASE_PASSWORD='pa55word'\n"},
				{name: "root/.pypirc", body: "[pypi]\nusername = __token__\npassword = pypi-AgEIcHlwaS5vcmcCJDAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMAACKlszLCJ"},
				{name: "root/.pypirc-plain/.pypirc", body: "[internal]\nrepository = https://pypi.example.com\npassword: Tr0ub4dor\n"},
				{name: "root/.docker/config.json", body: `{"auths":{"registry.example.com":{"auth":"dXNlcjpwYXNz"},"ghcr.io":{}},"credsStore":"desktop"}`},
				{name: "home/app/.aws/credentials", body: "[default]\naws_access_key_id = AKIAIOSFODNN7REALKEY\n"},
				{name: "srv/.git/HEAD", body: "ref: refs/heads/main\n"}, {name: "srv/.git/objects/", typ: tar.TypeDir},
				{name: "srv/config.js", body: "module.exports = {token: '" + npm + "'}"}},
		}, []expect{
			{"/app/.env", 2, "/app/.env holds a value for DATABASE_PASSWORD, added by layer 2"},
			{"/app/.npmrc", 2, "holds an npm registry token"},
			{"/etc/ssh/ssh_host_rsa_key", 1, "an SSH host private key, which every container of the image shares"},
			{"/etc/ssl/private/site.key", 1, "holds a private key"},
			{"/home/app/.aws/credentials", 2, "holds an AWS access key ID"},
			{"/root/.docker/config.json", 2, "holds credentials for the registry registry.example.com, added by layer 2"},
			{"/root/.pypirc", 2, "holds a PyPI token"},
			{"/root/.pypirc-plain/.pypirc", 2, "holds a value for password"},
			{"/root/.ssh/id_ed25519", 1, "holds a private key, added by layer 1 (sha256:"},
			{"/srv/.git", 2, "is a Git repository"},
		}},
		{"templates, helpers, certificates and a deleted key", v1.Config{}, [][]entry{
			{{name: "root/.ssh/id_rsa", body: key},
				{name: "app/.env", body: "DATABASE_PASSWORD=\nAPI_TOKEN=${API_TOKEN}\nPASSWORD_FILE=/run/secrets/pw\n"},
				{name: "app/.npmrc", body: "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n"},
				{name: "root/.docker/config.json", body: `{"auths":{"ghcr.io":{}},"credHelpers":{"gcr.io":"gcloud"}}`},
				{name: "etc/ssl/certs/ca.pem", body: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"},
				{name: "app/.env.example", body: "DATABASE_PASSWORD=changeme\n"},
				{name: "usr/share/doc/.git", body: "gitdir: ../x"}},
			{{name: "root/.ssh/.wh.id_rsa"}},
		}, nil},
	})
	// A key file too big to be kept is still reported by its name; the limit is a note.
	big := strings.Repeat("A", 70<<10)
	im := build(t, v1.Config{}, []entry{{name: "root/.ssh/id_rsa", body: big}})
	fs := SecretFiles.Check(im)
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "named like a private key, too big to be read") {
		t.Errorf("a big id_rsa: %+v", fs)
	}
	if len(im.Notes) == 0 || !strings.Contains(im.Notes[0].Message, "not read for secrets") {
		t.Errorf("notes %+v, want the size limit", im.Notes)
	}
	// Messages never repeat a secret.
	im = build(t, v1.Config{}, []entry{{name: "app/.env", body: "DATABASE_PASSWORD=pa55word\n"}})
	for _, f := range SecretFiles.Check(im) {
		if strings.Contains(f.Message, "pa55word") {
			t.Errorf("message repeats the secret: %s", f.Message)
		}
	}
}

func TestEndOfLife(t *testing.T) {
	osr := func(id, version, pretty string) entry {
		return entry{name: "usr/lib/os-release", body: "ID=" + id + "\nVERSION_ID=\"" + version + "\"\nPRETTY_NAME=\"" + pretty + "\"\n"}
	}
	link := entry{name: "etc/os-release", link: "../usr/lib/os-release", typ: tar.TypeSymlink}
	run(t, EndOfLife, []ruleCase{
		{"debian 10", v1.Config{}, [][]entry{{osr("debian", "10", "Debian GNU/Linux 10 (buster)"), link}},
			[]expect{{"/usr/lib/os-release", 1, "the image's OS, Debian GNU/Linux 10 (buster), reached its end of life on 2024-06-30"}}},
		{"alpine 3.16, replaced by a later layer", v1.Config{}, [][]entry{
			{osr("alpine", "3.22.1", "Alpine Linux v3.22"), link},
			{osr("alpine", "3.16.9", "Alpine Linux v3.16")},
		}, []expect{{"/usr/lib/os-release", 2, "reached its end of life on 2024-05-23"}}},
		{"debian 12", v1.Config{}, [][]entry{{osr("debian", "12", "Debian GNU/Linux 12 (bookworm)"), link}}, nil},
		{"a release the table does not know", v1.Config{}, [][]entry{{osr("wolfi", "20230201", "Wolfi"), link}}, nil},
		{"no os-release", v1.Config{}, [][]entry{{{name: "app", body: "x"}}}, nil},
	})
}
