{{/*
Labels every object carries. Call with (dict "root" $ "component" "server").
storedesk.io/store and storedesk.io/engine let Storedesk find every store object with
one selector. Every value is quoted: YAML reads a bare yes, no, on, off, y, n, true,
false or null as a boolean or null, which a label cannot hold, and a store or release
may carry such a name.
*/}}
{{- define "storedesk.labels" -}}
{{ include "storedesk.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: "storedesk"
app.kubernetes.io/managed-by: {{ .root.Release.Service | quote }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | quote }}
storedesk.io/store: {{ include "storedesk.store" .root | quote }}
storedesk.io/engine: {{ .root.Chart.Name | quote }}
{{- end -}}

{{/*
The labels a controller selects its pods by (immutable once created).
*/}}
{{- define "storedesk.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name | quote }}
app.kubernetes.io/instance: {{ .root.Release.Name | quote }}
app.kubernetes.io/component: {{ .component | quote }}
{{- end -}}
