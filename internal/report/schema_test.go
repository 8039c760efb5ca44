package report

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kharden/kharden/internal/rule"
)

// compileSchema compiles the JSON Schema in file, with format assertions on, so that
// "uri" and "uri-reference" values are checked too.
func compileSchema(t *testing.T, file string) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("file:///"+file, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("file:///" + file)
	if err != nil {
		t.Fatalf("compiling %s: %v", file, err)
	}
	return sch
}

func validate(sch *jsonschema.Schema, doc []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

// breakDoc decodes doc, lets f damage it and encodes it again.
func breakDoc(t *testing.T, doc []byte, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func emptyReport() *Report { return &Report{FailOn: rule.High} }

func TestJSONMatchesDocumentedSchema(t *testing.T) {
	sch := compileSchema(t, "../../docs/schema/report.schema.json")
	for name, rep := range map[string]*Report{"fixture": fixture(), "empty": emptyReport()} {
		if err := validate(sch, render(t, rep, "json", Options{})); err != nil {
			t.Errorf("%s report does not match docs/schema/report.schema.json:\n%v", name, err)
		}
	}

	// The schema has teeth: damaged reports are rejected.
	good := render(t, fixture(), "json", Options{})
	for name, damage := range map[string]func(m map[string]any){
		"results null":     func(m map[string]any) { m["results"] = nil },
		"no summary":       func(m map[string]any) { delete(m, "summary") },
		"unknown field":    func(m map[string]any) { m["extra"] = 1 },
		"bad severity":     func(m map[string]any) { m["results"].([]any)[0].(map[string]any)["severity"] = "severe" },
		"result w/o rule":  func(m map[string]any) { delete(m["results"].([]any)[0].(map[string]any), "ruleID") },
		"unsuppressed sup": func(m map[string]any) { delete(m["suppressed"].([]any)[0].(map[string]any), "suppression") },
	} {
		if err := validate(sch, breakDoc(t, good, damage)); err == nil {
			t.Errorf("schema accepted a report with %s", name)
		}
	}
}

func TestJSONEmptyListsAreArrays(t *testing.T) {
	out := string(render(t, emptyReport(), "json", Options{}))
	for _, key := range []string{"results", "suppressed", "errors", "notes"} {
		if !strings.Contains(out, `"`+key+`": []`) {
			t.Errorf("empty %s is not rendered as []:\n%s", key, out)
		}
	}
	if strings.Contains(out, "null") {
		t.Errorf("empty report contains null:\n%s", out)
	}
	rep := fixture()
	rep.Results[0].Meta = &rule.Meta{ID: "KM-0099", Slug: "no-practices", Title: "t"}
	if out := string(render(t, rep, "json", Options{})); strings.Contains(out, "null") {
		t.Errorf("a rule without practices renders null:\n%s", out)
	}
}

// The JSON result carries exactly the documented keys.
func TestJSONResultKeys(t *testing.T) {
	var doc struct {
		Results    []map[string]json.RawMessage `json:"results"`
		Suppressed []map[string]json.RawMessage `json:"suppressed"`
	}
	if err := json.Unmarshal(render(t, fixture(), "json", Options{}), &doc); err != nil {
		t.Fatal(err)
	}
	want := "location,message,practices,ruleID,severity,slug,status,title"
	for _, r := range doc.Results {
		if got := sortedKeys(r); got != want {
			t.Errorf("result keys = %s, want %s", got, want)
		}
	}
	for _, r := range doc.Suppressed {
		if got := sortedKeys(r); got != want[:len("location,message,practices,ruleID,severity,slug,status")]+",suppression,title" {
			t.Errorf("suppressed result keys = %s", got)
		}
	}
}

func sortedKeys(m map[string]json.RawMessage) string {
	return strings.Join(slices.Sorted(maps.Keys(m)), ",")
}

// The example in docs/output-json.md is a valid report too.
func TestJSONDocExampleMatchesSchema(t *testing.T) {
	doc, err := os.ReadFile("../../docs/output-json.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```json\n")
	example, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("docs/output-json.md has no ```json example")
	}
	if err := validate(compileSchema(t, "../../docs/schema/report.schema.json"), []byte(example)); err != nil {
		t.Errorf("the example in docs/output-json.md does not match the schema:\n%v", err)
	}
}
