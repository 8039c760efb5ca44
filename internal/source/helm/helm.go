// Package helm renders a Helm chart offline, the way `helm template` does, and loads each
// rendered template as a manifest.
//
// Positions. Every rendered template is loaded on its own, under the name of the template
// file as the user would open it: the chart directory as given, joined to the template's
// path inside the chart (testdata/web/templates/deployment.yaml, and for a subchart
// testdata/web/charts/db/templates/statefulset.yaml). Document.Place gives, for a field
// path, where the field was written (trace.go): the line and column of the template text
// that wrote the field's key, or of the action that printed it ({{ toYaml .Values.x }}),
// or of a helper's text when an include printed it (the include site in the note); and
// the chart values the field's value came from (image.tag, sidecars[1].image,
// db.hostNetwork for a subchart's). Where the rendering cannot be traced to its lines,
// the field has the template's file and no line, and a note says so. Locate, as for any
// document, gives the line of the rendered output. Problems found in the rendered YAML
// are reported where the template wrote the text. Document.Origin names the chart the
// template belongs to (its directory, or the .tgz archive it was packed in).
//
// Template errors are the exception: Helm reports them against the template source, so a
// rendering error is a manifest.Error at the source file, line and column Helm names
// (the innermost one when the error happened inside an included helper). A template that
// fails is set aside and the rest of the chart is still rendered.
//
// Trust. A chart may come from a repository its user does not trust: it is loaded without
// following symlinks that leave it (load.go), and rendered within limits of time, steps,
// memory and output (limits.go); a chart that passes one gets an error and renders nothing,
// and the scan goes on.
package helm

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"
	"helm.sh/helm/v4/pkg/strvals"

	"github.com/kharden/kharden/internal/source/manifest"
)

// Defaults used by `helm template` when no release name or namespace is given.
const (
	DefaultReleaseName = "release-name"
	DefaultNamespace   = "default"
)

// Options are the knobs of `helm template` that change what a chart renders.
type Options struct {
	// ValuesFiles are merged in order, later files winning (helm -f).
	ValuesFiles []string
	// Set holds --set expressions (a.b=c,d[0]=e), applied after the values files.
	Set []string
	// ReleaseName defaults to DefaultReleaseName, Namespace to DefaultNamespace.
	ReleaseName string
	Namespace   string
	// KubeVersion is the Kubernetes version the templates see in .Capabilities
	// (v1.31.0, 1.31); empty means Helm's default.
	KubeVersion string
}

// ChartFile is the file that makes a directory a chart.
const ChartFile = "Chart.yaml"

// IsChart reports whether dir holds a Helm chart (a Chart.yaml file).
func IsChart(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, ChartFile))
	return err == nil && fi.Mode().IsRegular()
}

