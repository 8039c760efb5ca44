package k8s

import (
	"strconv"
	"strings"
)

// mapKeyPath appends a map key to a field path the way the manifest loader spells it:
// quoted in brackets when the key contains path syntax, as in
// metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"] or data["db.password"].
func mapKeyPath(base, key string) string {
	if strings.ContainsAny(key, `.[]"`) {
		return base + "[" + strconv.Quote(key) + "]"
	}
	return base + "." + key
}

// podAnnotation returns the value of an annotation on the pod a workload runs and the
// annotation's field path; ok is false (and both are empty) when the annotation is absent.
func podAnnotation(in *Input, key string) (value, path string, ok bool) {
	w := in.Workload
	if w == nil || w.PodMeta == nil {
		return "", "", false
	}
	if value, ok = w.PodMeta.Annotations[key]; !ok {
		return "", "", false
	}
	return value, mapKeyPath(w.PodMetaPath+".annotations", key), true
}
