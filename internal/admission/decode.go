package admission

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	jsoniter "github.com/json-iterator/go"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kharden/kharden/internal/kube"
	"github.com/kharden/kharden/internal/kubejson"
	"github.com/kharden/kharden/internal/rule"
)

// ReviewAPIVersion and ReviewKind are the only AdmissionReview the webhook reads.
const (
	ReviewAPIVersion = "admission.k8s.io/v1"
	ReviewKind       = "AdmissionReview"
)

// DecodeError is an AdmissionReview that cannot be answered: not JSON, another
// apiVersion or kind, no request or no UID. The webhook answers it with HTTP 400.
type DecodeError struct{ Msg string }

func (e *DecodeError) Error() string { return "bad AdmissionReview: " + e.Msg }

// DecodeReview reads an AdmissionReview v1 that carries a request. It never panics on
// any input: everything it cannot answer is a *DecodeError. Keys match as in
// encoding/json: case-insensitively, the last of duplicates winning. The object and old
// object stay raw (and alias body) in the request; Review decodes them.
//
// Most reviews are read in one pass by the generated decoder (kubejson.DecodeReview),
// which also decodes the object on the way; whatever it does not take (errors among
// them) is read as follows, with the same result where both read a review.
func DecodeReview(body []byte) (*admissionv1.AdmissionReview, error) {
	if r, ok := kubejson.DecodeReview(body, typedFor); ok && r.APIVersion == ReviewAPIVersion &&
		r.Kind == ReviewKind && r.Request != nil && r.Request.UID != "" {
		if r.Object != nil {
			r.Request.Object.Object = &scanned{raw: r.Request.Object.Raw, typed: r.Object}
		}
		return &admissionv1.AdmissionReview{
			TypeMeta: metav1.TypeMeta{APIVersion: r.APIVersion, Kind: r.Kind},
			Request:  r.Request,
		}, nil
	}
	return decodeReviewScanned(body)
}

// typedFor is the typed struct decodeScanned decodes an object of gvk into, when the
// generated decoders know it.
func typedFor(gvk metav1.GroupVersionKind) any {
	// Without a kind the object's own apiVersion and kind decide; kinds the generated
	// decoders do not know by name (older API groups) lose their managedFields first.
	if gvk.Kind == "" || !kubejson.SupportsKind(gvk.Group, gvk.Kind) {
		return nil
	}
	if t := kube.New(apiVersionOf(gvk), gvk.Kind); t != nil && kubejson.Supports(t) {
		return t
	}
	return nil
}

// apiVersionOf is the apiVersion of a request's kind.
func apiVersionOf(gvk metav1.GroupVersionKind) string {
	if gvk.Group != "" {
		return gvk.Group + "/" + gvk.Version
	}
	return gvk.Version
}

