// Command image benchmarks `kharden scan image` on a generated OCI layout (1 GiB, 50,000
// files by default) against a floor that only decompresses and walks every layer's tar,
// and against Syft when it is built (hack/syft/build.sh), in one run: wall time and peak
// RSS of each, measured with /usr/bin/time. Run it with ./hack/bench.sh image.
package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/klauspost/compress/gzip"
)

func main() {
	work := flag.String("work", ".bench/image", "where the generated layout is kept (reused when present)")
	files := flag.Int("files", 50_000, "files in the image")
	size := flag.Int64("bytes", 1<<30, "bytes of file content in the image, uncompressed")
	layers := flag.Int("layers", 10, "layers")
	kharden := flag.String("kharden", "bin/kharden", "the kharden binary")
	syft := flag.String("syft", "", "the syft binary (empty: skip Syft)")
	runs := flag.Int("runs", 1, "runs of each")
	floor := flag.String("floor", "", "internal: walk the layout at this directory and exit")
	flag.Parse()
	if *floor != "" {
		if err := walkFloor(*floor); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	dir := filepath.Join(*work, fmt.Sprintf("oci-%d-%d-%d", *files, *size, *layers))
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err != nil {
		fmt.Fprintf(os.Stderr, "generating %s ...\n", dir)
		if err := generate(dir, *files, *size, *layers); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cmds := [][]string{
		{"floor (gunzip + tar walk)", self, "-floor", dir},
		{"kharden scan image", *kharden, "scan", "image", "--no-config", "--no-packages", "oci:" + dir},
	}
	if *syft != "" {
		cmds = append(cmds, []string{"syft scan -o syft-json", *syft, "scan", "oci-dir:" + dir, "-q", "-o", "syft-json=" + os.DevNull})
	}
	fmt.Printf("%-28s %10s %12s\n", "", "wall s", "peak RSS MiB")
	for r := 0; r < *runs; r++ {
		for _, c := range cmds {
			wall, rss, err := measure(c[1:])
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", c[0], err)
				os.Exit(1)
			}
			fmt.Printf("%-28s %10.1f %12.0f\n", c[0], wall, rss/1024)
		}
	}
}

// measure runs argv under /usr/bin/time and returns its wall seconds and peak RSS in KiB.
func measure(argv []string) (float64, float64, error) {
	cmd := exec.Command("/usr/bin/time", append([]string{"-f", "BENCH %e %M"}, argv...)...)
	cmd.Env = append(os.Environ(), "SYFT_CHECK_FOR_APP_UPDATE=false")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	err := cmd.Run()
	var wall, rss float64
	for _, line := range strings.Split(stderr.String(), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "BENCH" {
			wall, _ = strconv.ParseFloat(f[1], 64)
			rss, _ = strconv.ParseFloat(f[2], 64)
		}
	}
	if wall == 0 {
		return 0, 0, fmt.Errorf("%v: %v\n%s", argv, err, stderr.String())
	}
	// kharden exits 1 when it finds something: a result, not a failure.
	return wall, rss, nil
}

// walkFloor reads every layer blob of the layout's image, gunzips it and reads every
// entry of its tar to the end: the least any scanner of the image must do.
func walkFloor(dir string) error {
	p, err := layout.FromPath(dir)
	if err != nil {
		return err
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		return err
	}
	ls, err := img.Layers()
	if err != nil {
		return err
	}
	entries := 0
	for _, l := range ls {
		rc, err := l.Compressed()
		if err != nil {
			return err
		}
		zr, err := gzip.NewReader(bufio.NewReaderSize(rc, 256<<10))
		if err != nil {
			return err
		}
		tr := tar.NewReader(zr)
		for {
			_, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			entries++
			if _, err := io.Copy(io.Discard, tr); err != nil {
				return err
			}
		}
		zr.Close()
		rc.Close()
	}
	fmt.Println(entries, "entries")
	return nil
}

// generate writes an OCI layout of layers gzip layers holding files files of size bytes
// in all: text and random data mixed so that it compresses about as much as real
// images (about 2.5x), a dpkg status of 700 packages rewritten by every layer, as apt does, and
// directories 200 files wide.
func generate(dir string, files int, size int64, layers int) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	img := empty.Image
	perLayer := files / layers
	avg := size / int64(files)
	words := strings.Fields("the of and package library files data version config module service install update debian")
	for l := 0; l < layers; l++ {
		tarPath := fmt.Sprintf("%s.layer%d.tar", dir, l)
		f, err := os.Create(tarPath)
		if err != nil {
			return err
		}
		defer os.Remove(tarPath)
		bw := bufio.NewWriterSize(f, 1<<20)
		tw := tar.NewWriter(bw)
		add := func(name string, body []byte) error {
			if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
				return err
			}
			_, err := tw.Write(body)
			return err
		}
		var status strings.Builder
		for i := 0; i < 700; i++ {
			fmt.Fprintf(&status, "Package: pkg%03d\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.%d-%d\nDescription: generated\n\n", i, i, l)
		}
		if err := add("var/lib/dpkg/status", []byte(status.String())); err != nil {
			return err
		}
		for i := 0; i < perLayer; i++ {
			n := int(avg/2 + rng.Int64N(avg+1))
			body := make([]byte, 0, n)
			// 64-byte runs, 30% random bytes and 70% words: about 2.5x with gzip.
			for len(body) < n {
				if rng.IntN(10) < 3 {
					for j := 0; j < 64; j++ {
						body = append(body, byte(rng.Uint32()))
					}
					continue
				}
				for end := len(body) + 64; len(body) < end; {
					body = append(body, words[rng.IntN(len(words))]...)
					body = append(body, ' ')
				}
			}
			if err := add(fmt.Sprintf("usr/share/gen%d/d%03d/f%06d", l, i/200, i), body[:n]); err != nil {
				return err
			}
		}
		if err := tw.Close(); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		layer, err := tarball.LayerFromFile(tarPath, tarball.WithCompressionLevel(gzip.BestSpeed))
		if err != nil {
			return err
		}
		if img, err = mutate.AppendLayers(img, layer); err != nil {
			return err
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.User = "65532"
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return err
	}
	tmp := dir + ".tmp"
	os.RemoveAll(tmp)
	p, err := layout.Write(tmp, empty.Index)
	if err != nil {
		return err
	}
	if err := p.AppendImage(img); err != nil {
		return err
	}
	var m struct{ Manifests []json.RawMessage }
	if b, err := os.ReadFile(filepath.Join(tmp, "index.json")); err != nil || json.Unmarshal(b, &m) != nil || len(m.Manifests) != 1 {
		return fmt.Errorf("%s: the layout was not written whole", tmp)
	}
	return os.Rename(tmp, dir)
}
