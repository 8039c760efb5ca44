package config

import (
	"strings"
	"testing"
)

// A config found in a scanned tree is someone else's text; what a parse error quotes
// of it reaches the terminal, so it comes escaped.
func TestParseErrorsEscapeControlCharacters(t *testing.T) {
	for _, doc := range []string{
		`rules: "\e[2J\rforged"`,      // a value quoted by a type error
		`"\e]0;title\a\u202e": 1`,     // an unknown field's name
		`rules: {disable: ["\e[2J"]}`, // an unknown rule (already %q)
		`failOn: "\e[2J\u2066"`,       // an unknown severity (already %q)
	} {
		c, err := Parse("c.yaml", []byte(doc+"\n"))
		if err == nil {
			_, err = c.Resolve(func(s string) (string, bool) { return s, false })
		}
		if err == nil {
			t.Errorf("%s: no error", doc)
			continue
		}
		msg := err.Error()
		if strings.ContainsAny(msg, "\x1b\r\a\u202e\u2066") {
			t.Errorf("%s: error %q holds a raw control or bidi character", doc, msg)
		}
		if !strings.Contains(msg, `\x1b`) {
			t.Errorf("%s: error %q does not show the escape", doc, msg)
		}
	}
}

func TestImagesSection(t *testing.T) {
	c, err := Parse("c.yaml", []byte("images:\n  maxExposedPorts: 5\n  maxLayers: 30\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Resolve(func(s string) (string, bool) { return s, true }); err != nil {
		t.Fatal(err)
	}
	if c.Images.MaxExposedPorts != 5 || c.Images.MaxLayers != 30 {
		t.Errorf("images = %+v, want 5 ports and 30 layers", c.Images)
	}
	for _, tc := range []struct{ doc, want string }{
		{"failOn: high\nimages:\n  maxLayers: -1\n", "c.yaml:3: images.maxLayers: -1 is negative"},
		{"images:\n  maxExposedPorts: -2\n", "c.yaml:2: images.maxExposedPorts: -2 is negative"},
		{"images:\n  maxLayers: many\n", "c.yaml:2: "},
		{"images:\n  maxLayer: 3\n", "c.yaml:2: "},
	} {
		c, err := Parse("c.yaml", []byte(tc.doc))
		if err == nil {
			_, err = c.Resolve(func(s string) (string, bool) { return s, true })
		}
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to start with %q", tc.doc, err, tc.want)
		}
	}
}

// vulnerabilities.maxDBAge is checked wherever the config is resolved, not only where
// matching runs: a bad age is an error at its line.
func TestMaxDBAge(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"vulnerabilities:\n  maxDBAge: 14d\n", ""},
		{"vulnerabilities:\n  maxDBAge: 1d12h\n", ""},
		{"failOn: high\nvulnerabilities:\n  maxDBAge: a week\n", `c.yaml:3: vulnerabilities.maxDBAge: "a week" is not an age`},
		{"vulnerabilities:\n  ignore: []\n  maxDBAge: 0d\n", `c.yaml:3: vulnerabilities.maxDBAge: "0d" is not an age (7d, 36h, 1d12h): it must be more than nothing`},
	} {
		c, err := Parse("c.yaml", []byte(tc.doc))
		if err != nil {
			t.Fatalf("%q: %v", tc.doc, err)
		}
		_, err = c.Resolve(func(s string) (string, bool) { return s, true })
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.doc, err)
		case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
			t.Errorf("%q: error %v, want it to start with %q", tc.doc, err, tc.want)
		}
	}
}