// decodeReviewScanned is DecodeReview by a scan that checks the whole body as JSON and
// splits it (jsonscan.go), the request's fields then decoded by encoding/json.
func decodeReviewScanned(body []byte) (*admissionv1.AdmissionReview, error) {
	// One pass splits the review, its request, the request's object and the object's
	// metadata, so that managedFields can be dropped without another.
	lists := memberLists.Get().(*[4][16]member) // room for the members of a usual review
	defer func() {
		clear(lists[:]) // keep no keys (or the bodies they point into) alive
		memberLists.Put(lists)
	}()
	reqMembers, objMembers, metaMembers := lists[1][:0], lists[2][:0], lists[3][:0]
	top, err := splitNestedInto(body, lists[0][:0], func(key string) (*[]member, nest) {
		if !strings.EqualFold(key, "request") {
			return nil, nil
		}
		return &reqMembers, func(key string) (*[]member, nest) {
			if !strings.EqualFold(key, "object") {
				return nil, nil
			}
			return &objMembers, metadataOnly(&metaMembers)
		}
	})
	if err != nil {
		if errors.Is(err, errNotObject) {
			return nil, &DecodeError{Msg: "not a JSON object"}
		}
		return nil, &DecodeError{Msg: jsonError(err)}
	}
	var review admissionv1.AdmissionReview
	var request []byte
	for _, m := range top {
		v := body[m.valueStart:m.end]
		var err error
		switch {
		case strings.EqualFold(m.key, "apiVersion"):
			err = json.Unmarshal(v, &review.APIVersion)
		case strings.EqualFold(m.key, "kind"):
			err = json.Unmarshal(v, &review.Kind)
		case strings.EqualFold(m.key, "request"):
			request = v
		}
		if err != nil {
			return nil, &DecodeError{Msg: fmt.Sprintf("%s: %s", m.key, jsonError(err))}
		}
	}
	switch {
	case review.APIVersion != ReviewAPIVersion:
		return nil, &DecodeError{Msg: fmt.Sprintf("apiVersion %q: want %s", review.APIVersion, ReviewAPIVersion)}
	case review.Kind != ReviewKind:
		return nil, &DecodeError{Msg: fmt.Sprintf("kind %q: want %s", review.Kind, ReviewKind)}
	case request == nil || isNull(request):
		return nil, &DecodeError{Msg: "no request"}
	case request[0] != '{':
		return nil, &DecodeError{Msg: "request is not an object"}
	}
	req, err := decodeRequest(body, reqMembers, objMembers, metaMembers)
	if err != nil {
		return nil, &DecodeError{Msg: "request: " + jsonError(err)}
	}
	if req.UID == "" {
		return nil, &DecodeError{Msg: "request has no uid"}
	}
	review.Request = req
	return &review, nil
}

// memberLists are DecodeReview's scratch lists of members, used only while it runs: at
// thousands of requests a second every allocation saved is collections saved.
var memberLists = sync.Pool{New: func() any { return new([4][16]member) }}

// requestFields are the request's members the webhook reads; the others (userInfo,
// options) are checked as JSON by the scanner but not decoded.
var requestFields = []string{"uid", "kind", "resource", "subResource", "requestKind", "requestResource",
	"requestSubResource", "name", "namespace", "operation", "dryRun"}

// decodeRequest decodes a request's members (positions in body) with encoding/json: the
// fields the webhook reads, with the object and old object left raw.
func decodeRequest(body []byte, ms, objMembers, metaMembers []member) (*admissionv1.AdmissionRequest, error) {
	rest := make([]byte, 0, 512)
	rest = append(rest, '{')
	var object, oldObject []byte
	var split bool
	var objStart, objEnd int
	for _, m := range ms {
		v := body[m.valueStart:m.end]
		switch {
		case strings.EqualFold(m.key, "object"):
			if !isNull(v) { // as runtime.RawExtension: null leaves the value as it was
				object, split = v, false
				if v[0] == '{' { // the last "object" that is an object: the one split
					objStart, objEnd, split = m.valueStart, m.end, true
				}
			}
		case strings.EqualFold(m.key, "oldObject"):
			if !isNull(v) {
				oldObject = v
			}
		case slices.ContainsFunc(requestFields, func(f string) bool { return strings.EqualFold(f, m.key) }):
			if len(rest) > 1 {
				rest = append(rest, ',')
			}
			rest = append(rest, body[m.start:m.end]...)
		}
	}
	rest = append(rest, '}')
	var req admissionv1.AdmissionRequest
	if err := decodeChecked(rest, &req); err != nil {
		return nil, err
	}
	if split {
		if kubejson.SupportsKind(req.Kind.Group, req.Kind.Kind) {
			// The generated decoder skips managedFields itself: no copy without them.
			req.Object.Object = &scanned{raw: object, managedFields: true}
		} else {
			object = dropManagedFields(body, objStart, objEnd, objMembers, metaMembers)
			// What a scan of the object alone would see, in two quick passes: the body's
			// other parts (managedFields with their escaped keys) do not count.
			req.Object.Object = &scanned{raw: object,
				facts: facts{nonASCII: !utf8.Valid(object), keyEscape: bytes.IndexByte(object, '\\') >= 0}}
		}
	}
	req.Object.Raw, req.OldObject.Raw = object, oldObject
	return &req, nil
}

