{{/*
The Medusa chart's own helpers; what every store shares comes from the storedesk-lib
library chart (charts/storedesk-lib): storedesk.labels, storedesk.url, ...
*/}}

{{- define "medusa.adminEmail" -}}
{{- .Values.auth.adminEmail | default (printf "admin@%s" (include "storedesk.host" .)) -}}
{{- end -}}

{{/*
Names of the objects, shared between templates.
*/}}
{{- define "medusa.server" -}}{{ .Release.Name }}-server{{- end -}}
{{- define "medusa.database" -}}{{ .Release.Name }}-database{{- end -}}
{{- define "medusa.redis" -}}{{ .Release.Name }}-redis{{- end -}}

{{/*
Where the volume is mounted, and the build this chart runs: a hash of everything that
goes into it (starter, Storedesk's medusa-config.ts, the setup image). Another build id
makes the setup Job build anew beside the running one, and rolls the server onto it.
*/}}
{{- define "medusa.data" -}}/srv/medusa{{- end -}}
{{- define "medusa.buildId" -}}
{{- $m := .Values.medusa -}}
{{- list $m.starter.repository $m.starter.commit $m.version (.Files.Get "files/medusa-config.ts") (include "storedesk.image" .Values.setup.image) | toJson | sha256sum | trunc 12 -}}
{{- end -}}
{{- define "medusa.app" -}}{{ include "medusa.data" . }}/builds/{{ include "medusa.buildId" . }}{{- end -}}

{{/*
The environment Medusa reads (medusa-config.ts), shared by the server and the setup Job.
Secrets come from the store's Secret.
*/}}
{{- define "medusa.env" -}}
{{- $url := include "storedesk.url" . -}}
{{- $tls := include "storedesk.tls" . | fromJson -}}
- name: NODE_ENV
  value: production
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "storedesk.credentials" . }}
      key: database-url
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "storedesk.credentials" . }}
      key: redis-url
- name: JWT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "storedesk.credentials" . }}
      key: jwt-secret
- name: COOKIE_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "storedesk.credentials" . }}
      key: cookie-secret
# The store's address as browsers use it: CORS origins and the links to uploads.
- name: STOREDESK_URL
  value: {{ $url | quote }}
- name: STORE_CORS
  value: {{ $url | quote }}
- name: ADMIN_CORS
  value: {{ $url | quote }}
- name: AUTH_CORS
  value: {{ $url | quote }}
- name: STOREDESK_SECURE_COOKIES
  value: {{ $tls.enabled | quote }}
# One process serves the API and runs background work (Medusa's "shared" mode).
- name: MEDUSA_WORKER_MODE
  value: shared
- name: MEDUSA_DISABLE_TELEMETRY
  value: "true"
# npm, Yarn and Node keep caches under HOME; the root filesystem is read-only.
- name: HOME
  value: /tmp
{{- end -}}

{{/*
Keeps the pods that share the ReadWriteOnce app volume (server, setup Job, test) on one
node.
*/}}
{{- define "medusa.serverAffinity" -}}
{{- if eq .Values.server.persistence.accessMode "ReadWriteOnce" -}}
affinity:
  podAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      - topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "storedesk.selectorLabels" (dict "root" . "component" "server") | nindent 12 }}
{{- end }}
{{- end -}}
