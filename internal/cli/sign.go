package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rule"
	"github.com/kharden/kharden/internal/scan"
	"github.com/kharden/kharden/internal/sign"
)

func newSign(s IO) *cobra.Command {
	var (
		keyFile     string
		annotations []string
		noScan      bool
		o           scan.ImageOptions
		configPath  string
		noConfig    bool
	)
	cmd := &cobra.Command{
		Use:   "sign [flags] IMAGE",
		Short: "Scan an image and sign its digest when the scan passes",
		Long: `Sign a container image in a registry, in cosign's format, with the scan result
attached.

IMAGE's tag is resolved to the digest of its manifest first, and only that
digest is scanned and signed: moving the tag later does not move the signature.
The image is scanned as kharden scan image does (the image rules, the config's
exceptions); with findings at or above --fail-on nothing is signed, the findings
are listed and the exit code is 1. --no-scan signs without scanning (and says so).

Written to the image's repository, beside it:
  REPO:sha256-HEX.sig   the signature: a simple-signing payload naming the
                        repository and digest, with the -a annotations (one layer
                        per signature, appended: earlier signatures are kept)
  REPO:sha256-HEX.att   the scan result: an in-toto statement of predicate type
                        ` + sign.ScanPredicateType + `
                        in a DSSE envelope (appended too)
cosign verify and cosign verify-attestation read both (docs/supply-chain.md).

The key is a file written by kharden keygen or cosign generate-key-pair; its
password comes from KHARDEN_PASSWORD, else COSIGN_PASSWORD, else the terminal.
Registry credentials are docker's (~/.docker/config.json and its helpers).

Exit codes: 0 signed, 1 not signed: findings at or above --fail-on, 2 usage,
input or operational errors (a key that does not decrypt, a registry that
cannot be reached, an image that cannot be read).`,
		Example: `  kharden sign --key cosign.key registry.example.com/team/app:1.4.2
  kharden sign --key cosign.key --fail-on medium -a git-sha=$GIT_SHA registry.example.com/team/app:1.4.2
  kharden sign --key cosign.key --no-scan registry.example.com/team/base@sha256:...`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ann, err := parseAnnotations(annotations)
			if err != nil {
				return &exitError{ExitError, err}
			}
			if keyFile == "" {
				return &exitError{ExitError, fmt.Errorf("--key is required")}
			}
			var sc *scan.ImageScanner
			if !noScan {
				cfg, err := loadConfig(configPath, noConfig, ".")
				if err != nil {
					return &exitError{ExitError, err}
				}
				o.Config, o.Version = cfg, Version
				if sc, err = scan.NewImage(o); err != nil {
					return &exitError{ExitError, err}
				}
			}
			pw, err := password(s, false)
			if err != nil {
				return &exitError{ExitError, err}
			}
			key, err := sign.LoadPrivateKey(keyFile, pw)
			if err != nil {
				return &exitError{ExitError, err}
			}
			so := sign.SignOptions{
				Options:     sign.Options{Insecure: o.Image.Insecure, Timeout: o.Image.Timeout},
				Annotations: ann,
			}
			var part *report.Report
			if sc != nil {
				so.Scan = func(ctx context.Context, pinned string) (*sign.ScanPredicate, error) {
					_, part = sc.Scan(ctx, pinned)
					return scanPredicate(sc.Head(), part)
				}
			}
			out, err := sign.Sign(cmd.Context(), args[0], key, so)
			if err != nil {
				return &exitError{ExitError, err}
			}
			esc := report.Escape
			fmt.Fprintf(s.Out, "%s\n  digest:       %s\n", esc(out.Ref), out.Digest)
			if out.Scan == nil {
				fmt.Fprintln(s.Out, "  scan:         none (--no-scan): signed without scanning")
			} else {
				fmt.Fprintf(s.Out, "  scan:         found %s (--fail-on %s, %d rules)\n", countsLine(out.Scan.Counts), out.Scan.FailOn, len(out.Scan.Rules))
			}
			if out.Refused {
				fmt.Fprintf(s.Out, "  not signed:   the scan found results at or above %s:\n", out.Scan.FailOn)
				for _, r := range part.Results {
					if failing(r, part.FailOn) {
						fmt.Fprintf(s.Out, "    %s %s %s: %s\n", r.Severity, ruleID(r), esc(r.Location.FieldPath), esc(r.Message))
					}
				}
				return &exitError{code: ExitFindings}
			}
			if out.Appended {
				fmt.Fprintf(s.Out, "  signature:    %s (appended)\n", esc(out.SignatureTag))
			} else {
				fmt.Fprintf(s.Out, "  signature:    %s (already there: this key signed this payload)\n", esc(out.SignatureTag))
			}
			if out.AttestationTag != "" {
				fmt.Fprintf(s.Out, "  attestation:  %s (%s)\n", esc(out.AttestationTag), sign.ScanPredicateType)
			}
			fmt.Fprintf(s.Out, "  signed by:    %s\n  deploy:       %s\n", esc(key.Public.String()), esc(out.Pinned))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&keyFile, "key", "", "private key file (kharden keygen, cosign generate-key-pair)")
	f.StringArrayVarP(&annotations, "annotation", "a", nil, "key=value to put in the signature's payload (repeatable)")
	f.BoolVar(&noScan, "no-scan", false, "sign without scanning (no attestation is written)")
	f.StringVar(&o.FailOn, "fail-on", "", "lowest severity that stops the signing: info, low, medium, high or critical (default \"high\")")
	f.StringVar(&o.Image.Platform, "platform", "", "platform scanned in a multi-platform image: os/arch[/variant] (default \"linux/amd64\"); the index is what is signed")
	f.BoolVar(&o.Image.Insecure, "insecure-registry", false, "allow plain HTTP and unverified TLS to the registry")
	f.DurationVar(&o.Image.Timeout, "timeout", 2*time.Minute, "longest wait for a registry")
	f.StringVar(&configPath, "config", "", "config file of the scan (default: .kharden.yaml found upward from the current directory)")
	f.BoolVar(&noConfig, "no-config", false, "ignore config files")
	return cmd
}

