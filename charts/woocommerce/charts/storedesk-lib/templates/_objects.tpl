{{/*
The credentials Secret. Call with (dict "root" $ "entries" (list (list KEY VALUE REQUIRED)
...)): each entry a key of the Secret, its value and, when not "", the message that stops
rendering without it (pass secret values in a private values file, never --set).
*/}}
{{- define "storedesk.secret" -}}
apiVersion: v1
kind: Secret
metadata:
  name: {{ include "storedesk.credentials" .root }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "storedesk.labels" (dict "root" .root "component" "credentials") | nindent 4 }}
type: Opaque
data:
  {{- range .entries }}
  {{- if index . 2 }}
  {{ index . 0 }}: {{ required (index . 2) (index . 1) | b64enc | quote }}
  {{- else }}
  {{ index . 0 }}: {{ index . 1 | b64enc | quote }}
  {{- end }}
  {{- end }}
{{- end -}}

{{/*
The store's ServiceAccount: its pods run as it; none of them talks to the Kubernetes API.
*/}}
{{- define "storedesk.serviceAccount" -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ .Release.Name | quote }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "storedesk.labels" (dict "root" . "component" "service-account") | nindent 4 }}
automountServiceAccountToken: false
{{- end -}}

{{/*
A quota for the store's namespace from .Values.resourceQuota (enabled, hard).
*/}}
{{- define "storedesk.resourceQuota" -}}
{{- if .Values.resourceQuota.enabled }}
{{- /* Caps the store's namespace; the defaults leave room for a rolling update, the setup
Job and the test pod (tests/chart checks this sum for every shipped values file). */ -}}
apiVersion: v1
kind: ResourceQuota
metadata:
  name: {{ .Release.Name }}-quota
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "storedesk.labels" (dict "root" . "component" "quota") | nindent 4 }}
spec:
  hard:
    {{- range $key, $value := .Values.resourceQuota.hard }}
    {{ $key }}: {{ $value | quote }}
    {{- end }}
{{- end }}
{{- end -}}

{{/*
Container defaults and maxima for the namespace from .Values.limitRange.
*/}}
{{- define "storedesk.limitRange" -}}
{{- if .Values.limitRange.enabled }}
{{- $limits := .Values.limitRange -}}
apiVersion: v1
kind: LimitRange
metadata:
  name: {{ .Release.Name }}-limits
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "storedesk.labels" (dict "root" . "component" "limits") | nindent 4 }}
spec:
  limits:
    - type: Container
      default:
        {{- toYaml $limits.default | nindent 8 }}
      defaultRequest:
        {{- toYaml $limits.defaultRequest | nindent 8 }}
      max:
        {{- toYaml $limits.max | nindent 8 }}
{{- end }}
{{- end -}}

{{/*
The store's Ingress at its host, with TLS from storedesk.tls. Call with
(dict "root" $ "name" NAME "service" SERVICE "port" PORT-NAME).
*/}}
{{- define "storedesk.ingress" -}}
{{- $tls := include "storedesk.tls" .root | fromJson -}}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ .name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "storedesk.labels" (dict "root" .root "component" "ingress") | nindent 4 }}
  {{- $annotations := deepCopy .root.Values.ingress.annotations }}
  {{- with $tls.issuer }}{{ $_ := set $annotations "cert-manager.io/issuer" . }}{{ end }}
  {{- with $tls.clusterIssuer }}{{ $_ := set $annotations "cert-manager.io/cluster-issuer" . }}{{ end }}
  {{- with $annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  {{- with .root.Values.ingress.className }}
  ingressClassName: {{ . | quote }}
  {{- end }}
  {{- if $tls.enabled }}
  tls:
    - hosts: [{{ include "storedesk.host" .root | quote }}]
      {{- /* Without a secret name the controller serves its default certificate. */}}
      {{- with $tls.secretName }}
      secretName: {{ . | quote }}
      {{- end }}
  {{- end }}
  rules:
    - host: {{ include "storedesk.host" .root | quote }}
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: {{ .service }}
                port:
                  name: {{ .port }}
{{- end -}}
