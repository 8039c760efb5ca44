package image

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/image"
)

// ManyExposedPorts is IM-0005.
var ManyExposedPorts = withSettings(rule.Meta{
	ID:        "IM-0005",
	Slug:      "image-many-exposed-ports",
	Title:     "The image should expose few ports",
	Severity:  rule.Info,
	Practices: []string{"B8"},
	Rationale: "Every exposed port is a service someone can reach once the container is published, and a long list " +
		"is often a sign that one image runs several services, or exposes debug and management ports next to the " +
		"application's. The rule reports an image whose configuration exposes more ports than the limit " +
		"(images.maxExposedPorts, default 3). Some servers (message brokers, databases with cluster ports) need " +
		"several, so the rule is off by default, like the Dockerfile rule many-exposed-ports.",
	Remediation: "Expose only the ports clients of the application use; move management, metrics and debug ports " +
		"behind configuration, and split unrelated services into their own images. Or raise the limit.",
	References: []string{
		"https://docs.docker.com/reference/dockerfile/#expose",
	},
	Since:   "0.2.0",
	Default: false,
}, func(im *image.Image, s Settings) []Finding {
	ports := exposedPorts(im)
	if len(ports) <= s.MaxExposedPorts {
		return nil
	}
	specs := make([]string, len(ports))
	for i, p := range ports {
		specs[i] = p.spec
	}
	return []Finding{inConfig("ExposedPorts", "the image exposes %d ports (%s), more than %d",
		len(ports), strings.Join(specs, ", "), s.MaxExposedPorts)}
})

// port is one key of the configuration's ExposedPorts: "8080/tcp", "53/udp" or "22".
type port struct {
	spec   string
	number int
	proto  string
}

// field is the configuration field of the port.
func (p port) field() string { return "ExposedPorts[" + strconv.Quote(p.spec) + "]" }

// history names the history line that exposed the port, when one mentions it.
func (p port) history(im *image.Image) string {
	num := strconv.Itoa(p.number)
	for _, h := range im.Config.History {
		c := h.CreatedBy
		i := strings.Index(c, "EXPOSE")
		if i < 0 {
			continue
		}
		for _, f := range strings.FieldsFunc(c[i+len("EXPOSE"):], func(r rune) bool {
			return r == ' ' || r == '[' || r == ']' || r == ':' || r == '{' || r == '}' || r == '/'
		}) {
			if f == num {
				return fmt.Sprintf(" (history: %s)", strings.Join(strings.Fields(c[i:]), " "))
			}
		}
	}
	return ""
}

// exposedPorts are the ports of the image's configuration, sorted by number and protocol.
func exposedPorts(im *image.Image) []port {
	var out []port
	for spec := range im.Config.Config.ExposedPorts {
		num, proto, _ := strings.Cut(spec, "/")
		n, err := strconv.Atoi(num)
		if err != nil {
			n = -1
		}
		out = append(out, port{spec: spec, number: n, proto: strings.ToLower(proto)})
	}
	slices.SortFunc(out, func(a, b port) int {
		if a.number != b.number {
			return a.number - b.number
		}
		return strings.Compare(a.proto, b.proto)
	})
	return out
}