// jsonError shortens the messages of encoding/json, which can quote huge values.
func jsonError(err error) string {
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200] + "..."
	}
	return "not JSON: " + msg
}

// object is the object of a request, decoded as the scan decodes a manifest.
type object struct {
	id    rule.Object
	typed any // a typed API struct (kube.New), or *metav1.PartialObjectMetadata
	meta  *metav1.ObjectMeta
}

// decodeObject decodes raw JSON into the typed struct of its kind, as kharden scan does
// (kube.New); kinds kharden does not type keep only their metadata, which suppressions
// and namespace rules read. gvk and namespace come from the request and fill in what the
// object leaves out.
func decodeObject(raw []byte, gvk metav1.GroupVersionKind, namespace, name string) (*object, error) {
	return decodeScanned(raw, nil, gvk, namespace, name)
}

// requestObject is decodeObject of a request's object, which skips what DecodeReview
// has already done for it.
func requestObject(req *admissionv1.AdmissionRequest) (*object, error) {
	s, _ := req.Object.Object.(*scanned)
	return decodeScanned(req.Object.Raw, s, req.Kind, req.Namespace, req.Name)
}

// scanned marks a request's object that DecodeReview has checked as JSON and stripped
// of managedFields, with what its scan saw, so that decoding it does neither again. It
// rides in the request's RawExtension.Object, which nothing else reads on a request.
type scanned struct {
	raw   []byte // the object it vouches for
	facts facts
	// managedFields: raw still has them, for the generated decoder to skip (a kind
	// kubejson decodes); facts are then unknown.
	managedFields bool
	// typed: raw already decoded (by kubejson.DecodeReview), into what kube.New gives
	// for the request's kind.
	typed any
}

func (*scanned) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

func (s *scanned) DeepCopyObject() runtime.Object { c := *s; return &c }

// of tells whether s vouches for raw: the very bytes it was made for.
func (s *scanned) of(raw []byte) bool {
	return s != nil && len(raw) > 0 && len(s.raw) == len(raw) && &s.raw[0] == &raw[0]
}

// decodeScanned is decodeObject, given what DecodeReview saw of raw (nil: nothing).
func decodeScanned(raw []byte, s *scanned, gvk metav1.GroupVersionKind, namespace, name string) (*object, error) {
	if len(raw) == 0 {
		return nil, errors.New("the request has no object")
	}
	// The API server sends the object in the version the request names; only a request
	// without a kind makes the object's own apiVersion and kind worth a first pass.
	apiVersion, kind := apiVersionOf(gvk), gvk.Kind
	if kind == "" {
		var tm metav1.TypeMeta
		if err := json.Unmarshal(raw, &tm); err != nil {
			return nil, fmt.Errorf("object: %s", jsonError(err))
		}
		apiVersion, kind = tm.APIVersion, tm.Kind
	}
	var typed any
	decoded := s.of(raw) && s.typed != nil
	if decoded {
		typed = s.typed
	} else if typed = kube.New(apiVersion, kind); typed == nil {
		typed = &metav1.PartialObjectMetadata{}
	}
	var err error
	switch {
	case decoded: // with the review, by kubejson.DecodeReview
	case s.of(raw) && s.managedFields:
		if !kubejson.DecodeWithoutManagedFields(raw, typed) {
			reset(typed)
			err = decodeTyped(withoutManagedFields(raw), typed)
		}
	case s.of(raw):
		err = decodeFast(raw, typed, s.facts)
	default:
		err = decodeTyped(withoutManagedFields(raw), typed)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %s", apiVersion, kind, jsonError(err))
	}
	// Name the object as it names itself, as the scan does.
	if o, ok := typed.(interface{ GetObjectKind() schema.ObjectKind }); ok {
		if own := o.GetObjectKind().GroupVersionKind(); own.Kind != "" {
			apiVersion, kind = own.GroupVersion().String(), own.Kind
		}
	}
	// An unknown kind with a pod template where controllers keep one is judged through
	// it, as the scan judges it (kube.Generic); one whose template is malformed is left
	// as metadata, which no workload rule reads.
	if p, ok := typed.(*metav1.PartialObjectMetadata); ok {
		t, err := kube.Generic(func(into any) error { return decodeTyped(withoutManagedFields(raw), into) })
		if err == nil && t != nil {
			t.ObjectMeta = p.ObjectMeta
			typed = t
		}
	}
	tm := metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}
	meta := kube.Meta(typed)
	if meta == nil { // cannot happen for kube.New's types; keep the engine safe anyway
		meta = &metav1.ObjectMeta{}
	}
	// The API server places the object in the request's namespace before admission.
	if meta.Namespace == "" && kube.Namespaced(tm.APIVersion, tm.Kind) {
		meta.Namespace = namespace
	}
	if meta.Name == "" {
		meta.Name = name
	}
	display := meta.Name
	if display == "" && meta.GenerateName != "" {
		display = meta.GenerateName + "<generated>"
	}
	return &object{
		id:    rule.Object{APIVersion: tm.APIVersion, Kind: tm.Kind, Namespace: meta.Namespace, Name: display},
		typed: typed,
		meta:  meta,
	}, nil
}

