{{- define "allkinds.labels" -}}
app.kubernetes.io/name: "allkinds"
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
{{- end }}
{{- define "allkinds.resources" -}}
resources:
  requests: {cpu: 50m, memory: 32Mi}
  limits: {cpu: 100m, memory: 64Mi}
{{- end }}
