// Command bench measures `kharden scan` against the parse-only floor on the shared
// corpus and on x10 and x100 copies of it, in one run: wall time, resources per second,
// peak RSS and the ratios. Run it with ./hack/bench.sh.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

func main() {
	corpus := flag.String("corpus", "../shared/corpus", "corpus of manifests")
	dockerfiles := flag.String("dockerfiles", "../shared/conformance/dockerfile/docker-library", "corpus of Dockerfiles (empty to skip)")
	work := flag.String("work", ".bench", "directory for generated copies")
	kharden := flag.String("kharden", "bin/kharden", "kharden binary")
	floor := flag.String("floor", "bin/floor", "stand-alone floor binary (a minimal program with only the YAML library)")
	runs := flag.Int("runs", 3, "runs per measurement; the fastest is kept")
	big := flag.String("big", "", "instead, scan single multi-document files made of the corpus concatenated, at these comma-separated sizes in MB (13 is the corpus x20)")
	flag.Parse()

	// The binaries are measured as installed (see install).
	*kharden, *floor = install(*kharden, *work), install(*floor, *work)
	if *big != "" {
		benchBig(*corpus, *big, *work, *kharden, *floor, *runs)
		return
	}
	benchCorpus(*corpus, countDocs(*corpus), []int{1, 10, 100}, *work, *kharden, *floor, *runs, true)
	if *dockerfiles != "" {
		fmt.Println()
		benchCorpus(*dockerfiles, countDockerfiles(*dockerfiles), []int{1, 10}, filepath.Join(*work, "dockerfiles"), *kharden, "", *runs, false)
	}
}

// benchCorpus measures the floor and the scan on a corpus and its copies. floorMin is
// the stand-alone floor program, or "" to leave it out; rename rewrites object names in
// the copies (manifests).
func benchCorpus(corpus string, docs int, sizes []int, work, kharden, floorMin string, runs int, rename bool) {
	fmt.Printf("corpus %s: %d documents (Kubernetes objects or Dockerfiles)\n", corpus, docs)
	fmt.Println("modes: floor = `kharden parse-floor` (same binary, YAML decoding / BuildKit parse only, one worker per CPU);")
	fmt.Println("       scan = `kharden scan -o json` (one worker per CPU); floor-j1, scan-j1 = the same on one worker;")
	fmt.Println("       floor-min = a stand-alone program with only the YAML library (no kharden binary overhead), one worker per CPU")
	fmt.Println("peak RSS is the kernel's maxrss (binary pages included); anon is the peak of anonymous memory (heap, stacks)")
	fmt.Println()
	fmt.Printf("%-6s %-9s %10s %12s %10s %10s\n", "size", "mode", "wall", "docs/s", "peak RSS", "peak anon")
	type row struct {
		wall      time.Duration
		rss, anon int64
	}
	modes := []struct {
		name string
		bin  string
		args []string
	}{
		{"floor", kharden, []string{"parse-floor"}},
		{"scan", kharden, []string{"scan", "--no-config", "-o", "json"}},
		{"floor-j1", kharden, []string{"parse-floor", "-j", "1"}},
		{"scan-j1", kharden, []string{"scan", "--no-config", "-o", "json", "-j", "1"}},
	}
	if floorMin != "" {
		modes = append(modes[:0:0], append([]struct {
			name string
			bin  string
			args []string
		}{{"floor-min", floorMin, nil}}, modes...)...)
	}
	results := map[string]map[string]row{}
	for _, n := range sizes {
		dir := corpus
		if n > 1 {
			dir = filepath.Join(work, fmt.Sprintf("x%d", n))
			if err := replicate(corpus, dir, n, rename); err != nil {
				fail(err)
			}
		}
		size := fmt.Sprintf("x%d", n)
		results[size] = map[string]row{}
		for _, m := range modes {
			best := row{wall: time.Hour}
			for i := 0; i < runs; i++ {
				w, rss, anon := measure(m.bin, append(append([]string(nil), m.args...), dir)...)
				best.wall = min(best.wall, w)
				best.rss = max(best.rss, rss)
				best.anon = max(best.anon, anon)
			}
			results[size][m.name] = best
			rate := float64(docs*n) / best.wall.Seconds()
			fmt.Printf("%-6s %-9s %10s %12.0f %9.1fM %9.1fM\n", size, m.name, best.wall.Round(time.Millisecond), rate,
				float64(best.rss)/1024, float64(best.anon)/1024)
		}
		f, s := results[size]["floor"], results[size]["scan"]
		fm, f1, s1 := results[size]["floor-min"], results[size]["floor-j1"], results[size]["scan-j1"]
		fmt.Printf("%-6s scan/floor      %5.2fx %23.2fx %9.2fx\n", size, s.wall.Seconds()/f.wall.Seconds(),
			float64(s.rss)/float64(f.rss), float64(s.anon)/float64(f.anon))
		if floorMin != "" {
			fmt.Printf("%-6s scan/floor-min  %5.2fx %23.2fx %9.2fx\n", size, s.wall.Seconds()/fm.wall.Seconds(),
				float64(s.rss)/float64(fm.rss), float64(s.anon)/float64(fm.anon))
		}
		fmt.Printf("%-6s scan-j1/floor-j1 %4.2fx %23.2fx %9.2fx\n", size, s1.wall.Seconds()/f1.wall.Seconds(),
			float64(s1.rss)/float64(f1.rss), float64(s1.anon)/float64(f1.anon))
	}
	if s10, s100 := results["x10"]["scan"].wall, results["x100"]["scan"].wall; s100 > 0 {
		fmt.Printf("\nlinearity: scan x100 / x10 = %.2f (10 is linear)\n", s100.Seconds()/s10.Seconds())
	}
}

