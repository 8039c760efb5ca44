package vuln

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/osv-scalibr/semantic"
)

// debParity fails t when the matcher's Debian version and osv-scalibr's disagree on a
// and b: both parse or neither does, and they order the two the same way.
func debParity(t *testing.T, a, b string) {
	t.Helper()
	sa, errS := semantic.ParseDebianVersion(a)
	da, errD := parseDebVersion(a)
	if (errS == nil) != (errD == nil) {
		t.Fatalf("%q: semantic parses with %v, the matcher with %v", a, errS, errD)
	}
	if errS != nil {
		return
	}
	want, errS := sa.CompareStr(b)
	got, errD := da.CompareStr(b)
	if (errS == nil) != (errD == nil) || want != got {
		t.Fatalf("%q vs %q: semantic %d (%v), the matcher %d (%v)", a, b, want, errS, got, errD)
	}
}

// randomDebVersion makes a version of the characters Debian versions are made of, and a
// few they should not hold, in shapes real versions take.
func randomDebVersion(r *rand.Rand) string {
	const chars = "0000111229.....~~++--::abcxyzABZé_"
	var b strings.Builder
	if r.IntN(4) == 0 {
		b.WriteString([]string{"1:", "2:", "0:", "10:", "01:", "+1:", "-1:", "x:", ":"}[r.IntN(9)])
	}
	for range 1 + r.IntN(12) {
		if r.IntN(3) == 0 {
			b.WriteString([]string{"1.2.3", "2.36", "9+deb12u", "~rc", "+b", "-1", "~", "00", "18446744073709551617"}[r.IntN(9)])
			continue
		}
		b.WriteByte(chars[r.IntN(len(chars))])
	}
	return b.String()
}

// The matcher's Debian order is osv-scalibr's, which it replaces for speed: on
// versions of every shape (epochs, tildes, leading zeros, numbers beyond 64 bits, bad
// epochs, letters, non-ASCII), every pair ordered alike and the same ones refused.
func TestDebVersionParity(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 2026))
	vs := []string{"", " 1.0-1 ", "1.0", "1.0-0", "1:1.0", "1.0~rc1", "1.0+b1", "1.0-1~bpo", "2.36-9+deb12u4", "a", "~", "~~", "0", "00", "1é", "1è"}
	for range 600 {
		vs = append(vs, randomDebVersion(r))
	}
	for _, a := range vs {
		for _, b := range vs {
			debParity(t, a, b)
		}
	}
}

func FuzzDebVersion(f *testing.F) {
	for _, s := range [][2]string{{"1.0-1", "1.0-1+b1"}, {"1:2.0~rc1-3", "2.0-3"}, {"1.0é", "1.0è"}, {"0001", "1"}, {"x:1", "1"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) { debParity(t, a, b) })
}
