package flags

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// The kubelet's effective settings. The kubelet starts from its built-in defaults, reads
// the --config file (a KubeletConfiguration) over them, merges the drop-ins of
// --config-dir over that (files ending in .conf, in lexical order of their paths, each a
// JSON merge patch: mappings merge key by key, lists and scalars replace, null removes),
// and applies the flags given on its command line last. Its defaults differ with and
// without a config file: without one, anonymous requests are allowed, every request is
// authorized (AlwaysAllow) and the read-only port 10255 is open; a config file defaults
// to the opposite of each. After the merge, the kubelet replaces some zero values by their
// default (a streaming idle timeout of 0s in a file becomes 4h); a flag's zero stays.

// valueKind is the type of a kubelet setting.
type valueKind int

const (
	boolValue valueKind = iota
	intValue
	stringValue
	durationValue
	listValue
)

var kindNames = [...]string{"a boolean", "an integer", "a string", "a duration", "a list"}

// knob is one kubelet setting.
type knob struct {
	// flag is the command-line flag; key the dotted path in a KubeletConfiguration.
	flag, key string
	kind      valueKind
	// def is the default with a config file; flagDef, when hasFlagDef, the default
	// without one.
	def        string
	flagDef    string
	hasFlagDef bool
	// zeroIsDefault: a zero value in a file is replaced by def.
	zeroIsDefault bool
	// gate names a feature gate: the flag is --feature-gates, merged key by key with the
	// file's featureGates.
	gate string
	// defNote explains the default, when it needs it ("no limit").
	defNote string
	// either: the setting is on when the flag or the file turns it on (the flag cannot
	// turn off what the file turns on).
	either bool
}

func (k *knob) defaultFor(withFile bool) string {
	if !withFile && k.hasFlagDef {
		return k.flagDef
	}
	return k.def
}

// origin is where an effective value comes from.
type origin int

const (
	fromFlag origin = iota
	fromFile
	fromDefault
)

// setting is the effective value of a knob, and where it comes from.
type setting struct {
	knob  *knob
	value string   // canonical text: "true", "10255", "4h0m0s", "" for an empty string
	list  []string // the elements of a list
	from  origin
	// flag is what a reader points at: the knob's flag when it is given or no file is in
	// use, else the flag naming the file.
	flag string
	file string
	line int
	// shown is the flag as written, for a value from a flag.
	shown string
	// files names the configuration files in force, for messages; target is where a
	// remedy should set the setting.
	files, target string
	// note adds to the description (a zero the kubelet replaces by its default).
	note string
}

func (st setting) bool() bool { return st.value == "true" }

func (st setting) int() int64 {
	i, _ := strconv.ParseInt(st.value, 0, 64)
	return i
}

func (st setting) duration() time.Duration {
	d, _ := time.ParseDuration(st.value)
	return d
}

// describe says what the setting is and where that comes from.
func (st setting) describe() string {
	k := st.knob
	shown := st.value
	var d string
	switch st.from {
	case fromFlag:
		d = st.shown
	case fromFile:
		d = fmt.Sprintf("%s is %s in %s:%d", k.key, shown, st.file, st.line)
	default:
		switch {
		case st.value == "" && st.files == "":
			d = fmt.Sprintf("--%s is not set", k.flag)
		case st.value == "":
			d = fmt.Sprintf("neither --%s nor %s in %s is set", k.flag, k.key, st.files)
		case st.files == "" && k.gate != "":
			d = fmt.Sprintf("--feature-gates does not set %s, which defaults to %s", k.gate, shown)
		case st.files == "":
			d = fmt.Sprintf("--%s is not set and defaults to %s", k.flag, shown)
		case k.gate != "":
			d = fmt.Sprintf("neither --feature-gates nor %s sets %s, which defaults to %s", st.files, k.gate, shown)
		case k.flag == "":
			d = fmt.Sprintf("%s does not set %s, which defaults to %s", st.files, k.key, shown)
		default:
			d = fmt.Sprintf("neither --%s nor %s in %s is set, and it defaults to %s", k.flag, k.key, st.files, shown)
		}
	}
	if st.note != "" {
		d += " (" + st.note + ")"
	}
	return d
}

// remedy says how to set the setting to want: with the flag when the flag decides or no
// file is in use, else in the file.
func (st setting) remedy(want string) string {
	k := st.knob
	switch {
	case k.gate != "" && (st.from == fromFlag || st.files == ""):
		return fmt.Sprintf("set --feature-gates=%s=%s", k.gate, want)
	case st.from == fromFlag || st.files == "":
		return fmt.Sprintf("set --%s=%s", k.flag, want)
	case k.kind == listValue:
		want = "[" + strings.ReplaceAll(want, ",", ", ") + "]"
	}
	switch {
	case st.from == fromFile:
		return fmt.Sprintf("set %s: %s in %s", k.key, want, st.file)
	}
	return fmt.Sprintf("set %s: %s in %s", k.key, want, st.target)
}

