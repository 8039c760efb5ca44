package admission

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"unicode/utf8"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/kharden/kharden/internal/config"
)

// FuzzDecodeReview feeds arbitrary bodies to the decoder and every review it accepts to
// both handlers, in a namespace that enforces every finding and mutates: nothing may
// panic, every accepted review gets a response with its UID that encodes as JSON, a
// patch is a JSON array, and no object that cannot be decoded is admitted (no wrong
// admission); whatever the one pass reads, it reads as the scan does. The seed corpus is testdata/fuzz/FuzzDecodeReview; go test replays it.
func FuzzDecodeReview(f *testing.F) {
	for _, s := range []string{
		`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","kind":{"group":"","version":"v1","kind":"Pod"},"namespace":"shop","operation":"CREATE","object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"x","securityContext":{"privileged":true}}]}}}}`,
		`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"2","kind":{"group":"apps","version":"v1","kind":"Deployment"},"namespace":"shop","operation":"UPDATE","object":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"template":{"spec":{"hostNetwork":true,"containers":[{"name":"c","image":"x"}]}}}},"oldObject":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"template":{"spec":{"containers":[{"name":"c","image":"x"}]}}}}}}`,
		`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"3","kind":{"group":"batch","version":"v1","kind":"CronJob"},"namespace":"shop","operation":"CREATE","object":{"spec":{"jobTemplate":{"spec":{"template":{"spec":{"initContainers":[{"name":"i","image":"x","securityContext":null}],"containers":[]}}}}}}}}`,
		`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"4","kind":{"kind":"Gadget"},"operation":"CREATE","object":{"metadata":{"annotations":{"ignore.kharden.io/privileged":""}}}}}`,
		`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"5","operation":"DELETE","oldObject":{}}}`,
		`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"6","kind":{"kind":"Pod","version":"v1"},"operation":"CREATE","subResource":"ephemeralcontainers","object":{"spec":{"ephemeralContainers":[{"name":"e","image":"x"}]}}}}`,
		`{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"7"}}`,
		`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`,
		`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"8","object":"x"}}`,
		`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"9","kind":{"kind":"Pod","version":"v1"},"operation":"CREATE","object":{"metadata":{"managedFields":[{"fieldsV1":{"k:{\"name\":\"a\"}":{}}}],"name":"a"},"metadata":{"name":"b","managedFields":[],"n\u0061me":"c","managedFields":[{}]},"spec":{"containers":[{"name":"\u00e9","image":"x"}]}}}}`,
		`{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"10","kind":{"group":"apps","version":"v1","kind":"Deployment"},"resource":{"group":"apps","version":"v1","resource":"deployments"},"requestKind":{"group":"apps","version":"v1","kind":"Deployment"},"requestResource":null,"name":"web","namespace":"shop","operation":"UPDATE","userInfo":{"username":"admin","groups":["system:masters"],"extra":{"x":["y"]}},"object":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","managedFields":[{"manager":"kubectl","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{}}}]},"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"c","image":"x","resources":{"limits":{"cpu":"1"}},"ports":[{"containerPort":80}]}]}}}},"oldObject":{"apiVersion":"apps/v1","kind":"Deployment"},"dryRun":false,"options":{"kind":"UpdateOptions","apiVersion":"meta.k8s.io/v1"}}}`,
		`[]`, `null`, ``, "\x00\xff", `{"a":` + `{"a":{"a":{"a":1}}}` + `}`,
	} {
		f.Add([]byte(s))
	}
	r, err := New(Options{Config: &config.Config{Admission: config.Admission{Enforce: "info", Warn: "pss-restricted", Audit: "low", Mutate: "read-only-root"}}})
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, body []byte) {
		onePassAgrees(t, body)
		review, err := DecodeReview(body)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		req := review.Request
		// An object DecodeReview vouches for is valid JSON, as decoding it then assumes.
		if s, ok := req.Object.Object.(*scanned); ok {
			if !s.of(req.Object.Raw) || !valid(req.Object.Raw) {
				t.Fatalf("object marked as scanned but not valid JSON: %q", req.Object.Raw)
			}
			// (With managedFields left in, for the generated decoder, or the object decoded
			// already, no facts are kept.)
			if ok, f := check(req.Object.Raw); ok && !s.managedFields && s.typed == nil && (f.keyEscape && !s.facts.keyEscape || f.nonASCII && !s.facts.nonASCII && !utf8.Valid(req.Object.Raw)) {
				t.Fatalf("scan facts %+v, a scan of the object alone %+v: %q", s.facts, f, req.Object.Raw)
			}
		}
		// What the scanner split agrees with encoding/json reading the same body, but for
		// the object's managedFields, which it drops.
		// (encoding/json may reject a body for a field the webhook does not read, such
		// as userInfo, which DecodeReview does not decode.)
		var std admissionv1.AdmissionReview
		if err := json.Unmarshal(body, &std); err == nil && std.Request != nil {
			compareWithStd(t, req, std.Request)
		}
		for _, d := range []Decision{r.Validate(ctx, req), r.Mutate(ctx, req)} {
			if d.Response == nil || d.Response.UID != req.UID {
				t.Fatalf("response %+v for uid %q", d.Response, req.UID)
			}
			if _, err := json.Marshal(admissionv1.AdmissionReview{Response: d.Response}); err != nil {
				t.Fatalf("response does not encode: %v", err)
			}
			if d.Response.Patch != nil {
				var ops []PatchOp
				if err := json.Unmarshal(d.Response.Patch, &ops); err != nil {
					t.Fatalf("patch is not a JSONPatch: %v", err)
				}
			}
		}
		if judged(req) {
			d := r.Validate(ctx, req)
			if _, err := decodeObject(req.Object.Raw, req.Kind, req.Namespace, req.Name); err != nil && d.Response.Allowed {
				t.Fatalf("undecodable object admitted: %v", err)
			}
		}
	})
}

// compareWithStd checks what DecodeReview split against encoding/json's reading of the
// same body, but for the object's managedFields, which DecodeReview drops.
func compareWithStd(t *testing.T, req, std *admissionv1.AdmissionRequest) {
	t.Helper()
	sreq := *std
	if sreq.UID != req.UID || sreq.Kind != req.Kind || sreq.Namespace != req.Namespace || sreq.Name != req.Name ||
		sreq.Operation != req.Operation || sreq.SubResource != req.SubResource || string(sreq.OldObject.Raw) != string(req.OldObject.Raw) {
		t.Fatalf("request differs from encoding/json's:\n%+v\n%+v", req, sreq)
	}
	var a, b any
	_ = json.Unmarshal(req.Object.Raw, &a)
	_ = json.Unmarshal(sreq.Object.Raw, &b)
	if m, ok := a.(map[string]any); ok {
		stripManaged(m)
	}
	if m, ok := b.(map[string]any); ok {
		stripManaged(m)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("object differs from encoding/json's:\n%s\n%s", req.Object.Raw, sreq.Object.Raw)
	}
}
