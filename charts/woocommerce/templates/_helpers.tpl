{{/*
What every store chart shares comes from the storedesk-lib library chart
(charts/storedesk-lib, copied into charts/): these names stay as the templates call them.
*/}}
{{- define "woocommerce.store" -}}{{ include "storedesk.store" . }}{{- end -}}
{{- define "woocommerce.host" -}}{{ include "storedesk.host" . }}{{- end -}}
{{- define "woocommerce.tls" -}}{{ include "storedesk.tls" . }}{{- end -}}
{{- /* The store's address as the browser uses it, without a trailing slash (as WordPress
keeps `home` and `siteurl`), with urlPort when shoppers reach it on another port. */ -}}
{{- define "woocommerce.url" -}}{{ include "storedesk.url" . }}{{- end -}}
{{- define "woocommerce.labels" -}}{{ include "storedesk.labels" . }}{{- end -}}
{{- define "woocommerce.selectorLabels" -}}{{ include "storedesk.selectorLabels" . }}{{- end -}}
{{- define "woocommerce.image" -}}{{ include "storedesk.image" . }}{{- end -}}
{{- define "woocommerce.podSecurityContext" -}}{{ include "storedesk.podSecurityContext" . }}{{- end -}}
{{- define "woocommerce.containerSecurityContext" -}}{{ include "storedesk.containerSecurityContext" . }}{{- end -}}
{{- define "woocommerce.credentials" -}}{{ include "storedesk.credentials" . }}{{- end -}}

{{- define "woocommerce.adminEmail" -}}
{{- .Values.auth.adminEmail | default (printf "admin@%s" (include "woocommerce.host" .)) -}}
{{- end -}}

{{/*
Names of the objects, shared between templates.
*/}}
{{- define "woocommerce.wordpress" -}}{{ .Release.Name }}-wordpress{{- end -}}
{{- define "woocommerce.database" -}}{{ .Release.Name }}-database{{- end -}}

{{/*
The environment WordPress's wp-config.php reads (the image generates wp-config.php that
reads these variables at run time), shared by WordPress and the setup Job.
*/}}
{{- define "woocommerce.dbEnv" -}}
- name: WORDPRESS_DB_HOST
  value: {{ include "woocommerce.database" . }}:3306
- name: WORDPRESS_DB_NAME
  value: wordpress
- name: WORDPRESS_DB_USER
  value: wordpress
- name: WORDPRESS_DB_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "woocommerce.credentials" . }}
      key: database-password
{{- end -}}

{{/*
Keeps pods that share the ReadWriteOnce WordPress volume on one node.
*/}}
{{- define "woocommerce.wordpressAffinity" -}}
{{- if eq .Values.wordpress.persistence.accessMode "ReadWriteOnce" -}}
affinity:
  podAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      - topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "woocommerce.selectorLabels" (dict "root" . "component" "wordpress") | nindent 12 }}
{{- end }}
{{- end -}}
