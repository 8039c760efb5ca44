package k8s

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kharden/kharden/internal/workload"
)

// appArmorSetting is where a container's AppArmor profile comes from.
type appArmorSetting struct {
	value      string // the field's type or the annotation's value
	unconfined bool
	path       string // field path of the setting; "" when nothing sets a profile
	annotation bool   // set by the deprecated beta annotation
	key        string // the annotation key
}

// effectiveAppArmor resolves a container's AppArmor profile in the kubelet's order: the
// container's field, the container's annotation, the pod's field.
func effectiveAppArmor(in *Input, c workload.Container) appArmorSetting {
	if sc := c.SecurityContext; sc != nil && sc.AppArmorProfile != nil {
		t := sc.AppArmorProfile.Type
		return appArmorSetting{value: string(t), unconfined: t == corev1.AppArmorProfileTypeUnconfined,
			path: c.Field("securityContext.appArmorProfile.type")}
	}
	key := corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix + c.Name
	if v, path, ok := podAnnotation(in, key); ok {
		return appArmorSetting{value: v, path: path, annotation: true, key: key,
			unconfined: strings.TrimSpace(v) == corev1.DeprecatedAppArmorBetaProfileNameUnconfined}
	}
	if psc := in.Workload.Spec.SecurityContext; psc != nil && psc.AppArmorProfile != nil {
		t := psc.AppArmorProfile.Type
		return appArmorSetting{value: string(t), unconfined: t == corev1.AppArmorProfileTypeUnconfined,
			path: in.Workload.Field("securityContext.appArmorProfile.type")}
	}
	return appArmorSetting{}
}
