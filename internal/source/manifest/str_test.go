package manifest

import (
	"testing"

	kjson "sigs.k8s.io/json"
)

// str's shortcut must give what the JSON decoder gives, for every input: the decoder is
// the reference, and the shortcut only takes literals that need no decoding.
func TestStrAsDecoder(t *testing.T) {
	for _, raw := range []string{
		`"web"`, `""`, `"kube-system"`, `"é ünïcode 名前"`, `"a\"b"`, `"a\\b"`, `"\u0041"`,
		`"tab` + "\t" + `"`, `"nul` + "\x00" + `"`, `"bad` + "\xff" + `"`, `"half` + "\xe2\x82" + `"`,
		`"a"b"`, `"a" `, `"a`, `"`, `1`, `null`, `{"a":1}`, `"a"x`, `"\ud800"`, `"` + "\x7f" + `"`,
	} {
		want := ""
		var s string
		if kjson.UnmarshalCaseSensitivePreserveInts([]byte(raw), &s) == nil {
			want = s
		}
		if raw == "" || raw[0] != '"' {
			want = ""
		}
		if got := str([]byte(raw)); got != want {
			t.Errorf("str(%q) = %q, the decoder gives %q", raw, got, want)
		}
	}
}

func FuzzStrAsDecoder(f *testing.F) {
	f.Add([]byte(`"web"`))
	f.Add([]byte(`"a\nb"`))
	f.Add([]byte("\"\xff\""))
	f.Fuzz(func(t *testing.T, raw []byte) {
		want := ""
		var s string
		if len(raw) > 0 && raw[0] == '"' && kjson.UnmarshalCaseSensitivePreserveInts(raw, &s) == nil {
			want = s
		}
		if got := str(raw); got != want {
			t.Errorf("str(%q) = %q, the decoder gives %q", raw, got, want)
		}
	})
}
