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
