package image

import (
	"strings"
	"time"
)

// EndOfLife is when an OS release stops getting security updates, from the dated
// table below.
type EndOfLife struct {
	// Date is the last day of the release's support (YYYY-MM-DD): free security
	// updates from the distribution, LTS included where the distribution runs it
	// (Debian LTS), paid extensions not (Ubuntu Pro, RHEL ELS).
	Date string `json:"date"`
	// Ended tells whether Date was past on AsOf.
	Ended bool `json:"ended"`
	// AsOf is the date the table was written: what it says is what was known then.
	AsOf string `json:"asOf"`
}

// EndedBy tells whether the release's support ended before the day of t.
func (e *EndOfLife) EndedBy(t time.Time) bool {
	return e != nil && e.Date < t.UTC().Format(time.DateOnly)
}

// eolAsOf is the date eolTable was written.
const eolAsOf = "2026-12-07"

// eolTable gives the end of support of releases by os-release ID and version: the
// VERSION_ID's first component (Debian, RHEL and its rebuilds, Amazon Linux), its first
// two (Ubuntu, Alpine). Where a distribution announces only a month, the month's last
// day is used.
var eolTable = map[string]map[string]string{
	"debian": { // Debian LTS end
		"7": "2018-05-31", "8": "2020-06-30", "9": "2022-06-30", "10": "2024-06-30",
		"11": "2026-08-31", "12": "2028-06-30", "13": "2030-06-30",
	},
	"ubuntu": { // end of standard support
		"14.04": "2019-04-25", "16.04": "2021-04-30", "18.04": "2023-05-31", "20.04": "2025-05-29",
		"22.04": "2027-04-30", "24.04": "2029-05-31", "26.04": "2031-05-31",
		"22.10": "2023-07-20", "23.04": "2024-01-25", "23.10": "2024-07-11",
		"24.10": "2025-07-10", "25.04": "2026-01-31", "25.10": "2026-07-31",
	},
	"alpine": {
		"3.10": "2021-05-01", "3.11": "2021-11-01", "3.12": "2022-05-01", "3.13": "2022-11-01",
		"3.14": "2023-05-01", "3.15": "2023-11-01", "3.16": "2024-05-23", "3.17": "2024-11-22",
		"3.18": "2025-05-09", "3.19": "2025-11-01", "3.20": "2026-04-01", "3.21": "2026-11-01",
		"3.22": "2027-05-01", "3.23": "2027-11-01",
	},
	"rhel":      {"6": "2020-11-30", "7": "2024-06-30", "8": "2029-05-31", "9": "2032-05-31", "10": "2035-05-31"},
	"rocky":     {"8": "2029-05-31", "9": "2032-05-31", "10": "2035-05-31"},
	"almalinux": {"8": "2029-03-01", "9": "2032-05-31", "10": "2035-05-31"},
	"centos":    {"6": "2020-11-30", "7": "2024-06-30", "8": "2021-12-31"},
	// CentOS Stream has the ID centos and the NAME "CentOS Stream".
	"centos-stream": {"8": "2024-05-31", "9": "2027-05-31"},
	"amzn":          {"2018.03": "2023-12-31", "2": "2026-06-30", "2023": "2029-06-30"},
}

// endOfLife looks o up in the table; nil when it does not know the release.
func endOfLife(o *OSRelease) *EndOfLife {
	id := strings.ToLower(o.ID)
	if id == "centos" && strings.Contains(o.Name, "Stream") {
		id = "centos-stream"
	}
	versions := eolTable[id]
	if versions == nil || o.VersionID == "" {
		return nil
	}
	v := o.VersionID
	parts := strings.Split(v, ".")
	switch id {
	case "ubuntu", "alpine":
		if len(parts) >= 2 {
			v = parts[0] + "." + parts[1]
		}
	case "amzn":
		// "2", "2023" and the older Amazon Linux AMI's "2018.03".
	default:
		v = parts[0]
	}
	date, ok := versions[v]
	if !ok {
		return nil
	}
	return &EndOfLife{Date: date, Ended: date < eolAsOf, AsOf: eolAsOf}
}