// Render renders the chart at chartDir (a directory or a packed .tgz) with its
// dependencies from charts/, offline, and loads every rendered template except NOTES.txt.
// Hooks and chart tests are included. Problems with the chart's content (a template that
// fails, a missing dependency, an unmet kubeVersion or values schema) are positioned
// errors in the Result; an error is returned only when the chart or the options cannot be
// used at all.
func Render(chartDir string, opt Options) (*manifest.Result, error) {
	if opt.ReleaseName == "" {
		opt.ReleaseName = DefaultReleaseName
	}
	if opt.Namespace == "" {
		opt.Namespace = DefaultNamespace
	}
	if err := chartutil.ValidateReleaseName(opt.ReleaseName); err != nil {
		return nil, fmt.Errorf("release name %q: %w", opt.ReleaseName, err)
	}
	caps := common.DefaultCapabilities.Copy()
	if opt.KubeVersion != "" {
		kv, err := common.ParseKubeVersion(opt.KubeVersion)
		if err != nil {
			return nil, fmt.Errorf("kube version %q: %w", opt.KubeVersion, err)
		}
		caps.KubeVersion = *kv
	}
	vals, err := mergeValues(opt)
	if err != nil {
		return nil, err
	}

	fi, err := os.Stat(chartDir)
	if err != nil {
		return nil, fmt.Errorf("loading chart: %w", err)
	}
	chrt, notes, err := loadChart(chartDir)
	if err != nil {
		if len(notes) > 0 { // what was skipped may be why (Chart.yaml -> /etc/passwd)
			err = fmt.Errorf("%w (%s: %s)", err, notes[0].File, notes[0].Msg)
		}
		return nil, fmt.Errorf("loading chart %s: %w", chartDir, err)
	}

	res := &manifest.Result{Notes: notes}
	chartFile := filepath.Join(chartDir, "Chart.yaml")
	if chrt.Metadata.Type == "library" {
		res.Notes = append(res.Notes, &manifest.Note{File: chartFile, Msg: "skipped: a library chart renders nothing on its own"})
		return res, nil
	}

	// Record where every template lives before dependency processing copies aliased charts;
	// the copies share the template files, so the map still applies afterwards.
	places := map[*common.File]place{}
	locate(chrt, chartDir, fi.IsDir(), places)
	inserted := map[*common.File][]span{}
	tr := newTracer()
	for f := range places {
		var text string
		tf := tr.file(places[f], string(f.Data))
		text, inserted[f] = instrumentSpans(string(f.Data), tf)
		f.Data = []byte(text)
		tr.byFile[f] = tf
	}

	chartYAML := chartYAMLNode(chrt)
	if kv := chrt.Metadata.KubeVersion; kv != "" && !chartutil.IsCompatibleRange(kv, caps.KubeVersion.String()) {
		line, col := position(chartYAML, "kubeVersion")
		res.Errors = append(res.Errors, &manifest.Error{File: chartFile, Line: line, Column: col,
			Msg: fmt.Sprintf("chart requires kubeVersion %s, which Kubernetes %s does not meet; rendered anyway", kv, caps.KubeVersion.Version)})
	}

	if err := chartutil.ProcessDependencies(chrt, vals); err != nil {
		return nil, fmt.Errorf("chart %s: processing dependencies: %w", chartDir, err)
	}
	// Processing leaves the enabled dependencies, named by their aliases; `helm template`
	// refuses a chart whose dependencies are not all in charts/, this reports the enabled
	// ones that are missing and renders the rest.
	for _, dep := range chrt.Metadata.Dependencies {
		if dep == nil || slices.ContainsFunc(chrt.Dependencies(), func(c *chart.Chart) bool { return c.Name() == dep.Name }) {
			continue
		}
		line, col := dependencyPosition(chartYAML, dep.Name)
		res.Errors = append(res.Errors, &manifest.Error{File: chartFile, Line: line, Column: col,
			Msg: fmt.Sprintf("dependency %q is missing from charts/ (run helm dependency build); rendered without it", dep.Name)})
	}
	relOpts := common.ReleaseOptions{Name: opt.ReleaseName, Namespace: opt.Namespace, Revision: 1, IsInstall: true}
	renderVals, err := util.ToRenderValuesWithSchemaValidation(chrt, vals, relOpts, caps, false)
	if err != nil {
		// A values schema violation is reported, then the chart is rendered regardless so
		// that its resources are still checked; any other error is fatal.
		var verr error
		renderVals, verr = util.ToRenderValuesWithSchemaValidation(chrt, vals, relOpts, caps, true)
		if verr != nil {
			return nil, fmt.Errorf("chart %s: values: %w", chartDir, verr)
		}
		res.Errors = append(res.Errors, &manifest.Error{File: filepath.Join(chartDir, "values.schema.json"), Msg: oneLine(err.Error())})
	}

	rendered := renderLimited(chrt, renderVals, places, inserted, tr, chartDir, res)
	if rendered == nil {
		return res, nil // and chrt may still be in use by an abandoned rendering
	}

	keys := make([]string, 0, len(rendered))
	for k := range rendered {
		keys = append(keys, k)
	}
	files := map[string]place{}
	idx := templateIndex(chrt)
	for k, t := range idx {
		files[k] = places[t.file]
	}
	values, _ := renderVals["Values"].(common.Values)
	if values == nil {
		values, _ = asMap(renderVals["Values"])
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := strings.Compare(files[a].file, files[b].file); c != 0 {
			return c
		}
		return strings.Compare(a, b) // aliases of one subchart share its files
	})
	for _, k := range keys {
		out := rendered[k]
		if strings.HasSuffix(k, "NOTES.txt") || strings.TrimSpace(out) == "" {
			continue
		}
		p := files[k]
		r := manifest.Load(p.file, []byte(out))
		m := tr.mapping(k, out, p, idx[k].chart, values)
		for _, d := range r.Docs {
			d.Origin = p.origin
			d.Place = func(path string) manifest.Position { return m.place(d, path) }
		}
		for _, e := range r.Errors {
			// A problem with the rendered YAML is where the template wrote it.
			if pos, ok := m.at(e.Line, e.Column); ok && e.Line > 0 {
				if e.Column == 0 {
					pos.Column = 0
				}
				e.File, e.Line, e.Column = pos.File, pos.Line, pos.Column
			}
		}
		res.Docs = append(res.Docs, r.Docs...)
		res.Errors = append(res.Errors, r.Errors...)
		res.Notes = append(res.Notes, r.Notes...)
	}
	return res, nil
}

