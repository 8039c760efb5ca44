package dockerfile

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// networkToolPackages are the packages that put a downloader or a raw network client
// into the image.
var networkToolPackages = map[string]bool{
	"curl": true, "curl-minimal": true, "wget": true, "wget2": true,
	"netcat": true, "netcat-openbsd": true, "netcat-traditional": true, "nc": true,
	"ncat": true, "nmap-ncat": true, "socat": true,
	"telnet": true, "inetutils-telnet": true, "busybox-extras": true,
}

// NetworkToolsInImage is DF-0023.
var NetworkToolsInImage = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0023",
		Slug:      "network-tools-in-image",
		Title:     "The running image must not ship curl, wget or netcat",
		Severity:  rule.Medium,
		Practices: []string{"B9"},
		Rationale: "A downloader or a raw socket tool in the image is the first thing an attacker who gets code " +
			"execution in the container reaches for: it fetches the second stage of an exploit, exfiltrates data or " +
			"opens a reverse shell. The application rarely needs them at run time; they are usually left over from " +
			"fetching something during the build. The rule follows the package managers through the running " +
			"stages (the final stage and those it is built FROM): a tool installed and later removed (apt-get " +
			"purge, apk del of it or of its --virtual group, the apt-mark auto and purge --auto-remove idiom) passes, " +
			"and a builder stage only used through COPY --from may install anything.",
		Remediation: "Fetch what the build needs in a builder stage and COPY --from it, or remove the tool in the same " +
			"RUN that installed it (apt-get purge --auto-remove curl, apk add --virtual .fetch-deps curl ... && apk " +
			"del .fetch-deps). For health checks, use a small static probe or the application's own endpoint " +
			"client instead of curl.",
		References: []string{
			"https://docs.docker.com/build/building/multi-stage/",
			"CIS Docker Benchmark 4.3: Ensure that unnecessary packages are not installed in the container",
		},
		Standards: rule.Standards{CIS: []string{"4.3"}},
		Since:     "0.1.0",
		Default:   true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		var out []rule.Finding
		for _, g := range pkgFindings(f, func(p *installedPkg) bool { return networkToolPackages[p.name] }) {
			if len(g.names) == 1 {
				out = append(out, atCommand(g.by.cmd, "%q installs %s into the running image and no later step removes it",
					g.by.verb(), g.names[0]))
				continue
			}
			out = append(out, atCommand(g.by.cmd, "%q installs %s into the running image and no later step removes them",
				g.by.verb(), joinAnd(g.names)))
		}
		return out
	},
}
