package admission

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kharden/kharden/internal/kube"
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
// any input: everything it cannot answer is a *DecodeError. The request's object is
// left raw; Review decodes it.
func DecodeReview(body []byte) (*admissionv1.AdmissionReview, error) {
	var review admissionv1.AdmissionReview
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&review); err != nil {
		return nil, &DecodeError{Msg: jsonError(err)}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &DecodeError{Msg: "data after the AdmissionReview object"}
	}
	switch {
	case review.APIVersion != ReviewAPIVersion:
		return nil, &DecodeError{Msg: fmt.Sprintf("apiVersion %q: want %s", review.APIVersion, ReviewAPIVersion)}
	case review.Kind != ReviewKind:
		return nil, &DecodeError{Msg: fmt.Sprintf("kind %q: want %s", review.Kind, ReviewKind)}
	case review.Request == nil:
		return nil, &DecodeError{Msg: "no request"}
	case review.Request.UID == "":
		return nil, &DecodeError{Msg: "request has no uid"}
	}
	return &review, nil
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
	if len(raw) == 0 {
		return nil, errors.New("the request has no object")
	}
	// The API server sends the object in the version the request names; only a request
	// without a kind makes the object's own apiVersion and kind worth a first pass.
	apiVersion, kind := gvk.Version, gvk.Kind
	if gvk.Group != "" {
		apiVersion = gvk.Group + "/" + gvk.Version
	}
	if kind == "" {
		var tm metav1.TypeMeta
		if err := json.Unmarshal(raw, &tm); err != nil {
			return nil, fmt.Errorf("object: %s", jsonError(err))
		}
		apiVersion, kind = tm.APIVersion, tm.Kind
	}
	typed := kube.New(apiVersion, kind)
	if typed == nil {
		typed = &metav1.PartialObjectMetadata{}
	}
	if err := json.Unmarshal(raw, typed); err != nil {
		return nil, fmt.Errorf("%s %s: %s", apiVersion, kind, jsonError(err))
	}
	// Name the object as it names itself, as the scan does.
	if o, ok := typed.(interface{ GetObjectKind() schema.ObjectKind }); ok {
		if own := o.GetObjectKind().GroupVersionKind(); own.Kind != "" {
			apiVersion, kind = own.GroupVersion().String(), own.Kind
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
