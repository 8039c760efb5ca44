package helm

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"helm.sh/helm/v4/pkg/chart/loader/archive"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/ignore"

	"github.com/kharden/kharden/internal/source/fsread"
	"github.com/kharden/kharden/internal/source/manifest"
)

// MaxValuesSize bounds a values file given with -f, and a chart's values.yaml.
const MaxValuesSize = 8 << 20

// loadChart loads a chart directory the way Helm's loader does (.helmignore, the
// decompressed-size budget), except that Helm's loader follows every symlink, wherever
// it leads: here a symlink is followed only when it stays inside the chart, and one that
// leaves it (templates/x.yaml -> /etc/passwd, files/token -> /proc/self/environ) is
// skipped with a note naming it, so that neither a template nor .Files can read outside
// the chart. Irregular files (FIFOs, devices) are skipped with a note too (Helm refuses
// the chart). An archive is loaded by Helm's loader, from a regular file only.
func loadChart(chartDir string) (*chart.Chart, []*manifest.Note, error) {
	fi, err := os.Stat(chartDir)
	if err != nil {
		return nil, nil, err
	}
	if !fi.IsDir() {
		if !fi.Mode().IsRegular() {
			return nil, nil, fmt.Errorf("%s: not a regular file (%s)", chartDir, fi.Mode().Type())
		}
		c, err := loader.Load(chartDir)
		return c, nil, err
	}
	top, err := filepath.Abs(chartDir)
	if err == nil {
		top, err = filepath.EvalSymlinks(top)
	}
	if err != nil {
		return nil, nil, err
	}
	rules := ignore.Empty()
	if data, err := readRegular(filepath.Join(top, ignore.HelmIgnore), MaxValuesSize); err == nil {
		if rules, err = ignore.Parse(bytes.NewReader(data)); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", ignore.HelmIgnore, err)
		}
	}
	rules.AddDefaults()

	l := &dirLoad{top: top, shown: chartDir, rules: rules, budget: archive.NewBudgetedReader(archive.MaxDecompressedChartSize)}
	if err := l.walk(top, "", map[string]bool{top: true}); err != nil {
		return nil, l.notes, err
	}
	c, err := loader.LoadFiles(l.files)
	return c, l.notes, err
}

type dirLoad struct {
	top, shown string // the chart's resolved path, and as the user named it
	rules      *ignore.Rules
	budget     *archive.BudgetedReader
	files      []*archive.BufferedFile
	notes      []*manifest.Note
}

func (l *dirLoad) skip(rel, why string) {
	l.notes = append(l.notes, &manifest.Note{File: filepath.Join(l.shown, filepath.FromSlash(rel)), Msg: "skipped: " + why})
}

// walk loads the files of the directory dir (resolved), which is rel in the chart.
// visiting holds the directories being walked, against symlink loops.
func (l *dirLoad) walk(dir, rel string, visiting map[string]bool) error {
	des, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, de := range des {
		name := de.Name()
		if rel != "" {
			name = rel + "/" + name
		}
		p := filepath.Join(dir, de.Name())
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			real, err := filepath.EvalSymlinks(p)
			if err != nil || !within(l.top, real) {
				l.skip(name, "a symlink that leads outside the chart (not followed)")
				continue
			}
			if fi, err = os.Stat(real); err != nil {
				return err
			}
			p = real
		}
		if fi.IsDir() {
			if l.rules.Ignore(name, fi) {
				continue
			}
			if visiting[p] {
				l.skip(name, "a symlink to a directory that contains it (not followed)")
				continue
			}
			visiting[p] = true
			err := l.walk(p, name, visiting)
			delete(visiting, p)
			if err != nil {
				return err
			}
			continue
		}
		if l.rules.Ignore(name, fi) {
			continue
		}
		if !fi.Mode().IsRegular() {
			l.skip(name, fmt.Sprintf("not a regular file (%s)", fi.Mode().Type()))
			continue
		}
		if path.Base(name) == "values.yaml" && fi.Size() > MaxValuesSize {
			return fmt.Errorf("%s: larger than %d MiB", name, MaxValuesSize>>20)
		}
		data, err := l.budget.ReadFileWithBudget(p, fi.Size())
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
		l.files = append(l.files, &archive.BufferedFile{Name: name, ModTime: fi.ModTime(), Data: data})
	}
	return nil
}

func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// readRegular reads a regular file of at most max bytes (not a FIFO, which would block,
// nor a device, which may never end); the error names the file.
func readRegular(p string, max int64) ([]byte, error) {
	data, err := fsread.ReadRegular(p, max)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return data, nil
}
