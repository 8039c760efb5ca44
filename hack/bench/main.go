// Command bench measures `kharden scan` against the parse-only floor on the shared
// corpus and on x10 and x100 copies of it, in one run: wall time, resources per second,
// peak RSS and the ratios. Run it with ./hack/bench.sh.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	corpus := flag.String("corpus", "../shared/corpus", "corpus of manifests")
	work := flag.String("work", ".bench", "directory for generated copies")
	kharden := flag.String("kharden", "bin/kharden", "kharden binary")
	floor := flag.String("floor", "bin/floor", "floor binary")
	runs := flag.Int("runs", 3, "runs per measurement; the fastest is kept")
	flag.Parse()

	docs := countDocs(*corpus)
	fmt.Printf("corpus %s: %d Kubernetes documents\n\n", *corpus, docs)
	fmt.Printf("%-6s %-6s %10s %12s %10s %12s\n", "size", "mode", "wall", "resources/s", "peak RSS", "")
	type row struct {
		wall time.Duration
		rss  int64
	}
	results := map[string]map[string]row{}
	for _, n := range []int{1, 10, 100} {
		dir := *corpus
		if n > 1 {
			dir = filepath.Join(*work, fmt.Sprintf("x%d", n))
			if err := replicate(*corpus, dir, n); err != nil {
				fail(err)
			}
		}
		size := fmt.Sprintf("x%d", n)
		results[size] = map[string]row{}
		for _, mode := range []string{"floor", "scan"} {
			var args []string
			bin := *floor
			if mode == "scan" {
				bin = *kharden
				args = []string{"scan", "--no-config", "-o", "json"}
			}
			best := row{wall: time.Hour}
			for i := 0; i < *runs; i++ {
				w, rss := measure(bin, append(args, dir)...)
				if w < best.wall {
					best.wall = w
				}
				if rss > best.rss {
					best.rss = rss
				}
			}
			results[size][mode] = best
			rate := float64(docs*n) / best.wall.Seconds()
			fmt.Printf("%-6s %-6s %10s %12.0f %9.1fM\n", size, mode, best.wall.Round(time.Millisecond), rate, float64(best.rss)/1024)
		}
		f, s := results[size]["floor"], results[size]["scan"]
		fmt.Printf("%-6s ratio  %9.2fx %12s %9.2fx\n", size, s.wall.Seconds()/f.wall.Seconds(), "", float64(s.rss)/float64(f.rss))
	}
	s10, s100 := results["x10"]["scan"].wall, results["x100"]["scan"].wall
	fmt.Printf("\nlinearity: scan x100 / x10 = %.2f (10 is linear)\n", s100.Seconds()/s10.Seconds())
}

// measure runs a command, discarding its output, and returns wall time and peak RSS (KiB).
func measure(bin string, args ...string) (time.Duration, int64) {
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if cmd.ProcessState == nil {
		fail(fmt.Errorf("%s: %v", bin, err))
	}
	// kharden exits 1 when it finds problems, which the corpus has.
	if code := cmd.ProcessState.ExitCode(); code != 0 && code != 1 {
		fail(fmt.Errorf("%s %v: exit %d: %s", bin, args, code, stderr.String()))
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return wall, ru.Maxrss
}

var nameLine = regexp.MustCompile(`(?m)^(  name: ["']?)`)

// replicate writes n copies of the corpus under dir, each object renamed so that copies
// are distinct objects. It reuses dir when it already holds the copies.
func replicate(src, dir string, n int) error {
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
			if ext := strings.ToLower(filepath.Ext(p)); ext == ".yaml" || ext == ".yml" {
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
