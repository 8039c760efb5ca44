package image

import (
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestEndOfLife(t *testing.T) {
	for _, tc := range []struct {
		release string
		// key is the table entry the release must be found at, "" for none.
		id, key string
	}{
		{debianRelease, "debian", "12"},
		{rhelRelease, "rhel", "9"},
		{"ID=alpine\nVERSION_ID=3.18.4\n", "alpine", "3.18"},
		{"ID=alpine\nVERSION_ID=3.99.0\n", "", ""},
		{"ID=ubuntu\nVERSION_ID=\"20.04\"\n", "ubuntu", "20.04"},
		{"NAME=\"CentOS Stream\"\nID=\"centos\"\nVERSION_ID=\"9\"\n", "centos-stream", "9"},
		{"NAME=\"CentOS Linux\"\nID=\"centos\"\nVERSION_ID=\"8\"\n", "centos", "8"},
		{"ID=\"rocky\"\nVERSION_ID=\"8.9\"\n", "rocky", "8"},
		{"ID=\"amzn\"\nVERSION_ID=\"2\"\n", "amzn", "2"},
		{"ID=\"amzn\"\nVERSION_ID=\"2018.03\"\n", "amzn", "2018.03"},
		{"ID=debian\nPRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\n", "", ""}, // testing: no VERSION_ID
		{"ID=fedora\nVERSION_ID=40\n", "", ""},
	} {
		img := imageOf(t, v1.Config{}, "amd64", step{"ADD rootfs.tar /", []file{reg("etc/os-release", tc.release)}})
		im := scan(t, "oci:"+writeLayout(t, img), Options{})
		got := im.OS.EndOfLife
		if tc.id == "" {
			if got != nil {
				t.Errorf("%q: %+v, want none", tc.release, got)
			}
			continue
		}
		date := eolTable[tc.id][tc.key]
		if got == nil || got.Date != date || got.AsOf != eolAsOf || got.Ended != (date < eolAsOf) {
			t.Errorf("%q: %+v, want %s from the table of %s", tc.release, got, date, eolAsOf)
			continue
		}
		d, err := time.Parse(time.DateOnly, got.Date)
		if err != nil {
			t.Fatal(err)
		}
		if got.EndedBy(d) || !got.EndedBy(d.AddDate(0, 0, 1)) {
			t.Errorf("%s: EndedBy is wrong around its date", got.Date)
		}
	}
	// Every date of the table is a real day.
	for id, versions := range eolTable {
		for v, d := range versions {
			if _, err := time.Parse(time.DateOnly, d); err != nil {
				t.Errorf("%s %s: %v", id, v, err)
			}
		}
	}
}
