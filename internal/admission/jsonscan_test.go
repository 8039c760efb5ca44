package admission

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// FuzzJSONScan compares the scanner with encoding/json: the same inputs are valid, an
// object splits into the members encoding/json sees (the last of duplicate keys), and
// dropping managedFields leaves valid JSON that differs only by it.
func FuzzJSONScan(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `""`, `0`, `-0.5e+10`, `true`, `null`, ` {"a" : [1, 2.0, "x\u00e9\n"], "b": {"c": null}} `,
		`{"metadata":{"name":"p","managedFields":[{"manager":"m"}],"labels":{"a":"b"}},"spec":{}}`,
		`{"metadata":{"managedFields":[]}}`, `{"metadata":{"a":1,"managedFields":[]}}`, `{"a":1,"a":2}`,
		`{"\u006detadata":{"ManagedFields":1}}`, `{"a":01}`, `{"a":1.}`, `{"a":"\x01"}`, `[1,]`, `{"a":1,}`, "\"\xff\"",
		`{"a":tru}`, `{"a":"\u12"}`, `{"a" 1}`, `{1:2}`, `[[[[[]]]]]`, strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := valid(data), json.Valid(data); got != want {
			t.Fatalf("valid %v, json.Valid %v: %q", got, want, data)
		}
		ms, err := splitObject(data)
		var m map[string]json.RawMessage
		jerr := json.Unmarshal(data, &m)
		if (err == nil) != (jerr == nil && m != nil) {
			t.Fatalf("splitObject error %v, encoding/json error %v: %q", err, jerr, data)
		}
		if err != nil {
			return
		}
		last := map[string][]byte{}
		for _, mb := range ms {
			last[mb.key] = data[mb.valueStart:mb.end]
		}
		if len(last) != len(m) {
			t.Fatalf("%d keys, encoding/json %d: %q", len(last), len(m), data)
		}
		for k, v := range m {
			if !bytes.Equal(last[k], v) {
				t.Fatalf("key %q: %q, encoding/json %q", k, last[k], v)
			}
		}
		out := withoutManagedFields(data)
		if !json.Valid(out) {
			t.Fatalf("withoutManagedFields made invalid JSON: %q -> %q", data, out)
		}
		var before, after map[string]any
		_ = json.Unmarshal(data, &before)
		_ = json.Unmarshal(out, &after)
		stripManaged(before)
		stripManaged(after)
		if !reflect.DeepEqual(before, after) {
			t.Fatalf("withoutManagedFields changed more than managedFields: %q -> %q", data, out)
		}
	})
}

// stripManaged removes managedFields, however spelt, from every metadata key that
// encoding/json matches: the only thing withoutManagedFields may remove.
func stripManaged(obj map[string]any) {
	for k, v := range obj {
		if !strings.EqualFold(k, "metadata") {
			continue
		}
		if meta, ok := v.(map[string]any); ok {
			for mk := range meta {
				if strings.EqualFold(mk, "managedFields") {
					delete(meta, mk)
				}
			}
		}
	}
}

func TestWithoutManagedFields(t *testing.T) {
	for in, want := range map[string]string{
		`{"metadata":{"name":"p","managedFields":[{"manager":"m"}],"labels":{"a":"b"}},"spec":{}}`: `{"metadata":{"name":"p","labels":{"a":"b"}},"spec":{}}`,
		`{"metadata":{"name":"p","managedFields":[]}}`:                                             `{"metadata":{"name":"p"}}`,
		`{"metadata":{"managedFields":[]}}`:                                                        `{"metadata":{}}`,
		`{"metadata":{"managedFields":[],"name":"p"}}`:                                             `{"metadata":{"name":"p"}}`,
		`{"metadata":"x"}`: `{"metadata":"x"}`,
		`not json`:         `not json`,
	} {
		if got := string(withoutManagedFields([]byte(in))); got != want {
			t.Errorf("%s:\n got %s\nwant %s", in, got, want)
		}
	}
}
