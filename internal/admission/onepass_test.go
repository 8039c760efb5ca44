package admission

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kharden/kharden/internal/kubejson"
	"github.com/kharden/kharden/internal/testkit"
)

// onePassAgrees checks the one-pass reading of a review (kubejson.DecodeReview) against
// the scan's (decodeReviewScanned): whenever the one pass takes a body, the body is
// valid JSON and the scan reads the same request, and the same object from it. It
// reports whether DecodeReview answers body by the one pass.
func onePassAgrees(t testing.TB, body []byte) bool {
	t.Helper()
	r, ok := kubejson.DecodeReview(body, typedFor)
	if !ok {
		return false
	}
	if !json.Valid(body) {
		t.Fatalf("one pass took invalid JSON: %q", body)
	}
	if r.APIVersion != ReviewAPIVersion || r.Kind != ReviewKind || r.Request == nil || r.Request.UID == "" {
		return false // DecodeReview leaves these to the scan, for its message
	}
	slow, err := decodeReviewScanned(body)
	if err != nil {
		t.Fatalf("one pass took what the scan refuses (%v): %q", err, body)
	}
	fast, byScan := *r.Request, *slow.Request
	fast.Object.Object, byScan.Object.Object = nil, nil
	if !reflect.DeepEqual(fast, byScan) {
		t.Fatalf("requests differ:\none pass %+v\nscan     %+v\nbody %q", fast, byScan, body)
	}
	if len(fast.Object.Raw) > 0 && &fast.Object.Raw[0] != &byScan.Object.Raw[0] {
		t.Fatalf("the one pass's object is not where the scan found it: %q", body)
	}
	if r.Object == nil {
		return true
	}
	one, err := decodeScanned(r.Request.Object.Raw, &scanned{raw: r.Request.Object.Raw, typed: r.Object},
		r.Request.Kind, r.Request.Namespace, r.Request.Name)
	if err != nil {
		t.Fatalf("one pass: %v", err)
	}
	two, err := requestObject(slow.Request)
	if err != nil {
		t.Fatalf("the scan cannot decode an object the one pass decoded (%v): %q", err, body)
	}
	if !reflect.DeepEqual(one, two) {
		t.Fatalf("objects differ:\none pass %+v\nscan     %+v\nbody %q", one.typed, two.typed, body)
	}
	return true
}

// TestOnePassSameAsScan reads every rule fixture and PSA conformance pod (pods also
// wrapped as each controller), sent as the API server sends them (managedFields, user
// info, an old object on updates), both ways: the one pass takes every review of a kind
// it decodes, and reads each as the scan does.
func TestOnePassSameAsScan(t *testing.T) {
	var srcs [][]byte
	for _, run := range ruleFixtureRuns(t) {
		if run.level != "info" { // every run has the same cases
			continue
		}
		for _, c := range run.cases {
			srcs = append(srcs, c.src)
		}
	}
	psa, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "conformance", "psa", "testdata", "*", "v1.3[0-9]", "*", "*.yaml"))
	if len(psa) < 100 {
		t.Fatalf("only %d PSA conformance pods found (../shared/conformance/psa beside the checkout)", len(psa))
	}
	for _, f := range psa {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, src)
		if out, _, ok := testkit.WrapPod(src, "Deployment"); ok {
			srcs = append(srcs, out)
		}
	}
	took, typed := 0, 0
	for _, src := range srcs {
		req, err := requestFor(src)
		if err != nil {
			continue // not one object (the fixtures of bad input)
		}
		for _, op := range []admissionv1.Operation{admissionv1.Create, admissionv1.Update} {
			body := apiServerReview(t, req, op)
			if took < 100 { // some with whitespace everywhere JSON allows it
				var indented bytes.Buffer
				if err := json.Indent(&indented, body, " \r", "\t "); err != nil {
					t.Fatal(err)
				}
				if !onePassAgrees(t, indented.Bytes()) && typedFor(req.Kind) != nil {
					t.Errorf("one pass did not take an indented %s review: %s", req.Kind.Kind, indented.Bytes())
				}
			}
			if onePassAgrees(t, body) {
				took++
			} else if typedFor(req.Kind) != nil {
				t.Errorf("one pass did not take a %s review: %s", req.Kind.Kind, body)
			}
			if typedFor(req.Kind) != nil {
				typed++
			}
		}
	}
	if typed < 1000 {
		t.Fatalf("only %d reviews of the kinds the one pass decodes", typed)
	}
	t.Logf("the one pass took %d of %d reviews (%d of kinds it decodes), each read as the scan reads it", took, 2*len(srcs), typed)
}

// apiServerReview is req as the API server sends it for op: with managedFields in the
// object, the user, the options, and on an update the old object.
func apiServerReview(t testing.TB, req *admissionv1.AdmissionRequest, op admissionv1.Operation) []byte {
	t.Helper()
	var obj map[string]any
	if err := json.Unmarshal(req.Object.Raw, &obj); err != nil {
		t.Fatal(err)
	}
	meta, _ := obj["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		obj["metadata"] = meta
	}
	meta["managedFields"] = []any{map[string]any{"manager": "kubectl", "operation": "Update", "apiVersion": "v1",
		"fieldsType": "FieldsV1", "fieldsV1": map[string]any{"f:metadata": map[string]any{"f:labels": map[string]any{".": map[string]any{}}}}}}
	raw, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	r := *req
	r.Operation = op
	r.Object.Raw = raw
	r.RequestKind, r.Resource = &r.Kind, metav1.GroupVersionResource{Group: r.Kind.Group, Version: r.Kind.Version, Resource: "things"}
	r.UserInfo = authenticationv1.UserInfo{Username: "kubernetes-admin", Groups: []string{"system:masters", "system:authenticated"},
		Extra: map[string]authenticationv1.ExtraValue{"x": {"y"}}}
	dry := false
	r.DryRun = &dry
	if op == admissionv1.Update {
		r.OldObject.Raw = raw
	}
	body, err := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: ReviewAPIVersion, Kind: ReviewKind},
		Request:  &r,
	})
	if err != nil {
		t.Fatal(err)
	}
	return body
}
