{{- define "mapped.fullname" -}}
{{ .Release.Name }}-mapped
{{- end -}}

{{- define "mapped.containerSecurity" -}}
allowPrivilegeEscalation: {{ .Values.securityContext.allowPrivilegeEscalation }}
privileged: {{ .Values.securityContext.privileged }}
{{- end -}}

{{- define "mapped.labels" -}}
app: mapped
{{- end -}}
