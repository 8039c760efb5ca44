package kustomize

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const remoteDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: remote
spec:
  selector: {matchLabels: {app: remote}}
  template:
    metadata: {labels: {app: remote}}
    spec:
      containers:
      - name: c
        image: nginx:1.27
        securityContext: {privileged: true}
`

// server serves remoteDeployment at every path and counts the requests.
func server(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	if h == nil {
		h = func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(remoteDeployment)) }
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func buildErr(t *testing.T, dir string, o Options) string {
	t.Helper()
	r, err := Build(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Errors) == 0 {
		t.Fatalf("no error; %d documents", len(r.Docs))
	}
	return r.Errors[0].Msg
}

func TestRemoteResourcesOffByDefault(t *testing.T) {
	srv, requests := server(t, nil)
	for name, k := range map[string]string{
		"resource":       "resources:\n- " + srv.URL + "/x.yaml\n",
		"base":           "bases:\n- " + srv.URL + "/x.yaml\n",
		"patch":          "resources: [pod.yaml]\npatches:\n- path: " + srv.URL + "/p.yaml\n",
		"configMapFiles": "configMapGenerator:\n- name: c\n  files: [k=" + srv.URL + "/f]\n",
		"secretEnvs":     "secretGenerator:\n- name: s\n  envs: [" + srv.URL + "/e]\n",
		"replacement":    "resources: [pod.yaml]\nreplacements:\n- path: " + srv.URL + "/r.yaml\n",
		"crds":           "resources: [pod.yaml]\ncrds: [" + srv.URL + "/crd.json]\n",
		"inlineTransformer": "resources: [pod.yaml]\ntransformers:\n- |\n  apiVersion: builtin\n  kind: PatchTransformer\n" +
			"  metadata: {name: p}\n  path: " + srv.URL + "/p.yaml\n",
		"jsonPatchIntoConfig": "resources: [pod.yaml]\npatches:\n- target: {kind: PatchTransformer}\n  patch: |\n" +
			"    - op: replace\n      path: /path\n      value: " + srv.URL + "/p.yaml\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, filepath.Join(dir, "kustomization.yaml"), k)
			write(t, filepath.Join(dir, "pod.yaml"), "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n")
			msg := buildErr(t, dir, Options{})
			if !strings.Contains(msg, srv.URL) || !strings.Contains(msg, "--allow-remote-resources") {
				t.Errorf("error does not name the URL and the flag: %s", msg)
			}
			if n := requests.Load(); n != 0 {
				t.Errorf("%d requests made", n)
			}
		})
	}
}

// A URL as a value the kustomization sets is no reference.
func TestURLValuesAreNotReferences(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "kustomization.yaml"), "resources: [pod.yaml]\ncommonAnnotations: {docs: 'https://example.com/x.yaml'}\n"+
		"patches:\n- target: {kind: Pod}\n  patch: |\n    - op: add\n      path: /metadata/annotations/more\n      value: https://example.com/y.yaml\n")
	write(t, filepath.Join(dir, "pod.yaml"), "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n")
	r, err := Build(dir, Options{})
	if err != nil || len(r.Errors) != 0 || len(r.Docs) != 1 {
		t.Fatalf("%v %v", err, r.Errors)
	}
}

// A transformer config in a file, not in the kustomization, is checked too.
func TestRemoteInPluginConfigFile(t *testing.T) {
	srv, requests := server(t, nil)
	dir := t.TempDir()
	write(t, filepath.Join(dir, "kustomization.yaml"), "resources: [pod.yaml]\ntransformers: [t.yaml]\n")
	write(t, filepath.Join(dir, "pod.yaml"), "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n")
	write(t, filepath.Join(dir, "t.yaml"), "apiVersion: builtin\nkind: PatchTransformer\nmetadata: {name: p}\npath: "+srv.URL+"/p.yaml\n")
	for _, allow := range []bool{false, true} {
		msg := buildErr(t, dir, Options{RemoteHosts: []string{"127.0.0.1"}, AllowRemote: allow})
		if !strings.Contains(msg, srv.URL) {
			t.Errorf("allow=%v: error does not name the URL: %s", allow, msg)
		}
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests made", n)
	}
}

func TestRemoteResourceAllowed(t *testing.T) {
	srv, requests := server(t, nil)
	dir := t.TempDir()
	url := srv.URL + "/apps/x.yaml"
	write(t, filepath.Join(dir, "kustomization.yaml"), "namePrefix: p-\nresources:\n- "+url+"\n")
	r, err := Build(dir, Options{RemoteHosts: []string{"127.0.0.1"}, AllowRemote: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Errors) != 0 || len(r.Docs) != 1 {
		t.Fatalf("errors %v, %d documents", r.Errors, len(r.Docs))
	}
	d := r.Docs[0]
	if d.Object.Name != "p-remote" || d.Origin != url {
		t.Errorf("got %s from %q, want p-remote from %s", d.Object.Name, d.Origin, url)
	}
	// A fetched file is no file of the user's: the kustomization, without a line.
	if pos := d.Place("spec"); pos.File != filepath.Join(dir, "kustomization.yaml") || pos.Line != 0 || !strings.Contains(pos.Note, url) {
		t.Errorf("Place(spec) = %+v, want the kustomization without a line, naming %s", pos, url)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// The URLs are the kustomization's choice: a host at a loopback (private, link-local)
// address is fetched only when the user named it.
func TestRemoteLoopbackRefused(t *testing.T) {
	srv, requests := server(t, nil)
	dir := t.TempDir()
	write(t, filepath.Join(dir, "kustomization.yaml"), "resources:\n- "+srv.URL+"/apps/x.yaml\n")
	msg := buildErr(t, dir, Options{AllowRemote: true})
	if !strings.Contains(msg, srv.URL+"/apps/x.yaml") || !strings.Contains(msg, "refused by kharden: it is a loopback address") {
		t.Errorf("error = %s", msg)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests made", n)
	}
}

func TestRemoteFetchTimesOut(t *testing.T) {
	stop := make(chan struct{})
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		select { // never answers
		case <-stop:
		case <-r.Context().Done():
		}
	})
	defer close(stop)
	dir := t.TempDir()
	write(t, filepath.Join(dir, "kustomization.yaml"), "resources:\n- "+srv.URL+"/x.yaml\n")
	msg := buildErr(t, dir, Options{RemoteHosts: []string{"127.0.0.1"}, AllowRemote: true, RemoteTimeout: 200 * time.Millisecond})
	if !strings.Contains(msg, srv.URL+"/x.yaml") || !strings.Contains(msg, "no answer within 200ms") {
		t.Errorf("error = %s", msg)
	}
}

func TestRemoteFetchTooLarge(t *testing.T) {
	chunk := []byte(strings.Repeat("# filler\n", 1<<12))
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		for r.Context().Err() == nil { // endless
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	dir := t.TempDir()
	write(t, filepath.Join(dir, "kustomization.yaml"), "resources:\n- "+srv.URL+"/x.yaml\n")
	msg := buildErr(t, dir, Options{RemoteHosts: []string{"127.0.0.1"}, AllowRemote: true})
	if !strings.Contains(msg, srv.URL+"/x.yaml") || !strings.Contains(msg, "larger than 8 MiB") {
		t.Errorf("error = %s", msg)
	}
}

// git is never run, whatever the kustomization says and whether or not remote resources
// are allowed: a fake git on PATH records any run.
func TestNoGit(t *testing.T) {
	bin := t.TempDir()
	ran := filepath.Join(bin, "ran")
	write(t, filepath.Join(bin, "git"), "#!/bin/sh\necho \"$@\" >> "+ran+"\nexit 1\n")
	if err := os.Chmod(filepath.Join(bin, "git"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	repo := t.TempDir()
	write(t, filepath.Join(repo, "base", "kustomization.yaml"), "resources: []\n")
	for _, ref := range []string{
		"https://github.com/example/repo//base?ref=v1",
		"github.com/example/repo/base",
		"git@github.com:example/repo.git/base",
		"ssh://git@example.com/repo.git//base",
		"file://" + repo + "//base",
	} {
		for _, field := range []string{"resources", "components"} {
			for _, allow := range []bool{false, true} {
				dir := t.TempDir()
				write(t, filepath.Join(dir, "kustomization.yaml"), field+":\n- "+ref+"\n")
				msg := buildErr(t, dir, Options{RemoteHosts: []string{"127.0.0.1"}, AllowRemote: allow})
				if !strings.Contains(msg, ref) {
					t.Errorf("%s %s (allow %v): error does not name it: %s", field, ref, allow, msg)
				}
			}
		}
	}
	if out, err := os.ReadFile(ran); err == nil {
		t.Errorf("git was run: %s", out)
	}
}

// Nor any other program: helm for helmCharts, docker or an executable for a KRM function.
func TestNoProgramRuns(t *testing.T) {
	bin := t.TempDir()
	ran := filepath.Join(bin, "ran")
	for _, name := range []string{"helm", "docker", "fn"} {
		write(t, filepath.Join(bin, name), "#!/bin/sh\necho "+name+" \"$@\" >> "+ran+"\nexit 1\n")
		if err := os.Chmod(filepath.Join(bin, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	fn := func(spec string) string {
		return "resources: [pod.yaml]\ntransformers:\n- |\n  apiVersion: example.com/v1\n  kind: T\n  metadata:\n    name: t\n" +
			"    annotations:\n      config.kubernetes.io/function: |\n        " + spec + "\n"
	}
	for name, k := range map[string]string{
		"helmCharts": "helmCharts:\n- name: web\n  repo: https://charts.example.com\n  version: 1.0.0\n",
		"exec":       fn("exec: {path: " + filepath.Join(bin, "fn") + "}"),
		"container":  fn("container: {image: example.com/fn:1}"),
	} {
		dir := t.TempDir()
		write(t, filepath.Join(dir, "kustomization.yaml"), k)
		write(t, filepath.Join(dir, "pod.yaml"), "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n")
		for _, allow := range []bool{false, true} {
			if msg := buildErr(t, dir, Options{RemoteHosts: []string{"127.0.0.1"}, AllowRemote: allow}); msg == "" {
				t.Errorf("%s: no error", name)
			}
		}
	}
	if out, err := os.ReadFile(ran); err == nil {
		t.Errorf("a program was run: %s", out)
	}
}

// Nothing outside the scanned directory is read: not a base above it, not a directory or
// file reached through a symlink.
func TestOutsideRootNotRead(t *testing.T) {
	outside := t.TempDir()
	write(t, filepath.Join(outside, "base", "kustomization.yaml"), "resources: [pod.yaml]\n")
	write(t, filepath.Join(outside, "base", "pod.yaml"), "apiVersion: v1\nkind: Pod\nmetadata: {name: secret-pod}\n")
	write(t, filepath.Join(outside, "token"), "s3cr3t-token\n")

	root := t.TempDir()
	app := filepath.Join(root, "app")
	if err := os.Symlink(filepath.Join(outside, "base"), filepath.Join(root, "linked-base")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(app, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "token"), filepath.Join(app, "token")); err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(app, filepath.Join(outside, "base"))
	if err != nil {
		t.Fatal(err)
	}
	for name, k := range map[string]string{
		"parent":     "resources: [" + rel + "]\n",
		"symlinkDir": "resources: [../linked-base]\n",
		"symlinkGen": "configMapGenerator:\n- name: c\n  files: [token]\n",
		"dotdot":     "configMapGenerator:\n- name: c\n  files: [" + strings.Repeat("../", 12) + "etc/passwd]\n",
	} {
		t.Run(name, func(t *testing.T) {
			write(t, filepath.Join(app, "kustomization.yaml"), k)
			r, err := Build(app, Options{Root: root})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Docs) != 0 || len(r.Errors) != 1 {
				t.Fatalf("%d documents, errors %v", len(r.Docs), r.Errors)
			}
			if msg := r.Errors[0].Msg; strings.Contains(msg, "s3cr3t") || strings.Contains(msg, "root:") {
				t.Errorf("error quotes the content: %s", msg)
			}
		})
	}
	// The same base inside the root builds.
	write(t, filepath.Join(root, "base", "kustomization.yaml"), "resources: [pod.yaml]\n")
	write(t, filepath.Join(root, "base", "pod.yaml"), "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n")
	write(t, filepath.Join(app, "kustomization.yaml"), "resources: [../base]\n")
	r, err := Build(app, Options{Root: root})
	if err != nil || len(r.Errors) != 0 || len(r.Docs) != 1 {
		t.Fatalf("base inside the root: %v %v %d documents", err, r.Errors, len(r.Docs))
	}
}

// A kustomization directory named like a git URL is still a local directory.
func TestDirectoryNamedLikeARepository(t *testing.T) {
	root := t.TempDir()
	t.Chdir(root)
	write(t, "github.com/example/repo/kustomization.yaml", "resources: [pod.yaml]\n")
	write(t, "github.com/example/repo/pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n")
	r, err := Build("github.com/example/repo", Options{})
	if err != nil || len(r.Errors) != 0 || len(r.Docs) != 1 {
		t.Fatalf("%v %v", err, r.Errors)
	}
}