// benchBig measures the floor and the scan on single files made of the corpus
// concatenated (every object renamed per copy) until each reaches its size.
func benchBig(corpus, sizes, work, kharden, floorMin string, runs int) {
	fmt.Printf("single multi-document files: the YAML files of %s concatenated, objects renamed per copy\n", corpus)
	fmt.Println("peak RSS is the kernel's maxrss (binary pages included); anon is the peak of anonymous memory (heap, stacks)")
	fmt.Println()
	fmt.Printf("%-8s %-9s %10s %10s %10s %10s\n", "file", "mode", "wall", "MB/s", "peak RSS", "peak anon")
	for _, f := range strings.Split(sizes, ",") {
		mb, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || mb <= 0 {
			fail(fmt.Errorf("-big %q: want sizes in MB", sizes))
		}
		file := filepath.Join(work, fmt.Sprintf("big-%dMB.yaml", mb))
		size, err := concatenate(corpus, file, int64(mb)<<20)
		if err != nil {
			fail(err)
		}
		for _, m := range []struct {
			name string
			bin  string
			args []string
		}{
			{"floor-min", floorMin, nil},
			{"floor", kharden, []string{"parse-floor"}},
			{"scan", kharden, []string{"scan", "--no-config", "-o", "json"}},
			{"scan-j1", kharden, []string{"scan", "--no-config", "-o", "json", "-j", "1"}},
		} {
			wall, rss, anon := time.Hour, int64(0), int64(0)
			for i := 0; i < runs; i++ {
				w, r, a := measure(m.bin, append(append([]string(nil), m.args...), file)...)
				wall, rss, anon = min(wall, w), max(rss, r), max(anon, a)
			}
			fmt.Printf("%-8s %-9s %10s %10.1f %9.1fM %9.1fM\n", fmt.Sprintf("%dMB", mb), m.name, wall.Round(time.Millisecond),
				float64(size)/1e6/wall.Seconds(), float64(rss)/1024, float64(anon)/1024)
		}
	}
}

