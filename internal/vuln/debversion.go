package vuln

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
	"unicode/utf8"

	"github.com/google/osv-scalibr/semantic"
)

// debVersion is a Debian (and Ubuntu) version, split once into epoch, upstream version
// and revision, and compared without allocating. It orders versions exactly as
// osv-scalibr's semantic.DebianVersion does (TestDebVersionParity), which is dpkg's
// order (TestDebianVersionOrder): semantic's comparison splits the strings and parses
// every digit run into a big.Int on each comparison, the matcher's main cost on Debian
// inventories.
type debVersion struct {
	epoch              *big.Int
	upstream, revision string
}

var _ semantic.Version = debVersion{}

var zeroEpoch = big.NewInt(0)

// parseDebVersion parses as semantic.ParseDebianVersion does: surrounding space
// trimmed; an epoch before the first colon, a decimal integer (an error otherwise); the
// revision after the last hyphen, "0" without one.
func parseDebVersion(s string) (debVersion, error) {
	s = strings.TrimSpace(s)
	v := debVersion{epoch: zeroEpoch}
	if e, rest, ok := strings.Cut(s, ":"); ok {
		n, ok := new(big.Int).SetString(e, 10)
		if !ok {
			return debVersion{}, fmt.Errorf("%w: failed to convert %s to a number", semantic.ErrInvalidVersion, e)
		}
		v.epoch, s = n, rest
	}
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		v.upstream, v.revision = s[:i], s[i+1:]
	} else {
		v.upstream, v.revision = s, "0"
	}
	return v, nil
}

func (v debVersion) compare(w debVersion) int {
	if c := v.epoch.Cmp(w.epoch); c != 0 {
		return c
	}
	if c := debCompare(v.upstream, w.upstream); c != 0 {
		return c
	}
	return debCompare(v.revision, w.revision)
}

var errNotDebian = errors.New("not a Debian version")

// Compare compares v with w, a debVersion.
func (v debVersion) Compare(w semantic.Version) (int, error) {
	d, ok := w.(debVersion)
	if !ok {
		return 0, fmt.Errorf("%w: %w", semantic.ErrNotSameEcosystem, errNotDebian)
	}
	return v.compare(d), nil
}

// CompareStr compares v with s parsed as a Debian version.
func (v debVersion) CompareStr(s string) (int, error) {
	w, err := parseDebVersion(s)
	if err != nil {
		return 0, err
	}
	return v.compare(w), nil
}

// debWeight is the weight of a character of a non-digit run (its first byte, for a
// multi-byte one): a tilde before the end of the run, the end before letters, letters
// before everything else.
func debWeight(s string, i int) (weight, size int) {
	if i >= len(s) {
		return 2, 0
	}
	_, size = utf8.DecodeRuneInString(s[i:])
	c := int(s[i])
	switch {
	case c == '~':
		return 1, size
	case c < 'A' || (c > 'Z' && c < 'a') || c > 'z':
		return c + 122, size
	}
	return c, size
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// debCompare compares upstream versions or revisions as dpkg does: alternately a run of
// non-digits, character by character by weight, and a run of digits, as numbers.
func debCompare(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		// The non-digit runs.
		ie, je := i, j
		for ie < len(a) && !isDigit(a[ie]) {
			ie++
		}
		for je < len(b) && !isDigit(b[je]) {
			je++
		}
		if a[i:ie] != b[j:je] {
			x, y := i, j
			for x < ie || y < je {
				wa, na := debWeight(a[:ie], x)
				wb, nb := debWeight(b[:je], y)
				if wa != wb {
					if wa < wb {
						return -1
					}
					return 1
				}
				x, y = x+na, y+nb
			}
		}
		i, j = ie, je
		// The digit runs, as numbers: leading zeros dropped, the longer the larger,
		// else digit by digit.
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		ie, je = i, j
		for ie < len(a) && isDigit(a[ie]) {
			ie++
		}
		for je < len(b) && isDigit(b[je]) {
			je++
		}
		if ie-i != je-j {
			if ie-i < je-j {
				return -1
			}
			return 1
		}
		if c := strings.Compare(a[i:ie], b[j:je]); c != 0 {
			return c
		}
		i, j = ie, je
	}
	return 0
}
