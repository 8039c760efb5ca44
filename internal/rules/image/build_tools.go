package image

import (
	"fmt"
	"strings"

	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/image"
)

// compilers are the compiler and toolchain drivers looked for, by command name.
var compilers = []string{"gcc", "cc", "g++", "c++", "clang", "clang++", "tcc", "gfortran", "gccgo",
	"go", "rustc", "cargo", "javac"}

// BuildTools is IM-0007.
var BuildTools = &Rule{
	Meta: rule.Meta{
		ID:        "IM-0007",
		Slug:      "image-build-tools",
		Title:     "The image should not ship compilers",
		Severity:  rule.Low,
		Practices: []string{"B7", "B11"},
		Rationale: "A compiler in the image that runs adds hundreds of megabytes and many packages to patch, and lets " +
			"whoever gets code execution in the container build their own tools. A multi-stage build compiles in one " +
			"stage and copies only the result into a small final stage. The rule looks for compiler drivers (gcc, cc, " +
			"g++, clang, gfortran, go, rustc, cargo, javac...) on the image's PATH and in the usual bin directories of " +
			"the final filesystem; names that lead to one program (cc and gcc) give one finding. Package managers " +
			"(apt, dpkg, apk) are in nearly every distribution base image and removing them is not what most teams " +
			"can act on, so they are a separate rule, image-package-managers, off by default.",
		Remediation: "Build in a stage FROM an SDK image (FROM golang:1.26 AS build) and start the final stage FROM a " +
			"runtime, slim or distroless image with COPY --from=build of the artifacts only. If one stage must stay, " +
			"remove the toolchain in the RUN that used it (apt-get purge --auto-remove gcc, apk del .build-deps).",
		References: []string{
			"https://docs.docker.com/build/building/multi-stage/",
			"CIS Docker Benchmark 4.3: Ensure that unnecessary packages are not installed in the container",
		},
		Standards: rule.Standards{CIS: []string{"4.3"}},
		Since:     "0.2.0",
		Default:   true,
	},
	Check: func(im *image.Image) []Finding {
		return byProgram(im, compilers, "the compiler")
	},
}

// byProgram reports each program the commands names lead to once, with every name
// that leads to it: "the compiler gcc (also run as cc) is in the image at /usr/bin/gcc".
func byProgram(im *image.Image, names []string, kind string) []Finding {
	var found []command
	at := map[string]int{}
	var also [][]string
	for _, c := range findCommands(im, names) {
		if i, ok := at[c.target]; ok {
			also[i] = append(also[i], c.name)
			continue
		}
		at[c.target] = len(found)
		found = append(found, c)
		also = append(also, nil)
	}
	out := make([]Finding, len(found))
	for i, c := range found {
		what := c.what()
		if len(also[i]) > 0 {
			what += fmt.Sprintf(" (also run as %s)", strings.Join(also[i], ", "))
		}
		out[i] = Finding{Path: c.path, Layer: c.entry.Layer,
			Message: fmt.Sprintf("%s %s is in the image at %s, added by %s", kind, what, c.path, im.Short(c.entry.Layer))}
	}
	return out
}