// scanPredicate is the attested summary of an image scan; an image that could not be
// read is an error.
func scanPredicate(head, part *report.Report) (*sign.ScanPredicate, error) {
	if len(part.Errors) > 0 {
		msgs := make([]string, 0, len(part.Errors))
		for _, e := range part.Errors {
			msgs = append(msgs, e.Message)
		}
		return nil, fmt.Errorf("%s", strings.Join(msgs, "; "))
	}
	p := &sign.ScanPredicate{
		Time:    time.Now().UTC(),
		Scanner: sign.Scanner{Name: "kharden", Version: Version},
		FailOn:  head.FailOn.String(),
		Counts:  map[string]int{},
		Passed:  true,
	}
	if len(part.Scanned) > 0 {
		p.Image = part.Scanned[0]
	}
	for _, m := range head.Rules {
		p.Rules = append(p.Rules, m.ID)
	}
	for _, sev := range rule.SeverityNames() {
		p.Counts[sev] = 0
	}
	part.FailOn = head.FailOn
	for _, r := range part.Results {
		if r.Status == rule.Error { // "could not check" is no pass to sign on
			return nil, fmt.Errorf("rule %s could not be evaluated: %s", ruleID(r), r.Message)
		}
		if r.Status == rule.Fail || r.Status == "" {
			p.Counts[r.Severity.String()]++
		}
		if failing(r, head.FailOn) {
			p.Passed = false
		}
	}
	return p, nil
}

func failing(r rule.Result, at rule.Severity) bool {
	return (r.Status == rule.Fail || r.Status == "") && r.Severity >= at
}

func ruleID(r rule.Result) string {
	if r.Meta == nil {
		return "?"
	}
	return r.Meta.ID
}

// countsLine is "nothing" or "1 critical, 2 low", highest first.
func countsLine(m map[string]int) string {
	names := rule.SeverityNames()
	var parts []string
	for i := len(names) - 1; i >= 0; i-- {
		if n := m[names[i]]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, names[i]))
		}
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

// parseAnnotations reads key=value flags.
func parseAnnotations(kvs []string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	m := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("-a %q: want key=value", kv)
		}
		m[k] = v
	}
	return m, nil
}