// concatenate writes the corpus's YAML files into one multi-document file of at least
// size bytes, each copy's objects renamed, and returns its size. It reuses the file when
// it exists.
func concatenate(corpus, file string, size int64) (int64, error) {
	if fi, err := os.Stat(file); err == nil && fi.Size() >= size {
		return fi.Size(), nil
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return 0, err
	}
	var files [][]byte
	err := filepath.WalkDir(corpus, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := strings.ToLower(filepath.Ext(p)); ext == ".yaml" || ext == ".yml" {
			data, err := os.ReadFile(p)
			files = append(files, data)
			return err
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	out, err := os.Create(file)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriter(out)
	var n int64
	for i := 0; n < size; i++ {
		prefix := []byte("${1}c" + strconv.Itoa(i) + "-")
		for _, data := range files {
			data = nameLine.ReplaceAll(data, prefix)
			if len(data) > 0 && data[len(data)-1] != '\n' {
				data = append(data, '\n')
			}
			k, _ := w.WriteString("---\n")
			m, _ := w.Write(data)
			n += int64(k + m)
		}
	}
	if err := w.Flush(); err != nil {
		out.Close()
		return 0, err
	}
	return n, out.Close()
}

// install copies a binary into dir as cp, tar and curl write one, in small writes, and
// returns the copy's path. How a file was written decides the folios that hold it in the
// page cache, and the kernel maps a faulting folio whole: the same binary written in
// writes of 1 MiB or more (the Go linker's output, os.WriteFile) shows about 40 MB more
// of its pages in the RSS of every run on this machine than when written in 32 KiB writes.
func install(bin, dir string) string {
	src, err := os.Open(bin)
	if err != nil {
		fail(err)
	}
	defer src.Close()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fail(err)
	}
	dst := filepath.Join(dir, "installed-"+filepath.Base(bin))
	_ = os.Remove(dst)
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		fail(err)
	}
	// Plain writes of 32 KiB (io.Copy would hand the copy to copy_file_range).
	buf := make([]byte, 32<<10)
	for {
		n, rerr := src.Read(buf)
		if n > 0 {
			if _, err := out.Write(buf[:n]); err != nil {
				fail(err)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			fail(rerr)
		}
	}
	if err := out.Close(); err != nil {
		fail(err)
	}
	return dst
}

// measure runs a command, discarding its output, and returns wall time, peak RSS (KiB)
// and the peak of anonymous memory (KiB), sampled from /proc every millisecond.
//
// The peak RSS is read from the kernel by /usr/bin/time, which runs the command: Go
// starts a child with vfork semantics (the child shares this process's memory until it
// executes the command), and Linux folds the high-water RSS of the memory the child
// leaves at exec into the child's maxrss, so that the rusage of a child of this program
// would report at least this program's own peak (over 100 MB once it has written the
// large files).
func measure(bin string, args ...string) (time.Duration, int64, int64) {
	cmd := exec.Command("/usr/bin/time", append([]string{"-f", "maxrss %M", bin}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		fail(fmt.Errorf("%s: %v", bin, err))
	}
	done := make(chan struct{})
	peakAnon := make(chan int64)
	go func() {
		var peak int64
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		// statm, kept open and read again from its start, is the cheapest way to the
		// anonymous pages: resident minus shared (file-backed and shmem) is RssAnon. Each
		// sample then costs one pread, where opening and parsing status cost the measured
		// process a few percent of its time on two CPUs.
		var statm *os.File
		defer func() {
			if statm != nil {
				statm.Close()
			}
		}()
		buf := make([]byte, 128)
		page := int64(os.Getpagesize() / 1024)
		for {
			if statm == nil {
				// The command is time's child.
				if kids, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", cmd.Process.Pid, cmd.Process.Pid)); err == nil {
					if f := strings.Fields(string(kids)); len(f) > 0 {
						statm, _ = os.Open("/proc/" + f[0] + "/statm")
					}
				}
			}
			if statm != nil {
				if n, err := statm.ReadAt(buf, 0); n > 0 && (err == nil || err == io.EOF) {
					if f := bytes.Fields(buf[:n]); len(f) >= 3 {
						resident, _ := strconv.ParseInt(string(f[1]), 10, 64)
						shared, _ := strconv.ParseInt(string(f[2]), 10, 64)
						peak = max(peak, (resident-shared)*page)
					}
				}
			}
			select {
			case <-done:
				peakAnon <- peak
				return
			case <-t.C:
			}
		}
	}()
	err := cmd.Wait()
	wall := time.Since(start)
	close(done)
	anon := <-peakAnon
	if cmd.ProcessState == nil {
		fail(fmt.Errorf("%s: %v", bin, err))
	}
	// kharden exits 1 when it finds problems, which the corpus has, and 2 for input errors,
	// which it has too (a few archived examples carry fields the API server does not know).
	if code := cmd.ProcessState.ExitCode(); code != 0 && code != 1 && code != 2 {
		fail(fmt.Errorf("%s %v: exit %d: %s", bin, args, code, stderr.String()))
	}
	m := maxRSS.FindSubmatch(stderr.Bytes())
	if m == nil {
		fail(fmt.Errorf("%s %v: no maxrss from /usr/bin/time: %s", bin, args, stderr.String()))
	}
	rss, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return wall, rss, anon
}

var maxRSS = regexp.MustCompile(`(?m)^maxrss (\d+)$`)

var nameLine = regexp.MustCompile(`(?m)^(  name: ["']?)`)

// replicate writes n copies of the corpus under dir, each object renamed so that copies
// are distinct objects. It reuses dir when it already holds the copies.
func replicate(src, dir string, n int, rename bool) error {
	stamp := filepath.Join(dir, ".complete")
	if _, err := os.Stat(stamp); err == nil {
		return nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		prefix := "c" + strconv.Itoa(i) + "-"
		err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(src, p)
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if ext := strings.ToLower(filepath.Ext(p)); rename && (ext == ".yaml" || ext == ".yml") {
				data = nameLine.ReplaceAll(data, []byte("${1}"+prefix))
			}
			out := filepath.Join(dir, fmt.Sprintf("copy%03d", i), rel)
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				return err
			}
			return os.WriteFile(out, data, 0o644)
		})
		if err != nil {
			return err
		}
	}
	return os.WriteFile(stamp, nil, 0o644)
}

var docStart = regexp.MustCompile(`(?m)^kind:`)

func countDockerfiles(dir string) int {
	n := 0
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (d.Name() == "Dockerfile" || strings.HasPrefix(d.Name(), "Dockerfile.") ||
			strings.HasSuffix(d.Name(), ".Dockerfile") || d.Name() == "Containerfile") {
			n++
		}
		return nil
	})
	return n
}

func countDocs(dir string) int {
	n := 0
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if data, err := os.ReadFile(p); err == nil {
				n += len(docStart.FindAll(data, -1))
			}
		}
		return nil
	})
	return n
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(2)
}
