package engine

import (
	"bytes"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kharden/kharden/internal/kube"
	"github.com/kharden/kharden/internal/report"
	"github.com/kharden/kharden/internal/rules/k8s"
	"github.com/kharden/kharden/internal/source/manifest"
	"github.com/kharden/kharden/internal/workload"
)

// input decodes a document into the typed input rules read. Objects kharden cannot
// judge fully do not pass silently:
//   - a built-in kind in a built-in group that does not serve it (apiVersion: v1 with
//     kind: Deployment) is an error at its apiVersion: the API server refuses it, so no
//     pod of it will run as written;
//   - an unknown kind with a pod template where controllers keep one (spec.template with
//     containers, spec.jobTemplate.spec.template) is judged through that template as a
//     controller's, with a note saying so (kube.Generic);
//   - an object whose pods are another object's (a Rollout's spec.workloadRef) gets a
//     note naming that object.
//
// Notes go to rep.
func (e *Engine) input(d *manifest.Document, rep *report.Report) (*k8s.Input, *manifest.Error) {
	apiVersion, kind := d.Object.APIVersion, d.Object.Kind
	if want, wrong := kube.WrongGroup(apiVersion, kind); wrong {
		pos := at(d, "apiVersion")
		return nil, &manifest.Error{File: pos.File, Line: pos.Line, Column: pos.Column,
			Msg: fmt.Sprintf("%s %s: apiVersion %q does not serve %s (%s does): the API server refuses the object, and kharden did not check it",
				kind, d.Object.Name, apiVersion, kind, want)}
	}
	typed := d.Typed() // Load's strict check decoded it already, most often
	if typed == nil {
		typed = kube.New(apiVersion, kind)
		if typed != nil {
			if err := d.Decode(typed); err != nil {
				return nil, placed(d, err)
			}
		}
	}
	var meta *metav1.ObjectMeta
	if typed != nil {
		meta = kube.Meta(typed)
		if ref, path := workload.RefersTo(typed); ref != "" {
			rep.Notes = append(rep.Notes, e.note(d, path, fmt.Sprintf("%s %s: its pods are %s's (%s): they are checked with that object, not here", kind, d.Object.Name, ref, path)))
		}
		return k8s.NewInput(d.Object, meta, typed, &e.settings), nil
	}
	// Case-sensitive, as the API server decodes: "Metadata" is not "metadata".
	meta = &metav1.ObjectMeta{}
	if err := d.DecodeMeta(meta); err != nil {
		return nil, placed(d, err)
	}
	if !bytes.Contains(d.JSON, []byte(`"containers"`)) && bytes.IndexByte(d.JSON, '\\') < 0 {
		// No pod template: kube.Generic, which looks for containers, would find none
		// (without a backslash, no key is written escaped).
		return k8s.NewInput(d.Object, meta, typed, &e.settings), nil
	}
	t, err := kube.Generic(func(into any) error {
		if err := d.Decode(into); err != nil {
			return err
		}
		return nil
	})
	bad, _ := err.(*manifest.Error)
	switch {
	case bad != nil:
		bad = placed(d, bad)
		rep.Notes = append(rep.Notes, report.Problem{File: bad.File, Line: bad.Line, Column: bad.Column,
			Message: fmt.Sprintf("%s %s (%s) is not a kind kharden knows and its pod template is not a pod template's shape, so its pods are not checked: %s", kind, d.Object.Name, apiVersion, strings.TrimPrefix(bad.Msg, kind+" "+d.Object.Name+": "))})
	case t != nil:
		typed, meta = t, &t.ObjectMeta
		rep.Notes = append(rep.Notes, e.note(d, t.Path, fmt.Sprintf("%s %s (%s) is not a kind kharden knows: its pod template at %s is checked as a controller's", kind, d.Object.Name, apiVersion, t.Path)))
	}
	return k8s.NewInput(d.Object, meta, typed, &e.settings), nil
}

// note is a report note about a document, at the field path's place.
func (e *Engine) note(d *manifest.Document, path, msg string) report.Problem {
	pos := at(d, path)
	return report.Problem{File: pos.File, Line: pos.Line, Column: pos.Column, Message: msg}
}

// at is where a field path of a document is for the reader.
func at(d *manifest.Document, path string) manifest.Position {
	return place{file: d.File, locate: d.Position, place: d.Place}.at(path)
}

// placed moves a decoding error, found in the document's loaded text, to the user's own
// file when that is elsewhere (Document.Place): to the field that starts at the error's
// line and column, or else to no line, saying which line of the loaded text it was.
func placed(d *manifest.Document, e *manifest.Error) *manifest.Error {
	if d.Place == nil {
		return e
	}
	pos := manifest.Position{File: d.File, Note: fmt.Sprintf("line %d of the text kharden loaded", e.Line)}
	if path, ok := d.PathAt(e.Line, e.Column); ok {
		pos = d.Place(path)
	}
	msg := e.Msg
	if pos.Note != "" {
		msg += " (" + pos.Note + ")"
	}
	return &manifest.Error{File: pos.File, Line: pos.Line, Column: pos.Column, Msg: msg}
}