// fastJSON decodes typed objects about twice as fast as encoding/json, which matters at
// thousands of requests a second (docs/benchmarks.md). It is used only on input the
// scanner has checked, and only for its successes: whatever it rejects is decoded again
// by encoding/json, whose answer (value or error) stands, as in kharden scan. A fuzz
// test checks that both give the same value on the inputs both accept.
var fastJSON = jsoniter.ConfigCompatibleWithStandardLibrary

// fastJSONPlainKeys is fastJSON that reads the keys of large structs in place rather
// than as new strings. It reads a key up to its closing quote without resolving
// escapes, so it is used only on input whose keys have none, where that is the key
// encoding/json reads.
var fastJSONPlainKeys = jsoniter.Config{
	EscapeHTML:                    true,
	SortMapKeys:                   true,
	ValidateJsonRawMessage:        true,
	ObjectFieldMustBeSimpleString: true,
}.Froze()

// decodeTyped decodes an object into a typed struct as encoding/json would.
func decodeTyped(raw []byte, typed any) error {
	ok, f := check(raw)
	if !ok {
		return json.Unmarshal(raw, typed) // for encoding/json's error
	}
	return decodeFast(raw, typed, f)
}

// decodeChecked is decodeTyped for input the scanner has already checked.
func decodeChecked(raw []byte, v any) error {
	return decodeFast(raw, v, facts{nonASCII: true, keyEscape: true})
}

// decodeFast decodes checked input, with what its scan saw (f; true when unknown).
func decodeFast(raw []byte, v any, f facts) error {
	// The generated decoders first (the kinds the webhook sees most, and the request).
	if kubejson.Supports(v) {
		if kubejson.Decode(raw, v) {
			return nil
		}
		reset(v)
	}
	// encoding/json turns invalid UTF-8 into U+FFFD, the fast decoder keeps it: such
	// input (never what the API server sends) goes to encoding/json alone.
	if !f.nonASCII || utf8.Valid(raw) {
		api := fastJSON
		if !f.keyEscape {
			api = fastJSONPlainKeys
		}
		if api.Unmarshal(raw, v) == nil {
			return nil
		}
	}
	reset(v)
	return json.Unmarshal(raw, v)
}

// reset zeroes what typed points at, so a failed fast decode leaves nothing behind.
func reset(typed any) {
	v := reflect.ValueOf(typed)
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		v.Elem().SetZero()
	}
}
