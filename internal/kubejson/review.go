package kubejson

import (
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Review is what DecodeReview reads of an AdmissionReview.
type Review struct {
	APIVersion, Kind string
	Request          *admissionv1.AdmissionRequest
	// Object is the request's object (Request.Object.Raw) decoded into the value
	// DecodeReview's newObject gave for the request's kind; nil when there is no object.
	Object any
}

// DecodeReview reads an AdmissionReview in one pass over body: its apiVersion, kind and
// request; of the request, the members the webhook reads (not userInfo and options) and
// the object and old object, both left raw (aliasing body); the object is also decoded,
// without its managedFields, into newObject's value for the request's kind. Unlike
// Decode it checks all of body as JSON, as json.Valid would.
//
// It reports false, for the caller to decode the review another way, for anything it
// does not take the straight way (see the package doc), for a request whose object
// comes before its kind, or whose kind newObject gives no value for (nil), and for an
// object that is not a JSON object. It never panics, whatever body is.
func DecodeReview(body []byte, newObject func(metav1.GroupVersionKind) any) (Review, bool) {
	d := decoder{data: body, checked: true, skipManagedFields: true}
	var r Review
	if !d.objectStart() {
		return r, false
	}
	var seen [3]bool // by the index of reviewNames
	for first := true; ; first = false {
		key, more, ok := d.next(first)
		if !ok {
			return r, false
		}
		if !more {
			break
		}
		i := -1
		switch string(key) {
		case "apiVersion":
			i = 0
			r.APIVersion, ok = d.str()
		case "kind":
			i = 1
			r.Kind, ok = d.str()
		case "request":
			i = 2
			r.Request, r.Object, ok = decodeRequest(&d, newObject)
		default:
			if foldKnown(key, reviewNames) {
				return r, false
			}
			ok = d.skipValue()
		}
		if !ok || i >= 0 && seen[i] {
			return r, false
		}
		if i >= 0 {
			seen[i] = true
		}
	}
	d.ws()
	return r, d.pos == len(d.data)
}

var reviewNames = []string{"apiVersion", "kind", "request"}

// requestNames are the members of a request DecodeReview knows, in the order of the
// bits of decodeRequest's seen.
var requestNames = []string{"uid", "kind", "resource", "subResource", "requestKind", "requestResource",
	"requestSubResource", "name", "namespace", "operation", "dryRun", "object", "oldObject", "userInfo", "options"}

func decodeRequest(d *decoder, newObject func(metav1.GroupVersionKind) any) (*admissionv1.AdmissionRequest, any, bool) {
	if !d.objectStart() { // null too: the caller's other way says what is wrong
		return nil, nil, false
	}
	req := &admissionv1.AdmissionRequest{}
	var object any
	var seen uint32
	for first := true; ; first = false {
		key, more, ok := d.next(first)
		if !ok {
			return nil, nil, false
		}
		if !more {
			return req, object, true
		}
		var s string
		i := -1
		switch string(key) {
		case "uid":
			i = 0
			if s, ok = d.nullableStr(); ok {
				req.UID = types.UID(s)
			}
		case "kind":
			i, ok = 1, dec_metav1_GroupVersionKind(d, &req.Kind)
		case "resource":
			i, ok = 2, dec_metav1_GroupVersionResource(d, &req.Resource)
		case "subResource":
			i = 3
			req.SubResource, ok = d.nullableStr()
		case "requestKind":
			i = 4
			if !d.null() {
				req.RequestKind = new(metav1.GroupVersionKind)
				ok = dec_metav1_GroupVersionKind(d, req.RequestKind)
			}
		case "requestResource":
			i = 5
			if !d.null() {
				req.RequestResource = new(metav1.GroupVersionResource)
				ok = dec_metav1_GroupVersionResource(d, req.RequestResource)
			}
		case "requestSubResource":
			i = 6
			req.RequestSubResource, ok = d.nullableStr()
		case "name":
			i = 7
			req.Name, ok = d.nullableStr()
		case "namespace":
			i = 8
			req.Namespace, ok = d.nullableStr()
		case "operation":
			i = 9
			if s, ok = d.nullableStr(); ok {
				req.Operation = admissionv1.Operation(s)
			}
		case "dryRun":
			i = 10
			if !d.null() {
				var b bool
				b, ok = d.boolean()
				req.DryRun = &b
			}
		case "object":
			i = 11
			if d.null() {
				break
			}
			// The API server writes the request's kind before its object: the object is
			// decoded on the way, as what the kind says.
			if seen&(1<<1) == 0 || d.peek() != '{' {
				return nil, nil, false
			}
			if object = newObject(req.Kind); object == nil {
				return nil, nil, false
			}
			start := d.pos
			if ok = decodeRoot(d, object); ok {
				req.Object.Raw = d.data[start:d.pos]
			}
		case "oldObject":
			i = 12
			if !d.null() {
				req.OldObject.Raw, ok = d.raw()
			}
		case "userInfo":
			i, ok = 13, d.skipValue()
		case "options":
			i, ok = 14, d.skipValue()
		default:
			if foldKnown(key, requestNames) {
				return nil, nil, false
			}
			ok = d.skipValue()
		}
		if !ok {
			return nil, nil, false
		}
		if i >= 0 {
			if seen&(1<<i) != 0 {
				return nil, nil, false
			}
			seen |= 1 << i
		}
	}
}

// nullableStr reads a string member as encoding/json does: null leaves it empty.
func (d *decoder) nullableStr() (string, bool) {
	if d.null() {
		return "", true
	}
	return d.str()
}