func (st setting) result(ok bool, format string, a ...any) Result {
	status := fail
	if ok {
		status = pass
	}
	return status(st.flag, format, a...).at(st.file, st.line)
}

// kubeletConfig is the kubelet's configuration files: the --config file, then the
// --config-dir drop-ins in the order the kubelet merges them.
type kubeletConfig struct {
	layers   []configLayer
	withFile bool   // --config is given: defaults are those of a config file
	flag     string // the flag naming the files: config, or config-dir
	names    string // the files, for messages
	target   string // where to set a setting: the --config file, else the last drop-in
	// targetFile is target when it is a file, "" when no file is there.
	targetFile string
}

type configLayer struct {
	file string
	root *yaml.Node // nil for an empty drop-in
}

// loadKubeletConfig reads the kubelet's configuration files from the Set. It returns a
// Manual result when a file or the drop-in directory is not visible, an Error result when
// a file does not parse.
func loadKubeletConfig(s *Set) (*kubeletConfig, *Result) {
	c := &kubeletConfig{}
	var names []string
	if s.Has("config") {
		c.withFile, c.flag = true, "config"
		content, file, ok := s.File("config")
		if !ok {
			r := manual("config", "the kubelet reads its settings from the --config file %s, which is not visible here", file)
			return nil, &r
		}
		l, ferr := kubeletLayer(file, content)
		if ferr != nil {
			r := broken("config", ferr)
			return nil, &r
		}
		c.layers = append(c.layers, l)
		names = append(names, file)
	}
	if s.Has("config-dir") {
		if c.flag == "" {
			c.flag = "config-dir"
		}
		v, _ := s.Lookup("config-dir")
		dir := path.Clean(strings.TrimSpace(v.Value))
		files, listed := dropIns(s.Files, dir)
		if !listed {
			r := manual("config-dir", "the kubelet merges the drop-in files of --config-dir %s over its settings, and that directory is not visible here", dir)
			return nil, &r
		}
		for _, f := range files {
			l, ferr := kubeletLayer(f, s.Files[f])
			if ferr != nil {
				r := broken("config-dir", ferr)
				return nil, &r
			}
			c.layers = append(c.layers, l)
			names = append(names, f)
		}
		if len(names) == 0 {
			names = append(names, "a drop-in file in "+dir)
		}
	}
	c.names = strings.Join(names, ", ")
	if len(names) > 0 {
		c.target = names[0]
		if !c.withFile {
			c.target = names[len(names)-1]
		}
	}
	if len(c.layers) > 0 {
		c.targetFile = c.target
	}
	return c, nil
}

// dropIns returns the .conf files under dir in the order the kubelet walks them (names
// compared directory by directory), and whether the directory was read at all.
func dropIns(files map[string][]byte, dir string) ([]string, bool) {
	_, listed := files[dir]
	var out []string
	prefix := strings.TrimSuffix(dir, "/") + "/"
	for p := range files {
		if !strings.HasPrefix(p, prefix) {
			continue
		}
		listed = true
		if path.Ext(p) == ".conf" {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b string) int {
		return slices.Compare(strings.Split(a[len(prefix):], "/"), strings.Split(b[len(prefix):], "/"))
	})
	return out, listed
}

func kubeletLayer(file string, content []byte) (configLayer, *fileError) {
	if len(strings.TrimSpace(string(content))) == 0 {
		return configLayer{}, &fileError{File: file, What: "the file is empty, and the kubelet refuses an empty configuration file"}
	}
	root, ferr := parseDocument(file, content)
	if ferr != nil {
		return configLayer{}, ferr
	}
	if root != nil {
		if k := member(root, "kind"); k != nil && k.Value != "KubeletConfiguration" {
			return configLayer{}, valueError(file, k, "kind", "%q is not KubeletConfiguration", k.Value)
		}
	}
	return configLayer{file: file, root: root}, nil
}

// find returns the value of a dotted key in the last file that sets it; removed is set
// when a later drop-in removes it (null), which leaves it to the default.
func (c *kubeletConfig) find(key string) (n *yaml.Node, file string, removed bool, ferr *fileError) {
	parts := strings.Split(key, ".")
	for i := len(c.layers) - 1; i >= 0; i-- {
		l := c.layers[i]
		cur := l.root
		for j, p := range parts {
			if cur == nil {
				break
			}
			if cur.Kind != yaml.MappingNode {
				return nil, "", false, valueError(l.file, cur, strings.Join(parts[:j], "."), "is not a mapping")
			}
			v := member(cur, p)
			if v == nil {
				cur = nil
				break
			}
			if isNull(v) {
				return nil, l.file, true, nil
			}
			cur = v
		}
		if cur != nil {
			return cur, l.file, false, nil
		}
	}
	return nil, "", false, nil
}