// mergeValues does what `helm template -f ... --set ...` does with its value options.
func mergeValues(opt Options) (map[string]any, error) {
	base := map[string]any{}
	for _, f := range opt.ValuesFiles {
		data, err := readRegular(f, MaxValuesSize)
		if err != nil {
			return nil, fmt.Errorf("values file: %w", err)
		}
		m, err := loader.LoadValues(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("values file %s: %w", f, err)
		}
		base = loader.MergeMaps(base, m)
	}
	for _, s := range opt.Set {
		if err := strvals.ParseInto(s, base); err != nil {
			return nil, fmt.Errorf("--set %s: %w", s, err)
		}
	}
	return base, nil
}

// place is where a template is, for the user.
type place struct {
	file   string // the template's path: chart location joined to templates/...
	origin string // the chart directory or archive
}

// locate records the place of every template of c, which lives at base, and of its
// subcharts. onDisk tells whether base is a directory (rather than a path inside an
// archive), so that subcharts can be matched to their entries in charts/.
func locate(c *chart.Chart, base string, onDisk bool, places map[*common.File]place) {
	for _, t := range c.Templates {
		places[t] = place{file: filepath.Join(base, filepath.FromSlash(t.Name)), origin: base}
	}
	var entries []subchartEntry
	if onDisk {
		if root, err := filepath.EvalSymlinks(base); err == nil {
			entries = subchartEntries(filepath.Join(base, "charts"), root)
		}
	}
	for _, dep := range c.Dependencies() {
		// The loader does not record which entry of charts/ a subchart came from; match
		// by name and version, and fall back to charts/<name> when nothing matches.
		sub, subOnDisk := filepath.Join(base, "charts", dep.Name()), false
		for i, e := range entries {
			if !e.used && e.name == dep.Name() && e.version == dep.Metadata.Version {
				entries[i].used = true
				sub, subOnDisk = e.path, !e.archive
				break
			}
		}
		locate(dep, sub, subOnDisk, places)
	}
}

type subchartEntry struct {
	path, name, version string
	archive, used       bool
}

// subchartEntries lists the charts in a charts/ directory, as the chart loader sees them
// (loadChart, for a chart whose resolved directory is root).
func subchartEntries(dir, root string) []subchartEntry {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []subchartEntry
	for _, de := range des {
		n := de.Name()
		if strings.IndexAny(n, "_.") == 0 {
			continue
		}
		p := filepath.Join(dir, n)
		// As loadChart: nothing reached through a symlink that leaves the chart.
		real, err := filepath.EvalSymlinks(p)
		if err != nil || !within(root, real) {
			continue
		}
		fi, err := os.Stat(real)
		if err != nil {
			continue
		}
		var md *chart.Metadata
		switch {
		case fi.IsDir():
			md, err = chartutil.LoadChartfile(filepath.Join(p, "Chart.yaml"))
		case filepath.Ext(n) == ".tgz" && fi.Mode().IsRegular():
			var c *chart.Chart
			if c, err = loader.Load(p); err == nil {
				md = c.Metadata
			}
		default:
			continue
		}
		if err != nil || md == nil {
			continue
		}
		out = append(out, subchartEntry{path: p, name: md.Name, version: md.Version, archive: !fi.IsDir()})
	}
	return out
}

// tmplRef is one template in the processed chart tree, by the name the engine gives it
// (<chart>/charts/<sub>/templates/x.yaml).
type tmplRef struct {
	chart *chart.Chart
	file  *common.File
}

func templateIndex(c *chart.Chart) map[string]tmplRef {
	idx := map[string]tmplRef{}
	var walk func(c *chart.Chart)
	walk = func(c *chart.Chart) {
		for _, t := range c.Templates {
			if t != nil {
				idx[path.Join(c.ChartFullPath(), t.Name)] = tmplRef{chart: c, file: t}
			}
		}
		for _, d := range c.Dependencies() {
			walk(d)
		}
	}
	walk(c)
	return idx
}

// disabledPrefix renames a template that failed to execute into a partial, so that its
// defines stay available to the others but it is not rendered again.
const disabledPrefix = "_kharden-failed-"

