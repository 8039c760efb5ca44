{{- define "broken.check" -}}
{{- if not .Values.allowed -}}
{{- fail "allowed must be set" -}}
{{- end -}}
{{- end -}}
{{- define "broken.deep" -}}
{{ .Values.nothing.here }}
{{- end -}}
