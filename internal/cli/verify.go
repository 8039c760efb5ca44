package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/sign"
)

func newVerify(s IO) *cobra.Command {
	var (
		keyFiles    []string
		annotations []string
		attestation bool
		maxAge      string
		failOn      string
		output      string
		o           sign.Options
	)
	cmd := &cobra.Command{
		Use:   "verify [flags] IMAGE...",
		Short: "Verify an image's signatures (and its scan attestation) against keys",
		Long: `Verify container images signed by kharden sign or cosign sign (with a key).

Each IMAGE's tag is resolved to the digest of its manifest first; that digest is
what is verified, reported, and what to deploy (the "pinned" reference). Every
signature of REPO:sha256-HEX.sig is checked against every --key: a signature
verifies when a key verifies it and its payload names that digest and the
image's repository (a signature copied from another repository or digest does
not). -a key=value requires the payload to hold that annotation.

--attestation also requires a kharden scan attestation in REPO:sha256-HEX.att,
signed by one of the keys, about that digest, no older than --max-age, whose
scan found nothing at or above --fail-on.

What a registry sends is bounded: at most 256 layers per .sig or .att image,
1 MiB per signature layer, 16 MiB per image, 4 MiB per answer, and --timeout
for the whole verification of each image.

Exit codes: 0 every image verified, 1 an image did not (the reasons are given
for each signature), 2 usage, input or operational errors (a bad key file, a
registry that cannot be reached or answers garbage).`,
		Example: `  kharden verify --key cosign.pub registry.example.com/team/app:1.4.2
  kharden verify --key old.pub --key new.pub registry.example.com/team/app:1.4.2   # key rotation
  kharden verify --key cosign.pub --attestation --max-age 7d --fail-on high -o json registry.example.com/team/app:1.4.2
  kharden verify --key cosign.pub -a git-sha=$GIT_SHA registry.example.com/team/app@sha256:...`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "text" && output != "json" {
				return &exitError{ExitError, fmt.Errorf("unknown output format %q (want text or json)", output)}
			}
			if len(keyFiles) == 0 {
				return &exitError{ExitError, fmt.Errorf("--key is required (a public key file; repeat it for several)")}
			}
			ann, err := parseAnnotations(annotations)
			if err != nil {
				return &exitError{ExitError, err}
			}
			vo := sign.VerifyOptions{Options: o, Annotations: ann}
			for _, f := range keyFiles {
				k, err := sign.LoadPublicKey(f)
				if err != nil {
					return &exitError{ExitError, err}
				}
				vo.Keys = append(vo.Keys, k)
			}
			if attestation {
				age, err := parseAge(maxAge)
				if err != nil {
					return &exitError{ExitError, fmt.Errorf("--max-age: %w", err)}
				}
				sev, err := rule.ParseSeverity(failOn)
				if err != nil {
					return &exitError{ExitError, fmt.Errorf("--fail-on: %w", err)}
				}
				vo.Attestation = &sign.AttestationPolicy{MaxAge: age, FailOn: sev.String()}
			} else if cmd.Flags().Changed("max-age") || cmd.Flags().Changed("fail-on") {
				return &exitError{ExitError, fmt.Errorf("--max-age and --fail-on judge the scan attestation: add --attestation")}
			}
			var vs []*sign.Verification
			all := true
			for _, ref := range args {
				v, err := sign.Verify(cmd.Context(), ref, vo)
				if err != nil {
					return &exitError{ExitError, err}
				}
				vs = append(vs, v)
				all = all && v.Verified
			}
			if output == "json" {
				enc := json.NewEncoder(s.Out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(struct {
					Verified bool                 `json:"verified"`
					Images   []*sign.Verification `json:"images"`
				}{all, vs}); err != nil {
					return &exitError{ExitError, err}
				}
			} else {
				for _, v := range vs {
					writeVerification(s.Out, v)
				}
			}
			if !all {
				return &exitError{code: ExitFindings}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&keyFiles, "key", nil, "public key file (repeatable: any of the keys may have signed)")
	f.StringArrayVarP(&annotations, "annotation", "a", nil, "key=value the signature's payload must hold (repeatable)")
	f.BoolVar(&attestation, "attestation", false, "also require a passing kharden scan attestation signed by a key")
	f.StringVar(&maxAge, "max-age", "7d", "with --attestation: the oldest scan accepted (such as 7d, 36h; 0 for any age)")
	f.StringVar(&failOn, "fail-on", "high", "with --attestation: the scan must have found nothing at or above this severity")
	f.StringVarP(&output, "format", "o", "text", "output format: text or json")
	f.BoolVar(&o.Insecure, "insecure-registry", false, "allow plain HTTP and unverified TLS to the registry")
	f.DurationVar(&o.Timeout, "timeout", 30*time.Second, "longest time to verify one image at its registry")
	return cmd
}

// parseAge reads a duration with a days unit too: 7d, 36h, 1d12h.
func parseAge(s string) (time.Duration, error) {
	days := time.Duration(0)
	if i := strings.Index(s, "d"); i >= 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q: want a duration such as 7d, 36h or 1d12h", s)
		}
		days, s = time.Duration(n)*24*time.Hour, s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q: want a duration such as 7d, 36h or 1d12h", s)
	}
	return days + d, nil
}

// writeVerification is the text form of a verification.
func writeVerification(w io.Writer, v *sign.Verification) {
	esc := report.Escape
	verdict := "yes"
	if !v.Verified {
		verdict = "NO"
	}
	fmt.Fprintf(w, "%s\n  digest:    %s\n  pinned:    %s\n  verified:  %s\n", esc(v.Ref), v.Digest, esc(v.Pinned), verdict)
	fmt.Fprintf(w, "  signatures (%s):\n", esc(v.SignatureTag))
	for _, r := range v.Signatures {
		fmt.Fprintf(w, "    layer %d: %s\n", r.Layer, resultText(r))
	}
	if v.AttestationTag != "" {
		fmt.Fprintf(w, "  attestations (%s):\n", esc(v.AttestationTag))
		for _, r := range v.Attestations {
			line := resultText(r)
			if r.Verified && r.Scan != nil {
				line += fmt.Sprintf(": scanned %s by %s %s, found %s", r.Scan.Time.UTC().Format(time.RFC3339),
					esc(r.Scan.Scanner.Name), esc(r.Scan.Scanner.Version), countsLine(r.Scan.Counts))
			}
			fmt.Fprintf(w, "    layer %d: %s\n", r.Layer, line)
		}
	}
	for _, p := range v.Problems {
		fmt.Fprintf(w, "  %s\n", esc(p))
	}
	fmt.Fprintln(w)
}

func resultText(r sign.Result) string {
	if r.Verified {
		return fmt.Sprintf("verified by %s (sha256:%s)", report.Escape(r.Key), r.KeyID[:16])
	}
	return "not verified: " + report.Escape(r.Reason)
}
