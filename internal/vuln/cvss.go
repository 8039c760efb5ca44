package vuln

import (
	"fmt"
	"math"
	"strings"

	gocvss40 "github.com/pandatix/go-cvss/40"

	"github.com/kharden/kharden/internal/rule"
)

// cvss3Weights are the base metric values of CVSS v3.0 and v3.1 (the same in both),
// by metric and value. PR's values depend on the scope and are in cvss3PR.
var cvss3Weights = map[string]map[string]float64{
	"AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
	"AC": {"L": 0.77, "H": 0.44},
	"UI": {"N": 0.85, "R": 0.62},
	"C":  {"H": 0.56, "L": 0.22, "N": 0},
	"I":  {"H": 0.56, "L": 0.22, "N": 0},
	"A":  {"H": 0.56, "L": 0.22, "N": 0},
}

// cvss3PR is Privileges Required by scope changed (false, true) and value.
var cvss3PR = map[bool]map[string]float64{
	false: {"N": 0.85, "L": 0.62, "H": 0.27},
	true:  {"N": 0.85, "L": 0.68, "H": 0.5},
}

// cvss3Other are the temporal and environmental metrics a vector may carry after the
// base ones, with their values; they do not change the base score.
var cvss3Other = map[string]string{
	"E": "XUPFH", "RL": "XOTWU", "RC": "XURC", "CR": "XLMH", "IR": "XLMH", "AR": "XLMH",
	"MAV": "XNALP", "MAC": "XLH", "MPR": "XNLH", "MUI": "XNR", "MS": "XUC", "MC": "XNLH", "MI": "XNLH", "MA": "XNLH",
}

// CVSS3Score is the base score of a CVSS v3.0 or v3.1 vector
// ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), by the formula of the FIRST
// specification (section 7.1 of v3.1): v3.1 rounds up with its integer Roundup
// (Appendix A), v3.0 with the plain ceiling to one decimal it defined.
func CVSS3Score(vector string) (float64, error) {
	parts := strings.Split(vector, "/")
	var v31 bool
	switch parts[0] {
	case "CVSS:3.0":
	case "CVSS:3.1":
		v31 = true
	default:
		return 0, fmt.Errorf("CVSS v3 vector %q: does not start with CVSS:3.0/ or CVSS:3.1/", clip(vector))
	}
	m := map[string]string{}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, ":")
		if !ok || v == "" {
			return 0, fmt.Errorf("CVSS v3 vector %q: %q is not METRIC:VALUE", clip(vector), clip(p))
		}
		if _, dup := m[k]; dup {
			return 0, fmt.Errorf("CVSS v3 vector %q: metric %s given twice", clip(vector), k)
		}
		switch {
		case k == "S" || k == "PR":
			if len(v) != 1 || !strings.Contains(map[string]string{"S": "UC", "PR": "NLH"}[k], v) {
				return 0, fmt.Errorf("CVSS v3 vector %q: %s:%s is not a value of %s", clip(vector), k, clip(v), k)
			}
		case cvss3Weights[k] != nil:
			if _, ok := cvss3Weights[k][v]; !ok {
				return 0, fmt.Errorf("CVSS v3 vector %q: %s:%s is not a value of %s", clip(vector), k, clip(v), k)
			}
		case cvss3Other[k] != "":
			if len(v) != 1 || !strings.Contains(cvss3Other[k], v) {
				return 0, fmt.Errorf("CVSS v3 vector %q: %s:%s is not a value of %s", clip(vector), k, clip(v), k)
			}
		default:
			return 0, fmt.Errorf("CVSS v3 vector %q: unknown metric %q", clip(vector), clip(k))
		}
		m[k] = v
	}
	for _, k := range []string{"AV", "AC", "PR", "UI", "S", "C", "I", "A"} {
		if m[k] == "" {
			return 0, fmt.Errorf("CVSS v3 vector %q: base metric %s missing", clip(vector), k)
		}
	}
	changed := m["S"] == "C"
	w := func(k string) float64 { return cvss3Weights[k][m[k]] }
	iss := 1 - (1-w("C"))*(1-w("I"))*(1-w("A"))
	var impact float64
	if changed {
		impact = 7.52*(iss-0.029) - 3.25*math.Pow(iss-0.02, 15)
	} else {
		impact = 6.42 * iss
	}
	exploitability := 8.22 * w("AV") * w("AC") * cvss3PR[changed][m["PR"]] * w("UI")
	if impact <= 0 {
		return 0, nil
	}
	roundup := roundup30
	if v31 {
		roundup = roundup31
	}
	if changed {
		return roundup(math.Min(1.08*(impact+exploitability), 10)), nil
	}
	return roundup(math.Min(impact+exploitability, 10)), nil
}

// roundup31 is CVSS v3.1's Roundup: the smallest number with one decimal at or above x,
// computed on integers so that 4.000000001 is 4.0 and not 4.1.
func roundup31(x float64) float64 {
	i := int64(math.Round(x * 100000))
	if i%10000 == 0 {
		return float64(i) / 100000
	}
	return float64(i/10000+1) / 10
}

// roundup30 is CVSS v3.0's round up to one decimal.
func roundup30(x float64) float64 {
	return math.Ceil(x*10) / 10
}

// CVSS4Score is the base score of a CVSS v4.0 vector, by the FIRST specification's
// MacroVector lookup and interpolation as github.com/pandatix/go-cvss implements it.
func CVSS4Score(vector string) (float64, error) {
	c, err := gocvss40.ParseVector(vector)
	if err != nil {
		return 0, fmt.Errorf("CVSS v4 vector %q: %w", clip(vector), err)
	}
	return c.Score(), nil
}

// bandOf maps a CVSS score to kharden's severity with the qualitative bands of the CVSS
// specifications: 9.0-10.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low, and
// 0.0 ("None") info.
func bandOf(score float64) rule.Severity {
	switch {
	case score >= 9.0:
		return rule.Critical
	case score >= 7.0:
		return rule.High
	case score >= 4.0:
		return rule.Medium
	case score > 0:
		return rule.Low
	}
	return rule.Info
}

// clip shortens what is quoted from an advisory in a message.
func clip(s string) string {
	const most = 120
	if len(s) > most {
		return s[:most] + "..."
	}
	return s
}