// kubeletSetting returns the effective value of a knob, or the result to give when it
// cannot be known (Manual, Error) or is not valid (Fail: the kubelet does not start).
func kubeletSetting(s *Set, k *knob) (setting, *Result) {
	st := setting{knob: k, flag: k.flag}
	var flagOff *setting // an "either" flag given as false, which the file may override
	if r, ok := kubeletFlag(s, k, &st); ok {
		if r != nil {
			return st, r
		}
		if !k.either || st.bool() {
			return st, nil
		}
		off := st
		flagOff = &off
	}
	c, r := loadKubeletConfig(s)
	if r != nil {
		return st, r
	}
	st.files, st.target = c.names, c.target
	def := k.defaultFor(c.withFile)
	n, file, removed, ferr := c.find(k.key)
	if ferr != nil {
		r := broken(c.flag, ferr)
		return st, &r
	}
	switch {
	case n != nil:
		if ferr := st.readNode(file, n); ferr != nil {
			r := broken(c.flag, ferr)
			return st, &r
		}
		st.from, st.flag, st.file, st.line = fromFile, c.flag, file, n.Line
		if k.zeroIsDefault && st.duration() == 0 {
			st.note = "the kubelet replaces a zero by its default " + k.def
			st.value = k.def
		} else if st.value == k.def {
			st.note = k.defNote
		}
	case removed:
		st.from, st.flag, st.file, st.value = fromDefault, c.flag, file, k.def
		st.note = file + " removes it"
	default:
		st.from, st.value, st.file, st.note = fromDefault, def, c.targetFile, k.defNote
		if c.flag != "" {
			st.flag = c.flag
		}
	}
	if flagOff != nil {
		if !st.bool() {
			return *flagOff, nil
		}
		st.note = flagOff.shown + " does not turn off what the file turns on"
	}
	return st, nil
}

// kubeletSettings returns the effective values of several knobs, or the first result to
// give instead.
func kubeletSettings(s *Set, knobs ...*knob) ([]setting, *Result) {
	out := make([]setting, len(knobs))
	for i, k := range knobs {
		st, r := kubeletSetting(s, k)
		if r != nil {
			return nil, r
		}
		out[i] = st
	}
	return out, nil
}

// kubeletFlag reads a knob's flag into st; ok reports whether the flag is given. A value
// the kubelet would reject gives a Fail result.
func kubeletFlag(s *Set, k *knob, st *setting) (r *Result, ok bool) {
	if k.flag == "" {
		return nil, false
	}
	if k.gate != "" {
		var found *Value
		var text string
		for _, v := range s.Values[k.flag] {
			for _, g := range strings.Split(v.Value, ",") {
				if name, val, _ := strings.Cut(g, "="); strings.TrimSpace(name) == k.gate {
					found, text = &v, strings.TrimSpace(val)
				}
			}
		}
		if found == nil {
			return nil, false
		}
		st.from, st.shown = fromFlag, "--feature-gates sets "+k.gate+"="+text
		b, err := strconv.ParseBool(text)
		if err != nil {
			res := fail(k.flag, "%s, which is not a boolean", st.shown)
			return &res, true
		}
		st.value = strconv.FormatBool(b)
		return nil, true
	}
	v, given := s.Lookup(k.flag)
	if !given {
		return nil, false
	}
	st.from, st.shown = fromFlag, show(k.flag, v)
	text := strings.TrimSpace(v.Value)
	var err error
	switch k.kind {
	case boolValue:
		var b bool
		b, err = strconv.ParseBool(text)
		st.value = strconv.FormatBool(b)
	case intValue:
		var i int64
		i, err = strconv.ParseInt(text, 0, 64)
		st.value = strconv.FormatInt(i, 10)
	case durationValue:
		var d time.Duration
		d, err = time.ParseDuration(text)
		st.value = d.String()
	case listValue:
		st.list = s.List(k.flag)
		st.value = strings.Join(st.list, ",")
	default:
		st.value = text
	}
	if st.value == k.def {
		st.note = k.defNote
	}
	if err != nil {
		res := fail(k.flag, "%s is not %s, and the kubelet does not start with it", st.shown, kindNames[k.kind])
		return &res, true
	}
	return nil, true
}

// readNode reads a knob's value from a file.
func (st *setting) readNode(file string, n *yaml.Node) *fileError {
	k := st.knob
	switch k.kind {
	case boolValue:
		b, ferr := nodeBool(file, k.key, n)
		st.value = strconv.FormatBool(b)
		return ferr
	case intValue:
		i, ferr := nodeInt(file, k.key, n)
		st.value = strconv.FormatInt(i, 10)
		return ferr
	case durationValue:
		d, ferr := nodeDuration(file, k.key, n)
		st.value = d.String()
		return ferr
	case listValue:
		l, ferr := nodeStrings(file, k.key, n)
		st.list, st.value = l, strings.Join(l, ",")
		return ferr
	}
	s, ferr := nodeString(file, k.key, n)
	st.value = s
	return ferr
}