// renderLimited renders the chart within the limits of a budget (see limits.go) and
// MaxRenderedSize. The tick stops a rendering that passes the budget; should one run on
// regardless (inside a single function call), it is abandoned at the deadline, so that
// the scan goes on.
func renderLimited(chrt *chart.Chart, vals common.Values, places map[*common.File]place, inserted map[*common.File][]span, tr *tracer, chartDir string, res *manifest.Result) map[string]string {
	b := newBudget()
	var part manifest.Result
	done := make(chan map[string]string, 1)
	go func() { done <- renderAll(chrt, vals, places, inserted, tr, chartDir, &part, b) }()
	timer := time.NewTimer(RenderTimeout + time.Second)
	defer timer.Stop()
	var out map[string]string
	select {
	case out = <-done:
	case <-timer.C:
		res.Errors = append(res.Errors, &manifest.Error{File: chartDir, Msg: fmt.Sprintf("rendering stopped: not finished within %v", RenderTimeout)})
		return nil
	}
	res.Errors = append(res.Errors, part.Errors...)
	size := 0
	for _, o := range out {
		size += len(o)
	}
	if size > MaxRenderedSize {
		res.Errors = append(res.Errors, &manifest.Error{File: chartDir, Msg: fmt.Sprintf("rendering stopped: more than %d MiB of output", MaxRenderedSize>>20)})
		return nil
	}
	return out
}

// renderAll renders the chart. The engine stops at the first failing template, so on an
// error it records the error, sets the failing template aside and renders again, until
// everything left renders. A template that does not parse is removed; one that fails to
// execute becomes a partial (so that its defines survive). When the budget stops the
// rendering, that is the chart's error and nothing is rendered.
func renderAll(chrt *chart.Chart, vals common.Values, places map[*common.File]place, inserted map[*common.File][]span, tr *tracer, chartDir string, res *manifest.Result, b *budget) map[string]string {
	funcs := b.funcs()
	maps.Copy(funcs, tr.funcs())
	eng := engine.Engine{CustomTemplateFuncs: funcs} // no cluster: lookup returns nothing, no DNS
	idx := templateIndex(chrt)
	for range len(idx) + 1 {
		names := make(map[string]*tfile, len(idx))
		for k, t := range idx {
			names[k] = tr.byFile[t.file]
		}
		tr.reset(names)
		out, err := eng.RenderWithContext(context.Background(), chrt, vals)
		if err == nil && b.stopped == nil {
			return out
		}
		if err == nil {
			err = b.stopped
		}
		re := parseRenderError(unmark(err.Error()), idx)
		failed, ok := idx[re.failed]
		if !ok {
			// Nothing to attribute the error to, so nothing to set aside and retry.
			msg := "rendering failed: " + clip(oneLine(err.Error()))
			if b.stopped != nil {
				msg = b.stopped.Error()
			}
			res.Errors = append(res.Errors, &manifest.Error{File: chartDir, Msg: msg})
			return nil
		}
		e := &manifest.Error{File: places[failed.file].file, Msg: clip(re.msg)}
		if b.stopped != nil {
			e.Msg = b.stopped.Error()
		}
		if at, ok := idx[re.at]; ok {
			e.File, e.Line, e.Column = places[at.file].file, re.line, re.col
			if e.Column > 0 { // a column of the template as written, not as instrumented
				e.Column = column(string(at.file.Data), inserted[at.file], re.line, re.col)
			}
		}
		if re.at != re.failed {
			e.Msg += " (while rendering " + places[failed.file].file + ")"
		}
		if b.stopped != nil {
			res.Errors = append(res.Errors, e)
			return nil
		}
		// Aliases of one subchart share its templates, and so their errors.
		if !slices.ContainsFunc(res.Errors, func(x *manifest.Error) bool { return *x == *e }) {
			res.Errors = append(res.Errors, e)
		}

		// Copy the slice: aliased subcharts share their templates with the original.
		tpls := make([]*common.File, 0, len(failed.chart.Templates))
		for _, t := range failed.chart.Templates {
			if t != failed.file {
				tpls = append(tpls, t)
			} else if !re.parse {
				dir, base := path.Split(t.Name)
				moved := &common.File{Name: dir + disabledPrefix + base, ModTime: t.ModTime, Data: t.Data}
				places[moved], inserted[moved], tr.byFile[moved] = places[t], inserted[t], tr.byFile[t]
				tpls = append(tpls, moved)
			}
		}
		failed.chart.Templates = tpls
		idx = templateIndex(chrt)
	}
	return nil
}

