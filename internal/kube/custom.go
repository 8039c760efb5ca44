package kube

import (
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Custom resources of wide use that run pods from a standard pod template. Only the
// fields on the way to the template are typed: the rest is their controller's business,
// and no unknown-field error is made for it (their structs are not k8s.io/api types, so
// manifest's strict decoding leaves them alone).

// DeploymentConfig is OpenShift's apps.openshift.io/v1 DeploymentConfig.
type DeploymentConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		Template *corev1.PodTemplateSpec `json:"template,omitempty"`
	} `json:"spec"`
}

// Rollout is Argo Rollouts' argoproj.io/v1alpha1 Rollout. It holds its pod template at
// spec.template, or names a Deployment whose template it uses (spec.workloadRef).
type Rollout struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		Template    corev1.PodTemplateSpec `json:"template"`
		WorkloadRef *WorkloadRef           `json:"workloadRef,omitempty"`
	} `json:"spec"`
}

// WorkloadRef is the object a Rollout takes its pod template from.
type WorkloadRef struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty"`
	Name       string `json:"name,omitempty"`
}

// KnativeService is Knative Serving's serving.knative.dev/v1 Service. Its revision
// template's spec is a pod spec with a few fields of Knative's own (containerConcurrency,
// timeoutSeconds), which the pod spec does not read.
type KnativeService struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		Template corev1.PodTemplateSpec `json:"template"`
	} `json:"spec"`
}

// ScaledJob is KEDA's keda.sh/v1alpha1 ScaledJob: a Job spec at spec.jobTargetRef.
type ScaledJob struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		JobTargetRef *batchv1.JobSpec `json:"jobTargetRef,omitempty"`
	} `json:"spec"`
}

// Templated is an object of a kind kharden does not know that has a pod template where
// controllers keep one: spec.template (with spec.containers) or, as a CronJob,
// spec.jobTemplate.spec.template. See Generic.
type Templated struct {
	metav1.ObjectMeta
	Template *corev1.PodTemplateSpec
	// Path is the template's field path: "spec.template" or "spec.jobTemplate.spec.template".
	Path string
}

// templatedShape is how an unknown kind is read for Generic.
type templatedShape struct {
	Metadata metav1.ObjectMeta `json:"metadata"`
	Spec     struct {
		Template    *corev1.PodTemplateSpec `json:"template"`
		JobTemplate *struct {
			Spec struct {
				Template *corev1.PodTemplateSpec `json:"template"`
			} `json:"spec"`
		} `json:"jobTemplate"`
	} `json:"spec"`
}

// Generic reads an object of an unknown kind as a Templated when it has a pod template
// with containers at spec.template or spec.jobTemplate.spec.template; decode fills its
// argument from the object's JSON (case-sensitively, as the API server reads). It returns
// nil and no error when the object has no such template, and decode's error when what is
// there is not shaped as a pod template.
func Generic(decode func(into any) error) (*Templated, error) {
	// A first pass that only looks for containers, so that an object whose template is
	// something else entirely is left alone rather than called malformed.
	var probe struct {
		Spec struct {
			Template *struct {
				Spec struct {
					Containers []any `json:"containers"`
				} `json:"spec"`
			} `json:"template"`
			JobTemplate *struct {
				Spec struct {
					Template *struct {
						Spec struct {
							Containers []any `json:"containers"`
						} `json:"spec"`
					} `json:"template"`
				} `json:"spec"`
			} `json:"jobTemplate"`
		} `json:"spec"`
	}
	if decode(&probe) != nil {
		return nil, nil
	}
	s := probe.Spec
	path := ""
	switch {
	case s.Template != nil && len(s.Template.Spec.Containers) > 0:
		path = "spec.template"
	case s.JobTemplate != nil && s.JobTemplate.Spec.Template != nil && len(s.JobTemplate.Spec.Template.Spec.Containers) > 0:
		path = "spec.jobTemplate.spec.template"
	default:
		return nil, nil
	}
	var shape templatedShape
	if err := decode(&shape); err != nil {
		return nil, err
	}
	t := &Templated{ObjectMeta: shape.Metadata, Template: shape.Spec.Template, Path: path}
	if path != "spec.template" {
		t.Template = shape.Spec.JobTemplate.Spec.Template
	}
	return t, nil
}
