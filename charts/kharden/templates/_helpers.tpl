{{- define "kharden.name" -}}
{{- printf "%s-webhook" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kharden.labels" -}}
app.kubernetes.io/name: kharden-webhook
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "kharden.selector" -}}
app.kubernetes.io/name: kharden-webhook
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kharden.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end -}}
{{- end -}}

{{- define "kharden.tlsSecret" -}}
{{- .Values.tls.secretName | default (printf "%s-tls" (include "kharden.name" .)) -}}
{{- end -}}

{{/* The levels whose namespaces the fail-closed webhook serves. */}}
{{- define "kharden.enforceLevels" -}}
[info, low, medium, high, critical, pss-baseline, pss-restricted]
{{- end -}}

{{- define "kharden.namespaceExclusion" -}}
- key: kubernetes.io/metadata.name
  operator: NotIn
  values:
    - kube-system
    - {{ .Release.Namespace }}
    {{- range .Values.webhook.excludedNamespaces }}
    - {{ . }}
    {{- end }}
{{- end -}}

{{- define "kharden.rules" -}}
- operations: [CREATE, UPDATE]
  apiGroups: [""]
  apiVersions: [v1]
  resources: [pods, pods/ephemeralcontainers, podtemplates, replicationcontrollers]
- operations: [CREATE, UPDATE]
  apiGroups: [apps]
  apiVersions: [v1]
  resources: [deployments, statefulsets, daemonsets, replicasets]
- operations: [CREATE, UPDATE]
  apiGroups: [batch]
  apiVersions: [v1]
  resources: [jobs, cronjobs]
{{- end -}}

{{/* The node audit (templates/node-audit.yaml). */}}
{{- define "kharden.nodeAudit.name" -}}
{{- printf "%s-node-audit" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kharden.nodeAudit.selector" -}}
app.kubernetes.io/name: kharden-node-audit
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kharden.nodeAudit.labels" -}}
{{ include "kharden.nodeAudit.selector" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The node audit's image: nodeAudit.image's fields where set, else image's. */}}
{{- define "kharden.nodeAudit.imageValues" -}}
{{- toYaml (mergeOverwrite (deepCopy .Values.image) (.Values.nodeAudit.image | default dict)) -}}
{{- end -}}

{{/* The node audit's intended findings, rule slug: reason. They are its DaemonSet's
     ignore.kharden.io annotations, for kharden scan, and its exceptions in the webhook's
     config (templates/configmap.yaml), since annotations exempt nothing at admission. */}}
{{- define "kharden.nodeAudit.exemptions" -}}
host-pid: "the audit reads the command lines of kubelet, kube-apiserver, etcd and the other node components from the host's /proc"
host-path-volumes: "the audit reads the node's configuration (kubelet and control-plane files, PKI modes, sysctls, sshd, sudoers, modprobe.d), mounted read-only"
runtime-socket-mount: "the node's / holds the runtime socket, which a read-only mount does not close; kharden opens no socket, and the pod has no API token (docs/deploy-node-audit.md)"
run-as-non-root: "root-only files (the kubelet's and etcd's keys, /etc/sudoers) can be read only as root: Kubernetes gives a non-root container no effective capability"
run-as-user-set: "the audit runs as root (run-as-non-root above), whose group 0 comes with it; no other group would let it read root-only files"
{{- with .Values.nodeAudit.capabilities }}
forbidden-capabilities: {{ printf "%s (nodeAudit.capabilities): DAC_READ_SEARCH reads files of other owners (etcd's data directory), SYS_PTRACE reads other processes' /proc/<pid>/environ and root" (join ", " .) | quote }}
{{- end }}
{{- if not (include "kharden.nodeAudit.imageValues" . | fromYaml).digest }}
image-digest: "no image digest given: set image.digest to pin the release's image"
{{- end }}
{{- end -}}

{{/* The config file the webhook reads: .Values.config, plus an admission exception per
     intended finding of the node audit, for its DaemonSet and the DaemonSet's pods
     (named after it) in its namespace. */}}
{{- define "kharden.config" -}}
{{- $config := deepCopy .Values.config -}}
{{- if .Values.nodeAudit.enabled -}}
{{- $admission := $config.admission | default dict -}}
{{- $exceptions := $admission.exceptions | default list -}}
{{- $ns := .Values.nodeAudit.namespace | default .Release.Namespace -}}
{{- $name := include "kharden.nodeAudit.name" . -}}
{{- range $slug, $reason := include "kharden.nodeAudit.exemptions" . | fromYaml -}}
{{- $exceptions = append $exceptions (dict "namespace" $ns "name" (printf "%s*" $name) "kinds" (list "DaemonSet" "Pod") "rules" (list $slug) "reason" (printf "kharden's node audit: %s" $reason)) -}}
{{- end -}}
{{- $_ := set $admission "exceptions" $exceptions -}}
{{- $_ := set $config "admission" $admission -}}
{{- end -}}
{{- toYaml $config -}}
{{- end -}}