type renderError struct {
	failed    string // the top-level template that failed (engine name)
	at        string // where the error is (engine name), maybe a helper
	line, col int
	msg       string
	parse     bool
}

var location = regexp.MustCompile(`([^\s()<>":]+):(\d+)(?::(\d+))?`)

// parseRenderError pulls the template names and positions out of a Helm rendering error.
// Helm's messages come in three shapes:
//
//	parse error at (web/templates/x.yaml:12): function "nope" not defined
//	execution error at (web/templates/x.yaml:5:3): image.tag is required
//	web/templates/x.yaml:5:20
//	  executing "web/templates/x.yaml" at <include "web.name" .>:
//	    error calling include: ...
//
// The first template named that is not a partial is the one being rendered (for a parse
// error, the first named is the one that does not parse); the last is where the error is.
func parseRenderError(msg string, idx map[string]tmplRef) renderError {
	parse := strings.HasPrefix(msg, "parse error")
	re := renderError{parse: parse}
	for _, m := range location.FindAllStringSubmatch(msg, -1) {
		if _, ok := idx[m[1]]; !ok {
			continue
		}
		if re.failed == "" && (parse || !strings.HasPrefix(path.Base(m[1]), "_")) {
			re.failed = m[1]
		}
		re.at = m[1]
		re.line, _ = strconv.Atoi(m[2])
		re.col, _ = strconv.Atoi(m[3])
	}
	text := oneLine(msg)
	switch {
	case strings.HasPrefix(text, "parse error at ("), strings.HasPrefix(text, "execution error at ("):
		if _, after, ok := strings.Cut(text, "): "); ok {
			text = after
		}
	default:
		// Keep the innermost action and its message: `<.Values.a.b>: nil pointer ...`.
		if i := strings.LastIndex(text, " at <"); i >= 0 {
			if j := strings.Index(text[i:], ">: "); j >= 0 {
				text = text[i+4:i+j+1] + ": " + text[i+j+3:]
			}
		}
		text = strings.TrimPrefix(text, "template: ")
	}
	if re.parse {
		re.msg = "template does not parse: " + text
	} else {
		re.msg = "template failed: " + text
	}
	return re
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// maxMessage bounds an error message, which may quote a template or a value.
const maxMessage = 400

func clip(s string) string { return manifest.Clip(s, maxMessage) }

// chartYAMLNode parses the root chart's Chart.yaml for positions; nil when it cannot.
func chartYAMLNode(c *chart.Chart) *yaml.Node {
	for _, f := range c.Raw {
		if f.Name != "Chart.yaml" {
			continue
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(f.Data, &doc); err != nil || len(doc.Content) == 0 {
			return nil
		}
		return doc.Content[0]
	}
	return nil
}

// dependencyPosition finds the entry of Chart.yaml's dependencies with this alias, or
// failing that this name.
func dependencyPosition(chartYAML *yaml.Node, name string) (line, col int) {
	deps, line, col, _ := walk(chartYAML, "dependencies")
	if deps == nil || deps.Kind != yaml.SequenceNode {
		return line, col
	}
	for _, key := range []string{"alias", "name"} {
		for _, d := range deps.Content {
			if v, l, c, ok := walk(d, key); ok && v.Value == name {
				return l, c
			}
		}
	}
	return line, col
}

// position returns the line and column of the key at the end of a path of keys (or list
// indexes) from n, or of the nearest ancestor found when the path does not exist.
func position(n *yaml.Node, keys ...string) (line, col int) {
	_, line, col, _ = walk(n, keys...)
	return line, col
}

// walk follows keys from n. It returns the value found at the end and the position of its
// key; when the path stops short, the last node and position reached, and false.
func walk(n *yaml.Node, keys ...string) (v *yaml.Node, line, col int, ok bool) {
	if n == nil {
		return nil, 0, 0, false
	}
	for _, k := range keys {
		var next *yaml.Node
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == k {
					line, col = n.Content[i].Line, n.Content[i].Column
					next = n.Content[i+1]
					break
				}
			}
		case yaml.SequenceNode:
			if i, err := strconv.Atoi(k); err == nil && i >= 0 && i < len(n.Content) {
				next = n.Content[i]
				line, col = next.Line, next.Column
			}
		}
		if next == nil {
			return n, line, col, false
		}
		n = next
	}
	return n, line, col, true
}
