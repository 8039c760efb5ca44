package vuln

import (
	"math"
	"strings"
	"testing"

	"github.com/kharden/kharden/internal/rule"
)

// The published examples of the FIRST "CVSS v3.1: Examples" document: each CVE's
// base vector and base score.
func TestCVSS3ScoreFIRSTExamples(t *testing.T) {
	for _, c := range []struct {
		cve, vector string
		score       float64
	}{
		{"CVE-2013-1937", "AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1},
		{"CVE-2013-0375", "AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4},
		{"CVE-2014-3566", "AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1},
		{"CVE-2012-1516", "AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9},
		{"CVE-2012-0384", "AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 8.8},
		{"CVE-2015-1098", "AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 7.8},
		{"CVE-2014-0160", "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5},
		{"CVE-2014-6271", "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8},
		{"CVE-2008-1447", "AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N", 6.8},
		{"CVE-2014-2005", "AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 6.8},
		{"CVE-2010-0467", "AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N", 5.8},
		{"CVE-2012-1342", "AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:L/A:N", 5.8},
		{"CVE-2013-6014", "AV:A/AC:L/PR:N/UI:N/S:C/C:H/I:N/A:H", 9.3},
		{"CVE-2014-9253", "AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N", 5.4},
		{"CVE-2009-0658", "AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 7.8},
		{"CVE-2011-1265", "AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.8},
		{"CVE-2016-1645", "AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 8.8},
		{"CVE-2016-0128", "AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:N", 6.8},
		{"CVE-2009-0783", "AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L", 4.2},
		{"CVE-2012-5376", "AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H", 9.6},
		{"CVE-2015-0970", "AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 8.8},
		{"CVE-2014-2019", "AV:P/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N", 4.6},
		{"CVE-2016-5729", "AV:L/AC:L/PR:H/UI:N/S:C/C:H/I:H/A:H", 8.2},
	} {
		for _, version := range []string{"3.0", "3.1"} {
			v := "CVSS:" + version + "/" + c.vector
			got, err := CVSS3Score(v)
			if err != nil || got != c.score {
				t.Errorf("%s %s: %v, %v; want %v", c.cve, v, got, err, c.score)
			}
		}
	}
}

// Where v3.0's plain ceiling and v3.1's integer Roundup part: the v3.1 specification's
// reason for the change, a result that floating point puts a hair above a tenth.
func TestCVSS3Roundup(t *testing.T) {
	for x, want := range map[float64]float64{4.0: 4.0, 4.00001: 4.1, 4.02: 4.1, 0.99999: 1.0} {
		if got := roundup31(x); got != want {
			t.Errorf("roundup31(%v) = %v, want %v", x, got, want)
		}
	}
	hair := math.Nextafter(4, 5)
	if got := roundup30(hair); got != 4.1 {
		t.Errorf("roundup30(%v) = %v, want 4.1", hair, got)
	}
	if got := roundup31(hair); got != 4.0 {
		t.Errorf("roundup31(%v) = %v, want 4.0", hair, got)
	}
}

func TestCVSS3ScoreBadVectors(t *testing.T) {
	for v, want := range map[string]string{
		"AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H":                    "does not start with",
		"CVSS:2.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H":           "does not start with",
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H":               "base metric A missing",
		"CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H":           "AV:X is not a value",
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:Z/C:H/I:H/A:H":           "S:Z is not a value",
		"CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H":      "given twice",
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/FOO:1":     "unknown metric",
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:Q":       "E:Q is not a value",
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/":          "is not METRIC:VALUE",
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:H/RL:O ": "RL:O  is not a value",
	} {
		if _, err := CVSS3Score(v); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one saying %q", v, err, want)
		}
	}
	// Temporal and environmental metrics do not change the base score.
	got, err := CVSS3Score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:U/CR:L/MAV:P")
	if err != nil || got != 9.8 {
		t.Errorf("base score with temporal and environmental metrics: %v, %v; want 9.8", got, err)
	}
	// No impact, no score.
	if got, err := CVSS3Score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N"); err != nil || got != 0 {
		t.Errorf("no impact: %v, %v; want 0", got, err)
	}
}

// CVSS v4.0 base scores of vectors FIRST's calculator publishes with the specification.
func TestCVSS4Score(t *testing.T) {
	for v, want := range map[string]float64{
		"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N": 9.3,
		"CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N": 0,
	} {
		got, err := CVSS4Score(v)
		if err != nil || got != want {
			t.Errorf("%s: %v, %v; want %v", v, got, err, want)
		}
	}
	if _, err := CVSS4Score("CVSS:4.0/AV:N"); err == nil {
		t.Error("a v4 vector without its base metrics scored")
	}
}

func TestBands(t *testing.T) {
	for score, want := range map[float64]rule.Severity{
		0: rule.Info, 0.1: rule.Low, 3.9: rule.Low, 4.0: rule.Medium, 6.9: rule.Medium, 7.0: rule.High, 8.9: rule.High,
		9.0: rule.Critical, 10: rule.Critical,
	} {
		if got := bandOf(score); got != want {
			t.Errorf("bandOf(%v) = %v, want %v", score, got, want)
		}
	}
}
