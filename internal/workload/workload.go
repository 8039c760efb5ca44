// Package workload turns every kind that runs pods into one shape: the pod spec, the
// metadata that applies to the pod, and the field path where each lives, with a visitor
// over init, regular and ephemeral containers so no rule forgets one.
package workload

import (
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kharden/kharden/internal/kube"
)

// Workload is a pod spec and where it sits in its object.
type Workload struct {
	// Meta is the object's own metadata (namespace, annotations for suppressions).
	Meta *metav1.ObjectMeta
	// PodMeta is the metadata the pods get: the template's for controllers.
	PodMeta     *metav1.ObjectMeta
	PodMetaPath string
	Spec        *corev1.PodSpec
	SpecPath    string // "spec", "spec.template.spec", "spec.jobTemplate.spec.template.spec", "spec.jobTargetRef.template.spec"

	// containers is Containers' answer, made on the first call: every container rule
	// asks for it. A Workload is checked by one goroutine at a time.
	containers []Container
}

// From returns the workload of a typed object, or nil when the object runs no pods.
func From(obj any) *Workload {
	switch o := obj.(type) {
	case *corev1.Pod:
		return &Workload{Meta: &o.ObjectMeta, PodMeta: &o.ObjectMeta, PodMetaPath: "metadata", Spec: &o.Spec, SpecPath: "spec"}
	case *corev1.PodTemplate:
		return template(&o.ObjectMeta, &o.Template, "template")
	case *corev1.ReplicationController:
		if o.Spec.Template == nil {
			return nil
		}
		return template(&o.ObjectMeta, o.Spec.Template, "spec.template")
	case *appsv1.Deployment:
		return template(&o.ObjectMeta, &o.Spec.Template, "spec.template")
	case *appsv1.StatefulSet:
		return template(&o.ObjectMeta, &o.Spec.Template, "spec.template")
	case *appsv1.DaemonSet:
		return template(&o.ObjectMeta, &o.Spec.Template, "spec.template")
	case *appsv1.ReplicaSet:
		return template(&o.ObjectMeta, &o.Spec.Template, "spec.template")
	case *batchv1.Job:
		return template(&o.ObjectMeta, &o.Spec.Template, "spec.template")
	case *batchv1.CronJob:
		return template(&o.ObjectMeta, &o.Spec.JobTemplate.Spec.Template, "spec.jobTemplate.spec.template")
	case *kube.DeploymentConfig:
		if o.Spec.Template == nil {
			return nil
		}
		return template(&o.ObjectMeta, o.Spec.Template, "spec.template")
	case *kube.Rollout:
		if o.Spec.WorkloadRef != nil && len(o.Spec.Template.Spec.Containers) == 0 {
			return nil // its pods are the referenced Deployment's: see RefersTo
		}
		return template(&o.ObjectMeta, &o.Spec.Template, "spec.template")
	case *kube.KnativeService:
		return template(&o.ObjectMeta, &o.Spec.Template, "spec.template")
	case *kube.ScaledJob:
		if o.Spec.JobTargetRef == nil {
			return nil
		}
		return template(&o.ObjectMeta, &o.Spec.JobTargetRef.Template, "spec.jobTargetRef.template")
	case *kube.Templated:
		if o.Template == nil {
			return nil
		}
		return template(&o.ObjectMeta, o.Template, o.Path)
	}
	return nil
}

// RefersTo names the object whose pod template a workload-like object uses instead of
// its own (an Argo Rollout's spec.workloadRef), with the field that says so; empty when
// there is none. The pods are then checked with that object, not with this one.
func RefersTo(obj any) (ref, path string) {
	if o, ok := obj.(*kube.Rollout); ok && From(obj) == nil && o.Spec.WorkloadRef != nil {
		r := o.Spec.WorkloadRef
		return r.Kind + " " + r.Name, "spec.workloadRef"
	}
	return "", ""
}

func template(meta *metav1.ObjectMeta, t *corev1.PodTemplateSpec, path string) *Workload {
	return &Workload{Meta: meta, PodMeta: &t.ObjectMeta, PodMetaPath: path + ".metadata", Spec: &t.Spec, SpecPath: path + ".spec"}
}

// Kinds lists the built-in kinds From understands, in the order tests wrap fixtures.
// From also reads the custom resources of package kube (DeploymentConfig, Rollout,
// Knative Service, ScaledJob) and kube.Templated, an unknown kind's pod template.
var Kinds = []string{"Pod", "PodTemplate", "ReplicationController", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"}

// ContainerType says which list a container comes from.
type ContainerType string

const (
	Init      ContainerType = "initContainers"
	Regular   ContainerType = "containers"
	Ephemeral ContainerType = "ephemeralContainers"
)

// Container is one container of a workload, with its full field path.
type Container struct {
	*corev1.Container
	Type ContainerType
	Path string // "spec.template.spec.containers[1]"
}

// Field returns the path of a field below the container.
func (c Container) Field(rel string) string { return c.Path + "." + rel }

// Containers returns init, regular and ephemeral containers, in that order. Ephemeral
// containers are converted to Container, whose fields they share.
func (w *Workload) Containers() []Container {
	if w.containers == nil {
		w.containers = w.listContainers()
	}
	return w.containers
}

func (w *Workload) listContainers() []Container {
	s := w.Spec
	out := make([]Container, 0, len(s.InitContainers)+len(s.Containers)+len(s.EphemeralContainers))
	for i := range s.InitContainers {
		out = append(out, Container{&s.InitContainers[i], Init, w.index(Init, i)})
	}
	for i := range s.Containers {
		out = append(out, Container{&s.Containers[i], Regular, w.index(Regular, i)})
	}
	for i := range s.EphemeralContainers {
		c := corev1.Container(s.EphemeralContainers[i].EphemeralContainerCommon)
		out = append(out, Container{&c, Ephemeral, w.index(Ephemeral, i)})
	}
	return out
}

func (w *Workload) index(t ContainerType, i int) string {
	return w.SpecPath + "." + string(t) + "[" + strconv.Itoa(i) + "]"
}

// Field returns the path of a field below the pod spec.
func (w *Workload) Field(rel string) string { return w.SpecPath + "." + rel }
