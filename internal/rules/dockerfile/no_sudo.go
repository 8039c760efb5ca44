package dockerfile

import (
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/source/dockerfile"
)

// NoSudo is DF-0001.
var NoSudo = &Rule{
	Meta: rule.Meta{
		ID:        "DF-0001",
		Slug:      "no-sudo",
		Title:     "RUN must not use sudo",
		Severity:  rule.Medium,
		Practices: []string{"B1"},
		Rationale: "RUN already executes as the user the last USER instruction set, so sudo is only needed " +
			"when the image both has sudo installed and drops root. A sudo binary left in the image is a " +
			"ready-made way back to root for anyone who gets a shell in the container, and sudo's TTY and " +
			"signal handling make build steps behave unpredictably.",
		Remediation: "Run the privileged steps before switching to the unprivileged user (or switch back with USER " +
			"root around them), and do not install sudo in the image. To run the container's process as another " +
			"user at start, use USER, or gosu/su-exec in the entrypoint.",
		References: []string{
			"https://docs.docker.com/build/building/best-practices/#user",
			"hadolint DL3004: Do not use sudo",
			"trivy-checks DS-0010 (DS010): RUN using 'sudo'",
		},
		Since:   "0.1.0",
		Default: true,
	},
	Check: func(f *dockerfile.File) []rule.Finding {
		return eachCommand(f, func(c *dockerfile.Command) []rule.Finding {
			if !c.Is("sudo", "doas") {
				return nil
			}
			if u := c.Unwrap(); u != c {
				return one(atCommand(c, "RUN runs %q through %s", u.Base(), c.Base()))
			}
			return one(atCommand(c, "RUN uses %s", c.Base()))
		})
	},
}
